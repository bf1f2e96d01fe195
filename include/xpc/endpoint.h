/*
 * <xpc/endpoint.h> — endpoints: the capability to connect to an anonymous
 * listener, sent in messages; connections inside messages travel as them.
 */
#ifndef GANTRY_XPC_ENDPOINT_H
#define GANTRY_XPC_ENDPOINT_H

#include <xpc/base.h>
#include <xpc/connection.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * An endpoint of an anonymous listener, to send in a message (NULL for any
 * other connection). Whoever receives it can connect to the listener:
 * holding an endpoint is the capability to connect.
 */
xpc_endpoint_t xpc_endpoint_create(xpc_connection_t connection);
/* A new connection to the listener behind endpoint; activate it as usual. */
xpc_connection_t xpc_connection_create_from_endpoint(xpc_endpoint_t endpoint);
/*
 * A connection inside a message travels as the endpoint of an anonymous listener: set stores it (any other
 * connection cannot travel and is not stored), create makes a new connection to it from what arrived.
 */
void xpc_dictionary_set_connection(xpc_object_t xdict, const char *key, xpc_connection_t connection);
xpc_connection_t xpc_dictionary_create_connection(xpc_object_t xdict, const char *key);
void xpc_array_set_connection(xpc_object_t xarray, size_t index, xpc_connection_t connection);
xpc_connection_t xpc_array_create_connection(xpc_object_t xarray, size_t index);

#ifdef __cplusplus
}
#endif
#endif
