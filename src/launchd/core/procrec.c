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
#include "oom.h"

/* A predecessor's process that ignores SIGTERM gets SIGKILL after this long. */
#define LEFTOVER_TIMEOUT_S 5
/* procrec_write_child and what it calls run in spawn's vfork-style child, which ASan cannot follow. */
#define CHILD_CODE __attribute__((no_sanitize_address))

static int rec_fd = -1;
static int *free_slots; /* a stack of free slot numbers */
static size_t nfree, cap_free;
static int next_slot;

struct stopped {
	struct stopped *next;
	char domain[24];
	char label[PROCREC_LABEL_MAX];
	char note[128];
};
static struct stopped *stopped;

/* No stdio and no allocation: spawn's child reads its own (pid 0). */
CHILD_CODE uint64_t procrec_stat_field(pid_t pid, int field)
{
	char path[64] = "/proc/self/stat", buf[1024];
	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || field < 3)
		return 0;
	ssize_t i = n - 1; /* the command name may hold spaces and parentheses: fields start after the last ')' */
	while (i >= 0 && buf[i] != ')')
		i--;
	if (i < 0)
		return 0;
	for (int f = 2; f < field; f++) { /* to the start of field f + 1 */
		while (++i < n && buf[i] != ' ')
			;
		if (i >= n)
			return 0;
	}
	uint64_t value = 0;
	while (++i < n && buf[i] >= '0' && buf[i] <= '9')
		value = value * 10 + (uint64_t)(buf[i] - '0');
	return value;
}

static uint64_t starttime_of(pid_t pid)
{
	return procrec_stat_field(pid, 22);
}

static void remember_stopped(const struct procrec_record *r)
{
	struct stopped *s = calloc(1, sizeof(*s));
	if (!s)
		gantry_oom();
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
static int stop_leftovers(struct procrec_record *recs, size_t n)
{
	struct pollfd *fds = calloc(n ? n : 1, sizeof(*fds));
	if (!fds)
		gantry_oom();
	size_t live = 0;
	for (size_t i = 0; i < n; i++) {
		struct procrec_record *r = &recs[i];
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
	size_t n = size > 0 ? (size_t)size / sizeof(struct procrec_record) : 0;
	struct procrec_record *recs = calloc(n ? n : 1, sizeof(*recs));
	if (!recs)
		gantry_oom();
	ssize_t got = n ? pread(rec_fd, recs, n * sizeof(*recs), 0) : 0;
	int count = got > 0 ? stop_leftovers(recs, (size_t)got / sizeof(*recs)) : 0;
	free(recs);
	if (ftruncate(rec_fd, 0) < 0)
		log_msg(LOG_ERR, "cannot empty the process record %s: %s", path, strerror(errno));
	return count;
}

void procrec_prepare(struct procrec_ticket *t, const char *domain, const char *label)
{
	memset(t, 0, sizeof(*t));
	t->fd = rec_fd;
	t->slot = rec_fd < 0 ? -1 : nfree ? free_slots[--nfree] : next_slot++;
	snprintf(t->rec.domain, sizeof(t->rec.domain), "%s", domain);
	snprintf(t->rec.label, sizeof(t->rec.label), "%s", label);
}

CHILD_CODE void procrec_write_child(const struct procrec_ticket *t)
{
	if (t->slot < 0)
		return;
	struct procrec_record r = t->rec;
	r.pid = (int32_t)syscall(SYS_getpid);
	r.starttime = procrec_stat_field(0, 22);
	if (r.starttime) /* unreadable: unrecorded, as a record that matches nothing would be */
		(void)!pwrite(t->fd, &r, sizeof(r), (off_t)t->slot * (off_t)sizeof(r));
}

void procrec_remove(int slot)
{
	if (slot < 0 || rec_fd < 0)
		return;
	static const struct procrec_record empty;
	if (pwrite(rec_fd, &empty, sizeof(empty), (off_t)slot * (off_t)sizeof(empty)) < 0) {
		/* a stale record is harmless: its start time will not match a later process */
	}
	if (nfree == cap_free) {
		cap_free = cap_free ? cap_free * 2 : 64;
		free_slots = realloc(free_slots, cap_free * sizeof(*free_slots));
		if (!free_slots)
			gantry_oom();
	}
	free_slots[nfree++] = slot;
}

const char *procrec_note(const char *domain, const char *label)
{
	for (struct stopped *s = stopped; s; s = s->next)
		if (strcmp(s->domain, domain) == 0 && strncmp(s->label, label, PROCREC_LABEL_MAX - 1) == 0)
			return s->note;
	return NULL;
}
