/* The error value of launchd operations (see launchd.h). */
#include <stdarg.h>
#include <stdio.h>

#include "launchd.h"

int gerror_set(struct gerror *e, int code, const char *fmt, ...)
{
	va_list ap;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
	return code;
}
