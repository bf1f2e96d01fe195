/*
 * Unit tests of the StartCalendarInterval next-fire function (src/jobspec/calendar.c):
 * wildcards, month ends, leap days, Day/Weekday combinations, Sunday as 0 and 7,
 * several entries, year wrap, and both DST transitions in several time zones.
 * Each vector gives the zone, the entry, the starting local time and the
 * expected next fire as local time with its zone abbreviation.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"

#define X CAL_ANY

struct vector {
	const char *tz;
	struct cal_entry e[2];
	size_t n;
	const char *after;  /* local "YYYY-MM-DD HH:MM:SS", first occurrence if ambiguous */
	const char *expect; /* local "YYYY-MM-DD HH:MM ZONE", or NULL for none */
};

static const struct vector vectors[] = {
	/* every field a wildcard: the next minute */
	{"UTC", {{X, X, X, X, X}}, 1, "2026-01-01 10:00:30", "2026-01-01 10:01 UTC"},
	{"UTC", {{X, X, X, X, X}}, 1, "2026-12-31 23:59:00", "2027-01-01 00:00 UTC"},
	/* daily */
	{"UTC", {{0, 9, X, X, X}}, 1, "2026-05-10 08:59:59", "2026-05-10 09:00 UTC"},
	{"UTC", {{0, 9, X, X, X}}, 1, "2026-05-10 09:00:00", "2026-05-11 09:00 UTC"},
	/* month ends: the 31st skips the months without one */
	{"UTC", {{0, 0, 31, X, X}}, 1, "2026-01-31 00:00:00", "2026-03-31 00:00 UTC"},
	{"Europe/Berlin", {{59, 23, 31, X, X}}, 1, "2026-04-01 00:00:00", "2026-05-31 23:59 CEST"},
	/* leap days, and 2100 is not a leap year */
	{"UTC", {{0, 0, 29, X, 2}}, 1, "2026-03-01 00:00:00", "2028-02-29 00:00 UTC"},
	{"UTC", {{0, 0, 29, X, 2}}, 1, "2096-03-01 00:00:00", "2104-02-29 00:00 UTC"},
	{"UTC", {{0, 0, 30, X, 2}}, 1, "2026-01-01 00:00:00", NULL},
	/* Weekday: 0 and 7 are Sunday (2026-11-27 is a Friday) */
	{"UTC", {{0, 8, X, 7, X}}, 1, "2026-11-27 12:00:00", "2026-11-29 08:00 UTC"},
	{"UTC", {{0, 8, X, 0, X}}, 1, "2026-11-27 12:00:00", "2026-11-29 08:00 UTC"},
	/* Day and Weekday both given: either matches */
	{"UTC", {{0, 0, 1, 1, X}}, 1, "2026-11-27 00:00:00", "2026-11-30 00:00 UTC"},
	{"UTC", {{0, 0, 1, 1, X}}, 1, "2026-11-30 00:00:00", "2026-12-01 00:00 UTC"},
	/* Weekday within a month */
	{"UTC", {{0, 0, X, 1, 2}}, 1, "2026-11-27 00:00:00", "2027-02-01 00:00 UTC"},
	/* only the month: every minute of it */
	{"UTC", {{X, X, X, X, 12}}, 1, "2026-11-27 00:00:00", "2026-12-01 00:00 UTC"},
	/* hourly */
	{"UTC", {{15, X, X, X, X}}, 1, "2026-06-01 10:15:00", "2026-06-01 11:15 UTC"},
	/* several entries: the earliest wins */
	{"UTC", {{0, 6, X, X, X}, {30, 18, X, X, X}}, 2, "2026-06-01 07:00:00", "2026-06-01 18:30 UTC"},
	{"UTC", {{0, 6, X, X, X}, {30, 18, X, X, X}}, 2, "2026-06-01 18:30:00", "2026-06-02 06:00 UTC"},
	/* year wrap */
	{"UTC", {{0, 0, 1, X, 1}}, 1, "2026-12-31 23:59:00", "2027-01-01 00:00 UTC"},
	/* spring forward (New York, 2026-03-08 02:00 EST -> 03:00 EDT): a time in the gap fires once, as the gap ends */
	{"America/New_York", {{30, 2, X, X, X}}, 1, "2026-03-08 00:00:00", "2026-03-08 03:00 EDT"},
	{"America/New_York", {{30, 2, X, X, X}}, 1, "2026-03-08 03:00:00", "2026-03-09 02:30 EDT"},
	{"America/New_York", {{X, X, X, X, X}}, 1, "2026-03-08 01:59:00", "2026-03-08 03:00 EDT"},
	{"America/New_York", {{X, X, X, X, X}}, 1, "2026-03-08 03:00:00", "2026-03-08 03:01 EDT"},
	/* fall back (2026-11-01 02:00 EDT -> 01:00 EST): a repeated time fires once, at its first occurrence */
	{"America/New_York", {{30, 1, X, X, X}}, 1, "2026-11-01 00:00:00", "2026-11-01 01:30 EDT"},
	{"America/New_York", {{30, 1, X, X, X}}, 1, "2026-11-01 01:30:00", "2026-11-02 01:30 EST"},
	{"America/New_York", {{0, X, X, X, X}}, 1, "2026-11-01 01:00:00", "2026-11-01 02:00 EST"},
	/* Europe: 2026-03-29 02:00 CET -> 03:00 CEST, 2026-10-25 03:00 CEST -> 02:00 CET */
	{"Europe/Berlin", {{0, 2, X, X, X}}, 1, "2026-03-28 12:00:00", "2026-03-29 03:00 CEST"},
	{"Europe/Berlin", {{30, 2, X, X, X}}, 1, "2026-10-25 00:00:00", "2026-10-25 02:30 CEST"},
	{"Europe/Berlin", {{30, 2, X, X, X}}, 1, "2026-10-25 02:30:00", "2026-10-26 02:30 CET"},
	/* a half-hour shift (Lord Howe, 2026-10-04 02:00 -> 02:30) */
	{"Australia/Lord_Howe", {{15, 2, X, X, X}}, 1, "2026-10-04 00:00:00", "2026-10-04 02:30 +11"},
};

static void set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static time_t local(const char *text)
{
	struct tm tm = {0};
	assert_non_null(strptime(text, "%Y-%m-%d %H:%M:%S", &tm));
	tm.tm_isdst = -1;
	return mktime(&tm);
}

static void test_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		set_tz(v->tz);
		time_t got = cal_next(v->e, v->n, local(v->after));
		char text[64] = "none";
		if (got != (time_t)-1) {
			struct tm tm;
			localtime_r(&got, &tm);
			strftime(text, sizeof(text), "%Y-%m-%d %H:%M %Z", &tm);
		}
		if (strcmp(text, v->expect ? v->expect : "none") != 0)
			fail_msg("vector %zu (%s, after %s): got %s, expected %s", i, v->tz, v->after, text,
				v->expect ? v->expect : "none");
	}
}

/* A run of fires through a whole year: strictly increasing, each wall-clock minute at most once. */
static void test_a_year_of_hourly_fires_in_new_york(void **state)
{
	(void)state;
	set_tz("America/New_York");
	struct cal_entry hourly = {0, X, X, X, X};
	time_t t = local("2026-01-01 00:00:00");
	int fires = 0;
	for (;;) {
		time_t next = cal_next(&hourly, 1, t);
		assert_true(next > t);
		t = next;
		struct tm tm;
		localtime_r(&t, &tm);
		if (tm.tm_year != 126)
			break;
		assert_int_equal(tm.tm_min, 0);
		fires++;
	}
	/*
	 * 8760 wall-clock hours in 2026, less 00:00 on Jan 1 (not after the start), less one for March 8, whose
	 * 02:00 does not exist and fires as 03:00 (which then does not fire again); November's repeated 01:00
	 * fires once, so it costs nothing.
	 */
	assert_int_equal(fires, 8760 - 1 - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_a_year_of_hourly_fires_in_new_york),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
