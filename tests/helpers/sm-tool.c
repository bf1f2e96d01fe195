/*
 * Test and benchmark helper: libServiceManagement from the command line.
 *
 *   sm-tool [-b BUNDLE] register|unregister|status KIND NAME
 *   sm-tool [-b BUNDLE] unregister-async KIND NAME
 *   sm-tool [-b BUNDLE] cycles N KIND NAME [PLIST ALT]
 *                      N times: register, (swap PLIST and ALT, register: an update), status, unregister
 *   sm-tool [-b BUNDLE] bench N KIND NAME FIFO      register -> first byte on FIFO, then status, N rounds
 *   sm-tool copy DOMAIN LABEL | copy-all DOMAIN | remove DOMAIN LABEL
 *   sm-tool submit DOMAIN LABEL PROGRAM [ARG...]
 *   sm-tool login-item ID on|off
 *   sm-tool bless LABEL          (SMJobBless: run a copy of sm-tool inside the app bundle)
 *
 * KIND is daemon, agent, login-item or main-app. Without -b the bundle is
 * the one enclosing this executable. Errors print "error: CODE: DESCRIPTION"
 * and exit 1; status prints "status=N reason=NAME detail=TEXT".
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <ServiceManagement/ServiceManagement.h>

static const char *bundle;

static SMAppService *service(const char *kind, const char *name)
{
	SMAppService *s = strcmp(kind, "daemon") == 0	      ? SMAppServiceCreateDaemon(name)
			  : strcmp(kind, "agent") == 0	      ? SMAppServiceCreateAgent(name)
			  : strcmp(kind, "login-item") == 0 ? SMAppServiceCreateLoginItem(name)
							     : SMAppServiceCreateMainApp();
	if (bundle && SMAppServiceSetBundle(s, bundle)) {
		fprintf(stderr, "sm-tool: %s: %s\n", bundle, strerror(errno));
		exit(64);
	}
	return s;
}

static int fail(const SMError *e)
{
	printf("error: %d: %s\n", e->code, e->description);
	return 1;
}

static int status(SMAppService *s)
{
	SMStatusDetail d;
	SMAppServiceStatus st = SMAppServiceGetStatus(s, &d);
	printf("status=%d reason=%s detail=%s\n", (int)st, SMStatusReasonName(d.reason), d.detail);
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	printf("%s median=%.3f p99=%.3f ms (n=%d)\n", what, v[n / 2], v[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], n);
}

/* Each round: register, wait for the agent's first byte on the FIFO, time status, unregister. */
static int bench(SMAppService *s, int n, const char *fifo)
{
	double *reg = calloc((size_t)n, sizeof(double)), *st = calloc((size_t)n, sizeof(double));
	SMError e;
	int fd = open(fifo, O_RDWR | O_CLOEXEC); /* read-write: never EOF between rounds */
	if (fd < 0)
		return perror(fifo), 1;
	for (int i = 0; i < n; i++) {
		double t = now_ms();
		if (!SMAppServiceRegister(s, &e))
			return fail(&e);
		char c;
		if (read(fd, &c, 1) != 1)
			return perror("read"), 1;
		reg[i] = now_ms() - t;
		t = now_ms();
		SMAppServiceGetStatus(s, NULL);
		st[i] = now_ms() - t;
		if (!SMAppServiceUnregister(s, &e))
			return fail(&e);
	}
	report("register-to-running", reg, n);
	report("status", st, n);
	return 0;
}

/* Exchanges two files' contents by renaming (each is replaced atomically). */
static int swap(const char *a, const char *b)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.swap", a);
	return rename(a, tmp) || rename(b, a) || rename(tmp, b) ? -1 : 0;
}

static int cycles(SMAppService *s, int n, const char *plist, const char *alt)
{
	SMError e;
	for (int i = 0; i < n; i++) {
		SMStatusDetail d;
		if (!SMAppServiceRegister(s, &e))
			return fail(&e);
		if (plist && swap(plist, alt))
			return perror("swap"), 1;
		if (!SMAppServiceRegister(s, &e))
			return fail(&e);
		if (SMAppServiceGetStatus(s, &d) == SMAppServiceStatusNotRegistered) {
			printf("error: cycle %d: registered but status says not registered\n", i);
			return 1;
		}
		if (!SMAppServiceUnregister(s, &e))
			return fail(&e);
	}
	printf("cycles=%d\n", n);
	return 0;
}

static int done_pipe[2];

static void async_done(void *ctx, const SMError *e)
{
	(void)ctx;
	int code = e ? e->code : -1;
	if (write(done_pipe[1], &code, sizeof(code)) != sizeof(code))
		abort();
}

/* Prints "returned" when the call returns and "completion=CODE" (-1: success) when the completion runs. */
static int unregister_async(SMAppService *s)
{
	int code = -2;
	if (pipe(done_pipe) || SMAppServiceUnregisterAsync(s, async_done, NULL))
		return 1;
	printf("returned\n");
	fflush(stdout);
	if (read(done_pipe[0], &code, sizeof(code)) != sizeof(code))
		return 1;
	printf("completion=%d\n", code);
	return code == -1 ? 0 : 1;
}

static int legacy(int argc, char **argv)
{
	SMError e;
	const char *verb = argv[0];
	if (strcmp(verb, "copy") == 0 && argc == 3) {
		xpc_object_t d = SMJobCopyDictionary(argv[1], argv[2], &e);
		if (!d)
			return fail(&e);
		char *text = xpc_copy_description(d);
		printf("%s\n", text);
		free(text);
		xpc_release(d);
		return 0;
	}
	if (strcmp(verb, "copy-all") == 0 && argc == 2) {
		xpc_object_t a = SMCopyAllJobDictionaries(argv[1], &e);
		if (!a)
			return fail(&e);
		printf("jobs=%zu\n", xpc_array_get_count(a));
		xpc_release(a);
		return 0;
	}
	if (strcmp(verb, "remove") == 0 && argc == 3)
		return SMJobRemove(argv[1], argv[2], true, &e) ? 0 : fail(&e);
	if (strcmp(verb, "submit") == 0 && argc >= 4) {
		xpc_object_t job = xpc_dictionary_create_empty(), args = xpc_array_create(NULL, 0);
		xpc_dictionary_set_string(job, "Label", argv[2]);
		for (int i = 3; i < argc; i++)
			xpc_array_set_string(args, XPC_ARRAY_APPEND, argv[i]);
		xpc_dictionary_set_value(job, "ProgramArguments", args);
		bool ok = SMJobSubmit(argv[1], job, &e);
		xpc_release(args);
		xpc_release(job);
		return ok ? 0 : fail(&e);
	}
	if (strcmp(verb, "bless") == 0 && argc == 2)
		return SMJobBless(kSMDomainSystemLaunchd, argv[1], &e) ? printf("ok\n"), 0 : fail(&e);
	if (strcmp(verb, "login-item") == 0 && argc == 3)
		return SMLoginItemSetEnabled(argv[1], strcmp(argv[2], "on") == 0) ? 0 : 1;
	fprintf(stderr, "sm-tool: bad arguments (see the comment at the top of sm-tool.c)\n");
	return 64;
}

static int run(SMAppService *s, const char *verb, int n, char **argv)
{
	SMError e;
	if (strcmp(verb, "register") == 0)
		return SMAppServiceRegister(s, &e) ? printf("ok\n"), 0 : fail(&e);
	if (strcmp(verb, "unregister") == 0)
		return SMAppServiceUnregister(s, &e) ? printf("ok\n"), 0 : fail(&e);
	if (strcmp(verb, "status") == 0)
		return status(s);
	if (strcmp(verb, "cycles") == 0)
		return cycles(s, atoi(argv[1]), n == 6 ? argv[4] : NULL, n == 6 ? argv[5] : NULL);
	if (strcmp(verb, "bench") == 0)
		return bench(s, atoi(argv[1]), argv[4]);
	return unregister_async(s);
}

int main(int argc, char **argv)
{
	int i = 1;
	if (argc > 2 && strcmp(argv[1], "-b") == 0) {
		bundle = argv[2];
		i = 3;
	}
	if (argc - i < 1)
		return 64;
	const char *verb = argv[i];
	int n = argc - i;
	bool modern = (n == 3 && (strcmp(verb, "register") == 0 || strcmp(verb, "unregister") == 0 ||
				  strcmp(verb, "status") == 0 || strcmp(verb, "unregister-async") == 0)) ||
		      ((n == 4 || n == 6) && strcmp(verb, "cycles") == 0) || (n == 5 && strcmp(verb, "bench") == 0);
	if (modern) {
		bool counted = strcmp(verb, "cycles") == 0 || strcmp(verb, "bench") == 0;
		SMAppService *s = service(argv[i + 1 + counted], argv[i + 2 + counted]);
		int rc = run(s, verb, n, argv + i);
		SMAppServiceRelease(s);
		return rc;
	}
	return legacy(argc - i, argv + i);
}
