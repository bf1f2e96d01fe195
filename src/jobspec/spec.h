/*
 * The job spec: a launchd.plist validated once into typed fields. Parsing
 * (spec.c, spec_keys.c) is pure apart from reading the file; launchd and
 * `launchctl lint` share it.
 */
#ifndef GANTRY_SPEC_H
#define GANTRY_SPEC_H

#include <stdbool.h>

#include "calendar.h"
#include <stddef.h>
#include <stdint.h>
#include <plist/plist.h>

/* launchd's defaults (research/launchd.md §1.3). */
#define SPEC_DEFAULT_THROTTLE_INTERVAL 10 /* seconds between spawns */
#define SPEC_DEFAULT_EXIT_TIMEOUT 20      /* seconds from SIGTERM to SIGKILL */
#define SPEC_MAX_FILE_SIZE (1024 * 1024)  /* larger plists are refused */

enum spec_rlimit {
	RL_CORE, RL_CPU, RL_DATA, RL_FSIZE, RL_MEMLOCK, RL_NOFILE, RL_NPROC, RL_RSS, RL_STACK,
	RL_COUNT
};

enum process_type { PT_STANDARD, PT_BACKGROUND, PT_ADAPTIVE, PT_INTERACTIVE };

/*
 * Session types (LimitLoadToSessionType), as bits: a job's set of them, 0 for its domain's default (Aqua
 * for an agent, System for a daemon). SESSION_UNKNOWN: only names that are no session type — it loads
 * nowhere.
 */
enum session_type {
	SESSION_AQUA = 1, SESSION_BACKGROUND = 2, SESSION_SYSTEM = 4, SESSION_LOGINWINDOW = 8, SESSION_STANDARDIO = 16,
	SESSION_UNKNOWN = 32
};
/* "Aqua", "StandardIO"...: the name of one session type bit. */
const char *spec_session_name(unsigned type);
/* The bit of a session type's name (any case), or 0 if it names none. */
unsigned spec_session_named(const char *name);
/* "Aqua, Background" for a set of SESSION_* bits into buf ("no session" for none); returns buf. */
const char *spec_session_names(unsigned types, char *buf, size_t len);

struct spec_cond {
	char *name; /* path (PathState) or label (OtherJobEnabled) */
	bool want;
};

/* One MachServices entry: a name the job advertises in its domain. */
struct spec_service {
	char *name;
	bool reset_at_close;
	bool hide_until_checkin;
};

/* One Sockets entry (a name may have several, e.g. IPv4 and IPv6). */
struct spec_socket {
	char *name;
	int type;          /* SOCK_STREAM (default), SOCK_DGRAM, SOCK_SEQPACKET */
	bool passive;      /* listen/bind (default) rather than connect */
	char *node, *service;
	int family;        /* AF_UNSPEC (IPv4 and IPv6), AF_INET, AF_INET6, AF_UNIX */
	int protocol;      /* 0, IPPROTO_TCP, IPPROTO_UDP */
	char *path;        /* SockPathName */
	int path_mode;     /* -1: unset */
	int64_t path_owner, path_group; /* -1: unset */
	char *multicast, *secure_key;
	bool packet_info;  /* ReceivePacketInfo: datagrams come with their destination address (IP_PKTINFO) */
};

struct spec_limit {
	bool set;
	uint64_t value;
};

/*
 * A launch constraint (SpawnConstraint, ResponsibleProcessConstraint): facts a
 * process must satisfy, each checked by launchd (core/constraints.c).
 */
struct spec_constraint {
	bool present;
	bool has_uid;
	uid_t uid;               /* spawn: the executable file's owner ("owner"); responsible: its uid ("uid") */
	char *sha256;            /* the executable's SHA-256, lowercase hex, or NULL */
	char *in_bundle;         /* the executable lies inside this app bundle, or NULL */
	char *bundle_identifier; /* CFBundleIdentifier of the bundle enclosing the executable, or NULL */
	char *executable;        /* responsible only: the process's executable, or NULL */
	char *origin;            /* not a key: who set the facts and how to change them (Service Management), or NULL */
};

struct job_spec {
	char *label;
	char *path;          /* plist file, or NULL for submitted jobs */
	char *program;       /* Program, absolute; NULL if argv[0] is used */
	char **argv;         /* ProgramArguments, NULL-terminated (may be NULL) */
	size_t argc;
	char *bundle_program;
	char **associated_ids;       /* AssociatedBundleIdentifiers */
	size_t nassociated_ids;
	bool globbing;
	char *user, *group;
	bool init_groups;
	char *root_dir, *working_dir;
	char **env;          /* "KEY=VALUE", NULL-terminated */
	size_t nenv;
	int umask;           /* -1 when unset */
	char *stdin_path, *stdout_path, *stderr_path;
	bool run_at_load;
	bool disabled;
	/* KeepAlive */
	bool keepalive;          /* the key is present in any form */
	bool ka_always;          /* KeepAlive = true, or OnDemand = false */
	int ka_successful_exit;  /* -1 unset, else 0/1 */
	int ka_crashed;          /* -1 unset, else 0/1 */
	bool ka_after_initial_demand;
	int ka_network;          /* KeepAlive NetworkState: -1 unset, else the wanted state (0/1) */
	struct spec_cond *ka_paths, *ka_jobs;
	size_t nka_paths, nka_jobs;
	int throttle_interval, exit_timeout;
	/* GantryOutputRotation (a Gantry extension): launchd renames a passed-through output file to
	 * .1 … .keep once it would pass max_bytes; 0: no cap (the default) */
	int64_t rotate_max_bytes;
	int rotate_keep;
	bool abandon_pgroup, launch_only_once, debug;
	bool nice_set;
	int nice;
	struct spec_limit soft[RL_COUNT], hard[RL_COUNT];
	enum process_type process_type;
	bool low_priority_io;
	unsigned sessions;     /* LimitLoadToSessionType: SESSION_* bits, 0 for the domain's default */
	bool outlives_logout;  /* GantryOutlivesLogout: stays when the sessions it loaded for end */
	/* Triggers parsed and validated here, armed by launchd's trigger code. */
	int start_interval;          /* StartInterval seconds, 0 if none */
	struct cal_entry *calendar;  /* StartCalendarInterval entries */
	size_t ncalendar;
	char **watch_paths, **queue_dirs; /* WatchPaths, QueueDirectories: absolute paths */
	size_t nwatch_paths, nqueue_dirs;
	bool has_calendar, has_watch_paths, has_queue_dirs, has_sockets;
	struct spec_service *services; /* MachServices */
	size_t nservices;
	struct spec_socket *sockets;
	size_t nsockets;
	bool start_on_mount, inetd, inetd_wait;
	struct spec_constraint spawn_constraint, responsible_constraint;
	char **warnings;
	size_t nwarnings;
};

/* Diagnostics from parsing: every error and warning, each naming file and key path. */
struct spec_diag {
	int code;     /* first error's launchd code (109, 110, 111 ...), 0 if none */
	char **errors;
	size_t nerrors;
};

/* Reads and validates path. Returns NULL with diag filled on any error. */
struct job_spec *spec_load_file(const char *path, struct spec_diag *diag);
/* Parses XML or binary plist bytes safely (file names them in errors); NULL with d filled on failure. */
plist_t spec_parse_bytes(const char *buf, size_t len, const char *file, struct spec_diag *d);
/* Validates an already parsed plist; file names the source in messages. */
struct job_spec *spec_from_plist(plist_t root, const char *file, struct spec_diag *diag);
void spec_free(struct job_spec *s);
void spec_constraint_clear(struct spec_constraint *c);
void spec_diag_clear(struct spec_diag *d);
/* Appends a formatted error to d (used by the key handlers). */
void spec_diag_add(struct spec_diag *d, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The program launchd will exec: Program, else argv[0]. */
const char *spec_program(const struct job_spec *s);
const char *spec_rlimit_key(enum spec_rlimit r);
int spec_rlimit_resource(enum spec_rlimit r);
const char *spec_process_type_name(enum process_type t);

#endif
