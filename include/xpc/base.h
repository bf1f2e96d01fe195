/*
 * <xpc/base.h> — Gantry's XPC objects: types, reference counting, scalars,
 * arrays, dictionaries, errors and the wire format's limits. Laid out as
 * Apple's <xpc/base.h> and friends; <xpc/xpc.h> includes everything.
 *
 * Ownership is Apple's: *_create and *_copy return a +1 reference that the
 * caller releases; getters return borrowed references.
 */
#ifndef GANTRY_XPC_BASE_H
#define GANTRY_XPC_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * As in Apple's headers for C: an object is a void *, to and from which every
 * other XPC type converts (a listener's peer arrives as an xpc_object_t and is
 * used as an xpc_connection_t). libxpc's own sources define GANTRY_XPC_INTERNAL
 * and see the objects' layout instead; the pointers are the same.
 */
struct _xpc_object_s;
#ifdef GANTRY_XPC_INTERNAL
typedef struct _xpc_object_s *xpc_object_t;
typedef struct _xpc_object_s *xpc_endpoint_t;
#else
typedef void *xpc_object_t;
typedef struct _xpc_endpoint_s *xpc_endpoint_t;
#endif
typedef struct _xpc_connection_s *xpc_connection_t;
typedef const struct _xpc_type_s *xpc_type_t;

extern const struct _xpc_type_s _xpc_type_null, _xpc_type_bool, _xpc_type_int64,
	_xpc_type_uint64, _xpc_type_double, _xpc_type_date, _xpc_type_data,
	_xpc_type_string, _xpc_type_uuid, _xpc_type_fd, _xpc_type_array,
	_xpc_type_dictionary, _xpc_type_error, _xpc_type_connection, _xpc_type_endpoint, _xpc_type_shmem;

#define XPC_TYPE_NULL (&_xpc_type_null)
#define XPC_TYPE_BOOL (&_xpc_type_bool)
#define XPC_TYPE_INT64 (&_xpc_type_int64)
#define XPC_TYPE_UINT64 (&_xpc_type_uint64)
#define XPC_TYPE_DOUBLE (&_xpc_type_double)
#define XPC_TYPE_DATE (&_xpc_type_date)
#define XPC_TYPE_DATA (&_xpc_type_data)
#define XPC_TYPE_STRING (&_xpc_type_string)
#define XPC_TYPE_UUID (&_xpc_type_uuid)
#define XPC_TYPE_FD (&_xpc_type_fd)
#define XPC_TYPE_ARRAY (&_xpc_type_array)
#define XPC_TYPE_DICTIONARY (&_xpc_type_dictionary)
#define XPC_TYPE_ERROR (&_xpc_type_error)
#define XPC_TYPE_CONNECTION (&_xpc_type_connection)
#define XPC_TYPE_ENDPOINT (&_xpc_type_endpoint)
#define XPC_TYPE_SHMEM (&_xpc_type_shmem)

#define XPC_ARRAY_APPEND ((size_t)-1)

/* Generic object operations. */
xpc_object_t xpc_retain(xpc_object_t object);
void xpc_release(xpc_object_t object);
xpc_type_t xpc_get_type(xpc_object_t object);
const char *xpc_type_get_name(xpc_type_t type);
xpc_object_t xpc_copy(xpc_object_t object);
bool xpc_equal(xpc_object_t a, xpc_object_t b);
size_t xpc_hash(xpc_object_t object);
/* A malloc'd, human-readable rendering; the caller frees it. */
char *xpc_copy_description(xpc_object_t object);

/* Scalars. */
extern struct _xpc_object_s _xpc_bool_true, _xpc_bool_false;
#define XPC_BOOL_TRUE ((xpc_object_t)&_xpc_bool_true)
#define XPC_BOOL_FALSE ((xpc_object_t)&_xpc_bool_false)
xpc_object_t xpc_null_create(void);
xpc_object_t xpc_bool_create(bool value);
bool xpc_bool_get_value(xpc_object_t xbool);
xpc_object_t xpc_int64_create(int64_t value);
int64_t xpc_int64_get_value(xpc_object_t xint);
xpc_object_t xpc_uint64_create(uint64_t value);
uint64_t xpc_uint64_get_value(xpc_object_t xuint);
xpc_object_t xpc_double_create(double value);
double xpc_double_get_value(xpc_object_t xdouble);
/* Dates are nanoseconds since the Unix epoch, as in Apple's API. */
xpc_object_t xpc_date_create(int64_t interval);
xpc_object_t xpc_date_create_from_current(void);
int64_t xpc_date_get_value(xpc_object_t xdate);
xpc_object_t xpc_data_create(const void *bytes, size_t length);
const void *xpc_data_get_bytes_ptr(xpc_object_t xdata);
size_t xpc_data_get_length(xpc_object_t xdata);
xpc_object_t xpc_string_create(const char *string);
xpc_object_t xpc_string_create_with_format(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
xpc_object_t xpc_string_create_with_format_and_arguments(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));
/* Copies up to length bytes from offset into buffer; returns how many. */
size_t xpc_data_get_bytes(xpc_object_t xdata, void *buffer, size_t offset, size_t length);
size_t xpc_string_get_length(xpc_object_t xstring);
const char *xpc_string_get_string_ptr(xpc_object_t xstring);
xpc_object_t xpc_uuid_create(const unsigned char *uuid);
const uint8_t *xpc_uuid_get_bytes(xpc_object_t xuuid);
/* Boxes a dup() of fd; returns NULL if dup fails. */
xpc_object_t xpc_fd_create(int fd);
/* Returns a new descriptor for the boxed file; the caller closes it. */
int xpc_fd_dup(xpc_object_t xfd);
/*
 * Shared memory. region must come from mmap(2) (page-aligned; Apple asks for
 * MAP_SHARED|MAP_ANON): the region is moved onto a sealed memfd in place, so
 * the caller's pages are the ones shared. NULL if region is not page-aligned
 * or the memfd cannot be made. xpc_shmem_map maps the object (PROT_READ |
 * PROT_WRITE, MAP_SHARED) and returns its length, or 0; the caller munmaps.
 */
xpc_object_t xpc_shmem_create(void *region, size_t length);
size_t xpc_shmem_map(xpc_object_t xshmem, void **region);

/* Arrays. */
xpc_object_t xpc_array_create(xpc_object_t const *objects, size_t count);
void xpc_array_set_value(xpc_object_t xarray, size_t index, xpc_object_t value);
void xpc_array_append_value(xpc_object_t xarray, xpc_object_t value);
size_t xpc_array_get_count(xpc_object_t xarray);
xpc_object_t xpc_array_get_value(xpc_object_t xarray, size_t index);
typedef bool (*xpc_array_applier_f)(void *context, size_t index, xpc_object_t value);
bool xpc_array_apply_f(xpc_object_t xarray, void *context, xpc_array_applier_f applier);
#ifdef __BLOCKS__
typedef bool (^xpc_array_applier_t)(size_t index, xpc_object_t value);
bool xpc_array_apply(xpc_object_t xarray, xpc_array_applier_t applier);
#endif
/* Typed accessors (index XPC_ARRAY_APPEND appends); a value of another type reads as 0, NULL or -1. */
void xpc_array_set_bool(xpc_object_t xarray, size_t index, bool value);
void xpc_array_set_int64(xpc_object_t xarray, size_t index, int64_t value);
void xpc_array_set_uint64(xpc_object_t xarray, size_t index, uint64_t value);
void xpc_array_set_double(xpc_object_t xarray, size_t index, double value);
void xpc_array_set_date(xpc_object_t xarray, size_t index, int64_t value);
void xpc_array_set_data(xpc_object_t xarray, size_t index, const void *bytes, size_t length);
void xpc_array_set_string(xpc_object_t xarray, size_t index, const char *string);
void xpc_array_set_uuid(xpc_object_t xarray, size_t index, const unsigned char *uuid);
void xpc_array_set_fd(xpc_object_t xarray, size_t index, int fd);
bool xpc_array_get_bool(xpc_object_t xarray, size_t index);
int64_t xpc_array_get_int64(xpc_object_t xarray, size_t index);
uint64_t xpc_array_get_uint64(xpc_object_t xarray, size_t index);
double xpc_array_get_double(xpc_object_t xarray, size_t index);
int64_t xpc_array_get_date(xpc_object_t xarray, size_t index);
const void *xpc_array_get_data(xpc_object_t xarray, size_t index, size_t *length);
const char *xpc_array_get_string(xpc_object_t xarray, size_t index);
const uint8_t *xpc_array_get_uuid(xpc_object_t xarray, size_t index);
int xpc_array_dup_fd(xpc_object_t xarray, size_t index);
xpc_object_t xpc_array_get_dictionary(xpc_object_t xarray, size_t index);
xpc_object_t xpc_array_get_array(xpc_object_t xarray, size_t index);

/* Dictionaries. Keys keep their insertion order. Setting NULL removes a key. */
xpc_object_t xpc_dictionary_create(const char *const *keys,
	xpc_object_t const *values, size_t count);
xpc_object_t xpc_dictionary_create_empty(void);
void xpc_dictionary_set_value(xpc_object_t xdict, const char *key, xpc_object_t value);
xpc_object_t xpc_dictionary_get_value(xpc_object_t xdict, const char *key);
size_t xpc_dictionary_get_count(xpc_object_t xdict);
typedef bool (*xpc_dictionary_applier_f)(void *context, const char *key, xpc_object_t value);
bool xpc_dictionary_apply_f(xpc_object_t xdict, void *context, xpc_dictionary_applier_f applier);
#ifdef __BLOCKS__
typedef bool (^xpc_dictionary_applier_t)(const char *key, xpc_object_t value);
bool xpc_dictionary_apply(xpc_object_t xdict, xpc_dictionary_applier_t applier);
#endif
void xpc_dictionary_set_bool(xpc_object_t xdict, const char *key, bool value);
void xpc_dictionary_set_int64(xpc_object_t xdict, const char *key, int64_t value);
void xpc_dictionary_set_uint64(xpc_object_t xdict, const char *key, uint64_t value);
void xpc_dictionary_set_double(xpc_object_t xdict, const char *key, double value);
void xpc_dictionary_set_date(xpc_object_t xdict, const char *key, int64_t value);
void xpc_dictionary_set_data(xpc_object_t xdict, const char *key, const void *bytes, size_t length);
void xpc_dictionary_set_string(xpc_object_t xdict, const char *key, const char *string);
void xpc_dictionary_set_uuid(xpc_object_t xdict, const char *key, const unsigned char *uuid);
void xpc_dictionary_set_fd(xpc_object_t xdict, const char *key, int fd);
bool xpc_dictionary_get_bool(xpc_object_t xdict, const char *key);
int64_t xpc_dictionary_get_int64(xpc_object_t xdict, const char *key);
uint64_t xpc_dictionary_get_uint64(xpc_object_t xdict, const char *key);
double xpc_dictionary_get_double(xpc_object_t xdict, const char *key);
int64_t xpc_dictionary_get_date(xpc_object_t xdict, const char *key);
const void *xpc_dictionary_get_data(xpc_object_t xdict, const char *key, size_t *length);
const char *xpc_dictionary_get_string(xpc_object_t xdict, const char *key);
const uint8_t *xpc_dictionary_get_uuid(xpc_object_t xdict, const char *key);
int xpc_dictionary_dup_fd(xpc_object_t xdict, const char *key);
xpc_object_t xpc_dictionary_get_dictionary(xpc_object_t xdict, const char *key);
xpc_object_t xpc_dictionary_get_array(xpc_object_t xdict, const char *key);

/*
 * Errors. A connection's failures are Apple's objects themselves — a failed
 * lookup or check-in, a cancel, a closed peer deliver XPC_ERROR_CONNECTION_INVALID,
 * a service that went away XPC_ERROR_CONNECTION_INTERRUPTED, to the event
 * handler and to pending reply handlers alike — so ported code compares them
 * with ==. The reason is never lost: xpc_connection_copy_invalidation_reason()
 * returns it ("no service named ... in gui/1000", "... exited with status 3
 * before checking in"). Gantry's own errors (a reply timeout, a message that
 * cannot be encoded) are fresh objects with a numeric code and a cause.
 */
#define XPC_ERROR_KEY_DESCRIPTION "XPCErrorDescription"
#define XPC_ERROR_KEY_CODE "GantryErrorCode"
#define XPC_ERROR_KEY_CAUSE "GantryErrorCause"
extern struct _xpc_object_s _xpc_error_connection_interrupted;
extern struct _xpc_object_s _xpc_error_connection_invalid;
extern struct _xpc_object_s _xpc_error_termination_imminent;
extern struct _xpc_object_s _xpc_error_peer_code_signing_requirement;
#define XPC_ERROR_CONNECTION_INTERRUPTED (&_xpc_error_connection_interrupted)
#define XPC_ERROR_CONNECTION_INVALID (&_xpc_error_connection_invalid)
#define XPC_ERROR_TERMINATION_IMMINENT (&_xpc_error_termination_imminent)
#define XPC_ERROR_PEER_CODE_SIGNING_REQUIREMENT (&_xpc_error_peer_code_signing_requirement)
/* A fresh error object with a description, code and cause (cause may be NULL). */
xpc_object_t xpc_error_create(int code, const char *description, const char *cause);
const char *xpc_error_get_description(xpc_object_t xerror);
const char *xpc_error_get_cause(xpc_object_t xerror);
int xpc_error_get_code(xpc_object_t xerror);

/*
 * Serialization (the wire format of docs/wire-format.md). Encoding collects
 * the descriptors of fd objects into fds[]; decoding takes ownership of the
 * descriptors it is given. Both return 0 or an errno value, and on a decode
 * failure write the cause into err (if not NULL).
 */
#define XPC_WIRE_MAX_FDS 64
#define XPC_WIRE_MAX_DEPTH 64
int xpc_wire_encode(xpc_object_t root, uint8_t **out, size_t *out_len,
	int *fds, size_t *nfds);
int xpc_wire_decode(const uint8_t *buf, size_t len, const int *fds, size_t nfds,
	xpc_object_t *out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
