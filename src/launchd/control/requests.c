/*
 * The control routines launchctl calls: one handler per verb. Each checks
 * the target and the caller's rights, acts through domain.c and job.c, and
 * fills the reply — errors always with a code and the detail naming the
 * cause.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"
#include "describe.h"
#include "domain.h"
#include "errors.h"
#include "identity.h"
#include "log.h"
#include "pending.h"
#include "protocol.h"
#include "requests.h"
#include "timers.h"
#include "oom.h"

#ifndef GANTRY_VERSION
#define GANTRY_VERSION "0.0.0"
#endif

struct domain *request_domain(xpc_object_t msg, xpc_object_t reply, uid_t caller, bool write)
{
	struct gerror e = {0};
	const char *name = xpc_dictionary_get_string(msg, KEY_DOMAIN);
	struct domain *d = domain_resolve(name ? name : "default", caller, write, &e);
	if (d && write && domain_check_write(d, caller, &e))
		d = NULL;
	if (!d)
		control_set_error(reply, e.code, "%s", e.detail);
	return d;
}

static struct job *req_job(xpc_object_t msg, xpc_object_t reply, uid_t caller, bool write)
{
	struct domain *d = request_domain(msg, reply, caller, write);
	if (!d)
		return NULL;
	const char *label = xpc_dictionary_get_string(msg, KEY_LABEL);
	struct job *j = label ? domain_find_job(d, label) : NULL;
	if (!j)
		control_set_error(reply, LE_NO_SERVICE, "Could not find service \"%s\" in domain %s",
			label ? label : "", d->name);
	return j;
}

static void add_result(xpc_object_t results, const char *path, const char *label, const struct gerror *e)
{
	xpc_object_t r = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(r, KEY_PATH, path);
	if (label)
		xpc_dictionary_set_string(r, KEY_LABEL, label);
	xpc_dictionary_set_int64(r, KEY_ERROR, e ? e->code : 0);
	if (e && e->code) {
		xpc_dictionary_set_string(r, KEY_ERROR_MESSAGE, gantry_strerror(e->code));
		xpc_dictionary_set_string(r, KEY_ERROR_DETAIL, e->detail);
	}
	xpc_array_append_value(results, r);
	xpc_release(r);
}

static int plist_filter(const struct dirent *de)
{
	size_t n = strlen(de->d_name);
	return de->d_name[0] != '.' && n > 6 && strcmp(de->d_name + n - 6, ".plist") == 0;
}

/*
 * Calls fn for path, or for every *.plist in it when it is a directory,
 * looked at with the rights of uid as (fn reads each file the same way).
 */
static void each_path(const char *path, uid_t as, void (*fn)(void *ctx, const char *path), void *ctx)
{
	struct stat st;
	struct gerror e = {0};
	if (identity_enter_uid(as, &e)) {
		fn(ctx, path); /* fn fails on its own with the same cause */
		return;
	}
	bool dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
	struct dirent **names;
	int n = dir ? scandir(path, &names, plist_filter, alphasort) : 0;
	identity_leave();
	if (dir) {
		for (int i = 0; i < n; i++) {
			char full[PATH_MAX];
			snprintf(full, sizeof(full), "%s/%s", path, names[i]->d_name);
			fn(ctx, full);
			free(names[i]);
		}
		if (n > 0)
			free(names);
		return;
	}
	fn(ctx, path);
}

struct batch {
	struct domain *d;
	uid_t caller;       /* whose rights read the files */
	int flags;
	xpc_object_t results;
	int failures, last_code;
	/* bootout */
	struct pending_reply *pending;
	struct job **jobs;
	size_t njobs;
	bool disable;
};

static void bootstrap_one(void *ctx, const char *path)
{
	struct batch *b = ctx;
	struct gerror e = {0};
	struct job *j = domain_bootstrap(b->d, path, ORIGIN_PATH, b->flags, b->caller, &e);
	if (!j) {
		b->failures++;
		b->last_code = e.code;
	}
	add_result(b->results, path, j ? j->spec->label : NULL, j ? NULL : &e);
}

/* paths[i] of a request is not a string: that entry fails (wrong types come only from hand-made requests). */
static void not_a_path(struct batch *b, size_t i)
{
	struct gerror e = {0};
	gerror_set(&e, LE_USAGE, "paths[%zu] is not a string", i);
	b->failures++;
	b->last_code = e.code;
	add_result(b->results, "", NULL, &e);
}

/* Sets the overall error of a batch: the one failure's code, or 133 for several. */
static void batch_outcome(xpc_object_t reply, const struct batch *b, const char *verb)
{
	xpc_dictionary_set_value(reply, KEY_RESULTS, b->results);
	if (b->failures == 1)
		control_set_error(reply, b->last_code, "%s failed for one path (see results)", verb);
	else if (b->failures > 1)
		control_set_error(reply, LE_MULTIPLE, "%s failed for %d paths (see results)", verb, b->failures);
}

static bool req_bootstrap(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	struct batch b = {.d = request_domain(msg, reply, caller, true), .caller = caller};
	xpc_object_t paths = xpc_dictionary_get_array(msg, KEY_PATHS);
	if (!b.d)
		return false;
	if (!paths || !xpc_array_get_count(paths)) {
		control_set_error(reply, LE_USAGE, "bootstrap needs at least one plist path or directory");
		return false;
	}
	b.flags = (xpc_dictionary_get_bool(msg, KEY_FORCE) ? LOAD_FORCE : 0) |
		  (xpc_dictionary_get_bool(msg, KEY_ENABLE) ? LOAD_ENABLE : 0);
	b.results = xpc_array_create(NULL, 0);
	for (size_t i = 0; i < xpc_array_get_count(paths); i++) {
		const char *p = xpc_array_get_string(paths, i);
		if (p)
			each_path(p, caller, bootstrap_one, &b);
		else
			not_a_path(&b, i);
	}
	batch_outcome(reply, &b, ROUTINE_BOOTSTRAP);
	xpc_release(b.results);
	return false;
}

/* Reads only the Label of a plist, for bootout by path, with the rights of uid as. */
static char *label_of(const char *path, uid_t as, struct gerror *e)
{
	struct spec_diag diag = {0};
	if (identity_enter_uid(as, e))
		return NULL;
	struct job_spec *s = spec_load_file(path, &diag);
	identity_leave();
	if (!s) {
		gerror_set(e, diag.code ? diag.code : LE_INVALID_PLIST, "%s", diag.nerrors ? diag.errors[0] : path);
		spec_diag_clear(&diag);
		return NULL;
	}
	char *label = strdup(s->label);
	spec_free(s);
	return label;
}

static void collect_job(struct batch *b, struct job *j)
{
	b->jobs = realloc(b->jobs, (b->njobs + 1) * sizeof(*b->jobs));
	if (!b->jobs)
		gantry_oom();
	b->jobs[b->njobs++] = j;
}

static void bootout_one(void *ctx, const char *path)
{
	struct batch *b = ctx;
	struct gerror e = {0};
	char *label = label_of(path, b->caller, &e);
	struct job *j = label ? domain_find_job(b->d, label) : NULL;
	if (label && !j)
		gerror_set(&e, LE_NO_SERVICE, "%s: service \"%s\" is not loaded in %s", path, label, b->d->name);
	if (!j) {
		b->failures++;
		b->last_code = e.code;
	} else {
		collect_job(b, j);
	}
	add_result(b->results, path, label, j ? NULL : &e);
	free(label);
}

/* Removes the collected jobs; the reply goes out when the last one is gone. */
static bool remove_jobs(struct batch *b, xpc_object_t reply, uid_t caller)
{
	bool later = b->njobs > 0;
	if (later) {
		b->pending = pending_reply_create(reply, (int)b->njobs);
		for (size_t i = 0; i < b->njobs; i++)
			pending_wait(b->jobs[i], JOB_REMOVED, b->pending);
	}
	for (size_t i = 0; i < b->njobs; i++) {
		struct job *j = b->jobs[i];
		log_msg(LOG_INFO, "(%s/%s) bootout requested by uid %u", j->domain->name, j->spec->label, (unsigned)caller);
		if (b->disable) {
			struct gerror e = {0};
			if (overrides_set(&j->domain->overrides, j->spec->label, true, &e))
				log_msg(LOG_ERR, "(%s/%s) %s", j->domain->name, j->spec->label, e.detail);
		}
		job_event(j, EV_REMOVE);
	}
	free(b->jobs);
	return later;
}

static bool req_bootout(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	struct batch b = {.d = request_domain(msg, reply, caller, true), .caller = caller,
		.disable = xpc_dictionary_get_bool(msg, KEY_DISABLE)};
	if (!b.d)
		return false;
	xpc_object_t paths = xpc_dictionary_get_array(msg, KEY_PATHS);
	const char *label = xpc_dictionary_get_string(msg, KEY_LABEL);
	if (label) {
		struct job *j = domain_find_job(b.d, label);
		if (!j) {
			control_set_error(reply, ESRCH, "service \"%s\" is not loaded in %s", label, b.d->name);
			return false;
		}
		collect_job(&b, j);
	} else if (paths && xpc_array_get_count(paths)) {
		b.results = xpc_array_create(NULL, 0);
		for (size_t i = 0; i < xpc_array_get_count(paths); i++) {
			const char *p = xpc_array_get_string(paths, i);
			if (p)
				each_path(p, caller, bootout_one, &b);
			else
				not_a_path(&b, i);
		}
		batch_outcome(reply, &b, ROUTINE_BOOTOUT);
		xpc_release(b.results);
	} else {
		control_set_error(reply, LE_USAGE, "bootout needs a service target or plist paths");
		return false;
	}
	return remove_jobs(&b, reply, caller);
}

static bool set_override(xpc_object_t msg, xpc_object_t reply, uid_t caller, bool disabled)
{
	struct domain *d = request_domain(msg, reply, caller, true);
	const char *label = xpc_dictionary_get_string(msg, KEY_LABEL);
	if (!d)
		return false;
	if (!label || !*label) {
		control_set_error(reply, LE_INVALID_LABEL, "%s needs a service target such as %s/com.example.job",
			disabled ? "disable" : "enable", d->name);
		return false;
	}
	struct gerror e = {0};
	if (overrides_set(&d->overrides, label, disabled, &e))
		control_set_error(reply, e.code, "%s", e.detail);
	else
		log_msg(LOG_INFO, "(%s/%s) %s by uid %u", d->name, label, disabled ? "disabled" : "enabled", (unsigned)caller);
	return false;
}

static bool req_enable(xpc_object_t m, xpc_object_t r, uid_t c) { return set_override(m, r, c, false); }
static bool req_disable(xpc_object_t m, xpc_object_t r, uid_t c) { return set_override(m, r, c, true); }

static bool req_kickstart(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	struct job *j = req_job(msg, reply, caller, true);
	if (!j)
		return false;
	bool kill_first = xpc_dictionary_get_bool(msg, KEY_KILL);
	if (j->pid && !kill_first) {
		xpc_dictionary_set_int64(reply, KEY_PID, j->pid);
		return false;
	}
	pending_wait(j, JOB_SPAWNED, pending_reply_create(reply, 1));
	job_event(j, kill_first && j->pid ? EV_RESTART : EV_DEMAND);
	return true;
}

static bool req_start(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	struct job *j = req_job(msg, reply, caller, true);
	if (j)
		job_event(j, EV_DEMAND);
	return false;
}

static bool req_stop(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	struct job *j = req_job(msg, reply, caller, true);
	if (j)
		job_event(j, EV_STOP);
	return false;
}

static bool req_kill(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	struct job *j = req_job(msg, reply, caller, true);
	if (!j)
		return false;
	int sig = (int)xpc_dictionary_get_int64(msg, KEY_SIGNAL);
	if (sig <= 0 || sig >= NSIG) {
		control_set_error(reply, EINVAL, "signal %d is not a valid signal number", sig);
		return false;
	}
	int r = job_signal(j, sig);
	if (r == ESRCH)
		control_set_error(reply, ESRCH, "%s/%s is not running (state: %s)", j->domain->name, j->spec->label,
			fsm_state_name(&j->rt));
	else if (r)
		control_set_error(reply, darwin_errno(r), "kill(%d, %d): %s", (int)j->pid, sig, strerror(r));
	return false;
}

static bool req_remove(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	struct batch b = {0};
	struct job *j = req_job(msg, reply, caller, true);
	if (!j)
		return false;
	collect_job(&b, j);
	return remove_jobs(&b, reply, caller);
}

/* print and list of one service: its full description. */
static bool reply_service(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	struct job *j = req_job(msg, reply, caller, false);
	if (j) {
		xpc_object_t s = describe_service(j);
		xpc_dictionary_set_value(reply, KEY_SERVICE, s);
		xpc_release(s);
	}
	return false;
}

static bool req_print(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	if (xpc_dictionary_get_string(msg, KEY_LABEL))
		return reply_service(msg, reply, caller);
	struct domain *d = request_domain(msg, reply, caller, false);
	if (d) {
		xpc_object_t o = describe_domain(d);
		xpc_dictionary_set_value(reply, KEY_DOMAIN_INFO, o);
		xpc_release(o);
	}
	return false;
}

static bool req_print_disabled(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	struct domain *d = request_domain(msg, reply, caller, false);
	if (d) {
		xpc_object_t o = describe_overrides(d);
		xpc_dictionary_set_value(reply, KEY_DISABLED, o);
		xpc_dictionary_set_string(reply, KEY_DOMAIN, d->name);
		xpc_release(o);
	}
	return false;
}

static bool req_blame(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	struct job *j = req_job(msg, reply, caller, false);
	if (j) {
		char why[640];
		describe_blame(j, why, sizeof(why));
		xpc_dictionary_set_string(reply, KEY_REASON, why);
	}
	return false;
}

static bool req_list(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	if (xpc_dictionary_get_string(msg, KEY_LABEL))
		return reply_service(msg, reply, caller);
	struct domain *d = request_domain(msg, reply, caller, false);
	if (!d)
		return false;
	xpc_object_t jobs = describe_each_job(d, describe_list_entry);
	xpc_dictionary_set_value(reply, KEY_JOBS, jobs);
	xpc_release(jobs);
	return false;
}

/* launchctl submit: an ad-hoc KeepAlive job without a plist. */
static bool req_submit(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	struct domain *d = request_domain(msg, reply, caller, true);
	const char *label = xpc_dictionary_get_string(msg, KEY_LABEL);
	xpc_object_t args = xpc_dictionary_get_array(msg, KEY_ARGUMENTS);
	if (!d)
		return false;
	if (!label || !args || !xpc_array_get_count(args)) {
		control_set_error(reply, LE_USAGE, "submit needs -l LABEL and a command after --");
		return false;
	}
	for (size_t i = 0; i < xpc_array_get_count(args); i++) {
		if (!xpc_array_get_string(args, i)) {
			control_set_error(reply, LE_USAGE, "submit: arguments[%zu] is not a string", i);
			return false;
		}
	}
	plist_t root = plist_new_dict();
	plist_t argv = plist_new_array();
	for (size_t i = 0; i < xpc_array_get_count(args); i++)
		plist_array_append_item(argv, plist_new_string(xpc_array_get_string(args, i)));
	plist_dict_set_item(root, "Label", plist_new_string(label));
	plist_dict_set_item(root, "ProgramArguments", argv);
	plist_dict_set_item(root, "KeepAlive", plist_new_bool(1));
	static const char *const optional[][2] = {{KEY_PROGRAM, "Program"}, {KEY_STDOUT, "StandardOutPath"},
		{KEY_STDERR, "StandardErrorPath"}};
	for (size_t i = 0; i < 3; i++) {
		const char *v = xpc_dictionary_get_string(msg, optional[i][0]);
		if (v)
			plist_dict_set_item(root, optional[i][1], plist_new_string(v));
	}
	struct gerror e = {0};
	if (!domain_submit_plist(d, root, "(submitted)", &e))
		control_set_error(reply, e.code, "%s", e.detail);
	plist_free(root);
	return false;
}

static bool req_test_clock(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	if (!g_launchd.test_clock)
		control_set_error(reply, LE_NOT_IMPLEMENTED, "this launchd was not started with --test-clock");
	else if (caller != 0 && caller != g_launchd.uid)
		control_set_error(reply, darwin_errno(EPERM), "only root or uid %u may move this launchd's clock",
			(unsigned)g_launchd.uid);
	else
		timers_set_clock_offset(xpc_dictionary_get_int64(msg, KEY_OFFSET));
	return false;
}

/* launch_activate_socket(): the caller's job's sockets of one name. */
static bool req_version(xpc_object_t msg, xpc_object_t reply, uid_t caller)
{
	(void)msg;
	(void)caller;
	xpc_dictionary_set_string(reply, KEY_VERSION, GANTRY_VERSION);
	xpc_dictionary_set_string(reply, KEY_MODE, g_launchd.system ? "system" : "user");
	xpc_dictionary_set_int64(reply, KEY_PID, getpid());
	xpc_dictionary_set_int64(reply, KEY_UID, g_launchd.system ? 0 : g_launchd.uid);
	return false;
}

const struct routine request_routines[] = {
	{ROUTINE_BOOTSTRAP, req_bootstrap},
	{ROUTINE_BOOTOUT, req_bootout},
	{ROUTINE_ENABLE, req_enable},
	{ROUTINE_DISABLE, req_disable},
	{ROUTINE_KICKSTART, req_kickstart},
	{ROUTINE_START, req_start},
	{ROUTINE_STOP, req_stop},
	{ROUTINE_KILL, req_kill},
	{ROUTINE_REMOVE, req_remove},
	{ROUTINE_PRINT, req_print},
	{ROUTINE_PRINT_DISABLED, req_print_disabled},
	{ROUTINE_BLAME, req_blame},
	{ROUTINE_LIST, req_list},
	{ROUTINE_SUBMIT, req_submit},
	{ROUTINE_VERSION, req_version},
	{ROUTINE_TEST_CLOCK, req_test_clock},
	{NULL, NULL},
};
