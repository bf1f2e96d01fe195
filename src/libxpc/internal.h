/*
 * libxpc internals: the object layout shared by the object, wire and
 * connection code. Nothing here is installed.
 */
#ifndef GANTRY_XPC_INTERNAL_H
#define GANTRY_XPC_INTERNAL_H

#include <xpc/xpc.h>

#define XPC_REFS_IMMORTAL (-1)

/*
 * A type and what only its own file knows how to do: each type is defined
 * where its objects are made (object.c: scalars, strings, data, fds,
 * arrays; dictionary.c: dictionaries and errors; connection.c), so the
 * object layer never calls up into the layers that build on it.
 */
struct _xpc_type_s {
	const char *name;
	uint8_t wire_tag; /* see docs/wire-format.md; 0 = not serializable */
	bool keyed;       /* its entries are in o->dict (dictionaries and errors) */
	/* Frees what the object holds and the object itself; NULL: a plain free(). */
	void (*destroy)(xpc_object_t o);
	/* A deep copy (a new reference); NULL: a copy of the scalar value. */
	xpc_object_t (*copy)(xpc_object_t o);
	/* Equal contents (a and b are distinct objects of this type); NULL: equal only to itself. */
	bool (*equal)(xpc_object_t a, xpc_object_t b);
};

struct xpc_dict_entry {
	char *key;
	xpc_object_t value;
};

/* What the transport knows about a received message. */
struct xpc_msg_meta {
	xpc_connection_t conn; /* retained */
	uint64_t id;           /* the sender's message id, for replies */
	pid_t pid;
	uid_t uid;
	gid_t gid;
	int pidfd;             /* the sender, when the connection asked for pidfds; else -1 */
	bool wants_reply;
};

struct _xpc_object_s {
	xpc_type_t type;
	int refs;
	union {
		bool b;
		int64_t i;
		uint64_t u;
		double d;
		int fd;
		struct {
			int fd;
			size_t length;
		} shm; /* shared memory (shmem.c): a sealed memfd */
		uint8_t uuid[16];
		struct {
			char *ptr;
			size_t len;
		} bytes; /* string (NUL-terminated) and data */
		struct {
			xpc_object_t *items;
			size_t count, cap;
		} arr;
		struct {
			struct xpc_dict_entry *ent;
			size_t count, cap;
			struct xpc_msg_meta *meta;
			uint64_t reply_to; /* set by xpc_dictionary_create_reply */
			xpc_connection_t reply_conn;
		} dict; /* dictionaries and errors */
	};
};

/* Allocation failure is fatal, as in Apple's libxpc. */
void *xpc_xalloc(size_t size);
void *xpc_xrealloc(void *p, size_t size);
char *xpc_xstrdup(const char *s);

xpc_object_t xpc_object_alloc(xpc_type_t type);
/* Adopts a malloc'd NUL-terminated buffer of length len as a string object. */
xpc_object_t xpc_string_adopt(char *buf, size_t len);
/* Adopts an already open descriptor (no dup) as an fd object. */
xpc_object_t xpc_fd_adopt(int fd);
/* Adopts a received memfd as shared memory of length bytes; NULL (fd closed) with why if it is not one. */
xpc_object_t xpc_shmem_adopt(int fd, uint64_t length, char *why, size_t why_len);
/* Sets a key without checking for an existing one (decoder fast path). */
void xpc_dictionary_append_owned(xpc_object_t xdict, char *key, xpc_object_t value);
void xpc_msg_meta_free(struct xpc_msg_meta *meta);

#endif
