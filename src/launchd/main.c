/*
 * launchd: command line, start-up (paths, log, signals, domains, control
 * socket) and orderly shutdown on SIGTERM/SIGINT/SIGPWR — every job stopped
 * (SIGTERM, then SIGKILL after its ExitTimeOut), then exit (init.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "background.h"
#include "capture.h"
#include "control.h"
#include "domain.h"
#include "hooks.h"
#include "init.h"
#include "lifecycle.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "orphans.h"
#include "owner.h"
#include "sessions.h"
#include "pgroups.h"
#include "procrec.h"
#include "spawn.h"

#ifndef GANTRY_VERSION
#define GANTRY_VERSION "0.0.0"
#endif

static struct watch signal_watch;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: launchd --system | --user [--subreaper] [--exit-with LABEL] [--debug] [--test-clock]\n"
		"  --system  host the system domain and every user's domains (root only)\n"
		"  --user    host gui/<uid> and user/<uid> of the invoking user\n"
		"  --subreaper  adopt and reap the orphans of jobs (always as PID 1)\n"
		"  --exit-with LABEL  exit when that job exits, with its status (128+signal if killed)\n"
		"  --capture-memory BYTES  jobs' captured output kept in memory, per job (default 16384)\n"
		"  --capture-file BYTES    a job's captured output file before it is renamed .1 (default 1048576)\n"
		"  --debug   log debug messages\n"
		"  --test-clock  let `launchctl test-clock OFFSET` move launchd's wall clock (tests only)\n"
		"Paths are relocated under $LAUNCHD_ROOT when it is set; see launchd(8).\n");
}

static void on_signal(struct watch *w, uint32_t events)
{
	struct signalfd_siginfo si;
	(void)events;
	while (read(w->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			orphans_reap();
		else if (si.ssi_signo != SIGHUP)
			lifecycle_shutdown(si.ssi_signo == SIGTERM ? "received TERM" : si.ssi_signo == SIGINT ? "received INT"
				: "received PWR");
	}
}

/*
 * Dispositions set to "ignore" by whoever started launchd would be inherited
 * by every job: give them their default back. The raw system call also
 * reaches the signals glibc reserves (32, 33), which sigaction() refuses.
 */
static void clear_inherited_ignores(void)
{
	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		uint64_t mask;
	} act, dfl = {SIG_DFL, 0, NULL, 0};
	for (int sig = 1; sig <= 64; sig++) {
		if (syscall(SYS_rt_sigaction, sig, NULL, &act, sizeof(uint64_t)) == 0 && act.handler == SIG_IGN)
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(uint64_t));
	}
}

static int setup_signals(void)
{
	clear_inherited_ignores();
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPWR);
	if (orphans_enabled())
		sigaddset(&set, SIGCHLD); /* job processes are reaped through their pidfds; the rest here */
	sigprocmask(SIG_BLOCK, &set, NULL);
	static const int ignored[] = LAUNCHD_IGNORED_SIGNALS;
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return errno;
	return loop_watch(&signal_watch, fd, EPOLLIN, on_signal);
}

/*
 * Large buffers (a client's partial request, a big reply) come from mmap and
 * go back to the system when freed: glibc's adaptive threshold would keep
 * them in the heap after the first one, so a burst from a hostile client
 * would stay in launchd's RSS for good.
 */
#define MALLOC_MMAP_THRESHOLD (128 * 1024)

/* Every running job holds a pidfd and a status pipe: make room for thousands. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t soft = rl.rlim_cur;
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			log_msg(LOG_DEBUG, "descriptor limit raised from %llu to the hard limit, %llu", (unsigned long long)soft,
				(unsigned long long)rl.rlim_max);
		else
			rl.rlim_cur = soft;
	}
	g_launchd.fd_limit = rl.rlim_cur == RLIM_INFINITY ? 0 : (size_t)rl.rlim_cur;
}

/*
 * systemd sets $JOURNAL_STREAM when launchd's stderr is the journal: launchd then writes its log to
 * the journal's socket (under LAUNCHD_ROOT, relocated like every path), with each job's label as a
 * field. No job inherits the variable: their output is captured by launchd, not the journal's.
 */
static void journal_init(const char *root)
{
	if (!getenv("JOURNAL_STREAM"))
		return;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/run/systemd/journal/socket", root);
	log_to_journal(path);
	unsetenv("JOURNAL_STREAM");
}

static int fail(const char *what, int err, const char *detail)
{
	fprintf(stderr, "launchd: %s: %s%s%s\n", what, strerror(err), detail ? ": " : "", detail ? detail : "");
	return 1;
}

struct options {
	int mode; /* 1: --system, 0: --user, -1: neither */
	bool subreaper;
	const char *exit_with;
};

/* The command line into o; -1 to go on, else the status to exit with. */
static int parse_args(int argc, char **argv, struct options *o)
{
	*o = (struct options){.mode = -1};
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--subreaper") == 0) {
			o->subreaper = true;
		} else if (strcmp(argv[i], "--exit-with") == 0) {
			if (i + 1 == argc) {
				fprintf(stderr, "launchd: --exit-with needs the label of a job\n");
				return 64;
			}
			o->exit_with = argv[++i];
		} else if (strcmp(argv[i], "--capture-memory") == 0 || strcmp(argv[i], "--capture-file") == 0) {
			char *end = NULL;
			unsigned long long bytes = i + 1 < argc ? strtoull(argv[i + 1], &end, 10) : 0;
			if (!end || *end || bytes < CAPTURE_LINE_MAX) {
				fprintf(stderr, "launchd: %s takes a size in bytes, at least %d\n", argv[i], CAPTURE_LINE_MAX);
				return 64;
			}
			*(strcmp(argv[i], "--capture-memory") == 0 ? &capture_ring_bytes : &capture_file_bytes) = (size_t)bytes;
			i++;
		} else if (strcmp(argv[i], "--system") == 0 || strcmp(argv[i], "--user") == 0) {
			o->mode = strcmp(argv[i], "--system") == 0;
		} else if (strcmp(argv[i], "--test-clock") == 0) {
			g_launchd.test_clock = true;
		} else if (strcmp(argv[i], "--debug") == 0) {
			log_set_debug(true);
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("Gantry launchd %s\n", GANTRY_VERSION);
			return 0;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "launchd: unknown argument \"%s\"\n", argv[i]);
			usage(stderr);
			return 64;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct options o;
	int mode, done = parse_args(argc, argv, &o);
	if (done >= 0)
		return done;
	mode = o.mode;
	if (mode < 0) {
		usage(stderr);
		return 64;
	}
	if (mode == 1 && geteuid() != 0) {
		fprintf(stderr, "launchd: --system needs root (you are uid %u); use --user for your own jobs\n",
			(unsigned)geteuid());
		return 77;
	}
	char err[512];
	g_launchd.system = mode == 1;
	g_launchd.uid = geteuid();
	int r = gantry_paths_init(&g_launchd.paths, g_launchd.system, g_launchd.uid, err, sizeof(err));
	if (r)
		return fail("paths", r, err);
	const struct gantry_paths *p = &g_launchd.paths;
	if (!g_launchd.system && owner_system_launchd_runs(p->root, (unsigned)g_launchd.uid, err, sizeof(err))) {
		fprintf(stderr, "launchd: %s\n", err);
		return 1;
	}
	if ((r = mkdir_p(p->state_dir, 0755)))
		return fail("cannot create state directory", r, p->state_dir);
	if ((r = mkdir_p(p->run_dir, 0755)))
		return fail("cannot create socket directory", r, p->run_dir);
	if ((r = gantry_dir_trusted(p->run_dir, g_launchd.uid, err, sizeof(err))))
		return fail("will not listen in the socket directory", r, err);
	log_open(p->log_file);
	journal_init(p->root);
	notify_init(); /* before any job starts: none inherits $NOTIFY_SOCKET */
	raise_fd_limit();
	mallopt(M_MMAP_THRESHOLD, MALLOC_MMAP_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, MALLOC_MMAP_THRESHOLD);
	init_start(o.subreaper, o.exit_with);
	if ((r = loop_init()) || (r = setup_signals()))
		return fail("event loop", r, NULL);
	hooks_install();
	lifecycle_init(argv);
	struct gerror e = {0};
	if (control_start(p->socket, launchd_routines, &e))
		return fail("cannot listen", e.code, e.detail);
	log_msg(LOG_INFO, "Gantry launchd %s starting (%s mode, uid %u%s%s), socket %s", GANTRY_VERSION,
		g_launchd.system ? "system" : "user", (unsigned)g_launchd.uid, p->root[0] ? ", root " : "", p->root,
		p->socket);
	char records[PATH_MAX];
	snprintf(records, sizeof(records), "%s/processes", p->run_dir);
	procrec_start(records); /* before any job loads: what a crashed predecessor left running is stopped */
	sm_start();
	if (g_launchd.system) {
		domain_load_directories(domain_create(DOMAIN_SYSTEM, 0));
		sessions_restore(); /* the users' domains of the sessions still open, and of lingering users */
	} else {
		domain_create(DOMAIN_USER, g_launchd.uid);
		domain_load_directories(domain_create(DOMAIN_GUI, g_launchd.uid));
	}
	char ready[128];
	snprintf(ready, sizeof(ready), "READY=1\nMAINPID=%d\nSTATUS=%zu jobs loaded", (int)getpid(), domain_total_jobs());
	notify_state(ready); /* the socket listens and the jobs are loaded: requests are answered from here on */
	r = loop_run();
	int status = init_exit(); /* what is left stopped and reaped; reboot(2) as PID 1 when asked */
	lifecycle_finish();       /* returns unless launchd runs itself again (reboot userspace) */
	return r ? fail("event loop", r, NULL) : status;
}
