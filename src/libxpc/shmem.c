/*
 * Shared memory objects: xpc_shmem_create() and xpc_shmem_map(). Apple's
 * region is MAP_SHARED|MAP_ANON memory that the kernel can send as a Mach
 * memory entry; Linux cannot send an anonymous mapping, so creating the
 * object moves the region onto a memfd (its contents copied, then the same
 * addresses mapped from the memfd, MAP_FIXED): the caller's pages become
 * the shared ones, as on macOS. The memfd is sealed against shrinking and
 * growing, so a receiver that checks the seals (the decoder does) can never
 * be made to fault by a sender truncating it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* The seals a shared memory object's memfd must carry (see above). */
#define SHMEM_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

static void shmem_destroy(xpc_object_t o)
{
	close(o->shm.fd);
	free(o);
}

/* Shared memory is shared, never copied. */
static xpc_object_t shmem_copy(xpc_object_t o)
{
	return xpc_retain(o);
}

const struct _xpc_type_s _xpc_type_shmem = {"shmem", 0x0f, false, shmem_destroy, shmem_copy, NULL};

static bool copy_into(int fd, const void *region, size_t length)
{
	for (size_t off = 0; off < length;) {
		ssize_t n = pwrite(fd, (const char *)region + off, length - off, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		off += (size_t)n;
	}
	return true;
}

xpc_object_t xpc_shmem_create(void *region, size_t length)
{
	long page = sysconf(_SC_PAGESIZE);
	if (!region || !length || (uintptr_t)region % (uintptr_t)page)
		return NULL; /* Apple's contract: a region mmap(2) returned */
	int fd = memfd_create("xpc_shmem", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return NULL;
	if (ftruncate(fd, (off_t)length) < 0 || !copy_into(fd, region, length) ||
	    mmap(region, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED ||
	    fcntl(fd, F_ADD_SEALS, SHMEM_SEALS) < 0) {
		close(fd);
		return NULL;
	}
	xpc_object_t o = xpc_object_alloc(XPC_TYPE_SHMEM);
	o->shm.fd = fd;
	o->shm.length = length;
	return o;
}

size_t xpc_shmem_map(xpc_object_t xshmem, void **region)
{
	if (xpc_get_type(xshmem) != XPC_TYPE_SHMEM || !region)
		return 0;
	void *m = mmap(NULL, xshmem->shm.length, PROT_READ | PROT_WRITE, MAP_SHARED, xshmem->shm.fd, 0);
	if (m == MAP_FAILED)
		return 0;
	*region = m;
	return xshmem->shm.length;
}

xpc_object_t xpc_shmem_adopt(int fd, uint64_t length, char *why, size_t why_len)
{
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		snprintf(why, why_len, "shared memory that is not a memory file");
	else if (seals < 0 || (seals & SHMEM_SEALS) != SHMEM_SEALS)
		snprintf(why, why_len, "shared memory whose size is not sealed (its sender could shrink it under us)");
	else if (length == 0 || (uint64_t)st.st_size != length)
		snprintf(why, why_len, "shared memory of %llu bytes announced as %llu",
			(unsigned long long)st.st_size, (unsigned long long)length);
	else {
		xpc_object_t o = xpc_object_alloc(XPC_TYPE_SHMEM);
		o->shm.fd = fd;
		o->shm.length = (size_t)length;
		return o;
	}
	close(fd);
	return NULL;
}
