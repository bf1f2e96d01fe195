/*
 * StartCalendarInterval: the next local wall-clock time an entry matches,
 * as a pure function of the entries and a point in time (the time zone is
 * the process's, TZ or /etc/localtime). launchd.plist(5) semantics: missing
 * fields are wildcards; Weekday 0 and 7 are Sunday; when both Day and
 * Weekday are given, either matching is enough (cron's rule).
 *
 * DST (documented in launchd.plist(5)): a wall time that does not exist
 * because clocks spring forward fires once, at the first instant after the
 * gap; a wall time that happens twice because clocks fall back fires once,
 * at its first occurrence. Each wall-clock minute fires at most once.
 */
#ifndef GANTRY_CALENDAR_H
#define GANTRY_CALENDAR_H

#include <stddef.h>
#include <time.h>

#define CAL_ANY (-1)

struct cal_entry {
	int minute, hour, day, weekday, month; /* CAL_ANY or the value; weekday 0-6, Sunday 0 */
};

/*
 * The first time strictly after `after` whose local wall-clock minute matches
 * an entry and comes after the wall-clock minute of `after`; (time_t)-1 if
 * none does within the next eight years (an entry such as Feb 30).
 */
time_t cal_next(const struct cal_entry *entries, size_t n, time_t after);

#endif
