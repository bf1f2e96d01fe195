/*
 * Error tables: launchd's 107–159 texts (as launchctl error prints them),
 * sysexits(3), signal names. See errors.h.
 */
#define _GNU_SOURCE
#include <errno.h>
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

/*
 * launchd's codes 1–106 are Darwin's errno numbers (launchctl error 78 is
 * ENOSYS there, and 37 is EALREADY): Gantry reports and decodes codes in
 * that numbering, translating Linux errno values by name (darwin_errno()).
 */
static const struct {
	const char *name, *text;
} darwin_errnos[] = {
	{"EPERM", "Operation not permitted"}, /* 1 */
	{"ENOENT", "No such file or directory"}, /* 2 */
	{"ESRCH", "No such process"}, /* 3 */
	{"EINTR", "Interrupted system call"}, /* 4 */
	{"EIO", "Input/output error"}, /* 5 */
	{"ENXIO", "Device not configured"}, /* 6 */
	{"E2BIG", "Argument list too long"}, /* 7 */
	{"ENOEXEC", "Exec format error"}, /* 8 */
	{"EBADF", "Bad file descriptor"}, /* 9 */
	{"ECHILD", "No child processes"}, /* 10 */
	{"EDEADLK", "Resource deadlock avoided"}, /* 11 */
	{"ENOMEM", "Cannot allocate memory"}, /* 12 */
	{"EACCES", "Permission denied"}, /* 13 */
	{"EFAULT", "Bad address"}, /* 14 */
	{"ENOTBLK", "Block device required"}, /* 15 */
	{"EBUSY", "Resource busy"}, /* 16 */
	{"EEXIST", "File exists"}, /* 17 */
	{"EXDEV", "Cross-device link"}, /* 18 */
	{"ENODEV", "Operation not supported by device"}, /* 19 */
	{"ENOTDIR", "Not a directory"}, /* 20 */
	{"EISDIR", "Is a directory"}, /* 21 */
	{"EINVAL", "Invalid argument"}, /* 22 */
	{"ENFILE", "Too many open files in system"}, /* 23 */
	{"EMFILE", "Too many open files"}, /* 24 */
	{"ENOTTY", "Inappropriate ioctl for device"}, /* 25 */
	{"ETXTBSY", "Text file busy"}, /* 26 */
	{"EFBIG", "File too large"}, /* 27 */
	{"ENOSPC", "No space left on device"}, /* 28 */
	{"ESPIPE", "Illegal seek"}, /* 29 */
	{"EROFS", "Read-only file system"}, /* 30 */
	{"EMLINK", "Too many links"}, /* 31 */
	{"EPIPE", "Broken pipe"}, /* 32 */
	{"EDOM", "Numerical argument out of domain"}, /* 33 */
	{"ERANGE", "Result too large"}, /* 34 */
	{"EAGAIN", "Resource temporarily unavailable"}, /* 35 */
	{"EINPROGRESS", "Operation now in progress"}, /* 36 */
	{"EALREADY", "Operation already in progress"}, /* 37 */
	{"ENOTSOCK", "Socket operation on non-socket"}, /* 38 */
	{"EDESTADDRREQ", "Destination address required"}, /* 39 */
	{"EMSGSIZE", "Message too long"}, /* 40 */
	{"EPROTOTYPE", "Protocol wrong type for socket"}, /* 41 */
	{"ENOPROTOOPT", "Protocol not available"}, /* 42 */
	{"EPROTONOSUPPORT", "Protocol not supported"}, /* 43 */
	{"ESOCKTNOSUPPORT", "Socket type not supported"}, /* 44 */
	{"ENOTSUP", "Operation not supported"}, /* 45 */
	{"EPFNOSUPPORT", "Protocol family not supported"}, /* 46 */
	{"EAFNOSUPPORT", "Address family not supported by protocol family"}, /* 47 */
	{"EADDRINUSE", "Address already in use"}, /* 48 */
	{"EADDRNOTAVAIL", "Can't assign requested address"}, /* 49 */
	{"ENETDOWN", "Network is down"}, /* 50 */
	{"ENETUNREACH", "Network is unreachable"}, /* 51 */
	{"ENETRESET", "Network dropped connection on reset"}, /* 52 */
	{"ECONNABORTED", "Software caused connection abort"}, /* 53 */
	{"ECONNRESET", "Connection reset by peer"}, /* 54 */
	{"ENOBUFS", "No buffer space available"}, /* 55 */
	{"EISCONN", "Socket is already connected"}, /* 56 */
	{"ENOTCONN", "Socket is not connected"}, /* 57 */
	{"ESHUTDOWN", "Can't send after socket shutdown"}, /* 58 */
	{"ETOOMANYREFS", "Too many references: can't splice"}, /* 59 */
	{"ETIMEDOUT", "Operation timed out"}, /* 60 */
	{"ECONNREFUSED", "Connection refused"}, /* 61 */
	{"ELOOP", "Too many levels of symbolic links"}, /* 62 */
	{"ENAMETOOLONG", "File name too long"}, /* 63 */
	{"EHOSTDOWN", "Host is down"}, /* 64 */
	{"EHOSTUNREACH", "No route to host"}, /* 65 */
	{"ENOTEMPTY", "Directory not empty"}, /* 66 */
	{"EPROCLIM", "Too many processes"}, /* 67 */
	{"EUSERS", "Too many users"}, /* 68 */
	{"EDQUOT", "Disc quota exceeded"}, /* 69 */
	{"ESTALE", "Stale NFS file handle"}, /* 70 */
	{"EREMOTE", "Too many levels of remote in path"}, /* 71 */
	{"EBADRPC", "RPC struct is bad"}, /* 72 */
	{"ERPCMISMATCH", "RPC version wrong"}, /* 73 */
	{"EPROGUNAVAIL", "RPC prog. not avail"}, /* 74 */
	{"EPROGMISMATCH", "Program version wrong"}, /* 75 */
	{"EPROCUNAVAIL", "Bad procedure for program"}, /* 76 */
	{"ENOLCK", "No locks available"}, /* 77 */
	{"ENOSYS", "Function not implemented"}, /* 78 */
	{"EFTYPE", "Inappropriate file type or format"}, /* 79 */
	{"EAUTH", "Authentication error"}, /* 80 */
	{"ENEEDAUTH", "Need authenticator"}, /* 81 */
	{"EPWROFF", "Device power is off"}, /* 82 */
	{"EDEVERR", "Device error"}, /* 83 */
	{"EOVERFLOW", "Value too large to be stored in data type"}, /* 84 */
	{"EBADEXEC", "Bad executable (or shared library)"}, /* 85 */
	{"EBADARCH", "Bad CPU type in executable"}, /* 86 */
	{"ESHLIBVERS", "Shared library version mismatch"}, /* 87 */
	{"EBADMACHO", "Malformed Mach-o file"}, /* 88 */
	{"ECANCELED", "Operation canceled"}, /* 89 */
	{"EIDRM", "Identifier removed"}, /* 90 */
	{"ENOMSG", "No message of desired type"}, /* 91 */
	{"EILSEQ", "Illegal byte sequence"}, /* 92 */
	{"ENOATTR", "Attribute not found"}, /* 93 */
	{"EBADMSG", "Bad message"}, /* 94 */
	{"EMULTIHOP", "EMULTIHOP (Reserved)"}, /* 95 */
	{"ENODATA", "No message available on STREAM"}, /* 96 */
	{"ENOLINK", "ENOLINK (Reserved)"}, /* 97 */
	{"ENOSR", "No STREAM resources"}, /* 98 */
	{"ENOSTR", "Not a STREAM"}, /* 99 */
	{"EPROTO", "Protocol error"}, /* 100 */
	{"ETIME", "STREAM ioctl timeout"}, /* 101 */
	{"EOPNOTSUPP", "Operation not supported on socket"}, /* 102 */
	{"ENOPOLICY", "Policy not found"}, /* 103 */
	{"ENOTRECOVERABLE", "State not recoverable"}, /* 104 */
	{"EOWNERDEAD", "Previous owner died"}, /* 105 */
	{"EQFULL", "Interface output queue is full"}, /* 106 */
};

#define DARWIN_ERRNO_MAX 106

int darwin_errno(int linux_errno)
{
	if (linux_errno <= 0 || linux_errno >= 107 + 200)
		return linux_errno;
	if (linux_errno == EWOULDBLOCK)
		return 35;
	if (linux_errno == ENOTSUP) /* Linux's one "Operation not supported" is Darwin's ENOTSUP, not its socket-only 102 */
		return 45;
	const char *name = strerrorname_np(linux_errno);
	if (name)
		for (int i = 0; i < DARWIN_ERRNO_MAX; i++)
			if (strcmp(darwin_errnos[i].name, name) == 0)
				return i + 1;
	return LE_UNKNOWN;
}

const char *darwin_errno_name(int code)
{
	return code >= 1 && code <= DARWIN_ERRNO_MAX ? darwin_errnos[code - 1].name : NULL;
}

const char *darwin_errno_string(int code)
{
	return code >= 1 && code <= DARWIN_ERRNO_MAX ? darwin_errnos[code - 1].text : NULL;
}

const char *launchd_error_string(int code)
{
	if (code < 107 || code > 159)
		return NULL;
	return launchd_texts[code - 107];
}

const char *gantry_strerror(int code)
{
	const char *s = launchd_error_string(code);
	if (!s)
		s = darwin_errno_string(code);
	return s ? s : "Unknown error";
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
