/*
 * Error tables: launchd's 107–159 texts (as launchctl error prints them),
 * sysexits(3), signal names. See errors.h.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"

static const char *const launchd_texts[] = {
	"Malformed bundle",                                   /* 107 */
	"Invalid path",                                       /* 108 */
	"Invalid property list",                              /* 109 */
	"Invalid or missing service identifier",              /* 110 */
	"Invalid or missing Program/ProgramArguments",        /* 111 */
	"Could not find specified domain",                    /* 112 */
	"Could not find specified service",                   /* 113 */
	"The specified username does not exist",              /* 114 */
	"The specified group does not exist",                 /* 115 */
	"Routine not yet implemented",                        /* 116 */
	"Usage error",                                        /* 117 */
	"Bad response from server",                           /* 118 */
	"Service is disabled",                                /* 119 */
	"Bad subsystem destination for request",              /* 120 */
	"Path not searched for services",                     /* 121 */
	"Path had bad ownership/permissions",                 /* 122 */
	"Path is whitelisted for domain",                     /* 123 */
	"Domain is tearing down",                             /* 124 */
	"Domain does not support specified action",           /* 125 */
	"Request type is no longer supported",                /* 126 */
	"The specified service did not ship with the operating system", /* 127 */
	"The specified path is not a bundle",                 /* 128 */
	"The service was superseded by a later version",      /* 129 */
	"The system encountered a condition where behavior was undefined", /* 130 */
	"Out of order requests",                              /* 131 */
	"Request for stale data",                             /* 132 */
	"Multiple errors were returned; see stderr",          /* 133 */
	"Service cannot load in requested session",           /* 134 */
	"Process is not managed",                             /* 135 */
	"Action not allowed on singleton service",            /* 136 */
	"Service does not support the specified action",      /* 137 */
	"Service cannot be loaded on this hardware",          /* 138 */
	"Service cannot presently execute",                   /* 139 */
	"Service name is reserved or invalid",                /* 140 */
	"Reentrancy avoided",                                 /* 141 */
	"Operation only supported on development",            /* 142 */
	"Requested entry was cached",                         /* 143 */
	"Requestor lacks required entitlement",               /* 144 */
	"Endpoint is hidden",                                 /* 145 */
	"Domain is in on-demand-only mode",                   /* 146 */
	"The specified service did not ship in the requestor's bundle", /* 147 */
	"The specified service path was not in the service cache", /* 148 */
	"Could not find a bundle of the given identifier through LaunchServices", /* 149 */
	"Operation not permitted while System Integrity Protection is engaged", /* 150 */
	"A complete hack",                                    /* 151 */
	"Service cannot load in current boot environment",    /* 152 */
	"Completely unexpected error",                        /* 153 */
	"Requestor is not a platform binary",                 /* 154 */
	"Refusing to execute/trust quarantined program/file", /* 155 */
	"Domain creation with that UID is not allowed anymore", /* 156 */
	"System service is not in system service whitelist",  /* 157 */
	"Service cannot be loaded on current os variant",     /* 158 */
	"Unknown error",                                      /* 159 */
};

const char *launchd_error_string(int code)
{
	if (code < 107 || code > 159)
		return NULL;
	return launchd_texts[code - 107];
}

const char *gantry_strerror(int code)
{
	const char *s = launchd_error_string(code);
	return s ? s : strerror(code);
}

static const struct {
	int code;
	const char *name, *meaning;
} sysexits[] = {
	{64, "EX_USAGE", "command line usage error"},
	{65, "EX_DATAERR", "data format error"},
	{66, "EX_NOINPUT", "cannot open input"},
	{67, "EX_NOUSER", "addressee unknown"},
	{68, "EX_NOHOST", "host name unknown"},
	{69, "EX_UNAVAILABLE", "service unavailable"},
	{70, "EX_SOFTWARE", "internal software error"},
	{71, "EX_OSERR", "system error (e.g., can't fork)"},
	{72, "EX_OSFILE", "critical OS file missing"},
	{73, "EX_CANTCREAT", "can't create (user) output file"},
	{74, "EX_IOERR", "input/output error"},
	{75, "EX_TEMPFAIL", "temp failure; user is invited to retry"},
	{76, "EX_PROTOCOL", "remote error in protocol"},
	{77, "EX_NOPERM", "permission denied"},
	{78, "EX_CONFIG", "configuration error"},
};

const char *sysexits_name(int code)
{
	for (size_t i = 0; i < sizeof(sysexits) / sizeof(sysexits[0]); i++)
		if (sysexits[i].code == code)
			return sysexits[i].name;
	return NULL;
}

const char *sysexits_meaning(int code)
{
	for (size_t i = 0; i < sizeof(sysexits) / sizeof(sysexits[0]); i++)
		if (sysexits[i].code == code)
			return sysexits[i].meaning;
	return NULL;
}

const char *signal_abbrev(int sig)
{
	const char *s = sigabbrev_np(sig);
	static __thread char buf[16];
	if (!s)
		return NULL;
	snprintf(buf, sizeof(buf), "SIG%s", s);
	return buf;
}

const char *signal_description(int sig)
{
	return sigdescr_np(sig);
}

const char *errno_name(int code)
{
	return strerrorname_np(code);
}

void describe_exit_status(long status, char *buf, size_t len)
{
	if (status < 0) {
		const char *d = signal_description((int)-status);
		snprintf(buf, len, "%ld: %s", status, d ? d : "Unknown signal");
	} else if (sysexits_name((int)status)) {
		snprintf(buf, len, "%ld: %s", status, sysexits_name((int)status));
	} else {
		snprintf(buf, len, "%ld", status);
	}
}
