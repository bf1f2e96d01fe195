/*
 * spawn_job(): a posix_spawn-style start. The child is a
 * clone(CLONE_VM | CLONE_VFORK | CLONE_FILES | CLONE_PIDFD) that first takes
 * a private descriptor table holding only 0-2 (close_range with
 * CLOSE_RANGE_UNSHARE), so a start costs the same with 10 or 10,000 jobs
 * running. It then applies the execution context in launchd's order —
 * session, nice, resource limits, I/O priority, chroot, groups and user,
 * working directory, umask, standard I/O — and execs. launchd is suspended
 * until the exec or the child's exit, so a setup failure is known on
 * return, with its exact cause written into memory the two share.
 *
 * The child shares launchd's memory: it must not allocate, and it changes
 * credentials with raw system calls, which act on the calling task alone.
 * Everything that allocates (environment, arguments, globbing, user and
 * group lookups) is done by the parent before the clone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "identity.h"
#include "trusted.h"
#include "spawn.h"
#include "oom.h"

#define IOPRIO_CLASS_IDLE 3
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_WHO_PROCESS 1
/* ProcessType Background: CPU niceness used when Nice is not set. */
#define BACKGROUND_NICE 10
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif
/* The child's stack; launchd is suspended while the child uses it, so one suffices. */
#define CHILD_STACK_SIZE (64 * 1024)

static char child_stack[CHILD_STACK_SIZE] __attribute__((aligned(64)));

/*
 * Under AddressSanitizer the child's stack frames poison shadow memory that
 * nothing unpoisons (the child never returns): clean it before each clone.
 */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define RESET_CHILD_STACK() ASAN_UNPOISON_MEMORY_REGION(child_stack, sizeof(child_stack))
#else
#define RESET_CHILD_STACK() ((void)0)
#endif

struct child_ctx {
	const struct job_spec *s;
	const struct spawn_identity *id;
	char *const *argv;
	char *const *env;
	const char *path; /* PATH for a program named without a slash */
	const struct spawn_fds *extra;
	const struct procrec_ticket *rec;
	const struct job_limit *limits; /* launchctl limit's defaults, by enum spec_rlimit, or NULL */
	const char *program, *program_key; /* what is exec'd, and the key that named it (for causes) */
	const char *stdout_path, *stderr_path;
	int capture[2];                 /* launchd's pipes for stdout and stderr (capture.h), or -1 */
	int default_umask;              /* launchctl config umask, or -1 */
	char *listen_pid; /* the digits of "LISTEN_PID=..." in env, written by the child */
	int failed;
	char cause[SPAWN_CAUSE_MAX];
};

CHILD_CODE static void __attribute__((noreturn, format(printf, 2, 3))) child_fail(struct child_ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->cause, sizeof(c->cause), fmt, ap);
	va_end(ap);
	c->failed = 1;
	_exit(SPAWN_FAILED_STATUS);
}

CHILD_CODE static void reset_signals(void)
{
	static const int ignored[] = LAUNCHD_IGNORED_SIGNALS;
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		sigaction(ignored[i], &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The limits the job starts with: launchctl limit's defaults, then its own Soft/HardResourceLimits. */
CHILD_CODE static void apply_limits(struct child_ctx *c)
{
	const struct job_spec *s = c->s;
	for (int r = 0; r < RL_COUNT; r++) {
		const struct job_limit *dflt = c->limits ? &c->limits[r] : NULL;
		if (!s->soft[r].set && !s->hard[r].set && !(dflt && dflt->set))
			continue;
		struct rlimit rl;
		int res = spec_rlimit_resource((enum spec_rlimit)r);
		getrlimit(res, &rl);
		if (dflt && dflt->set)
			rl = dflt->rl;
		if (s->hard[r].set)
			rl.rlim_max = s->hard[r].value;
		if (s->soft[r].set)
			rl.rlim_cur = s->soft[r].value;
		if (rl.rlim_cur > rl.rlim_max)
			rl.rlim_cur = rl.rlim_max;
		if (setrlimit(res, &rl) < 0)
			child_fail(c, "%s.%s: setrlimit: %s", s->hard[r].set ? "HardResourceLimits" : s->soft[r].set ?
				"SoftResourceLimits" : "launchctl limit", spec_rlimit_key((enum spec_rlimit)r), strerror(errno));
	}
}

CHILD_CODE static void apply_priority(struct child_ctx *c)
{
	const struct job_spec *s = c->s;
	int nice = s->nice_set ? s->nice : (s->process_type == PT_BACKGROUND ? BACKGROUND_NICE : 0);
	if ((s->nice_set || nice) && setpriority(PRIO_PROCESS, 0, nice) < 0)
		child_fail(c, "Nice %d: setpriority: %s", nice, strerror(errno));
	if (s->low_priority_io || s->process_type == PT_BACKGROUND) {
		int prio = IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT;
		if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, prio) < 0)
			child_fail(c, "%s: ioprio_set: %s", s->low_priority_io ? "LowPriorityIO" : "ProcessType Background",
				strerror(errno));
	}
}

CHILD_CODE static void become_user(struct child_ctx *c)
{
	const struct spawn_identity *id = c->id;
	if (!id->change)
		return;
	if (syscall(SYS_setgroups, (size_t)id->ngroups, id->groups) < 0)
		child_fail(c, "InitGroups: setgroups: %s", strerror(errno));
	if (syscall(SYS_setresgid, id->gid, id->gid, id->gid) < 0)
		child_fail(c, "GroupName: setresgid(%u): %s", (unsigned)id->gid, strerror(errno));
	if (syscall(SYS_setresuid, id->uid, id->uid, id->uid) < 0)
		child_fail(c, "UserName %s: setresuid(%u): %s", id->user ? id->user : "", (unsigned)id->uid,
			strerror(errno));
}

/* trusted_open() for the job, or the spawn fails naming key and the cause. */
CHILD_CODE static int open_job_path(struct child_ctx *c, const char *key, const char *path, int flags)
{
	uid_t owner = 0;
	int fd = trusted_open(path, flags, c->id->change ? c->id->uid : 0, &owner);
	if (fd < 0 && errno == EPERM && owner)
		child_fail(c, "%s %s: a symbolic link on the way is owned by uid %u; a job follows only links of root "
			"or its own user", key, path, (unsigned)owner);
	if (fd < 0 && errno == ENXIO)
		child_fail(c, "%s %s: a FIFO with no reader (launchd does not wait for one)", key, path);
	if (fd < 0)
		child_fail(c, "%s %s: %s", key, path, strerror(errno));
	return fd;
}

/*
 * Opened without waiting (O_NONBLOCK, cleared once open): launchd waits for this child until it execs,
 * so a FIFO with no reader, or a terminal waiting for its carrier, must not stop every job and client.
 */
CHILD_CODE static void open_stdio(struct child_ctx *c, int target, const char *key, const char *path, int flags)
{
	int fd = path ? open_job_path(c, key, path, flags | O_NOCTTY | O_NONBLOCK) : open("/dev/null", O_RDWR | O_NOCTTY);
	if (fd < 0)
		child_fail(c, "%s /dev/null: %s", key, strerror(errno));
	if (path && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
		child_fail(c, "%s %s: %s", key, path, strerror(errno));
	if (fd != target) {
		if (dup2(fd, target) < 0)
			child_fail(c, "%s: dup2: %s", key, strerror(errno));
		close(fd);
	}
}

/* chdir (and with root, chroot) into a job's directory, by the same rule for symbolic links. */
CHILD_CODE static void enter_dir(struct child_ctx *c, const char *key, const char *path, bool root)
{
	int fd = open_job_path(c, key, path, O_PATH); /* a directory (open_component checks), searchable is enough */
	if (fchdir(fd) < 0)
		child_fail(c, "%s %s: %s", key, path, strerror(errno));
	close(fd);
	if (root && (chroot(".") < 0 || chdir("/") < 0))
		child_fail(c, "%s %s: %s", key, path, strerror(errno));
}

/* execvp(3) without allocation: tries each PATH entry, keeps the most telling error. */
CHILD_CODE static void __attribute__((noreturn)) exec_program(struct child_ctx *c)
{
	const char *prog = c->program, *key = c->program_key;
	if (strchr(prog, '/')) {
		execve(prog, c->argv, c->env);
		int e = errno;
		child_fail(c, "%s %s: %s%s", key, prog, strerror(e), e == ENOEXEC ? " (a script needs a #! line)" : "");
	}
	int err = ENOENT;
	char buf[4096];
	for (const char *p = c->path; *p;) {
		size_t n = strcspn(p, ":");
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, n ? p : ".", prog);
		execve(buf, c->argv, c->env);
		if (errno != ENOENT && errno != ENOTDIR && err == ENOENT)
			err = errno;
		p += n + (p[n] == ':');
	}
	child_fail(c, "%s %s: %s in PATH=%s%s", key, prog, err == ENOENT ? "not found" : strerror(err), c->path,
		err == ENOEXEC ? " (a script needs a #! line)" : "");
}

/*
 * The child has its own copy of the descriptor table (no CLONE_FILES): the
 * job's sockets move to 3, 4, ... and everything else above 2 is closed.
 */
/* Captured output: the pipes become stdout and stderr (in the child's own descriptor table). */
CHILD_CODE static void place_capture(struct child_ctx *c)
{
	for (int i = 0; i < 2; i++)
		if (c->capture[i] >= 0 && dup2(c->capture[i], 1 + i) < 0)
			child_fail(c, "output capture: dup2: %s", strerror(errno));
}

CHILD_CODE static void place_fds(struct child_ctx *c)
{
	const struct spawn_fds *x = c->extra;
	place_capture(c);
	int high[SPAWN_MAX_FDS];
	for (size_t i = 0; i < x->n; i++) /* first out of the way of the targets */
		if ((high[i] = fcntl(x->fds[i], F_DUPFD, (int)(3 + x->n))) < 0)
			child_fail(c, "Sockets: dup: %s", strerror(errno));
	for (size_t i = 0; i < x->n; i++)
		if (dup2(high[i], (int)(3 + i)) < 0)
			child_fail(c, "Sockets: dup2: %s", strerror(errno));
	/* inetd (no LISTEN_FDS then): the connection is the job's standard input and output */
	if (x->stdio_fd >= 0 && (dup2(x->stdio_fd, 0) < 0 || dup2(x->stdio_fd, 1) < 0 ||
				 (!c->s->stderr_path && dup2(x->stdio_fd, 2) < 0)))
		child_fail(c, "inetdCompatibility: dup2: %s", strerror(errno));
	if (syscall(SYS_close_range, (unsigned)(3 + x->n), ~0U, 0) < 0)
		child_fail(c, "close_range: %s (Gantry needs Linux 5.9 or later)", strerror(errno));
	if (c->listen_pid) { /* LISTEN_PID is ours, known only now */
		char digits[16];
		int n = 0;
		for (pid_t p = getpid(); p > 0; p /= 10)
			digits[n++] = (char)('0' + p % 10);
		for (int i = 0; i < n; i++)
			c->listen_pid[i] = digits[n - 1 - i];
		c->listen_pid[n] = '\0';
	}
}

CHILD_CODE static int child_main(void *arg)
{
	struct child_ctx *c = arg;
	const struct job_spec *s = c->s;
	procrec_write_child(c->rec); /* first: from here on a launchd killed now leaves a known process */
	if (c->extra) {
		place_fds(c);
	} else if (c->capture[0] >= 0 || c->capture[1] >= 0) { /* launchd's table is shared until unshared */
		if (syscall(SYS_unshare, CLONE_FILES) < 0)
			child_fail(c, "unshare: %s", strerror(errno));
		place_capture(c);
		if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
			child_fail(c, "close_range: %s (Gantry needs Linux 5.9 or later)", strerror(errno));
	} else if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_UNSHARE) < 0) {
		child_fail(c, "close_range: %s (Gantry needs Linux 5.9 or later)", strerror(errno));
	}
	reset_signals();
	if (setsid() < 0)
		setpgid(0, 0);
	if (c->id->drop_first)
		become_user(c);
	apply_priority(c);
	apply_limits(c);
	if (s->root_dir)
		enter_dir(c, "RootDirectory", s->root_dir, true);
	if (!c->id->drop_first)
		become_user(c);
	enter_dir(c, "WorkingDirectory", s->working_dir ? s->working_dir : "/", false);
	if (s->umask >= 0 || c->default_umask >= 0)
		umask((mode_t)(s->umask >= 0 ? s->umask : c->default_umask));
	int conn = c->extra ? c->extra->stdio_fd : -1; /* placed by place_fds() */
	if (conn < 0) {
		open_stdio(c, 0, "StandardInPath", s->stdin_path, O_RDONLY);
		if (c->capture[0] < 0)
			open_stdio(c, 1, "StandardOutPath", c->stdout_path, O_WRONLY | O_CREAT | O_APPEND);
	}
	if (c->capture[1] < 0 && (conn < 0 || s->stderr_path))
		open_stdio(c, 2, "StandardErrorPath", c->stderr_path, O_RDWR | O_CREAT | O_APPEND);
	exec_program(c);
}

/* Sets one NAME=value in env (n entries), replacing an earlier NAME; returns the new count. */
static size_t put_var(char **env, size_t n, const char *var)
{
	size_t klen = strcspn(var, "=") + 1, j;
	for (j = 0; j < n && strncmp(env[j], var, klen) != 0; j++)
		;
	if (j < n)
		free(env[j]);
	if (!(env[j] = strdup(var)))
		gantry_oom();
	return j == n ? n + 1 : n;
}

/* launchd's default environment, then the domain's (launchctl setenv), then the plist's EnvironmentVariables. */
static char **build_env(const struct spawn_request *rq, char **listen_pid)
{
	const struct job_spec *s = rq->spec;
	const struct spawn_identity *id = rq->id;
	const struct spawn_fds *extra = rq->extra;
	size_t ndomain = 0;
	while (rq->domain_env && rq->domain_env[ndomain])
		ndomain++;
	size_t ndebug = 0;
	while (rq->debug && rq->debug->env && rq->debug->env[ndebug])
		ndebug++;
	char **env = calloc(s->nenv + ndomain + ndebug + 13, sizeof(*env));
	if (!env)
		gantry_oom();
	size_t n = 0;
	const char *user = id->user ? id->user : "";
	if (asprintf(&env[n++], "PATH=%s", rq->default_path ? rq->default_path : SPAWN_DEFAULT_PATH) < 0 ||
	    asprintf(&env[n++], "HOME=%s", id->home ? id->home : "/") < 0 ||
	    asprintf(&env[n++], "USER=%s", user) < 0 || asprintf(&env[n++], "LOGNAME=%s", user) < 0 ||
	    asprintf(&env[n++], "SHELL=%s", id->shell ? id->shell : "/bin/sh") < 0 ||
	    asprintf(&env[n++], "TMPDIR=/tmp") < 0 || asprintf(&env[n++], "XPC_SERVICE_NAME=%s", s->label) < 0 ||
	    asprintf(&env[n++], "XPC_FLAGS=0x0") < 0 || asprintf(&env[n++], "LAUNCHD_SOCKET=%s", rq->launchd_socket) < 0)
		gantry_oom();
	if (extra && extra->n) { /* the LISTEN_FDS protocol; the child writes its pid into the room left */
		if (asprintf(&env[n++], "LISTEN_FDS=%zu", extra->n) < 0 ||
		    asprintf(&env[n++], "LISTEN_FDNAMES=%s", extra->names) < 0 ||
		    asprintf(&env[n++], "LISTEN_PID=%020d", 0) < 0)
			gantry_oom();
		*listen_pid = env[n - 1] + strlen("LISTEN_PID=");
	}
	for (size_t i = 0; i < ndomain; i++)
		n = put_var(env, n, rq->domain_env[i]);
	for (size_t i = 0; i < s->nenv; i++)
		n = put_var(env, n, s->env[i]);
	for (size_t i = 0; rq->debug && rq->debug->env && rq->debug->env[i]; i++)
		n = put_var(env, n, rq->debug->env[i]);
	env[n] = NULL;
	return env;
}

static void free_list(char **list)
{
	for (char **p = list; p && *p; p++)
		free(*p);
	free(list);
}

/*
 * The argument vector; with EnableGlobbing, expanded like launchd (no sort,
 * no-match kept), with the job's rights: a glob must not list directories its
 * user cannot read.
 */
static char **build_argv(const struct job_spec *s, const struct spawn_identity *id, glob_t *g, char **only_program)
{
	if (!s->argc) {
		only_program[0] = (char *)spec_program(s);
		only_program[1] = NULL;
		return only_program;
	}
	if (!s->globbing)
		return s->argv;
	if (identity_enter(id))
		return NULL;
	bool ok = true;
	for (size_t i = 0; i < s->argc && ok; i++)
		ok = glob(s->argv[i], GLOB_NOSORT | GLOB_NOCHECK | GLOB_TILDE | (i ? GLOB_APPEND : 0), NULL, g) == 0;
	identity_leave();
	return ok ? g->gl_pathv : NULL;
}

static const char *env_path(char **env)
{
	for (char **e = env; *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			return *e + 5;
	return SPAWN_DEFAULT_PATH;
}

int spawn_job(const struct spawn_request *rq, pid_t *pid, int *pidfd, char cause[SPAWN_CAUSE_MAX])
{
	const struct job_spec *s = rq->spec;
	const struct spawn_identity *id = rq->id;
	const struct spawn_fds *extra = rq->extra;
	glob_t g = {0};
	char *only_program[2];
	const struct spawn_debug *dbg = rq->debug;
	char **argv = dbg && dbg->argv ? dbg->argv : build_argv(s, id, &g, only_program);
	if (!argv) {
		snprintf(cause, SPAWN_CAUSE_MAX, "EnableGlobbing: cannot expand the arguments");
		globfree(&g);
		return EINVAL;
	}
	char *listen_pid = NULL;
	char **env = build_env(rq, &listen_pid);
	struct child_ctx c = {.s = s, .id = id, .argv = argv, .env = env, .path = env_path(env), .extra = extra,
		.rec = rq->rec, .limits = rq->limits, .default_umask = rq->default_umask, .listen_pid = listen_pid,
		.program = dbg && dbg->program ? dbg->program : dbg && dbg->argv ? dbg->argv[0] : spec_program(s),
		.program_key = dbg && (dbg->program || dbg->argv) ? "launchctl debug" : s->program ? "Program" :
			"ProgramArguments[0]",
		.stdout_path = dbg && dbg->stdout_path ? dbg->stdout_path : s->stdout_path,
		.stderr_path = dbg && dbg->stderr_path ? dbg->stderr_path : s->stderr_path,
		.capture = {rq->capture ? rq->capture[0] : -1, rq->capture ? rq->capture[1] : -1}};
	int fd = -1;
	RESET_CHILD_STACK();
	/* A job given descriptors gets a copy of the table to arrange them in (costlier, so only then). */
	pid_t p = clone(child_main, child_stack + sizeof(child_stack),
		CLONE_VM | CLONE_VFORK | (extra ? 0 : CLONE_FILES) | CLONE_PIDFD | SIGCHLD, &c, &fd);
	int err = errno;
	free_list(env);
	globfree(&g);
	if (p < 0) {
		snprintf(cause, SPAWN_CAUSE_MAX, "clone: %s", strerror(err));
		return err;
	}
	if (c.failed) {
		siginfo_t si;
		waitid(P_PIDFD, (id_t)fd, &si, WEXITED);
		close(fd);
		snprintf(cause, SPAWN_CAUSE_MAX, "%s", c.cause);
		return ECANCELED;
	}
	*pid = p; /* a CLONE_PIDFD descriptor is close-on-exec already */
	*pidfd = fd;
	return 0;
}
