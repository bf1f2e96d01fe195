/*
 * Gantry's Service Management: Apple's SMAppService model in C for Linux.
 * An app ships helpers inside its bundle (Name.app/Contents/...) and
 * registers them with one call; launchd keeps the one registry of
 * background items, asks an administrator to approve daemons, and picks up
 * updates by itself. Every error and every status names its cause.
 * Link with -lServiceManagement. See docs/service-management.md.
 */
#ifndef GANTRY_SERVICE_MANAGEMENT_H
#define GANTRY_SERVICE_MANAGEMENT_H

#include <stdbool.h>
#include <xpc/xpc.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Apple's kSMError* codes, with Apple's meanings. */
enum {
	kSMErrorInternalFailure = 2,
	kSMErrorInvalidSignature = 3,     /* Gantry: bundle or helper not root-owned, or writable by others */
	kSMErrorAuthorizationFailure = 4, /* the caller may not do this (e.g. it does not own the bundle) */
	kSMErrorToolNotValid = 5,         /* the executable is missing or not executable; caller not in a bundle */
	kSMErrorJobNotFound = 6,
	kSMErrorServiceUnavailable = 7,   /* launchd cannot be reached */
	kSMErrorJobPlistNotFound = 8,
	kSMErrorJobMustBeEnabled = 9,     /* disabled by an override (launchctl disable) */
	kSMErrorInvalidPlist = 10,
	kSMErrorLaunchDeniedByUser = 11,  /* an administrator denied (revoked) the item */
	kSMErrorAlreadyRegistered = 12,   /* never returned: register() is idempotent */
};

typedef struct {
	int code;               /* a kSMError* value, 0 for success */
	char description[1200]; /* the cause: which check failed, on which path or key */
} SMError;

typedef enum {
	SMAppServiceStatusNotRegistered = 0,
	SMAppServiceStatusEnabled = 1,
	SMAppServiceStatusRequiresApproval = 2,
	SMAppServiceStatusNotFound = 3,
} SMAppServiceStatus;

/* Gantry: what Apple's four statuses fold together. */
typedef enum {
	SMStatusReasonNone = 0,            /* enabled and current */
	SMStatusReasonNotRegistered,
	SMStatusReasonAwaitingApproval,    /* a daemon no administrator has approved yet */
	SMStatusReasonApprovalRevoked,     /* an administrator denied it */
	SMStatusReasonDisabledByOverride,  /* launchctl disable */
	SMStatusReasonPlistMissing,        /* detail: the path */
	SMStatusReasonExecutableMissing,   /* detail: the path */
	SMStatusReasonBundleMissing,       /* the bundle moved or was deleted; detail: the recorded path */
	SMStatusReasonRecordStale,         /* plist or executable changed since registration; register() updates */
	SMStatusReasonUnsafeOwnership,     /* a daemon's files became writable by a non-root user */
	SMStatusReasonInvalidPlist,        /* detail: the key */
	SMStatusReasonLaunchFailed,        /* enabled, but its process failed to spawn or exited with an error */
	SMStatusReasonLaunchdUnavailable,
	SMStatusReasonNotLoaded,           /* nothing runs: launchd booted it out (see the log); register() loads it */
	SMStatusReasonAwaitingLogin,       /* an agent whose user has no login session of its type: it loads at login */
} SMStatusReason;

typedef struct {
	SMStatusReason reason;
	char detail[1200];
} SMStatusDetail;

typedef struct SMAppService SMAppService;

/* Services of the calling executable's bundle (Name.app/Contents/MacOS/...). */
SMAppService *SMAppServiceCreateDaemon(const char *plistName);   /* Contents/Library/LaunchDaemons */
SMAppService *SMAppServiceCreateAgent(const char *plistName);    /* Contents/Library/LaunchAgents */
SMAppService *SMAppServiceCreateLoginItem(const char *identifier); /* Contents/Library/LoginItems/<id>.app */
SMAppService *SMAppServiceCreateMainApp(void);
/* Gantry: use this bundle instead of the caller's (tools, tests, installers). Returns 0 or an errno. */
int SMAppServiceSetBundle(SMAppService *service, const char *bundlePath);
void SMAppServiceRelease(SMAppService *service);

/*
 * "Make it so": registers, or updates a registration whose plist or
 * executable changed (the running instance is stopped and the new version
 * started). Registering unchanged content again succeeds and does nothing.
 */
bool SMAppServiceRegister(SMAppService *service, SMError *error);
/* Returns once the job is gone and its process has exited. */
bool SMAppServiceUnregister(SMAppService *service, SMError *error);
/*
 * Returns at once; completion runs on a thread of its own once the process
 * is gone (error NULL on success). Returns 0, or an errno if no thread could start.
 */
int SMAppServiceUnregisterAsync(SMAppService *service, void (*completion)(void *context, const SMError *error),
	void *context);
SMAppServiceStatus SMAppServiceGetStatus(SMAppService *service, SMStatusDetail *detail);
/* "awaiting-approval", "plist-missing", ... (the names `launchctl background list` shows). */
const char *SMStatusReasonName(SMStatusReason reason);

/* Legacy API, for code being ported. Domains are these two strings. */
#define kSMDomainSystemLaunchd "system"
#define kSMDomainUserLaunchd "user"

/* Loads a job described by a dictionary with launchd.plist keys (Label and Program[Arguments] at least). */
bool SMJobSubmit(const char *domain, xpc_object_t job, SMError *error);
/* Unloads a job; with wait, returns once its process has exited. */
bool SMJobRemove(const char *domain, const char *label, bool wait, SMError *error);
/*
 * The job's dictionary (Label, Program, ProgramArguments, PID while running,
 * LastExitStatus, ...), or NULL with error saying why: kSMErrorJobNotFound
 * when there is no such job, another code when the lookup failed.
 */
xpc_object_t SMJobCopyDictionary(const char *domain, const char *label, SMError *error);
/* An array of every job's dictionary, or NULL with error. */
xpc_object_t SMCopyAllJobDictionaries(const char *domain, SMError *error);
/*
 * Installs the privileged helper label of the caller's app bundle into the
 * system domain, with Apple's requirements mapped to Linux (ownership in
 * place of code signatures): the caller is root; the app's Info.plist lists
 * label in SMPrivilegedExecutables; the helper is
 * Contents/Library/LaunchServices/<label> with its launchd plist beside it as
 * <label>.plist, both root-owned and writable by nobody else, up to "/". The
 * helper is copied to launchd's state directory (PrivilegedHelperTools) and
 * loaded; blessing the same helper again succeeds without a change, a new
 * version replaces the installed one.
 */
bool SMJobBless(const char *domain, const char *label, SMError *error);
/* Registers (true) or unregisters (false) the login item identifier of the caller's bundle. */
bool SMLoginItemSetEnabled(const char *identifier, bool enabled);

#ifdef __cplusplus
}
#endif
#endif
