/* Adopted processes: reaping and attributing them to jobs (see orphans.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "domain.h"
#include "errors.h"
#include "job.h"
#include "jobindex.h"
#include "log.h"
#include "oom.h"
#include "orphans.h"
#include "pgroups.h"

#define BUCKETS 1024          /* both tables: jobs by process group, adopted processes by pid */
#define ENVIRON_MAX (64 * 1024) /* of a process's environment read to find XPC_SERVICE_NAME */

struct orphan {
	pid_t pid, pgrp, sid;
	uid_t uid;
	struct job *job; /* NULL: launchd's own, or its job was freed */
	char from[160];  /* "domain/label" of the job it was attributed to, for the log; "" if none */
	char comm[17];
	struct orphan *next;
};

static bool enabled;
static struct job *groups[BUCKETS];      /* jobs by pgid, chained through job->pgid_next */
static struct orphan *adopted[BUCKETS];  /* by pid */
static size_t nadopted;

static size_t slot(pid_t pid)
{
	return (size_t)pid % BUCKETS;
}

int orphans_enable(void)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return errno;
	enabled = true;
	return 0;
}

bool orphans_enabled(void)
{
	return enabled;
}

static struct job *job_of_group(pid_t pgid)
{
	for (struct job *j = groups[slot(pgid)]; j; j = j->pgid_next)
		if (j->pgid == pgid)
			return j;
	return NULL;
}

static struct orphan *find(pid_t pid)
{
	for (struct orphan *o = adopted[slot(pid)]; o; o = o->next)
		if (o->pid == pid)
			return o;
	return NULL;
}

static void unindex_job(struct job *j)
{
	for (struct job **p = &groups[slot(j->pgid)]; *p; p = &(*p)->pgid_next) {
		if (*p == j) {
			*p = j->pgid_next;
			break;
		}
	}
	j->pgid = 0;
}

void orphans_job_spawned(struct job *j)
{
	if (!enabled)
		return;
	if (j->pgid)
		unindex_job(j); /* the previous instance's group: its leftovers stay attributed through their orphans */
	j->pgid = j->pid;
	j->pgid_next = groups[slot(j->pgid)];
	groups[slot(j->pgid)] = j;
}

/* pid's process group, session, owner and command name from /proc; false if it is gone. */
static bool read_stat(struct orphan *o)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)o->pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	ssize_t n = fstat(fd, &st) == 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren)
		return false;
	snprintf(o->comm, sizeof(o->comm), "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
	char state;
	int ppid, pgrp, sid;
	if (sscanf(close_paren + 1, " %c %d %d %d", &state, &ppid, &pgrp, &sid) != 4)
		return false;
	o->pgrp = pgrp;
	o->sid = sid;
	o->uid = st.st_uid;
	return true;
}

/* The label in XPC_SERVICE_NAME of pid's environment into label; false if it has none. */
static bool service_name(pid_t pid, char *label, size_t len)
{
	static char env[ENVIRON_MAX];
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, env, sizeof(env) - 1);
	close(fd);
	if (n <= 0)
		return false;
	env[n] = '\0';
	static const char key[] = "XPC_SERVICE_NAME=";
	for (char *p = env; p < env + n; p += strlen(p) + 1) {
		if (strncmp(p, key, sizeof(key) - 1) == 0 && p[sizeof(key) - 1]) {
			snprintf(label, len, "%s", p + sizeof(key) - 1);
			return true;
		}
	}
	return false;
}

/* Does j run as uid? A system job as its UserName (root without one), any other as its domain's user. */
static bool runs_as(const struct job *j, uid_t uid)
{
	if (j->domain->kind != DOMAIN_SYSTEM)
		return j->domain->uid == uid;
	if (!j->spec->user)
		return uid == 0;
	const struct passwd *pw = getpwnam(j->spec->user);
	return pw && pw->pw_uid == uid;
}

static struct job *job_by_environment(const struct orphan *o)
{
	char label[256];
	if (!service_name(o->pid, label, sizeof(label)))
		return NULL;
	for (struct domain *d = g_launchd.domains; d; d = d->next) {
		struct job *j = job_index_find(&d->by_label, label);
		if (j && runs_as(j, o->uid))
			return j;
	}
	return NULL;
}

static struct job *attribute(const struct orphan *o)
{
	struct job *j = job_of_group(o->pgrp);
	if (!j && o->sid != o->pgrp)
		j = job_of_group(o->sid);
	const struct orphan *kin = j ? NULL : find(o->pgrp);
	if (!j && !kin)
		kin = find(o->sid);
	if (kin)
		j = kin->job;
	return j ? j : job_by_environment(o);
}

static void adopt(pid_t pid)
{
	struct orphan *o = calloc(1, sizeof(*o));
	if (!o)
		gantry_oom();
	o->pid = pid;
	if (read_stat(o) && (o->job = attribute(o)))
		snprintf(o->from, sizeof(o->from), "%s/%s", o->job->domain->name, o->job->spec->label);
	o->next = adopted[slot(pid)];
	adopted[slot(pid)] = o;
	nadopted++;
	log_msg(LOG_DEBUG, "adopted process %d (%s) of %s", (int)pid, o->comm, o->from[0] ? o->from : "no job");
}

static void log_reaped(const struct orphan *o, const siginfo_t *si)
{
	char how[96];
	if (si->si_code == CLD_EXITED)
		snprintf(how, sizeof(how), "exited with status %d", si->si_status);
	else
		snprintf(how, sizeof(how), "was killed by signal %d (%s)", si->si_status, signal_description(si->si_status));
	if (o->from[0])
		log_msg(LOG_INFO, "(%s) reaped adopted process %d (%s): %s", o->from, (int)si->si_pid, o->comm, how);
	else
		log_msg(LOG_INFO, "reaped adopted process %d (%s) of no job: %s", (int)si->si_pid, o->comm, how);
}

/* The exited child pid (a zombie still) is reaped, with its log line; adopted now if it was never seen alive. */
static void reap(pid_t pid)
{
	if (!find(pid))
		adopt(pid); /* a zombie's process group and session are still in /proc */
	for (struct orphan **p = &adopted[slot(pid)]; *p; p = &(*p)->next) {
		if ((*p)->pid != pid)
			continue;
		siginfo_t si = {0};
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG) < 0 || si.si_pid != pid)
			return;
		struct orphan *o = *p;
		log_reaped(o, &si);
		*p = o->next;
		nadopted--;
		free(o);
		pgroups_forget_process(pid);
		return;
	}
}

/* A child of launchd that is a job's main process, which the job reaps through its pidfd. */
static bool is_main_process(pid_t pid)
{
	const struct job *j = job_of_group(pid);
	return j && j->pid == pid && j->proc.fd >= 0;
}

void orphans_reap(void)
{
	if (!enabled)
		return;
	for (;;) { /* each exited child, looked at without reaping it first */
		siginfo_t si = {0};
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
			return;
		if (is_main_process(si.si_pid))
			return; /* its job reaps it, then calls here again for whoever exited behind it */
		reap(si.si_pid);
	}
}

/* One living child of launchd: anything but a job's main process is adopted. */
static void look_at_child(pid_t pid)
{
	if (!is_main_process(pid) && !find(pid))
		adopt(pid);
}

/* Every pid in /proc/self/task/<tid>/children: a thread's children (orphans go to the main thread). */
static void each_child_of(const char *tid)
{
	char path[96], buf[4096];
	snprintf(path, sizeof(path), "/proc/self/task/%s/children", tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n;
	long pid = 0;
	bool digits = false;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				pid = pid * 10 + (buf[i] - '0');
				digits = true;
			} else if (digits) {
				look_at_child((pid_t)pid);
				pid = 0;
				digits = false;
			}
		}
	}
	if (digits)
		look_at_child((pid_t)pid);
	close(fd);
}

void orphans_scan(void)
{
	if (!enabled)
		return;
	DIR *tasks = opendir("/proc/self/task");
	if (!tasks)
		return;
	for (struct dirent *e; (e = readdir(tasks));)
		if (e->d_name[0] != '.')
			each_child_of(e->d_name);
	closedir(tasks);
	orphans_reap();
}

void orphans_end_group(pid_t pgid, int timeout_s)
{
	if (!enabled)
		return;
	orphans_scan(); /* processes adopted since the last look are attributed first */
	const struct job *j = job_of_group(pgid);
	for (size_t b = 0; j && b < BUCKETS; b++)
		for (struct orphan *o = adopted[b]; o; o = o->next)
			if (o->job == j && o->pgrp != pgid) /* the group's own members already got it */
				pgroups_terminate_process(o->pid, timeout_s);
}

void orphans_job_freed(struct job *j)
{
	if (!enabled)
		return;
	orphans_scan();
	for (size_t b = 0; b < BUCKETS; b++) {
		for (struct orphan *o = adopted[b]; o; o = o->next) {
			if (o->job == j) {
				pgroups_terminate_process(o->pid, j->spec->exit_timeout);
				o->job = NULL; /* stopped on the job's behalf; its log line still names the job */
			}
		}
	}
	if (j->pgid)
		unindex_job(j);
}

size_t orphans_of(const struct job *j)
{
	size_t n = 0;
	for (size_t b = 0; enabled && b < BUCKETS; b++)
		for (const struct orphan *o = adopted[b]; o; o = o->next)
			n += o->job == j;
	return n;
}

void orphans_end_unattributed(int timeout_s)
{
	orphans_scan();
	for (size_t b = 0; enabled && b < BUCKETS; b++)
		for (struct orphan *o = adopted[b]; o; o = o->next)
			if (!o->job)
				pgroups_terminate_process(o->pid, timeout_s);
}

size_t orphans_alive(void)
{
	return nadopted;
}
