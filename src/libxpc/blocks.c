/*
 * Apple's block-taking API (xpc_connection_set_event_handler, _send_message_with_reply,
 * _send_barrier, xpc_dictionary_apply, xpc_array_apply), for programs built with
 * clang -fblocks. libxpc itself is built by any C compiler: it holds a block as
 * the Blocks ABI lays it out (a literal whose invoke function takes the block
 * first) and copies and releases it with libBlocksRuntime, as clang's code does.
 * Each block has its own slot; the _f variants and xpc_connection_set_context
 * are untouched by it.
 */
#define _GNU_SOURCE
#include <Block.h>
#include <stdlib.h>

#include "conn_internal.h"

/* The start of every block literal (the Blocks ABI, clang's "Block_layout"). */
struct block_literal {
	void *isa;
	int flags;
	int reserved;
	void (*invoke)(void);
};

#define INVOKE(block, type) ((type)((const struct block_literal *)(block))->invoke)

void block_call(void *block, xpc_object_t ev)
{
	INVOKE(block, void (*)(void *, xpc_object_t))(block, ev);
}

static void block_release(void *block)
{
	_Block_release(block);
}

static void call_plain_block(void *block)
{
	INVOKE(block, void (*)(void *))(block);
}

void xpc_connection_set_event_handler(xpc_connection_t c, void *handler)
{
	void *copy = handler ? _Block_copy(handler) : NULL;
	lib_lock();
	if (c->handler_block)
		c->release_block(c->handler_block);
	c->handler_block = copy;
	c->release_block = block_release;
	c->handler = copy ? block_call : NULL;
	lib_unlock();
}

void xpc_connection_send_message_with_reply(xpc_connection_t c, xpc_object_t msg, void *replyq, void *handler)
{
	(void)replyq; /* the reply runs where the connection's handlers run (there are no dispatch queues) */
	lib_lock();
	conn_send_with_reply(c, msg, block_call, _Block_copy(handler), block_release, false);
	lib_unlock();
}

void xpc_connection_send_barrier(xpc_connection_t c, void *barrier)
{
	lib_lock();
	conn_send_barrier(c, call_plain_block, _Block_copy(barrier), block_release);
	lib_unlock();
}

static bool apply_dictionary_entry(void *block, const char *key, xpc_object_t value)
{
	return INVOKE(block, bool (*)(void *, const char *, xpc_object_t))(block, key, value);
}

bool xpc_dictionary_apply(xpc_object_t xdict, void *applier)
{
	return xpc_dictionary_apply_f(xdict, applier, apply_dictionary_entry);
}

static bool apply_array_entry(void *block, size_t index, xpc_object_t value)
{
	return INVOKE(block, bool (*)(void *, size_t, xpc_object_t))(block, index, value);
}

bool xpc_array_apply(xpc_object_t xarray, void *applier)
{
	return xpc_array_apply_f(xarray, applier, apply_array_entry);
}
