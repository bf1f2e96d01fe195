/*
 * SMAppService: registering the helpers an app bundle ships. The library
 * finds the bundle and names the item; launchd derives, checks, records and
 * runs it (src/launchd/background.c), so no check can be skipped by a
 * client that does not use this library.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "internal.h"
#include "protocol.h"

enum kind { KIND_DAEMON, KIND_AGENT, KIND_LOGIN_ITEM, KIND_MAIN_APP };
static const char *const kind_names[] = {"daemon", "agent", "login-item", "main-app"};

struct SMAppService {
	enum kind kind;
	char *name;
	char bundle[PATH_MAX];  /* "" when the caller is not in a bundle */
	char exe[PATH_MAX];
};

void sm_set_error(SMError *error, int code, const char *fmt, ...)
{
	if (!error)
		return;
	error->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(error->description, sizeof(error->description), fmt, ap);
	va_end(ap);
}

xpc_object_t sm_call(xpc_object_t request, bool system, int not_found_code, SMError *error)
{
	xpc_object_t reply = xpc_launchd_request(request, system, SM_REPLY_TIMEOUT_MS);
	if (xpc_get_type(reply) == XPC_TYPE_ERROR) {
		sm_set_error(error, kSMErrorServiceUnavailable, "launchd is not reachable: %s",
			xpc_error_get_cause(reply) ? xpc_error_get_cause(reply) : xpc_error_get_description(reply));
	} else if (xpc_dictionary_get_int64(reply, KEY_ERROR) &&
		   strcmp(xpc_dictionary_get_string(reply, KEY_ERROR_DOMAIN) ?: "", ERROR_DOMAIN_SM) == 0) {
		sm_set_error(error, (int)xpc_dictionary_get_int64(reply, KEY_ERROR), "%s",
			xpc_dictionary_get_string(reply, KEY_ERROR_DETAIL));
	} else if (xpc_dictionary_get_int64(reply, KEY_ERROR)) { /* launchd's own code: what it means for the caller */
		int64_t code = xpc_dictionary_get_int64(reply, KEY_ERROR);
		sm_set_error(error, code == 113 || code == 3 ? not_found_code : kSMErrorInternalFailure, "launchd: %lld: %s",
			(long long)code, xpc_dictionary_get_string(reply, KEY_ERROR_DETAIL));
	} else {
		if (error)
			error->code = 0, error->description[0] = '\0';
		return reply;
	}
	xpc_release(reply);
	return NULL;
}

static SMAppService *create(enum kind kind, const char *name)
{
	SMAppService *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->kind = kind;
	s->name = strdup(name ? name : "");
	ssize_t n = readlink("/proc/self/exe", s->exe, sizeof(s->exe) - 1);
	s->exe[n > 0 ? n : 0] = '\0';
	if (!bundle_enclosing(s->exe, s->bundle, sizeof(s->bundle)))
		s->bundle[0] = '\0';
	return s;
}

SMAppService *SMAppServiceCreateDaemon(const char *plistName) { return create(KIND_DAEMON, plistName); }
SMAppService *SMAppServiceCreateAgent(const char *plistName) { return create(KIND_AGENT, plistName); }
SMAppService *SMAppServiceCreateLoginItem(const char *identifier) { return create(KIND_LOGIN_ITEM, identifier); }
SMAppService *SMAppServiceCreateMainApp(void) { return create(KIND_MAIN_APP, ""); }

int SMAppServiceSetBundle(SMAppService *s, const char *bundlePath)
{
	if (!realpath(bundlePath, s->bundle)) {
		int err = errno;
		s->bundle[0] = '\0';
		return err;
	}
	return 0;
}

void SMAppServiceRelease(SMAppService *s)
{
	if (s) {
		free(s->name);
		free(s);
	}
}

static xpc_object_t request(const SMAppService *s, const char *routine)
{
	xpc_object_t r = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(r, KEY_ROUTINE, routine);
	xpc_dictionary_set_string(r, KEY_KIND, kind_names[s->kind]);
	xpc_dictionary_set_string(r, KEY_BUNDLE, s->bundle);
	xpc_dictionary_set_string(r, KEY_NAME, s->name);
	return r;
}

static bool in_bundle(const SMAppService *s, SMError *error)
{
	if (s->bundle[0])
		return true;
	sm_set_error(error, kSMErrorToolNotValid, "the calling program %s is not inside an app bundle "
		"(Name.app/Contents/MacOS/...); move it into one, or name the bundle with SMAppServiceSetBundle()",
		s->exe[0] ? s->exe : "(unknown)");
	return false;
}

static bool call(const SMAppService *s, const char *routine, SMError *error)
{
	if (!in_bundle(s, error))
		return false;
	xpc_object_t req = request(s, routine);
	xpc_object_t reply = sm_call(req, s->kind == KIND_DAEMON, kSMErrorJobNotFound, error);
	xpc_release(req);
	xpc_release(reply);
	return reply != NULL;
}

bool SMAppServiceRegister(SMAppService *s, SMError *error)
{
	return call(s, ROUTINE_SM_REGISTER, error);
}

bool SMAppServiceUnregister(SMAppService *s, SMError *error)
{
	return call(s, ROUTINE_SM_UNREGISTER, error);
}

struct async_unregister {
	SMAppService copy;
	void (*completion)(void *, const SMError *);
	void *context;
};

static void *unregister_thread(void *arg)
{
	struct async_unregister *a = arg;
	SMError error;
	bool ok = SMAppServiceUnregister(&a->copy, &error);
	a->completion(a->context, ok ? NULL : &error);
	free(a->copy.name);
	free(a);
	return NULL;
}

int SMAppServiceUnregisterAsync(SMAppService *s, void (*completion)(void *, const SMError *), void *context)
{
	struct async_unregister *a = calloc(1, sizeof(*a));
	if (!a)
		return ENOMEM;
	a->copy = *s;
	a->copy.name = strdup(s->name);
	a->completion = completion;
	a->context = context;
	pthread_attr_t attr;
	pthread_t t;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int err = pthread_create(&t, &attr, unregister_thread, a);
	pthread_attr_destroy(&attr);
	if (err) {
		free(a->copy.name);
		free(a);
	}
	return err;
}

SMAppServiceStatus SMAppServiceGetStatus(SMAppService *s, SMStatusDetail *detail)
{
	SMError error;
	SMStatusDetail ignored;
	if (!detail)
		detail = &ignored;
	if (!in_bundle(s, &error)) {
		detail->reason = SMStatusReasonBundleMissing;
		snprintf(detail->detail, sizeof(detail->detail), "%s", error.description);
		return SMAppServiceStatusNotFound;
	}
	xpc_object_t req = request(s, ROUTINE_SM_STATUS);
	xpc_object_t reply = sm_call(req, s->kind == KIND_DAEMON, kSMErrorJobNotFound, &error);
	xpc_release(req);
	if (!reply) {
		detail->reason = SMStatusReasonLaunchdUnavailable;
		snprintf(detail->detail, sizeof(detail->detail), "%s", error.description);
		return SMAppServiceStatusNotFound;
	}
	detail->reason = (SMStatusReason)xpc_dictionary_get_int64(reply, KEY_REASON);
	const char *d = xpc_dictionary_get_string(reply, KEY_DETAIL);
	snprintf(detail->detail, sizeof(detail->detail), "%s", d ? d : "");
	SMAppServiceStatus status = (SMAppServiceStatus)xpc_dictionary_get_int64(reply, KEY_STATUS);
	xpc_release(reply);
	return status;
}

const char *SMStatusReasonName(SMStatusReason r)
{
	static const char *const names[] = {"none", "not-registered", "awaiting-approval", "approval-revoked",
		"disabled-by-override", "plist-missing", "executable-missing", "bundle-missing", "record-stale",
		"unsafe-ownership", "invalid-plist", "launch-failed", "launchd-unavailable", "not-loaded",
		"awaiting-login"};
	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "unknown";
}
