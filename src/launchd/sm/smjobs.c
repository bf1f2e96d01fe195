/*
 * The requests behind the legacy Service Management calls: SMJobSubmit
 * (a job given as a dictionary of launchd.plist keys) and
 * SMJobCopyDictionary / SMCopyAllJobDictionaries (launchd's job
 * dictionaries, with PID and LastExitStatus as on macOS).
 */
#include <plist/plist.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "describe.h"
#include "domain.h"
#include "errors.h"
#include "protocol.h"
#include "requests.h"
#include "smjobs.h"

/* The plist form of an XPC value; NULL for types a plist cannot hold (descriptors, connections). */
static plist_t to_plist(xpc_object_t v);

static bool add_entry(void *ctx, const char *key, xpc_object_t v)
{
	plist_t p = to_plist(v);
	if (p)
		plist_dict_set_item(ctx, key, p);
	return true;
}

static plist_t to_plist(xpc_object_t v)
{
	xpc_type_t t = xpc_get_type(v);
	if (t == XPC_TYPE_STRING)
		return plist_new_string(xpc_string_get_string_ptr(v));
	if (t == XPC_TYPE_BOOL)
		return plist_new_bool(xpc_bool_get_value(v));
	if (t == XPC_TYPE_INT64)
		return plist_new_uint((uint64_t)xpc_int64_get_value(v)); /* libplist 2.2 stores integers this way */
	if (t == XPC_TYPE_UINT64)
		return plist_new_uint(xpc_uint64_get_value(v));
	if (t == XPC_TYPE_DOUBLE)
		return plist_new_real(xpc_double_get_value(v));
	if (t == XPC_TYPE_DATA)
		return plist_new_data(xpc_data_get_bytes_ptr(v), xpc_data_get_length(v));
	if (t == XPC_TYPE_ARRAY) {
		plist_t a = plist_new_array();
		for (size_t i = 0; i < xpc_array_get_count(v); i++) {
			plist_t item = to_plist(xpc_array_get_value(v, i));
			if (item)
				plist_array_append_item(a, item);
		}
		return a;
	}
	if (t == XPC_TYPE_DICTIONARY) {
		plist_t d = plist_new_dict();
		xpc_dictionary_apply_f(v, d, add_entry);
		return d;
	}
	return NULL;
}

bool req_submit_job(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	struct domain *d = request_domain(msg, reply, caller, true);
	xpc_object_t job = xpc_dictionary_get_dictionary(msg, KEY_JOB);
	if (!d)
		return false;
	if (!job) {
		control_set_error(reply, LE_USAGE, "SMJobSubmit needs a job dictionary");
		return false;
	}
	plist_t root = to_plist(job);
	struct gerror e = {0};
	if (!domain_submit_plist(d, root, "(SMJobSubmit)", &e))
		control_set_error(reply, e.code, "%s", e.detail);
	plist_free(root);
	return false;
}

static xpc_object_t job_dictionary(const struct job *j)
{
	const struct job_spec *s = j->spec;
	xpc_object_t d = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(d, "Label", s->label);
	if (spec_program(s))
		xpc_dictionary_set_string(d, "Program", spec_program(s));
	xpc_object_t argv = xpc_array_create(NULL, 0);
	for (size_t i = 0; i < s->argc; i++)
		xpc_array_set_string(argv, XPC_ARRAY_APPEND, s->argv[i]);
	xpc_dictionary_set_value(d, "ProgramArguments", argv);
	xpc_release(argv);
	xpc_dictionary_set_bool(d, "OnDemand", !s->ka_always);
	xpc_dictionary_set_int64(d, "LastExitStatus", j->rt.has_exited ? j->rt.last_status : 0);
	if (j->pid)
		xpc_dictionary_set_int64(d, "PID", j->pid);
	xpc_dictionary_set_string(d, "LimitLoadToSessionType", j->domain->kind == DOMAIN_SYSTEM ? "System" : "Aqua");
	return d;
}

bool req_job_dictionary(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	const char *label = xpc_dictionary_get_string(msg, KEY_LABEL);
	struct domain *d = request_domain(msg, reply, caller, false);
	if (!d)
		return false;
	if (label) {
		struct job *j = domain_find_job(d, label);
		if (!j) {
			control_set_error(reply, LE_NO_SERVICE, "no job \"%s\" in %s", label, d->name);
			return false;
		}
		xpc_object_t o = job_dictionary(j);
		xpc_dictionary_set_value(reply, KEY_JOB, o);
		xpc_release(o);
		return false;
	}
	xpc_object_t all = describe_each_job(d, job_dictionary);
	xpc_dictionary_set_value(reply, KEY_JOBS, all);
	xpc_release(all);
	return false;
}
