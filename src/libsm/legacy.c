/*
 * The legacy Service Management calls, for code being ported from
 * SMJobSubmit/SMJobRemove/SMJobCopyDictionary/SMLoginItemSetEnabled. The
 * domain strings are kSMDomainSystemLaunchd ("system") and
 * kSMDomainUserLaunchd ("user": the calling user's gui/<uid> domain).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <limits.h>

#include "bundle.h"

#include "internal.h"
#include "protocol.h"

/* launchd's domain name for a legacy domain string, or NULL (error set). */
static const char *domain_of(const char *domain, char *buf, size_t len, SMError *error)
{
	if (domain && strcmp(domain, kSMDomainSystemLaunchd) == 0)
		return "system";
	if (domain && strcmp(domain, kSMDomainUserLaunchd) == 0) {
		snprintf(buf, len, "gui/%u", (unsigned)getuid());
		return buf;
	}
	sm_set_error(error, kSMErrorInternalFailure, "unknown domain \"%s\" (kSMDomainSystemLaunchd or "
		"kSMDomainUserLaunchd)", domain ? domain : "");
	return NULL;
}

static xpc_object_t legacy_call(const char *routine, const char *domain, const char *label, xpc_object_t job,
	SMError *error)
{
	char buf[32];
	const char *d = domain_of(domain, buf, sizeof(buf), error);
	if (!d)
		return NULL;
	xpc_object_t req = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(req, KEY_ROUTINE, routine);
	xpc_dictionary_set_string(req, KEY_DOMAIN, d);
	if (label)
		xpc_dictionary_set_string(req, KEY_LABEL, label);
	if (job)
		xpc_dictionary_set_value(req, KEY_JOB, job);
	xpc_object_t reply = sm_call(req, strcmp(d, "system") == 0, kSMErrorJobNotFound, error);
	xpc_release(req);
	return reply;
}

bool SMJobSubmit(const char *domain, xpc_object_t job, SMError *error)
{
	xpc_object_t reply = legacy_call(ROUTINE_SUBMIT_JOB, domain, NULL, job, error);
	xpc_release(reply);
	return reply != NULL;
}

bool SMJobRemove(const char *domain, const char *label, bool wait, SMError *error)
{
	(void)wait; /* launchd's bootout always answers once the process has exited */
	xpc_object_t reply = legacy_call(ROUTINE_BOOTOUT, domain, label, NULL, error);
	xpc_release(reply);
	return reply != NULL;
}

xpc_object_t SMJobCopyDictionary(const char *domain, const char *label, SMError *error)
{
	xpc_object_t reply = legacy_call(ROUTINE_JOB_DICTIONARY, domain, label ? label : "", NULL, error);
	xpc_object_t job = reply ? xpc_dictionary_get_dictionary(reply, KEY_JOB) : NULL;
	if (job)
		xpc_retain(job);
	else if (reply)
		sm_set_error(error, kSMErrorInternalFailure, "launchd's answer carried no job dictionary");
	xpc_release(reply);
	return job;
}

xpc_object_t SMCopyAllJobDictionaries(const char *domain, SMError *error)
{
	xpc_object_t reply = legacy_call(ROUTINE_JOB_DICTIONARY, domain, NULL, NULL, error);
	xpc_object_t jobs = reply ? xpc_dictionary_get_array(reply, KEY_JOBS) : NULL;
	if (jobs)
		xpc_retain(jobs);
	else if (reply)
		sm_set_error(error, kSMErrorInternalFailure, "launchd's answer carried no job list");
	xpc_release(reply);
	return jobs;
}

bool SMJobBless(const char *domain, const char *label, SMError *error)
{
	char exe[PATH_MAX], bundle[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	if (!domain || strcmp(domain, kSMDomainSystemLaunchd) != 0) {
		sm_set_error(error, kSMErrorInternalFailure, "SMJobBless installs into kSMDomainSystemLaunchd only");
		return false;
	}
	if (!bundle_enclosing(exe, bundle, sizeof(bundle))) {
		sm_set_error(error, kSMErrorToolNotValid, "the calling program %s is not inside an app bundle", exe);
		return false;
	}
	xpc_object_t req = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(req, KEY_ROUTINE, ROUTINE_SM_BLESS);
	xpc_dictionary_set_string(req, KEY_BUNDLE, bundle);
	xpc_dictionary_set_string(req, KEY_LABEL, label ? label : "");
	xpc_object_t reply = sm_call(req, true, kSMErrorJobNotFound, error);
	xpc_release(req);
	xpc_release(reply);
	return reply != NULL;
}

bool SMLoginItemSetEnabled(const char *identifier, bool enabled)
{
	SMAppService *s = SMAppServiceCreateLoginItem(identifier);
	SMError error;
	bool ok = s && (enabled ? SMAppServiceRegister(s, &error) : SMAppServiceUnregister(s, &error));
	SMAppServiceRelease(s);
	return ok;
}
