/* Test helpers: a peer requirement built from KEY=VALUE arguments (uid and gid as numbers). */
#ifndef GANTRY_TEST_REQUIREMENT_ARG_H
#define GANTRY_TEST_REQUIREMENT_ARG_H

#include <stdlib.h>
#include <string.h>
#include <xpc/xpc.h>

/* Adds KEY=VALUE to *req (created on first use). False if arg has no '='. */
static inline bool requirement_arg(xpc_object_t *req, char *arg)
{
	char *value = strchr(arg, '=');
	if (!value)
		return false;
	*value++ = '\0';
	if (!*req)
		*req = xpc_dictionary_create_empty();
	if (strcmp(arg, "uid") == 0 || strcmp(arg, "gid") == 0)
		xpc_dictionary_set_int64(*req, arg, strtoll(value, NULL, 10));
	else
		xpc_dictionary_set_string(*req, arg, value);
	return true;
}

#endif
