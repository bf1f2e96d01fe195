/*
 * The next-fire computation of StartCalendarInterval (see calendar.h). It
 * walks calendar days forward from the day of `after`, and in each day the
 * matching hours and minutes in order, converting each wall-clock candidate
 * with mktime(); the first that lies after `after` (in wall-clock and in
 * absolute terms) wins. A day costs at most 24 * 60 candidate checks, and
 * only on days whose date matches, so a search is cheap even for yearly
 * entries.
 */
#include <stdbool.h>
#include <string.h>

#include "calendar.h"

/* Leap-day entries need up to eight years to find their next Feb 29 (2096 -> 2104). */
#define SEARCH_DAYS (366 * 8 + 2)

static int days_in_month(int year, int month0)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return month0 == 1 && leap ? 29 : days[month0];
}

static bool field(int want, int have)
{
	return want == CAL_ANY || want == have;
}

/* Does the calendar day (year, month0, mday, wday) match e? */
static bool day_matches(const struct cal_entry *e, int month0, int mday, int wday)
{
	if (!field(e->month, month0 + 1))
		return false;
	if (e->day != CAL_ANY && e->weekday != CAL_ANY)
		return e->day == mday || e->weekday % 7 == wday;
	return field(e->day, mday) && (e->weekday == CAL_ANY || e->weekday % 7 == wday);
}

/* Wall-clock minutes since an arbitrary origin, for "later on the wall clock" comparisons. */
static long long wall_minutes(int year, int yday, int hour, int minute)
{
	return (((long long)year * 400 + yday) * 24 + hour) * 60 + minute;
}

static long long tm_wall(const struct tm *t)
{
	return wall_minutes(t->tm_year + 1900, t->tm_yday, t->tm_hour, t->tm_min);
}

/*
 * The absolute time of a wall-clock minute (want: the same minute in
 * wall_minutes terms): its earlier occurrence if clocks fall back through
 * it, and the end of the gap if clocks spring forward over it.
 */
static time_t wall_to_time(int year, int month0, int mday, int hour, int minute, long long want)
{
	time_t found = (time_t)-1, lo = (time_t)-1, hi = (time_t)-1;
	for (int dst = 0; dst <= 1; dst++) {
		struct tm tm = {.tm_year = year - 1900, .tm_mon = month0, .tm_mday = mday, .tm_hour = hour,
			.tm_min = minute, .tm_isdst = dst}, back;
		time_t t = mktime(&tm);
		if (t == (time_t)-1 || !localtime_r(&t, &back))
			continue;
		if (tm_wall(&back) == want && (found == (time_t)-1 || t < found))
			found = t;
		lo = lo == (time_t)-1 || t < lo ? t : lo;
		hi = hi == (time_t)-1 || t > hi ? t : hi;
	}
	if (found != (time_t)-1 || lo == (time_t)-1)
		return found;
	for (time_t t = lo - lo % 60; t < hi; t += 60) { /* in a gap: find where it ends (at most its length) */
		struct tm back;
		if (localtime_r(&t, &back) && tm_wall(&back) >= want)
			return t;
	}
	return hi;
}

/* The first matching minute of the day that is later than both limits, or -1. */
static time_t first_in_day(const struct cal_entry *e, int year, int month0, int mday, long long after_wall, time_t after)
{
	struct tm day = {.tm_year = year - 1900, .tm_mon = month0, .tm_mday = mday, .tm_hour = 12, .tm_isdst = -1};
	mktime(&day); /* fills tm_yday */
	for (int h = e->hour == CAL_ANY ? 0 : e->hour; h < 24 && (e->hour == CAL_ANY || h == e->hour); h++)
		for (int m = e->minute == CAL_ANY ? 0 : e->minute; m < 60 && (e->minute == CAL_ANY || m == e->minute); m++) {
			if (wall_minutes(year, day.tm_yday, h, m) <= after_wall)
				continue;
			time_t t = wall_to_time(year, month0, mday, h, m, wall_minutes(year, day.tm_yday, h, m));
			if (t > after)
				return t;
		}
	return (time_t)-1;
}

time_t cal_next(const struct cal_entry *entries, size_t n, time_t after)
{
	struct tm now;
	localtime_r(&after, &now);
	long long after_wall = wall_minutes(now.tm_year + 1900, now.tm_yday, now.tm_hour, now.tm_min);
	int year = now.tm_year + 1900, month0 = now.tm_mon, mday = now.tm_mday, wday = now.tm_wday;
	for (int i = 0; i < SEARCH_DAYS; i++) {
		time_t best = (time_t)-1;
		for (size_t k = 0; k < n; k++) {
			if (!day_matches(&entries[k], month0, mday, wday))
				continue;
			time_t t = first_in_day(&entries[k], year, month0, mday, after_wall, after);
			if (t != (time_t)-1 && (best == (time_t)-1 || t < best))
				best = t;
		}
		if (best != (time_t)-1)
			return best;
		wday = (wday + 1) % 7;
		if (++mday > days_in_month(year, month0)) {
			mday = 1;
			if (++month0 == 12) {
				month0 = 0;
				year++;
			}
		}
	}
	return (time_t)-1;
}
