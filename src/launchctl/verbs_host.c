/*
 * launchctl verbs about the manager and the host: managerpid, manageruid,
 * managername, hostinfo, procinfo, dumpstate, examine, asuser — and the macOS verbs
 * that cannot exist on Linux, each saying why and what to use instead.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "launchctl.h"
#include "protocol.h"
#include "verbs.h"

/* Exit status of a verb that cannot exist on Linux: Darwin's ENOTSUP ("Operation not supported"). */
#define EXIT_NOT_ON_LINUX 45

/* The launchd that "default" reaches: its version reply, or NULL (printed why). */
static xpc_object_t manager(void)
{
	xpc_object_t reply;
	if (call(request_new(ROUTINE_VERSION, NULL), "Manager", &reply)) {
		xpc_release(reply);
		return NULL;
	}
	return reply;
}

static int no_arguments(const char *verb, int argc)
{
	return argc ? usage_error(verb, "takes no arguments") : 0;
}

static int cmd_managerpid(int argc, char **argv)
{
	(void)argv;
	xpc_object_t m = no_arguments("managerpid", argc) ? NULL : manager();
	if (!m)
		return argc ? EXIT_USAGE : ESRCH;
	printf("%" PRId64 "\n", xpc_dictionary_get_int64(m, KEY_PID));
	xpc_release(m);
	return 0;
}

static int cmd_manageruid(int argc, char **argv)
{
	(void)argv;
	xpc_object_t m = no_arguments("manageruid", argc) ? NULL : manager();
	if (!m)
		return argc ? EXIT_USAGE : ESRCH;
	printf("%" PRId64 "\n", xpc_dictionary_get_int64(m, KEY_UID));
	xpc_release(m);
	return 0;
}

/* macOS's session names: System for the system launchd; a user's launchd hosts the Aqua session. */
static int cmd_managername(int argc, char **argv)
{
	(void)argv;
	xpc_object_t m = no_arguments("managername", argc) ? NULL : manager();
	if (!m)
		return argc ? EXIT_USAGE : ESRCH;
	bool system = strcmp(xpc_dictionary_get_string(m, KEY_MODE) ?: "", "system") == 0;
	printf("%s\n", system && geteuid() == 0 ? "System" : "Aqua");
	xpc_release(m);
	return 0;
}

static int cmd_hostinfo(int argc, char **argv)
{
	(void)argv;
	if (argc)
		return usage_error("hostinfo", "takes no arguments");
	struct utsname u;
	struct sysinfo si;
	uname(&u);
	sysinfo(&si);
	printf("host = %s\n\tkernel = %s %s %s\n\tprocessors = %ld online, %ld configured\n", u.nodename, u.sysname,
		u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN), sysconf(_SC_NPROCESSORS_CONF));
	printf("\tmemory = %llu MiB, %llu MiB free\n\tuptime = %ld s\n\tload = %.2f %.2f %.2f\n",
		(unsigned long long)si.totalram * si.mem_unit / 1048576, (unsigned long long)si.freeram * si.mem_unit / 1048576,
		si.uptime, si.loads[0] / 65536.0, si.loads[1] / 65536.0, si.loads[2] / 65536.0);
	xpc_object_t reply = request_send(request_new(ROUTINE_VERSION, NULL));
	if (!xpc_dictionary_get_int64(reply, KEY_ERROR))
		printf("\tlaunchd = Gantry %s, %s mode, pid %" PRId64 ", uid %" PRId64 "\n",
			xpc_dictionary_get_string(reply, KEY_VERSION), xpc_dictionary_get_string(reply, KEY_MODE),
			xpc_dictionary_get_int64(reply, KEY_PID), xpc_dictionary_get_int64(reply, KEY_UID));
	xpc_release(reply);
	return 0;
}

/* Prints the lines of /proc/<pid>/<file> that start with one of prefixes (NULL: all), indented. */
static void print_proc_file(pid_t pid, const char *file, const char *title, const char *const *prefixes)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	FILE *f = fopen(path, "re");
	if (!f) {
		printf("\t%s = (cannot read %s: %s)\n", title, path, strerror(errno));
		return;
	}
	printf("\t%s = {\n", title);
	while (fgets(line, sizeof(line), f)) {
		bool wanted = !prefixes;
		for (const char *const *p = prefixes; p && *p && !wanted; p++)
			wanted = strncmp(line, *p, strlen(*p)) == 0;
		if (wanted)
			printf("\t\t%s", line);
	}
	printf("\t}\n");
	fclose(f);
}

static int cmd_procinfo(int argc, char **argv)
{
	char *end;
	long pid = argc == 1 ? strtol(argv[0], &end, 10) : 0;
	if (argc != 1 || *end || pid <= 0)
		return usage_error("procinfo", "expected a pid");
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
		fprintf(stderr, "procinfo: pid %ld: no such process\n", pid);
		return ESRCH;
	}
	char exe[4096] = "", path[64];
	snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
	ssize_t n = readlink(path, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	printf("pid = %ld\n\tprogram = %s\n", pid, n > 0 ? exe : "(not readable)");
	xpc_object_t req = request_new(ROUTINE_IDENTIFY, NULL);
	xpc_dictionary_set_int64(req, KEY_PID, pid);
	xpc_object_t reply = request_send(req);
	if (xpc_dictionary_get_string(reply, KEY_LABEL))
		printf("\tjob = %s/%s\n", xpc_dictionary_get_string(reply, KEY_DOMAIN), xpc_dictionary_get_string(reply, KEY_LABEL));
	else
		printf("\tjob = (none: %s)\n", xpc_dictionary_get_string(reply, KEY_ERROR_DETAIL) ?: "not a launchd job");
	xpc_release(reply);
	static const char *const context[] = {"Name:", "State:", "PPid:", "Uid:", "Gid:", "Groups:", NULL};
	print_proc_file((pid_t)pid, "status", "context", context);
	print_proc_file((pid_t)pid, "limits", "limits", NULL);
	return 0;
}

/* Every domain this user can see, as `print` shows them. */
static int cmd_dumpstate(int argc, char **argv)
{
	(void)argv;
	if (argc)
		return usage_error("dumpstate", "takes no arguments");
	char gui[32], user[32];
	snprintf(gui, sizeof(gui), "gui/%u", (unsigned)getuid());
	snprintf(user, sizeof(user), "user/%u", (unsigned)getuid());
	const char *domains[] = {default_is_system() ? "system" : NULL, gui, user};
	int worst = 0;
	for (size_t i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
		if (!domains[i])
			continue;
		struct target t = {0};
		snprintf(t.domain, sizeof(t.domain), "%s", domains[i]);
		xpc_object_t reply;
		int r = call(request_new(ROUTINE_PRINT, &t), "Dump state", &reply);
		if (!r)
			print_domain(stdout, xpc_dictionary_get_dictionary(reply, KEY_DOMAIN_INFO));
		xpc_release(reply);
		worst = r ? r : worst;
	}
	return worst;
}

/* examine TOOL ARG... with @PID replaced by launchd's pid: runs the tool against launchd (gdb, strace, ...). */
static int cmd_examine(int argc, char **argv)
{
	if (argc < 1)
		return usage_error("examine", "expected a tool and its arguments, @PID standing for launchd's pid");
	xpc_object_t m = manager();
	if (!m)
		return ESRCH;
	char pid[24];
	snprintf(pid, sizeof(pid), "%" PRId64, xpc_dictionary_get_int64(m, KEY_PID));
	xpc_release(m);
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "@PID") == 0)
			argv[i] = pid;
	execvp(argv[0], argv);
	fprintf(stderr, "examine: %s: %s\n", argv[0], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

/*
 * asuser UID COMMAND...: runs COMMAND with UID's domain as the default one, as macOS runs it in that user's
 * bootstrap namespace: a `launchctl load ~/Library/LaunchAgents/x.plist` inside it (an installer's
 * postinstall, run as root) loads into gui/<UID>, not into system. The command keeps launchctl's own
 * credentials, as on macOS; only root may act for another user. It joins the user's newest login session
 * (a graphical one first): its environment (DISPLAY, DBUS_SESSION_BUS_ADDRESS...) and the sessions, named
 * on stderr.
 */
static int cmd_asuser(int argc, char **argv)
{
	char *end;
	unsigned long uid = argc >= 2 ? strtoul(argv[0], &end, 10) : 0;
	if (argc < 2 || *end || !*argv[0] || uid > 0x7fffffffUL)
		return usage_error("asuser", "expected a numeric uid and a command");
	if (geteuid() != 0 && uid != geteuid()) {
		fprintf(stderr, "asuser: only root may act for uid %lu (you are uid %u)\n", uid, (unsigned)geteuid());
		return EPERM;
	}
	if (setenv(ASUSER_ENV, argv[0], 1) < 0)
		return errno;
	session_join((long)uid);
	execvp(argv[1], argv + 1);
	fprintf(stderr, "asuser: %s: %s\n", argv[1], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

/* reboot [system|halt|poweroff|userspace|logout]: what each means for Gantry is launchd's answer (lifecycle.c). */
static int cmd_reboot(int argc, char **argv)
{
	if (argc > 1)
		return usage_error("reboot", "expected at most one of system, halt, poweroff, userspace, logout");
	xpc_object_t req = request_new(ROUTINE_REBOOT, NULL);
	xpc_dictionary_set_string(req, KEY_NAME, argc ? argv[0] : "system");
	return call(req, "Reboot", NULL);
}

/* A verb macOS has and Linux cannot: what it did there and what to do here. */
struct absent {
	const char *name, *why;
};

static const struct absent absent_verbs[] = {
	{"attach", "attaching a debugger through launchd needs Mach task ports; use `gdb -p PID` or `strace -p PID` "
		"with the pid from `launchctl print`, or `launchctl examine gdb -p @PID` for launchd itself"},
	{"bootshell", "macOS drops into a single-user shell during early boot; on Linux that is the init system's or the "
		"boot loader's job (systemd.unit=rescue.target, init=/bin/sh)"},
	{"print-cache", "Gantry has no service cache: launchd reads job files when a domain loads, so `launchctl print` "
		"shows everything there is"},
	{"print-token", "macOS's service tokens are Mach audit tokens; Linux identifies a process by pid and pidfd "
		"(see `launchctl procinfo PID`)"},
	{"resolveport", "Mach ports do not exist on Linux: named services are sockets, and `launchctl print "
		"DOMAIN/LABEL` lists a job's endpoints"},
	{"uncache", "Gantry has no service cache to bypass"},
	{"plist", "Linux executables carry no __TEXT,__info_plist section; a job's plist is a file"},
	{"bsexec", "bootstrap namespaces are Mach's; on Linux a process's domain is where launchd started it"},
	{"bslist", "bootstrap namespaces are Mach's; `launchctl print DOMAIN` lists a domain's services"},
	{"bstree", "bootstrap namespaces are Mach's; `launchctl dumpstate` prints every domain you can see"},
	{"dumpjpcategory", "jetsam (memory-pressure) categories are macOS's; Linux's OOM score is per process"},
	{"variant", "Gantry has one variant; `launchctl version` prints it"},
	{NULL, NULL},
};

/* Every absent verb: main() passes argv + 2, so the verb's own name is argv[-1]. */
static int cmd_absent(int argc, char **argv)
{
	(void)argc;
	for (const struct absent *a = absent_verbs; a->name; a++)
		if (strcmp(a->name, argv[-1]) == 0) {
			fprintf(stderr, "launchctl %s: not available on Linux: %s\n", a->name, a->why);
			return EXIT_NOT_ON_LINUX;
		}
	return EXIT_USAGE;
}

const struct verb host_verbs[] = {
	{"managerpid", cmd_managerpid, "", "print the pid of the launchd that serves you"},
	{"manageruid", cmd_manageruid, "", "print the uid that launchd serves (0: the system launchd)"},
	{"managername", cmd_managername, "", "print its session name: System, or Aqua for a user's launchd"},
	{"hostinfo", cmd_hostinfo, "", "the host: kernel, processors, memory, uptime, load, launchd"},
	{"procinfo", cmd_procinfo, "pid", "which job and domain own a process; its program, credentials and limits"},
	{"dumpstate", cmd_dumpstate, "", "print every domain you can see"},
	{"reboot", cmd_reboot, "[system|halt|poweroff|userspace|logout]",
		"userspace: restart launchd and its jobs; logout: end your jobs; system, halt, poweroff: as PID 1, stop "
		"every job and reboot(2), else say what to run"},
	{"asuser", cmd_asuser, "uid command [args...]", "run a command with that user's gui/<uid> as its default domain"},
	{"examine", cmd_examine, "tool [args... @PID ...]", "run a tool against launchd, @PID standing for its pid"},
	{"attach", cmd_absent, "", "not on Linux (says why)"},
	{"bootshell", cmd_absent, "", "not on Linux (says why)"},
	{"print-cache", cmd_absent, "", "not on Linux (says why)"},
	{"print-token", cmd_absent, "", "not on Linux (says why)"},
	{"resolveport", cmd_absent, "", "not on Linux (says why)"},
	{"uncache", cmd_absent, "", "not on Linux (says why)"},
	{"plist", cmd_absent, "", "not on Linux (says why)"},
	{"bsexec", cmd_absent, "", "not on Linux (says why)"},
	{"bslist", cmd_absent, "", "not on Linux (says why)"},
	{"bstree", cmd_absent, "", "not on Linux (says why)"},
	{"dumpjpcategory", cmd_absent, "", "not on Linux (says why)"},
	{"variant", cmd_absent, "", "not on Linux (says why)"},
	{NULL, NULL, NULL, NULL},
};
