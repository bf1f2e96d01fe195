/*
 * Unit tests of the libxpc object model and wire format: round trips of
 * every type, descriptor passing, and defensive decoding of truncated,
 * mutated and hostile input.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xpc/xpc.h>

static xpc_object_t sample(void)
{
	unsigned char uuid[16];
	for (int i = 0; i < 16; i++)
		uuid[i] = (unsigned char)(i * 17);
	xpc_object_t d = xpc_dictionary_create_empty();
	xpc_dictionary_set_bool(d, "bool", true);
	xpc_dictionary_set_int64(d, "int", -42);
	xpc_dictionary_set_uint64(d, "uint", UINT64_MAX);
	xpc_dictionary_set_double(d, "double", 3.25);
	xpc_dictionary_set_date(d, "date", 1234567890123456789LL);
	xpc_dictionary_set_data(d, "data", "\0\1\2\3", 4);
	xpc_dictionary_set_string(d, "string", "héllo");
	xpc_dictionary_set_uuid(d, "uuid", uuid);
	xpc_object_t n = xpc_null_create();
	xpc_dictionary_set_value(d, "null", n);
	xpc_release(n);
	xpc_object_t a = xpc_array_create(NULL, 0);
	xpc_array_set_string(a, XPC_ARRAY_APPEND, "one");
	xpc_array_set_int64(a, XPC_ARRAY_APPEND, 2);
	xpc_object_t inner = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(inner, "k", "v");
	xpc_array_append_value(a, inner);
	xpc_release(inner);
	xpc_dictionary_set_value(d, "array", a);
	xpc_release(a);
	xpc_object_t e = xpc_error_create(5, "boom", "because");
	xpc_dictionary_set_value(d, "error", e);
	xpc_release(e);
	return d;
}

static xpc_object_t roundtrip(xpc_object_t o)
{
	uint8_t *buf;
	size_t len, nfds;
	int fds[XPC_WIRE_MAX_FDS];
	assert_int_equal(xpc_wire_encode(o, &buf, &len, fds, &nfds), 0);
	int dups[XPC_WIRE_MAX_FDS];
	for (size_t i = 0; i < nfds; i++)
		dups[i] = dup(fds[i]);
	xpc_object_t out = NULL;
	char err[128];
	assert_int_equal(xpc_wire_decode(buf, len, dups, nfds, &out, err, sizeof(err)), 0);
	free(buf);
	return out;
}

static void test_roundtrip_all_types(void **state)
{
	(void)state;
	xpc_object_t d = sample();
	xpc_object_t back = roundtrip(d);
	assert_true(xpc_equal(d, back));
	assert_int_equal(xpc_dictionary_get_int64(back, "int"), -42);
	assert_true(xpc_dictionary_get_uint64(back, "uint") == UINT64_MAX);
	assert_string_equal(xpc_dictionary_get_string(back, "string"), "héllo");
	size_t n;
	const uint8_t *data = xpc_dictionary_get_data(back, "data", &n);
	assert_int_equal(n, 4);
	assert_memory_equal(data, "\0\1\2\3", 4);
	xpc_object_t e = xpc_dictionary_get_value(back, "error");
	assert_ptr_equal(xpc_get_type(e), XPC_TYPE_ERROR);
	assert_string_equal(xpc_error_get_cause(e), "because");
	xpc_release(d);
	xpc_release(back);
}

static void test_dictionary_order_and_replace(void **state)
{
	(void)state;
	xpc_object_t d = xpc_dictionary_create_empty();
	xpc_dictionary_set_int64(d, "b", 1);
	xpc_dictionary_set_int64(d, "a", 2);
	xpc_dictionary_set_int64(d, "b", 3);
	assert_int_equal(xpc_dictionary_get_count(d), 2);
	assert_int_equal(xpc_dictionary_get_int64(d, "b"), 3);
	xpc_dictionary_set_value(d, "b", NULL);
	assert_int_equal(xpc_dictionary_get_count(d), 1);
	assert_null(xpc_dictionary_get_value(d, "b"));
	xpc_release(d);
}

static void test_fd_passing_encodes_descriptor(void **state)
{
	(void)state;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	xpc_object_t d = xpc_dictionary_create_empty();
	xpc_dictionary_set_fd(d, "fd", fd);
	close(fd);
	xpc_object_t back = roundtrip(d);
	int got = xpc_dictionary_dup_fd(back, "fd");
	assert_true(got >= 0);
	struct stat a, b;
	assert_int_equal(fstat(got, &a), 0);
	assert_int_equal(stat("/dev/null", &b), 0);
	assert_true(a.st_rdev == b.st_rdev);
	close(got);
	xpc_release(d);
	xpc_release(back);
}

/* Shared memory: the creator's own pages are shared with whoever maps what arrived, both ways. */
static void test_shmem_shares_the_creators_pages(void **state)
{
	(void)state;
	size_t len = 3 * 4096;
	char *region = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(region != MAP_FAILED);
	strcpy(region, "before");
	assert_null(xpc_shmem_create(region + 1, 10)); /* not what mmap returned */
	xpc_object_t shm = xpc_shmem_create(region, len);
	assert_non_null(shm);
	assert_string_equal(region, "before"); /* the contents moved with the pages */
	xpc_object_t d = xpc_dictionary_create_empty();
	xpc_dictionary_set_value(d, "shm", shm);
	xpc_object_t back = roundtrip(d);
	xpc_object_t got = xpc_dictionary_get_value(back, "shm");
	assert_ptr_equal(xpc_get_type(got), XPC_TYPE_SHMEM);
	char *mapped = NULL;
	assert_int_equal(xpc_shmem_map(got, (void **)&mapped), len);
	assert_string_equal(mapped, "before");
	strcpy(region + 4096, "from the creator");
	assert_string_equal(mapped + 4096, "from the creator");
	strcpy(mapped + 8192, "from the receiver");
	assert_string_equal(region + 8192, "from the receiver");
	assert_int_equal(xpc_shmem_map(d, (void **)&mapped), 0); /* not shared memory */
	munmap(mapped, len);
	munmap(region, len);
	xpc_release(shm);
	xpc_release(d);
	xpc_release(back);
}

/* Shared memory a sender could shrink under the receiver (unsealed), or of another length, is refused. */
static void test_unsealed_or_misannounced_shmem_refused(void **state)
{
	(void)state;
	int fd = memfd_create("t", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(fd >= 0 && ftruncate(fd, 4096) == 0);
	uint8_t msg[] = {0x0c, 1, 0, 0, 0, 1, 0, 0, 0, 's', 0x0f, 0, 0, 0, 0, 0x00, 0x10, 0, 0, 0, 0, 0, 0};
	xpc_object_t out = NULL;
	char err[160] = "";
	int fds[1] = {fcntl(fd, F_DUPFD_CLOEXEC, 0)};
	assert_int_not_equal(xpc_wire_decode(msg, sizeof(msg), fds, 1, &out, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "not sealed"));
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), 0);
	msg[16] = 0x20; /* announced as 8192 bytes */
	fds[0] = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	assert_int_not_equal(xpc_wire_decode(msg, sizeof(msg), fds, 1, &out, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "4096 bytes announced as 8192"));
	msg[16] = 0x10;
	fds[0] = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	assert_int_equal(xpc_wire_decode(msg, sizeof(msg), fds, 1, &out, err, sizeof(err)), 0);
	assert_ptr_equal(xpc_get_type(xpc_dictionary_get_value(out, "s")), XPC_TYPE_SHMEM);
	xpc_release(out);
	close(fd);
}

/* Every prefix of a valid message is refused with a reason, never accepted or crashed on. */
static void test_truncated_input_rejected(void **state)
{
	(void)state;
	xpc_object_t d = sample();
	uint8_t *buf;
	size_t len, nfds;
	int fds[XPC_WIRE_MAX_FDS];
	assert_int_equal(xpc_wire_encode(d, &buf, &len, fds, &nfds), 0);
	for (size_t cut = 0; cut < len; cut++) {
		xpc_object_t out = (xpc_object_t)1;
		char err[128] = "";
		assert_int_not_equal(xpc_wire_decode(buf, cut, NULL, 0, &out, err, sizeof(err)), 0);
		assert_null(out);
		assert_true(strlen(err) > 0);
	}
	free(buf);
	xpc_release(d);
}

/* Flipping any single byte either decodes to something or fails cleanly (ASan watches). */
static void test_mutated_input_is_safe(void **state)
{
	(void)state;
	xpc_object_t d = sample();
	uint8_t *buf;
	size_t len, nfds;
	int fds[XPC_WIRE_MAX_FDS];
	assert_int_equal(xpc_wire_encode(d, &buf, &len, fds, &nfds), 0);
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1 << bit);
			xpc_object_t out = NULL;
			char err[128];
			if (xpc_wire_decode(buf, len, NULL, 0, &out, err, sizeof(err)) == 0)
				xpc_release(out);
			buf[i] ^= (uint8_t)(1 << bit);
		}
	}
	free(buf);
	xpc_release(d);
}

static void expect_refused(const uint8_t *buf, size_t len, const char *reason)
{
	xpc_object_t out = NULL;
	char err[160] = "";
	assert_int_not_equal(xpc_wire_decode(buf, len, NULL, 0, &out, err, sizeof(err)), 0);
	assert_null(out);
	if (!strstr(err, reason))
		fail_msg("expected \"%s\" in \"%s\"", reason, err);
}

static void test_hostile_inputs(void **state)
{
	(void)state;
	/* A dictionary claiming 2^32-1 entries in 5 bytes. */
	expect_refused((const uint8_t *)"\x0c\xff\xff\xff\xff", 5, "count");
	/* A string claiming 4 GiB. */
	expect_refused((const uint8_t *)"\x08\xff\xff\xff\xff" "abc", 8, "exceeds");
	/* An unknown type tag. */
	expect_refused((const uint8_t *)"\x7f", 1, "unknown type tag");
	/* A bool that is neither 0 nor 1. */
	expect_refused((const uint8_t *)"\x02\x05", 2, "bool");
	/* A descriptor index with no descriptors. */
	expect_refused((const uint8_t *)"\x0a\x00\x00\x00\x00", 5, "descriptor index");
	/* Duplicate keys. */
	const uint8_t dup[] = {0x0c, 2, 0, 0, 0, 1, 0, 0, 0, 'k', 0x01, 1, 0, 0, 0, 'k', 0x01};
	expect_refused(dup, sizeof(dup), "duplicate key");
	/* A key with a NUL byte. */
	const uint8_t nul[] = {0x0c, 1, 0, 0, 0, 2, 0, 0, 0, 'k', 0, 0x01};
	expect_refused(nul, sizeof(nul), "NUL");
	/* Trailing garbage. */
	expect_refused((const uint8_t *)"\x01\x01", 2, "trailing");
	/* Nesting bomb: 100 arrays of one element. */
	uint8_t bomb[512];
	size_t n = 0;
	for (int i = 0; i < 100; i++) {
		bomb[n++] = 0x0b;
		bomb[n++] = 1, bomb[n++] = 0, bomb[n++] = 0, bomb[n++] = 0;
	}
	bomb[n++] = 0x01;
	expect_refused(bomb, n, "nesting");
}

static void test_unused_descriptors_closed(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	xpc_object_t out = NULL;
	char err[64];
	/* A null object with one stray descriptor: decoded, and the descriptor closed. */
	assert_int_equal(xpc_wire_decode((const uint8_t *)"\x01", 1, &p[0], 1, &out, err, sizeof(err)), 0);
	assert_int_equal(fcntl(p[0], F_GETFD), -1);
	xpc_release(out);
	close(p[1]);
}

static void test_nan_equals_its_copy(void **state)
{
	(void)state;
	/* found by fuzz/fuzz_wire.c: a decoded NaN must survive the round-trip property */
	xpc_object_t out = NULL;
	char err[64];
	assert_int_equal(xpc_wire_decode((const uint8_t *)"\x05\xff\x03\xfb\xff\xff\xff\xff\xff", 9, NULL, 0, &out, err,
		sizeof(err)), 0);
	xpc_object_t c = xpc_copy(out);
	assert_true(xpc_equal(out, c));
	xpc_release(c);
	xpc_release(out);
}

static void test_copy_and_description(void **state)
{
	(void)state;
	xpc_object_t d = sample();
	xpc_object_t c = xpc_copy(d);
	assert_true(xpc_equal(d, c));
	assert_int_equal(xpc_hash(d), xpc_hash(c));
	char *desc = xpc_copy_description(c);
	assert_non_null(strstr(desc, "\"string\" => <string: \"héllo\">"));
	free(desc);
	xpc_dictionary_set_int64(c, "int", 7);
	assert_false(xpc_equal(d, c));
	xpc_release(d);
	xpc_release(c);
}

/* Apple's typed array accessors: each type round-trips; another type reads as 0, NULL or -1. */
static void test_typed_array_accessors(void **state)
{
	(void)state;
	static const unsigned char uuid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	xpc_object_t a = xpc_array_create(NULL, 0);
	xpc_array_set_bool(a, XPC_ARRAY_APPEND, true);
	xpc_array_set_int64(a, XPC_ARRAY_APPEND, -5);
	xpc_array_set_uint64(a, XPC_ARRAY_APPEND, UINT64_MAX);
	xpc_array_set_double(a, XPC_ARRAY_APPEND, 2.5);
	xpc_array_set_date(a, XPC_ARRAY_APPEND, 1234567890);
	xpc_array_set_data(a, XPC_ARRAY_APPEND, "bytes", 5);
	xpc_array_set_string(a, XPC_ARRAY_APPEND, "text");
	xpc_array_set_uuid(a, XPC_ARRAY_APPEND, uuid);
	xpc_array_set_fd(a, XPC_ARRAY_APPEND, STDIN_FILENO);
	xpc_object_t d = xpc_dictionary_create_empty(), inner = xpc_array_create(NULL, 0);
	xpc_array_append_value(a, d);
	xpc_array_append_value(a, inner);
	xpc_release(d);
	xpc_release(inner);
	assert_true(xpc_array_get_bool(a, 0));
	assert_int_equal(xpc_array_get_int64(a, 1), -5);
	assert_true(xpc_array_get_uint64(a, 2) == UINT64_MAX);
	assert_true(xpc_array_get_double(a, 3) == 2.5);
	assert_int_equal(xpc_array_get_date(a, 4), 1234567890);
	size_t len = 0;
	assert_memory_equal(xpc_array_get_data(a, 5, &len), "bytes", 5);
	assert_int_equal(len, 5);
	assert_string_equal(xpc_array_get_string(a, 6), "text");
	assert_memory_equal(xpc_array_get_uuid(a, 7), uuid, 16);
	int fd = xpc_array_dup_fd(a, 8);
	assert_true(fd >= 0);
	close(fd);
	assert_ptr_equal(xpc_get_type(xpc_array_get_dictionary(a, 9)), XPC_TYPE_DICTIONARY);
	assert_ptr_equal(xpc_get_type(xpc_array_get_array(a, 10)), XPC_TYPE_ARRAY);
	/* the wrong type, or past the end */
	assert_null(xpc_array_get_string(a, 1));
	assert_null(xpc_array_get_data(a, 6, &len));
	assert_int_equal(len, 0);
	assert_int_equal(xpc_array_dup_fd(a, 6), -1);
	assert_null(xpc_array_get_dictionary(a, 10));
	assert_int_equal(xpc_array_get_int64(a, 99), 0);
	char buf[3];
	assert_int_equal(xpc_data_get_bytes(xpc_array_get_value(a, 5), buf, 2, sizeof(buf)), 3);
	assert_memory_equal(buf, "tes", 3);
	assert_int_equal(xpc_data_get_bytes(xpc_array_get_value(a, 5), buf, 9, sizeof(buf)), 0);
	xpc_release(a);
}

static xpc_object_t formatted(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	xpc_object_t s = xpc_string_create_with_format_and_arguments(fmt, ap);
	va_end(ap);
	return s;
}

static int finalized;
static void finalizer(void *ctx)
{
	finalized += ctx == &finalized;
}

/* Connections inside messages travel as endpoints; finalizers run with the context; names are kept. */
static void test_connections_in_messages_and_finalizers(void **state)
{
	(void)state;
	xpc_object_t s = formatted("%s-%d", "pid", 42);
	assert_string_equal(xpc_string_get_string_ptr(s), "pid-42");
	xpc_release(s);
	xpc_connection_t listener = xpc_connection_create(NULL, NULL);
	xpc_object_t msg = xpc_dictionary_create_empty();
	xpc_dictionary_set_connection(msg, "back", listener);
	assert_ptr_equal(xpc_get_type(xpc_dictionary_get_value(msg, "back")), XPC_TYPE_ENDPOINT);
	xpc_connection_t back = xpc_dictionary_create_connection(msg, "back");
	assert_non_null(back);
	assert_null(xpc_dictionary_create_connection(msg, "missing"));
	xpc_connection_set_context(back, &finalized);
	xpc_connection_set_finalizer_f(back, finalizer);
	xpc_release((xpc_object_t)back);
	assert_int_equal(finalized, 1); /* the last reference: the finalizer ran with the context */
	xpc_connection_t named = xpc_connection_create_mach_service("com.example.named", NULL, 0);
	assert_string_equal(xpc_connection_get_name(named), "com.example.named");
	assert_null(xpc_connection_get_name(listener));
	xpc_release((xpc_object_t)named);
	xpc_release(msg);
	xpc_connection_cancel(listener);
	xpc_release((xpc_object_t)listener);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_all_types),
		cmocka_unit_test(test_dictionary_order_and_replace),
		cmocka_unit_test(test_fd_passing_encodes_descriptor),
		cmocka_unit_test(test_shmem_shares_the_creators_pages),
		cmocka_unit_test(test_unsealed_or_misannounced_shmem_refused),
		cmocka_unit_test(test_truncated_input_rejected),
		cmocka_unit_test(test_mutated_input_is_safe),
		cmocka_unit_test(test_hostile_inputs),
		cmocka_unit_test(test_unused_descriptors_closed),
		cmocka_unit_test(test_nan_equals_its_copy),
		cmocka_unit_test(test_copy_and_description),
		cmocka_unit_test(test_typed_array_accessors),
		cmocka_unit_test(test_connections_in_messages_and_finalizers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
