/*
 * spawn_job(): fork, then in the child apply the execution context in
 * launchd's order — session, nice, resource limits, I/O priority, chroot,
 * user and groups, working directory, umask, standard I/O, environment,
 * globbing — and exec. Any failure writes its exact cause to a
 * close-on-exec pipe and exits 78 (EX_CONFIG), so the parent can tell a
 * spawn failure from a program that exits 78 by itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
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

#include "spawn.h"

#define IOPRIO_CLASS_IDLE 3
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_WHO_PROCESS 1
/* ProcessType Background: CPU niceness added when Nice is not set. */
#define BACKGROUND_NICE 10

extern char **environ;

static int status_pipe = -1;

static void __attribute__((noreturn, format(printf, 1, 2))) child_fail(const char *fmt, ...)
{
	char msg[SPAWN_CAUSE_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n > 0 && write(status_pipe, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1) < 0)
		_exit(SPAWN_FAILED_STATUS);
	_exit(SPAWN_FAILED_STATUS);
}

static void reset_signals(void)
{
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
}

static void apply_limits(const struct job_spec *s)
{
	for (int r = 0; r < RL_COUNT; r++) {
		if (!s->soft[r].set && !s->hard[r].set)
			continue;
		struct rlimit rl;
		int res = spec_rlimit_resource((enum spec_rlimit)r);
		getrlimit(res, &rl);
		if (s->hard[r].set)
			rl.rlim_max = s->hard[r].value;
		if (s->soft[r].set)
			rl.rlim_cur = s->soft[r].value;
		if (rl.rlim_cur > rl.rlim_max)
			rl.rlim_cur = rl.rlim_max;
		if (setrlimit(res, &rl) < 0)
			child_fail("%s.%s: setrlimit: %s", s->hard[r].set ? "HardResourceLimits" : "SoftResourceLimits",
				spec_rlimit_key((enum spec_rlimit)r), strerror(errno));
	}
}

static void apply_priority(const struct job_spec *s)
{
	int nice = s->nice_set ? s->nice : (s->process_type == PT_BACKGROUND ? BACKGROUND_NICE : 0);
	if ((s->nice_set || nice) && setpriority(PRIO_PROCESS, 0, nice) < 0)
		child_fail("Nice %d: setpriority: %s", nice, strerror(errno));
	if (s->low_priority_io || s->process_type == PT_BACKGROUND) {
		int prio = IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT;
		if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, prio) < 0)
			child_fail("%s: ioprio_set: %s", s->low_priority_io ? "LowPriorityIO" : "ProcessType Background",
				strerror(errno));
	}
}

static void become_user(const struct job_spec *s, const struct spawn_identity *id)
{
	if (!id->change)
		return;
	if (setgid(id->gid) < 0)
		child_fail("GroupName: setgid(%u): %s", (unsigned)id->gid, strerror(errno));
	if (id->init_groups && id->user) {
		if (initgroups(id->user, id->gid) < 0)
			child_fail("InitGroups: initgroups(%s): %s", id->user, strerror(errno));
	} else if (setgroups(0, NULL) < 0) {
		child_fail("setgroups: %s", strerror(errno));
	}
	if (setuid(id->uid) < 0)
		child_fail("UserName %s: setuid(%u): %s", s->user ? s->user : "", (unsigned)id->uid, strerror(errno));
}

static void open_stdio(int target, const char *key, const char *path, int flags)
{
	int fd = path ? open(path, flags | O_NOCTTY, 0666) : open("/dev/null", O_RDWR | O_NOCTTY);
	if (fd < 0)
		child_fail("%s %s: %s", key, path ? path : "/dev/null", strerror(errno));
	if (fd != target) {
		if (dup2(fd, target) < 0)
			child_fail("%s: dup2: %s", key, strerror(errno));
		close(fd);
	}
}

static void setup_stdio(const struct job_spec *s)
{
	open_stdio(0, "StandardInPath", s->stdin_path, O_RDONLY);
	open_stdio(1, "StandardOutPath", s->stdout_path, O_WRONLY | O_CREAT | O_APPEND);
	open_stdio(2, "StandardErrorPath", s->stderr_path, O_RDWR | O_CREAT | O_APPEND);
}

static char **build_env(const struct job_spec *s, const struct spawn_identity *id)
{
	size_t n = 0, cap = s->nenv + 10;
	char **env = calloc(cap, sizeof(*env));
	if (!env)
		child_fail("environment: out of memory");
	char *defaults[9];
	size_t nd = 0;
	if (asprintf(&defaults[nd++], "PATH=%s", SPAWN_DEFAULT_PATH) < 0 ||
	    asprintf(&defaults[nd++], "HOME=%s", id->home ? id->home : "/") < 0 ||
	    asprintf(&defaults[nd++], "USER=%s", id->user ? id->user : "") < 0 ||
	    asprintf(&defaults[nd++], "LOGNAME=%s", id->user ? id->user : "") < 0 ||
	    asprintf(&defaults[nd++], "SHELL=%s", id->shell ? id->shell : "/bin/sh") < 0 ||
	    asprintf(&defaults[nd++], "TMPDIR=%s", "/tmp") < 0 ||
	    asprintf(&defaults[nd++], "XPC_SERVICE_NAME=%s", s->label) < 0 ||
	    asprintf(&defaults[nd++], "XPC_FLAGS=0x0") < 0)
		child_fail("environment: out of memory");
	for (size_t i = 0; i < nd; i++)
		env[n++] = defaults[i];
	for (size_t i = 0; i < s->nenv; i++) {
		size_t klen = strcspn(s->env[i], "=") + 1;
		size_t j;
		for (j = 0; j < n; j++)
			if (strncmp(env[j], s->env[i], klen) == 0)
				break;
		env[j] = s->env[i];
		if (j == n)
			n++;
	}
	env[n] = NULL;
	return env;
}

static char **build_argv(const struct job_spec *s)
{
	if (!s->argc) {
		char **argv = calloc(2, sizeof(*argv));
		if (!argv)
			child_fail("ProgramArguments: out of memory");
		argv[0] = s->program;
		return argv;
	}
	if (!s->globbing)
		return s->argv;
	glob_t g = {0};
	for (size_t i = 0; i < s->argc; i++) {
		int r = glob(s->argv[i], GLOB_NOSORT | GLOB_NOCHECK | GLOB_TILDE | (i ? GLOB_APPEND : 0), NULL, &g);
		if (r != 0)
			child_fail("EnableGlobbing: glob(\"%s\") failed (%d)", s->argv[i], r);
	}
	return g.gl_pathv;
}

static void __attribute__((noreturn)) exec_program(const struct job_spec *s, char **argv, char **env)
{
	const char *prog = spec_program(s);
	environ = env;
	if (strchr(prog, '/'))
		execv(prog, argv);
	else
		execvp(prog, argv);
	int e = errno;
	const char *hint = e == ENOEXEC ? " (a script needs a #! line)" : "";
	if (!strchr(prog, '/')) {
		const char *path = getenv("PATH");
		child_fail("ProgramArguments[0] %s: %s in PATH=%s%s", prog, e == ENOENT ? "not found" : strerror(e),
			path ? path : "", hint);
	}
	child_fail("%s %s: %s%s", s->program ? "Program" : "ProgramArguments[0]", prog, strerror(e), hint);
}

static void __attribute__((noreturn)) child(const struct job_spec *s, const struct spawn_identity *id)
{
	reset_signals();
	if (setsid() < 0)
		setpgid(0, 0);
	apply_priority(s);
	apply_limits(s);
	if (s->root_dir) {
		if (chroot(s->root_dir) < 0)
			child_fail("RootDirectory %s: %s", s->root_dir, strerror(errno));
		if (chdir("/") < 0)
			child_fail("RootDirectory %s: chdir: %s", s->root_dir, strerror(errno));
	}
	become_user(s, id);
	const char *wd = s->working_dir ? s->working_dir : "/";
	if (chdir(wd) < 0)
		child_fail("WorkingDirectory %s: %s", wd, strerror(errno));
	if (s->umask >= 0)
		umask((mode_t)s->umask);
	setup_stdio(s);
	char **env = build_env(s, id);
	char **argv = build_argv(s);
	exec_program(s, argv, env);
}

int spawn_job(const struct job_spec *s, const struct spawn_identity *id,
	struct spawn_result *out, char cause[SPAWN_CAUSE_MAX])
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		int e = errno;
		snprintf(cause, SPAWN_CAUSE_MAX, "pipe: %s", strerror(e));
		return e;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		snprintf(cause, SPAWN_CAUSE_MAX, "fork: %s", strerror(e));
		close(p[0]);
		close(p[1]);
		return e;
	}
	if (pid == 0) {
		close(p[0]);
		status_pipe = p[1];
		child(s, id);
	}
	close(p[1]);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		int e = errno;
		snprintf(cause, SPAWN_CAUSE_MAX, "pidfd_open: %s (Gantry needs Linux 5.3 or later)", strerror(e));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(p[0]);
		return e;
	}
	fcntl(pidfd, F_SETFD, FD_CLOEXEC);
	out->pid = pid;
	out->pidfd = pidfd;
	out->status_fd = p[0];
	return 0;
}

bool spawn_read_cause(int status_fd, char cause[SPAWN_CAUSE_MAX])
{
	ssize_t n;
	do
		n = read(status_fd, cause, SPAWN_CAUSE_MAX - 1);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return false;
	cause[n] = '\0';
	return true;
}
