/*
 * Typed accessors of arrays (Apple's xpc_array_get_* / xpc_array_set_*),
 * connections inside dictionaries and arrays, and a few value helpers
 * (xpc_data_get_bytes, xpc_string_create_with_format_and_arguments). A
 * getter of the wrong type, or past the end, answers 0, NULL or -1 as
 * Apple's do; a setter with index XPC_ARRAY_APPEND appends.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "oom.h"

static void array_set_owned(xpc_object_t a, size_t index, xpc_object_t v)
{
	xpc_array_set_value(a, index, v);
	xpc_release(v);
}

void xpc_array_set_bool(xpc_object_t a, size_t index, bool v) { array_set_owned(a, index, xpc_bool_create(v)); }
void xpc_array_set_int64(xpc_object_t a, size_t index, int64_t v) { array_set_owned(a, index, xpc_int64_create(v)); }
void xpc_array_set_uint64(xpc_object_t a, size_t index, uint64_t v) { array_set_owned(a, index, xpc_uint64_create(v)); }
void xpc_array_set_double(xpc_object_t a, size_t index, double v) { array_set_owned(a, index, xpc_double_create(v)); }
void xpc_array_set_date(xpc_object_t a, size_t index, int64_t v) { array_set_owned(a, index, xpc_date_create(v)); }
void xpc_array_set_string(xpc_object_t a, size_t index, const char *v) { array_set_owned(a, index, xpc_string_create(v)); }
void xpc_array_set_uuid(xpc_object_t a, size_t index, const unsigned char *v) { array_set_owned(a, index, xpc_uuid_create(v)); }

void xpc_array_set_data(xpc_object_t a, size_t index, const void *bytes, size_t length)
{
	array_set_owned(a, index, xpc_data_create(bytes, length));
}

void xpc_array_set_fd(xpc_object_t a, size_t index, int fd)
{
	xpc_object_t v = xpc_fd_create(fd);
	if (v)
		array_set_owned(a, index, v);
}

bool xpc_array_get_bool(xpc_object_t a, size_t index) { return xpc_bool_get_value(xpc_array_get_value(a, index)); }
int64_t xpc_array_get_int64(xpc_object_t a, size_t index) { return xpc_int64_get_value(xpc_array_get_value(a, index)); }
uint64_t xpc_array_get_uint64(xpc_object_t a, size_t index) { return xpc_uint64_get_value(xpc_array_get_value(a, index)); }
double xpc_array_get_double(xpc_object_t a, size_t index) { return xpc_double_get_value(xpc_array_get_value(a, index)); }
int64_t xpc_array_get_date(xpc_object_t a, size_t index) { return xpc_date_get_value(xpc_array_get_value(a, index)); }

const char *xpc_array_get_string(xpc_object_t a, size_t index)
{
	return xpc_string_get_string_ptr(xpc_array_get_value(a, index));
}

const uint8_t *xpc_array_get_uuid(xpc_object_t a, size_t index)
{
	return xpc_uuid_get_bytes(xpc_array_get_value(a, index));
}

const void *xpc_array_get_data(xpc_object_t a, size_t index, size_t *length)
{
	xpc_object_t v = xpc_array_get_value(a, index);
	if (length)
		*length = xpc_get_type(v) == XPC_TYPE_DATA ? xpc_data_get_length(v) : 0;
	return xpc_get_type(v) == XPC_TYPE_DATA ? xpc_data_get_bytes_ptr(v) : NULL;
}

int xpc_array_dup_fd(xpc_object_t a, size_t index)
{
	xpc_object_t v = xpc_array_get_value(a, index);
	return xpc_get_type(v) == XPC_TYPE_FD ? xpc_fd_dup(v) : -1;
}

static xpc_object_t of_type(xpc_object_t v, xpc_type_t t)
{
	return xpc_get_type(v) == t ? v : NULL;
}

xpc_object_t xpc_array_get_dictionary(xpc_object_t a, size_t index)
{
	return of_type(xpc_array_get_value(a, index), XPC_TYPE_DICTIONARY);
}

xpc_object_t xpc_array_get_array(xpc_object_t a, size_t index)
{
	return of_type(xpc_array_get_value(a, index), XPC_TYPE_ARRAY);
}

/*
 * Connections travel as endpoints (docs/wire-format.md): setting one stores the endpoint of an anonymous
 * listener, which the receiver turns back into a connection to it. Any other connection cannot travel: the
 * value is not set, and the message would be refused when sent.
 */
void xpc_dictionary_set_connection(xpc_object_t d, const char *key, xpc_connection_t c)
{
	xpc_endpoint_t ep = xpc_endpoint_create(c);
	if (ep) {
		xpc_dictionary_set_value(d, key, ep);
		xpc_release(ep);
	}
}

xpc_connection_t xpc_dictionary_create_connection(xpc_object_t d, const char *key)
{
	xpc_object_t ep = xpc_dictionary_get_value(d, key);
	return xpc_get_type(ep) == XPC_TYPE_ENDPOINT ? xpc_connection_create_from_endpoint(ep) : NULL;
}

void xpc_array_set_connection(xpc_object_t a, size_t index, xpc_connection_t c)
{
	xpc_endpoint_t ep = xpc_endpoint_create(c);
	if (ep)
		array_set_owned(a, index, ep);
}

xpc_connection_t xpc_array_create_connection(xpc_object_t a, size_t index)
{
	xpc_object_t ep = xpc_array_get_value(a, index);
	return xpc_get_type(ep) == XPC_TYPE_ENDPOINT ? xpc_connection_create_from_endpoint(ep) : NULL;
}

size_t xpc_data_get_bytes(xpc_object_t data, void *buffer, size_t offset, size_t length)
{
	size_t have = xpc_get_type(data) == XPC_TYPE_DATA ? xpc_data_get_length(data) : 0;
	if (offset >= have)
		return 0;
	size_t n = have - offset < length ? have - offset : length;
	memcpy(buffer, (const char *)xpc_data_get_bytes_ptr(data) + offset, n);
	return n;
}

xpc_object_t xpc_string_create_with_format_and_arguments(const char *fmt, va_list ap)
{
	char *s;
	if (vasprintf(&s, fmt, ap) < 0)
		gantry_oom();
	return xpc_string_adopt(s, strlen(s));
}
