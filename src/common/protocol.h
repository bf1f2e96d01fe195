/*
 * The control protocol between launchd and its clients — launchctl,
 * libxpc's lookup, check-in and identify, liblaunch, libServiceManagement:
 * every routine's name and every key of a request or a reply, spelled once.
 * A request is a dictionary with KEY_ROUTINE and the routine's keys; a
 * reply carries the routine's keys, or the one error shape below.
 */
#ifndef GANTRY_PROTOCOL_H
#define GANTRY_PROTOCOL_H

/*
 * The error of a failed request, the same in every reply: KEY_ERROR (the
 * code, never 0), KEY_ERROR_DOMAIN (how to read the code), KEY_ERROR_MESSAGE
 * (the code's text) and KEY_ERROR_DETAIL (the cause, naming what failed).
 */
#define ERROR_DOMAIN_LAUNCHD "launchd"           /* Darwin errno numbers 1-106, launchd's own 107-159 */
#define ERROR_DOMAIN_SM "ServiceManagement"      /* kSMError* (ServiceManagement.h) */
#define ERROR_DOMAIN_POSIX "POSIX"               /* a Linux errno, returned as it is (launch_activate_socket) */
#define ERROR_DOMAIN_LAUNCHCTL "launchctl"       /* launchctl's own: no launchd could be reached (never on the wire) */

/* Routines (KEY_ROUTINE): launchctl's verbs, libxpc's and liblaunch's, Service Management's. */
#define ROUTINE_ACTIVATE_SOCKET "activate-socket"
#define ROUTINE_BACKGROUND_APPROVE "background-approve"
#define ROUTINE_BACKGROUND_DENY "background-deny"
#define ROUTINE_BACKGROUND_LIST "background-list"
#define ROUTINE_BACKGROUND_RESET "background-reset"
#define ROUTINE_BLAME "blame"
#define ROUTINE_BOOTOUT "bootout"
#define ROUTINE_BOOTSTRAP "bootstrap"
#define ROUTINE_CHECKIN "checkin"
#define ROUTINE_DISABLE "disable"
#define ROUTINE_ENABLE "enable"
#define ROUTINE_IDENTIFY "identify"
#define ROUTINE_JOB_DICTIONARY "job-dictionary"
#define ROUTINE_KICKSTART "kickstart"
#define ROUTINE_KILL "kill"
#define ROUTINE_LIST "list"
#define ROUTINE_LOOKUP "lookup"
#define ROUTINE_PRINT "print"
#define ROUTINE_PRINT_DISABLED "print-disabled"
#define ROUTINE_REMOVE "remove"
#define ROUTINE_SM_BLESS "sm-bless"
#define ROUTINE_SM_REGISTER "sm-register"
#define ROUTINE_SM_STATUS "sm-status"
#define ROUTINE_SM_UNREGISTER "sm-unregister"
#define ROUTINE_START "start"
#define ROUTINE_STOP "stop"
#define ROUTINE_SUBMIT "submit"
#define ROUTINE_SUBMIT_JOB "submit-job"
#define ROUTINE_TEST_CLOCK "test-clock"
#define ROUTINE_VERSION "version"
#define ROUTINE_SETENV "setenv"
#define ROUTINE_UNSETENV "unsetenv"
#define ROUTINE_GETENV "getenv"
#define ROUTINE_LIMIT "limit"
#define ROUTINE_CONFIG "config"
#define ROUTINE_REBOOT "reboot"
#define ROUTINE_DEBUG "debug"
#define ROUTINE_LOG "log"
#define ROUTINE_REOPEN "reopen"
#define ROUTINE_SESSION_OPEN "session_open"   /* pam_launchd.so, root only */
#define ROUTINE_SESSION_CLOSE "session_close" /* pam_launchd.so, root only */
#define ROUTINE_LINGER "linger"
#define ROUTINE_SESSION_ENV "session_env"     /* launchctl asuser: the user's newest session's environment */

/* The error shape, in every reply of a failed request. */
#define KEY_ERROR "error"
#define KEY_ERROR_DOMAIN "error_domain"
#define KEY_ERROR_MESSAGE "error_message"
#define KEY_ERROR_DETAIL "error_detail"

/* Request and reply keys; the print, list and blame fields follow launchd's `print` names (docs/design.md). */
#define KEY_ACTIVE "active"
#define KEY_ACTIVE_COUNT "active_count"
#define KEY_ADDRESS "address"
#define KEY_AFTER_INITIAL_DEMAND "after_initial_demand"
#define KEY_ALWAYS "always"
#define KEY_APPROVAL "approval"
#define KEY_APPROVAL_CHANGED "approval_changed"
#define KEY_ARGUMENTS "arguments"
#define KEY_ASSOCIATED_BUNDLE_IDENTIFIERS "associated_bundle_identifiers"
#define KEY_BUNDLE "bundle"
#define KEY_BUNDLE_IDENTIFIER "bundle_identifier"
#define KEY_BUNDLE_VERSION "bundle_version"
#define KEY_CALENDAR_ENTRIES "calendar_entries"
#define KEY_COALESCED_WHILE_ASLEEP "coalesced_while_asleep"
#define KEY_CONFIG "config"
#define KEY_CONNECTIONS "connections"
#define KEY_CRASHED "crashed"
#define KEY_DEFAULT_PATH "default_path"
#define KEY_DETAIL "detail"
#define KEY_DISABLE "disable"
#define KEY_DISABLED "disabled"
#define KEY_DISABLED_SERVICES "disabled_services"
#define KEY_DOMAIN "domain"
#define KEY_DOMAIN_INFO "domain_info"
#define KEY_ENABLE "enable"
#define KEY_ENDPOINTS "endpoints"
#define KEY_ENVIRONMENT "environment"
#define KEY_EVENT "event"
#define KEY_EXECUTABLE "executable"
#define KEY_EXECUTABLE_SHA256 "executable_sha256"
#define KEY_EXIT_TIMEOUT "exit_timeout"
#define KEY_FD "fd"
#define KEY_FDS "fds"
#define KEY_FORCE "force"
#define KEY_GROUP_NAME "group_name"
#define KEY_HANDLE "handle"
#define KEY_ID "id"
#define KEY_IMMEDIATE_REASON "immediate_reason"
#define KEY_INETD_ACCEPTED "inetd_accepted"
#define KEY_INETD_INSTANCES "inetd_instances"
#define KEY_INETD_WAIT "inetd_wait"
#define KEY_ITEMS "items"
#define KEY_JOB "job"
#define KEY_JOBS "jobs"
#define KEY_KEEPALIVE "keepalive"
#define KEY_KILL "kill"
#define KEY_KIND "kind"
#define KEY_LABEL "label"
#define KEY_LAST_EXIT_DESCRIPTION "last_exit_description"
#define KEY_LAST_EXIT_STATUS "last_exit_status"
#define KEY_LAST_FIRE "last_fire"
#define KEY_LAST_FIRE_REASON "last_fire_reason"
#define KEY_HARD "hard"
#define KEY_LEGACY "legacy"
#define KEY_LIMITS "limits"
#define KEY_SOFT "soft"
#define KEY_LOADED "loaded"
#define KEY_MODE "mode"
#define KEY_NAME "name"
#define KEY_NEXT_FIRE "next_fire"
#define KEY_NEXT_START "next_start"
#define KEY_OFFSET "offset"
#define KEY_OWNER "owner"
#define KEY_PATH "path"
#define KEY_PATH_FIRES_SKIPPED_WHILE_RUNNING "path_fires_skipped_while_running"
#define KEY_PATHS "paths"
#define KEY_PID "pid"
#define KEY_ADOPTED "adopted" /* processes of the job launchd adopted as a subreaper (orphans.h) */
/* captured output (capture.h) and launchctl log */
#define KEY_LINES "lines"
#define KEY_COUNT "count"     /* how many lines a log request wants */
#define KEY_TIME "time"
#define KEY_RUN "run"
#define KEY_STREAM "stream"
#define KEY_TEXT "text"
#define KEY_SEQ "seq"         /* the number of the job's latest line; a request with it asks for newer ones */
#define KEY_SKIPPED "skipped" /* lines newer than seq that memory no longer holds (the file has them) */
#define KEY_DROPPED "dropped_lines"
#define KEY_OUTPUT_FILE "output_file"
#define KEY_OUTPUT_SKIPPED "output_not_captured" /* bool: the latest run's output was not captured */
#define KEY_EXIT_STDERR "last_exit_stderr" /* the failed run's last stderr lines, a crash's core dump */
#define KEY_PLIST "plist"
#define KEY_PLIST_SHA256 "plist_sha256"
#define KEY_PREVIOUS_INSTANCE "previous_instance"
#define KEY_PRIVILEGED "privileged"
#define KEY_XPC_SERVICE "xpc-service" /* a lookup of an XPC service in the caller's app bundle */
#define KEY_PROGRAM "program"
#define KEY_PROPERTIES "properties"
#define KEY_QUEUE_DIRECTORIES "queue_directories"
#define KEY_REASON "reason"
#define KEY_REASON_NAME "reason_name"
#define KEY_REGISTERED "registered"
#define KEY_REMOVED "removed"
#define KEY_RESULTS "results"
#define KEY_ROOT_DIRECTORY "root_directory"
#define KEY_ROUTINE "routine"
#define KEY_RUNS "runs"
#define KEY_SERVICE "service"
#define KEY_SERVICE_COUNT "service_count"
#define KEY_SERVICES "services"
#define KEY_SHADOWED "shadowed"
#define KEY_SIGNAL "signal"
#define KEY_SKIPPED_WHILE_RUNNING "skipped_while_running"
#define KEY_SOCKETS "sockets"
#define KEY_SPAWN_FAILURE "spawn_failure"
#define KEY_SPAWN_CONSTRAINT "spawn_constraint"
#define KEY_RESPONSIBLE_CONSTRAINT "responsible_process_constraint"
#define KEY_SPAWN_TYPE "spawn_type"
#define KEY_START_INTERVAL "start_interval"
#define KEY_STATE "state"
#define KEY_STATUS "status"
#define KEY_STDERR "stderr"
#define KEY_STDOUT "stdout"
#define KEY_STDERR_PATH "stderr_path"
#define KEY_STDIN_PATH "stdin_path"
#define KEY_STDOUT_PATH "stdout_path"
#define KEY_SUCCESSFUL_EXIT "successful_exit"
#define KEY_THROTTLE_INTERVAL "throttle_interval"
#define KEY_TIMERS "timers"
#define KEY_TYPE "type"
#define KEY_UID "uid"
#define KEY_UPDATED "updated"
#define KEY_USER_NAME "user_name"
#define KEY_VALUE "value"
#define KEY_SESSION_ID "session_id"
#define KEY_SESSION_TYPE "session_type"   /* Aqua, StandardIO, LoginWindow */
#define KEY_SESSION_DESC "session_desc"   /* where: "x11 seat0 tty7 via gdm-password" */
#define KEY_SESSIONS "sessions"           /* print: the domain's sessions */
#define KEY_LINGER "linger"
#define KEY_OPENED "opened"               /* wall-clock ms */
#define KEY_VERSION "version"
#define KEY_WAITING "waiting"
#define KEY_WARNINGS "warnings"
#define KEY_WATCH_PATHS "watch_paths"
#define KEY_WORKING_DIRECTORY "working_directory"

#endif
