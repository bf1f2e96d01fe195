/*
 * libFuzzer target: the libxpc wire decoder. Any input must be refused with
 * a reason or decoded; whatever decodes must encode and decode again to an
 * equal object (the round-trip property).
 */
#include <stdint.h>
#include <stdlib.h>
#include <xpc/xpc.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	xpc_object_t obj = NULL;
	char err[160];
	if (xpc_wire_decode(data, size, NULL, 0, &obj, err, sizeof(err)) != 0) {
		if (obj || !err[0])
			abort(); /* a refusal must come with a reason and no object */
		return 0;
	}
	uint8_t *buf;
	size_t len, nfds;
	int fds[XPC_WIRE_MAX_FDS];
	if (xpc_wire_encode(obj, &buf, &len, fds, &nfds) != 0)
		abort();
	xpc_object_t again = NULL;
	if (xpc_wire_decode(buf, len, NULL, 0, &again, err, sizeof(err)) != 0 || !xpc_equal(obj, again))
		abort();
	free(buf);
	xpc_release(again);
	xpc_release(obj);
	return 0;
}
