/*
 * Error codes and their text: errno (1–106), launchd's own codes (107–159),
 * sysexits (for job exit statuses) and signal names. Shared by launchd and
 * launchctl so that both say the same thing about the same number.
 */
#ifndef GANTRY_ERRORS_H
#define GANTRY_ERRORS_H

#include <stdbool.h>
#include <stddef.h>

enum launchd_error {
	LE_MALFORMED_BUNDLE = 107,
	LE_INVALID_PATH = 108,
	LE_INVALID_PLIST = 109,
	LE_INVALID_LABEL = 110,
	LE_INVALID_PROGRAM = 111,
	LE_NO_DOMAIN = 112,
	LE_NO_SERVICE = 113,
	LE_NO_USER = 114,
	LE_NO_GROUP = 115,
	LE_NOT_IMPLEMENTED = 116,
	LE_USAGE = 117,
	LE_BAD_RESPONSE = 118,
	LE_DISABLED = 119,
	LE_PATH_NOT_SEARCHED = 121,
	LE_BAD_PERMISSIONS = 122,
	LE_DOMAIN_TEARDOWN = 124,
	LE_DOMAIN_UNSUPPORTED = 125,
	LE_MULTIPLE = 133,
	LE_WRONG_SESSION = 134,
	LE_NOT_MANAGED = 135,
	LE_ACTION_UNSUPPORTED = 137,
	LE_CANNOT_EXECUTE = 139,
	LE_ENDPOINT_HIDDEN = 145,
	LE_UNEXPECTED = 153,
	LE_UNKNOWN = 159,
};

/* The Darwin number (launchd's code) for a Linux errno value. */
int darwin_errno(int linux_errno);
/* "EALREADY" / "Operation already in progress" for Darwin errno 37; NULL outside 1–106. */
const char *darwin_errno_name(int code);
const char *darwin_errno_string(int code);
/* Text for launchd codes 107–159, or NULL outside that range. */
const char *launchd_error_string(int code);
/* One line for any code in launchd's numbering (Darwin errno or 107–159). */
const char *gantry_strerror(int code);
/* "EX_CONFIG" for 78, NULL if code is not a sysexits value. */
const char *sysexits_name(int code);
const char *sysexits_meaning(int code);
/* "SIGKILL" / "Killed" for 9; NULL for unknown signals. */
const char *signal_abbrev(int sig);
const char *signal_description(int sig);
/*
 * Renders a job's last exit status as launchd's print does: "0", "78: EX_CONFIG",
 * "-9: Killed". Status is the exit code, or minus the signal number.
 */
void describe_exit_status(long status, char *buf, size_t len);

#endif
