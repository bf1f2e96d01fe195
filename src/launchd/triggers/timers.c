/* The timer triggers of jobs (see timers.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "domain.h"
#include "job.h"
#include "log.h"
#include "pathwatch.h"
#include "protocol.h"
#include "timers.h"
#include "oom.h"

/* A calendar fire this much later than due was missed (suspend, clock set forward): a catch-up. */
#define CATCHUP_LATE_S 60
/* Catch-up starts are spread over this window (by a hash of the label) so a thousand jobs do not stampede. */
#define CATCHUP_SPREAD_MS 2000

/* The local time zone; replacing it is noticed through the path watcher. */
#define ZONE_FILE "/etc/localtime"

static int64_t clock_offset; /* --test-clock only */
static struct stat zone_seen;
static size_t calendar_jobs; /* the time zone is watched while there are any */
static void on_zone_changed(const char *path, void *ctx);

time_t timers_now(void)
{
	return time(NULL) + (time_t)clock_offset;
}

static void fire(struct job_timers *t, enum start_reason why)
{
	struct job *j = t->job;
	if (j->rt.state == JS_REMOVED)
		return;
	t->last_fire = timers_now();
	t->last_reason = why;
	if (!job_trigger(j, why)) {
		t->skipped++;
		log_msg(LOG_DEBUG, "(%s/%s) %s fire skipped: the job is %s", j->domain->name, j->spec->label,
			fsm_reason_name(why), fsm_state_name(&j->rt));
	}
}

static void on_interval(struct watch *w, uint32_t events)
{
	(void)events;
	struct job_timers *t = container_of(w, struct job_timers, interval);
	uint64_t n = 0;
	if (read(w->fd, &n, sizeof(n)) != sizeof(n) || n == 0)
		return;
	t->coalesced += n - 1; /* periods that passed while suspended start the job once */
	fire(t, SR_INTERVAL);
}

static void on_catchup(struct timer *tm)
{
	fire(container_of(tm, struct job_timers, catchup), SR_CATCHUP);
}

static uint32_t label_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

/* Arms the calendar timer for the next fire after now (and after anything already acted on). */
static void arm_calendar(struct job_timers *t)
{
	const struct job_spec *s = t->job->spec;
	time_t now = timers_now(), from = now > t->last_wall ? now : t->last_wall;
	tzset(); /* a changed /etc/localtime or TZ is honoured */
	t->next_fire = cal_next(s->calendar, s->ncalendar, from);
	struct itimerspec its = {0};
	if (t->next_fire != (time_t)-1)
		its.it_value.tv_sec = t->next_fire - (time_t)clock_offset;
	if (timerfd_settime(t->calendar.fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL) < 0)
		log_msg(LOG_ERR, "(%s/%s) cannot arm StartCalendarInterval: %s", t->job->domain->name, s->label,
			strerror(errno));
}

/* Due, or the clock was set: start what became due (once), then look ahead again. */
static void calendar_check(struct job_timers *t)
{
	time_t now = timers_now();
	if (t->next_fire != (time_t)-1 && t->next_fire <= now) {
		t->last_wall = t->next_fire > t->last_wall ? t->next_fire : t->last_wall;
		if (now - t->next_fire > CATCHUP_LATE_S)
			timer_arm_in(&t->catchup, label_hash(t->job->spec->label) % CATCHUP_SPREAD_MS);
		else
			fire(t, SR_CALENDAR);
		t->last_wall = now > t->last_wall ? now : t->last_wall; /* everything up to now is dealt with */
	}
	arm_calendar(t);
}

static void on_calendar(struct watch *w, uint32_t events)
{
	(void)events;
	uint64_t n;
	if (read(w->fd, &n, sizeof(n)) < 0 && errno != ECANCELED && errno != EAGAIN)
		log_msg(LOG_WARNING, "StartCalendarInterval timer: %s", strerror(errno));
	calendar_check(container_of(w, struct job_timers, calendar));
}

static int timer_watch(struct watch *w, int clock, watch_cb cb)
{
	int fd = timerfd_create(clock, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0)
		return errno;
	if (loop_watch(w, fd, EPOLLIN, cb)) {
		int err = errno;
		close(fd);
		return err;
	}
	return 0;
}

static void arm(struct job *j, void *held)
{
	(void)held;
	const struct job_spec *s = j->spec;
	if (!s->start_interval && !s->ncalendar)
		return;
	struct job_timers *t = calloc(1, sizeof(*t));
	if (!t)
		gantry_oom();
	t->job = j;
	t->interval.fd = t->calendar.fd = -1;
	t->next_fire = (time_t)-1;
	t->last_wall = timers_now();
	timer_init(&t->catchup, on_catchup);
	j->timers = t;
	int err = 0;
	if (s->start_interval && !(err = timer_watch(&t->interval, CLOCK_BOOTTIME, on_interval))) {
		struct itimerspec its = {.it_value = {s->start_interval, 0}, .it_interval = {s->start_interval, 0}};
		timerfd_settime(t->interval.fd, 0, &its, NULL);
	}
	if (!err && s->ncalendar && !(err = timer_watch(&t->calendar, CLOCK_REALTIME, on_calendar))) {
		if (!zone_seen.st_ino)
			stat(ZONE_FILE, &zone_seen);
		if (calendar_jobs++ == 0)
			pathwatch_add(ZONE_FILE, on_zone_changed, NULL);
		arm_calendar(t);
	}
	if (err)
		log_msg(LOG_ERR, "(%s/%s) cannot arm its timers: %s", j->domain->name, s->label, strerror(err));
}

static void close_watch(struct watch *w)
{
	if (w->fd >= 0) {
		int fd = w->fd;
		loop_unwatch(w);
		close(fd);
	}
}

static void disarm(struct job *j)
{
	struct job_timers *t = j->timers;
	if (!t)
		return;
	close_watch(&t->interval);
	if (t->calendar.fd >= 0 && --calendar_jobs == 0)
		pathwatch_remove(ZONE_FILE, on_zone_changed, NULL);
	close_watch(&t->calendar);
	timer_cancel(&t->catchup);
	free(t);
	j->timers = NULL;
}

/* Every job's calendar timer, as if the kernel had said the clock was set. */
static void each_calendar(void (*fn)(struct job_timers *t))
{
	for (struct domain *d = g_launchd.domains; d; d = d->next)
		for (struct job *j = d->jobs; j; j = j->next)
			if (j->timers && j->timers->calendar.fd >= 0)
				fn(j->timers);
}

void timers_set_clock_offset(int64_t offset)
{
	clock_offset = offset;
	log_msg(LOG_INFO, "test clock: wall clock moved to offset %+lld s", (long long)offset);
	each_calendar(calendar_check);
}

/* /etc/localtime was replaced or changed: every calendar timer is computed again in the new zone. */
static void on_zone_changed(const char *path, void *ctx)
{
	(void)path, (void)ctx;
	if (!zone_seen.st_ino)
		return;
	struct stat st = {0};
	stat(ZONE_FILE, &st);
	if (st.st_dev == zone_seen.st_dev && st.st_ino == zone_seen.st_ino &&
	    st.st_mtim.tv_sec == zone_seen.st_mtim.tv_sec && st.st_mtim.tv_nsec == zone_seen.st_mtim.tv_nsec &&
	    st.st_ctim.tv_sec == zone_seen.st_ctim.tv_sec && st.st_ctim.tv_nsec == zone_seen.st_ctim.tv_nsec)
		return;
	zone_seen = st;
	log_msg(LOG_INFO, "the local time zone changed (%s); recomputing calendar timers", ZONE_FILE);
	each_calendar(arm_calendar);
}

static void set_time(xpc_object_t d, const char *key, time_t t)
{
	char buf[64];
	struct tm tm;
	if (t <= 0 || t == (time_t)-1 || !localtime_r(&t, &tm))
		return;
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %Z", &tm);
	xpc_dictionary_set_string(d, key, buf);
	char epoch[32];
	snprintf(epoch, sizeof(epoch), "%s_epoch", key);
	xpc_dictionary_set_int64(d, epoch, (int64_t)t);
}

static void describe(const struct job *j, xpc_object_t d)
{
	const struct job_timers *t = j->timers;
	if (!t)
		return;
	xpc_object_t o = xpc_dictionary_create_empty();
	if (j->spec->start_interval)
		xpc_dictionary_set_int64(o, KEY_START_INTERVAL, j->spec->start_interval);
	if (j->spec->ncalendar)
		xpc_dictionary_set_int64(o, KEY_CALENDAR_ENTRIES, (int64_t)j->spec->ncalendar);
	set_time(o, KEY_NEXT_FIRE, t->next_fire);
	set_time(o, KEY_LAST_FIRE, t->last_fire);
	if (t->last_fire)
		xpc_dictionary_set_string(o, KEY_LAST_FIRE_REASON, fsm_reason_name(t->last_reason));
	xpc_dictionary_set_int64(o, KEY_SKIPPED_WHILE_RUNNING, (int64_t)t->skipped);
	xpc_dictionary_set_int64(o, KEY_COALESCED_WHILE_ASLEEP, (int64_t)t->coalesced);
	xpc_dictionary_set_value(d, KEY_TIMERS, o);
	xpc_release(o);
}

const struct trigger_kind timers_trigger = {.name = "timers", .arm = arm, .disarm = disarm, .describe = describe};
