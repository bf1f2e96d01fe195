/*
 * XPC services inside app bundles: xpc_connection_create(name) from an app.
 * The caller's app bundle is the one enclosing its executable, read through
 * the kernel-attested pid (never what the client says); its
 * Contents/XPCServices/NAME.xpc holds an Info.plist naming the service
 * (CFBundleIdentifier), its executable and its XPCService dictionary.
 * ServiceType Application (the default) gets one instance per calling
 * process, in a pid/<PID> domain that ends with that process; User gets one
 * per user, in the user's gui domain, reachable only from processes of the
 * same app bundle. Everything in the bundle is read with the caller's
 * rights, and the service runs as the caller.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <plist/plist.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bundle.h"
#include "domain.h"
#include "errors.h"
#include "identity.h"
#include "log.h"
#include "loop.h"
#include "plistio.h"
#include "xpcservices.h"
#include "oom.h"

#define SERVICES_DIR "Contents/XPCServices"

/* What a service's Info.plist says, resolved. */
struct service {
	char info_plist[PATH_MAX];
	char exe[PATH_MAX];
	bool user_type;  /* ServiceType User: one instance per user */
	plist_t env;     /* XPCService.EnvironmentVariables, or NULL */
	plist_t extra;   /* XPCService._AdditionalProperties, or NULL */
};

/* The app bundle enclosing pid's executable. */
static int caller_bundle(pid_t pid, char *bundle, size_t len, struct gerror *e)
{
	char link[64], exe[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(link, exe, sizeof(exe) - 1);
	if (n < 0)
		return gerror_set(e, ESRCH, "cannot read the executable of pid %d: %s", (int)pid, strerror(errno));
	exe[n] = '\0';
	if (!bundle_enclosing(exe, bundle, len))
		return gerror_set(e, LE_NO_SERVICE, "pid %d runs %s, which is not inside an app bundle "
			"(NAME.app/Contents/...): an app's XPC services are found in its bundle's " SERVICES_DIR,
			(int)pid, exe);
	return 0;
}

static char *dict_string(plist_t dict, const char *key)
{
	return gantry_plist_string(plist_dict_get_item(dict, key));
}

/* Reads the service's Info.plist (as the caller: identity entered) into s. */
static int read_service(const char *dir, const char *name, struct service *s, struct gerror *e)
{
	char why[512];
	plist_t root = gantry_plist_load(s->info_plist, why, sizeof(why));
	if (!root || plist_get_node_type(root) != PLIST_DICT) {
		plist_free(root);
		return gerror_set(e, LE_INVALID_PLIST, "XPC service %s: invalid Info.plist: %s", dir,
			root ? "the root is not a dictionary" : why);
	}
	char *exe = dict_string(root, "CFBundleExecutable");
	plist_t xpc = plist_dict_get_item(root, "XPCService");
	char *type = xpc ? dict_string(xpc, "ServiceType") : NULL;
	int err = 0;
	struct stat st;
	if (!exe || strchr(exe, '/'))
		err = gerror_set(e, LE_INVALID_PLIST, "XPC service %s: Info.plist %s", dir,
			exe ? "CFBundleExecutable must be a file name" : "has no CFBundleExecutable");
	else if ((size_t)snprintf(s->exe, sizeof(s->exe), "%s/Contents/MacOS/%s", dir, exe) >= sizeof(s->exe))
		err = gerror_set(e, ENAMETOOLONG, "XPC service %s: path too long", dir);
	else if (stat(s->exe, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
		err = gerror_set(e, LE_INVALID_PATH, "XPC service %s: its executable %s %s", dir, s->exe,
			errno == ENOENT ? "is missing" : "is not an executable file");
	else if (xpc && plist_get_node_type(xpc) != PLIST_DICT)
		err = gerror_set(e, LE_INVALID_PLIST, "XPC service %s: XPCService must be a dictionary", dir);
	else if (type && strcmp(type, "Application") != 0 && strcmp(type, "User") != 0)
		err = gerror_set(e, LE_INVALID_PLIST, "XPC service %s: ServiceType %s is not supported: an app's XPC "
			"service runs as its user (Application, one per app process, or User, one per user)", dir, type);
	if (!err) {
		s->user_type = type && strcmp(type, "User") == 0;
		plist_t env = xpc ? plist_dict_get_item(xpc, "EnvironmentVariables") : NULL;
		plist_t extra = xpc ? plist_dict_get_item(xpc, "_AdditionalProperties") : NULL;
		s->env = env && plist_get_node_type(env) == PLIST_DICT ? plist_copy(env) : NULL;
		s->extra = extra && plist_get_node_type(extra) == PLIST_DICT ? plist_copy(extra) : NULL;
	}
	(void)name;
	free(exe);
	free(type);
	plist_free(root);
	return err;
}

/* The CFBundleIdentifier of dir/NAME.xpc, or NULL. */
static char *service_identifier(const char *dir)
{
	struct bundle_info info;
	char why[256];
	if (bundle_read_info(dir, &info, why, sizeof(why)))
		return NULL;
	char *id = info.identifier;
	info.identifier = NULL;
	bundle_info_clear(&info);
	return id;
}

/* Finds the service called name in bundle's XPCServices, as the caller sees them. */
static int find_service(const char *bundle, const char *name, struct service *s, struct gerror *e)
{
	char dir[PATH_MAX], seen[1024] = "";
	snprintf(dir, sizeof(dir), "%s/" SERVICES_DIR, bundle);
	DIR *dp = opendir(dir);
	if (!dp)
		return gerror_set(e, LE_NO_SERVICE, "no XPC service named \"%s\" in %s: %s: %s", name, bundle, dir,
			strerror(errno));
	struct dirent *de;
	int err = -1;
	while (err < 0 && (de = readdir(dp))) {
		size_t n = strlen(de->d_name);
		char path[PATH_MAX];
		if (n < 5 || strcmp(de->d_name + n - 4, ".xpc") != 0 ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
			continue;
		char *id = service_identifier(path);
		if (id && strcmp(id, name) == 0) {
			snprintf(s->info_plist, sizeof(s->info_plist), "%s/Contents/Info.plist", path);
			err = read_service(path, name, s, e);
		} else if (strlen(seen) + n + 64 < sizeof(seen)) {
			snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s%s (%s)", seen[0] ? ", " : "",
				de->d_name, id ? id : "no CFBundleIdentifier");
		}
		free(id);
	}
	closedir(dp);
	if (err < 0)
		err = gerror_set(e, LE_NO_SERVICE, "no XPC service named \"%s\" in %s (%s holds: %s)", name, bundle,
			SERVICES_DIR, seen[0] ? seen : "nothing");
	return err;
}

/* The job launchd runs for the service: its Info.plist's word, then ours (label, program, name). */
static plist_t job_plist(const char *name, const struct service *s)
{
	plist_t job = s->extra ? plist_copy(s->extra) : plist_new_dict();
	plist_t env = s->env ? plist_copy(s->env) : plist_new_dict();
	plist_dict_set_item(env, "XPC_SERVICE_NAME", plist_new_string(name));
	plist_t args = plist_new_array();
	plist_array_append_item(args, plist_new_string(s->exe));
	plist_t services = plist_new_dict();
	plist_dict_set_item(services, name, plist_new_bool(1));
	plist_dict_remove_item(job, "Program");
	plist_dict_set_item(job, "Label", plist_new_string(name));
	plist_dict_set_item(job, "ProgramArguments", args);
	plist_dict_set_item(job, "MachServices", services);
	plist_dict_set_item(job, "EnvironmentVariables", env);
	return job;
}

/* The app process of a pid domain, watched through a pidfd. */
struct owner {
	struct watch w;
	int fd;
	struct domain *d;
};

static void owner_exited(struct watch *w, uint32_t events)
{
	(void)events;
	struct owner *o = (struct owner *)w;
	struct domain *d = o->d;
	loop_unwatch(&o->w);
	close(o->fd);
	free(o);
	d->ending = true;
	log_msg(LOG_INFO, "(%s) the app process exited: its XPC services stop", d->name);
	size_t n = 0;
	struct job **jobs = calloc(d->njobs + 1, sizeof(*jobs));
	if (!jobs)
		gantry_oom();
	for (struct job *j = d->jobs; j; j = j->next)
		jobs[n++] = j;
	for (size_t i = 0; i < n; i++)
		job_event(jobs[i], EV_REMOVE); /* the last one gone frees the domain */
	free(jobs);
	if (!n)
		loop_defer(domain_release_if_done, d);
}

/* The pid domain of process pid (created, and its process watched, on first use). */
static struct domain *pid_domain(pid_t pid, uid_t uid, struct gerror *e)
{
	char name[32];
	snprintf(name, sizeof(name), "pid/%d", (int)pid);
	struct domain *d = domain_find_named(name);
	if (d && !d->ending)
		return d;
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (d || fd < 0) {
		if (fd >= 0)
			close(fd);
		gerror_set(e, ESRCH, "pid %d exited before its XPC service could start", (int)pid);
		return NULL;
	}
	struct owner *o = calloc(1, sizeof(*o));
	if (!o)
		gantry_oom();
	o->fd = fd;
	o->d = domain_create_pid(pid, uid);
	if (loop_watch(&o->w, fd, EPOLLIN, owner_exited) < 0)
		gantry_oom();
	return o->d;
}

static struct job *instance(const char *bundle, const char *name, const struct service *s, pid_t pid, uid_t uid,
	struct gerror *e)
{
	char gui[32];
	snprintf(gui, sizeof(gui), "gui/%u", (unsigned)uid);
	struct domain *d = s->user_type ? domain_resolve(gui, uid, true, e) : pid_domain(pid, uid, e);
	if (!d)
		return NULL;
	struct job *j = domain_find_job(d, name);
	if (j && (!j->xpc_bundle || strcmp(j->xpc_bundle, bundle) != 0)) {
		gerror_set(e, EEXIST, "%s/%s is %s%s, not the XPC service of %s", d->name, name,
			j->xpc_bundle ? "the XPC service of " : "a job loaded from ",
			j->xpc_bundle ? j->xpc_bundle : j->spec->path ? j->spec->path : "a submission", bundle);
		return NULL;
	}
	if (j)
		return j;
	plist_t job = job_plist(name, s);
	j = domain_submit_plist(d, job, s->info_plist, e);
	plist_free(job);
	if (j)
		j->xpc_bundle = strdup(bundle);
	return j;
}

struct job *xpcsvc_lookup(pid_t pid, uid_t caller, const char *name, struct gerror *e)
{
	char bundle[PATH_MAX];
	struct service s = {0};
	if (caller_bundle(pid, bundle, sizeof(bundle), e))
		return NULL;
	if (identity_enter_uid(caller, e))
		return NULL;
	int err = find_service(bundle, name, &s, e);
	identity_leave();
	struct job *j = err ? NULL : instance(bundle, name, &s, pid, caller, e);
	plist_free(s.env);
	plist_free(s.extra);
	if (j && !j->xpc_bundle)
		gantry_oom(); /* strdup failed: as every allocation in launchd */
	return j;
}
