/* Job process records across launchd restarts (see procrec.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "procrec.h"

/* A predecessor's process that ignores SIGTERM gets SIGKILL after this long. */
#define LEFTOVER_TIMEOUT_S 5
#define LABEL_MAX 200

struct record {
	int32_t pid;        /* 0: a free slot */
	uint32_t verified;  /* 0 on disk; 1 in memory once checked to be a leftover still running */
	uint64_t starttime; /* field 22 of /proc/<pid>/stat: with the pid, names one process for ever */
	char domain[24];
	char label[LABEL_MAX];
};

static int rec_fd = -1;
static int *free_slots; /* a stack of free slot numbers */
static size_t nfree, cap_free;
static int next_slot;

struct stopped {
	struct stopped *next;
	char domain[24];
	char label[LABEL_MAX];
	char note[128];
};
static struct stopped *stopped;

uint64_t procrec_stat_field(pid_t pid, int field)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	if (!p || field < 3)
		return 0;
	char *save = NULL, *tok = strtok_r(p + 1, " ", &save); /* field 3, the state */
	for (int f = 3; tok && f < field; f++)
		tok = strtok_r(NULL, " ", &save);
	return tok ? strtoull(tok, NULL, 10) : 0;
}

static uint64_t starttime_of(pid_t pid)
{
	return procrec_stat_field(pid, 22);
}

static void remember_stopped(const struct record *r)
{
	struct stopped *s = calloc(1, sizeof(*s));
	if (!s)
		abort();
	memcpy(s->domain, r->domain, sizeof(s->domain));
	memcpy(s->label, r->label, sizeof(s->label));
	s->domain[sizeof(s->domain) - 1] = s->label[sizeof(s->label) - 1] = '\0';
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&now, &tm));
	snprintf(s->note, sizeof(s->note), "pid %d, left running by a launchd that exited uncleanly, was stopped at %s",
		(int)r->pid, when);
	s->next = stopped;
	stopped = s;
}

/* SIGTERM to every leftover's group, then wait for them on their pidfds; SIGKILL what remains. */
static int stop_leftovers(struct record *recs, size_t n)
{
	struct pollfd *fds = calloc(n ? n : 1, sizeof(*fds));
	if (!fds)
		abort();
	size_t live = 0;
	for (size_t i = 0; i < n; i++) {
		struct record *r = &recs[i];
		if (r->pid <= 0)
			continue;
		int pfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
		if (pfd < 0)
			continue; /* gone */
		if (starttime_of(r->pid) != r->starttime) {
			close(pfd); /* the pid belongs to another process now */
			continue;
		}
		r->domain[sizeof(r->domain) - 1] = r->label[sizeof(r->label) - 1] = '\0';
		log_msg(LOG_WARNING, "(%s/%s) pid %d was left running by a launchd that exited uncleanly: stopping it "
			"before the job loads", r->domain, r->label, (int)r->pid);
		kill(-r->pid, SIGTERM);
		syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0);
		remember_stopped(r);
		r->verified = 1; /* its group may be killed below */
		fds[live++] = (struct pollfd){.fd = pfd, .events = POLLIN};
	}
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		size_t waiting = 0;
		for (size_t i = 0; i < live; i++)
			waiting += fds[i].fd >= 0;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long left_ms = LEFTOVER_TIMEOUT_S * 1000L - ((now.tv_sec - start.tv_sec) * 1000L +
			(now.tv_nsec - start.tv_nsec) / 1000000L);
		if (!waiting || left_ms <= 0)
			break;
		if (poll(fds, live, (int)left_ms) < 0 && errno != EINTR)
			break;
		for (size_t i = 0; i < live; i++)
			if (fds[i].fd >= 0 && fds[i].revents) {
				close(fds[i].fd);
				fds[i].fd = -1;
			}
	}
	for (size_t i = 0; i < live; i++) {
		if (fds[i].fd < 0)
			continue;
		syscall(SYS_pidfd_send_signal, fds[i].fd, SIGKILL, NULL, 0);
		close(fds[i].fd);
	}
	for (size_t i = 0; i < n; i++) /* what they left in their groups */
		if (recs[i].verified)
			kill(-recs[i].pid, SIGKILL);
	free(fds);
	return (int)live;
}

int procrec_start(const char *path)
{
	rec_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (rec_fd < 0) {
		log_msg(LOG_ERR, "cannot open the process record %s: %s (a restart after a crash may then leave a job "
			"running twice)", path, strerror(errno));
		return 0;
	}
	off_t size = lseek(rec_fd, 0, SEEK_END);
	size_t n = size > 0 ? (size_t)size / sizeof(struct record) : 0;
	struct record *recs = calloc(n ? n : 1, sizeof(*recs));
	if (!recs)
		abort();
	ssize_t got = n ? pread(rec_fd, recs, n * sizeof(*recs), 0) : 0;
	int count = got > 0 ? stop_leftovers(recs, (size_t)got / sizeof(*recs)) : 0;
	free(recs);
	if (ftruncate(rec_fd, 0) < 0)
		log_msg(LOG_ERR, "cannot empty the process record %s: %s", path, strerror(errno));
	return count;
}

int procrec_add(pid_t pid, const char *domain, const char *label)
{
	if (rec_fd < 0)
		return -1;
	int slot = nfree ? free_slots[--nfree] : next_slot++;
	struct record r = {.pid = pid, .starttime = starttime_of(pid)};
	snprintf(r.domain, sizeof(r.domain), "%s", domain);
	snprintf(r.label, sizeof(r.label), "%s", label);
	if (pwrite(rec_fd, &r, sizeof(r), (off_t)slot * (off_t)sizeof(r)) != (ssize_t)sizeof(r)) {
		procrec_remove(slot);
		return -1;
	}
	return slot;
}

void procrec_remove(int slot)
{
	if (slot < 0 || rec_fd < 0)
		return;
	static const struct record empty;
	if (pwrite(rec_fd, &empty, sizeof(empty), (off_t)slot * (off_t)sizeof(empty)) < 0) {
		/* a stale record is harmless: its start time will not match a later process */
	}
	if (nfree == cap_free) {
		cap_free = cap_free ? cap_free * 2 : 64;
		free_slots = realloc(free_slots, cap_free * sizeof(*free_slots));
		if (!free_slots)
			abort();
	}
	free_slots[nfree++] = slot;
}

const char *procrec_note(const char *domain, const char *label)
{
	for (struct stopped *s = stopped; s; s = s->next)
		if (strcmp(s->domain, domain) == 0 && strncmp(s->label, label, LABEL_MAX - 1) == 0)
			return s->note;
	return NULL;
}
