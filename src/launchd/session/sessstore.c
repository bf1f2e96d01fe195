/* The session table and the lingering users on disk (see sessstore.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <plist/plist.h>

#include "atomicfile.h"
#include "errors.h"
#include "log.h"
#include "oom.h"
#include "plistio.h"
#include "spec.h"
#include "sessstore.h"

#define LINGER_MAX 4096

static uid_t *linger;
static size_t nlinger;
static plist_t saved;       /* sessions.plist being restored */
static uint32_t saved_next; /* the next of its items */

struct env_fill {
	char **list;
	size_t n;
	bool bad;
};

static bool add_var(void *ctx, const char *key, xpc_object_t v)
{
	struct env_fill *f = ctx;
	if (xpc_get_type(v) != XPC_TYPE_STRING || !*key || strchr(key, '=')) {
		f->bad = true;
		return false;
	}
	if (asprintf(&f->list[f->n++], "%s=%s", key, xpc_string_get_string_ptr(v)) < 0)
		gantry_oom();
	return true;
}

int sessstore_env_from(xpc_object_t env, char ***out, struct gerror *e)
{
	*out = NULL;
	size_t n = env ? xpc_dictionary_get_count(env) : 0;
	if (!n)
		return 0;
	struct env_fill f = {.list = calloc(n + 1, sizeof(char *))};
	if (!f.list)
		gantry_oom();
	xpc_dictionary_apply_f(env, &f, add_var);
	if (f.bad) {
		for (size_t i = 0; i < f.n; i++)
			free(f.list[i]);
		free(f.list);
		return gerror_set(e, EINVAL, "the session's environment holds a value that is not a string, or a name "
			"with '='");
	}
	*out = f.list;
	return 0;
}

static void path_of(const char *dir, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", dir, name);
}

static void write_plist(const char *dir, const char *name, plist_t root)
{
	char path[PATH_MAX], err[512];
	path_of(dir, name, path, sizeof(path));
	char *xml = NULL;
	uint32_t len = 0;
	plist_to_xml(root, &xml, &len);
	if (!xml || atomic_write_file(path, xml, len, 0600, err, sizeof(err)))
		log_msg(LOG_ERR, "cannot save %s: %s; a launchd restarted would not know it", path, xml ? err : "no memory");
	free(xml);
}

static plist_t session_plist(const struct session *s)
{
	plist_t d = plist_new_dict(), env = plist_new_dict();
	plist_dict_set_item(d, "id", plist_new_uint(s->id));
	plist_dict_set_item(d, "uid", plist_new_uint(s->uid));
	plist_dict_set_item(d, "type", plist_new_uint(s->type));
	plist_dict_set_item(d, "leader", plist_new_uint((uint64_t)s->leader));
	plist_dict_set_item(d, "leader_start", plist_new_uint(s->leader_start));
	plist_dict_set_item(d, "opened", plist_new_uint((uint64_t)s->opened_ms));
	plist_dict_set_item(d, "desc", plist_new_string(s->desc));
	for (size_t i = 0; s->env && s->env[i]; i++) {
		char *eq = strchr(s->env[i], '=');
		*eq = '\0';
		plist_dict_set_item(env, s->env[i], plist_new_string(eq + 1));
		*eq = '=';
	}
	plist_dict_set_item(d, "env", env);
	return d;
}

void sessstore_save(const struct session *list)
{
	plist_t root = plist_new_array();
	for (const struct session *s = list; s; s = s->next)
		plist_array_append_item(root, session_plist(s));
	write_plist(g_launchd.paths.run_dir, "sessions.plist", root);
	plist_free(root);
}

static uint64_t uint_of(plist_t d, const char *key)
{
	uint64_t v = 0;
	plist_t n = plist_dict_get_item(d, key);
	if (n && plist_get_node_type(n) == PLIST_UINT)
		plist_get_uint_val(n, &v);
	return v;
}

/* A saved session's record; NULL if the item is not one. */
static struct session *session_from(plist_t d)
{
	plist_t desc = plist_dict_get_item(d, "desc"), env = plist_dict_get_item(d, "env");
	unsigned type = (unsigned)uint_of(d, "type");
	if (plist_get_node_type(d) != PLIST_DICT || !desc || plist_get_node_type(desc) != PLIST_STRING ||
	    !(type == SESSION_AQUA || type == SESSION_STANDARDIO || type == SESSION_LOGINWINDOW))
		return NULL;
	struct session *s = calloc(1, sizeof(*s));
	if (!s)
		gantry_oom();
	*s = (struct session){.id = (uint32_t)uint_of(d, "id"), .uid = (uid_t)uint_of(d, "uid"), .type = type,
		.leader = (pid_t)uint_of(d, "leader"), .leader_start = uint_of(d, "leader_start"),
		.opened_ms = (int64_t)uint_of(d, "opened"), .desc = gantry_plist_string(desc), .w = {.fd = -1}};
	uint32_t n = env && plist_get_node_type(env) == PLIST_DICT ? plist_dict_get_size(env) : 0;
	if (n) {
		s->env = calloc(n + 1, sizeof(char *));
		if (!s->env)
			gantry_oom();
		plist_dict_iter it = NULL;
		plist_dict_new_iter(env, &it);
		for (uint32_t i = 0, k = 0; i < n; i++) {
			char *key = NULL;
			plist_t v = NULL;
			plist_dict_next_item(env, it, &key, &v);
			char *val = v && plist_get_node_type(v) == PLIST_STRING ? gantry_plist_string(v) : NULL;
			if (key && val && asprintf(&s->env[k], "%s=%s", key, val) >= 0)
				k++;
			free(key);
			free(val);
		}
		free(it);
	}
	return s;
}

struct session *sessstore_next_saved(void)
{
	if (!saved) {
		char path[PATH_MAX], why[256];
		path_of(g_launchd.paths.run_dir, "sessions.plist", path, sizeof(path));
		if (access(path, F_OK) != 0)
			return NULL;
		saved = gantry_plist_load(path, why, sizeof(why));
		if (!saved || plist_get_node_type(saved) != PLIST_ARRAY) {
			log_msg(LOG_ERR, "%s: not a list of sessions (%s); the sessions it held are forgotten", path,
				saved ? "not an array" : why);
			plist_free(saved);
			saved = plist_new_array();
		}
	}
	while (saved_next < plist_array_get_size(saved)) {
		struct session *s = session_from(plist_array_get_item(saved, saved_next++));
		if (s)
			return s;
	}
	plist_free(saved);
	saved = NULL;
	saved_next = 0;
	return NULL;
}

static void save_linger(void)
{
	plist_t root = plist_new_array();
	for (size_t i = 0; i < nlinger; i++)
		plist_array_append_item(root, plist_new_uint(linger[i]));
	write_plist(g_launchd.paths.state_dir, "linger.plist", root);
	plist_free(root);
}

int sessstore_set_linger(uid_t uid, bool on, struct gerror *e)
{
	size_t i = 0;
	while (i < nlinger && linger[i] != uid)
		i++;
	if (on && i == nlinger) {
		if (nlinger >= LINGER_MAX)
			return gerror_set(e, darwin_errno(EDQUOT), "%d users linger already, the most launchd keeps", LINGER_MAX);
		uid_t *grown = realloc(linger, (nlinger + 1) * sizeof(*grown));
		if (!grown)
			gantry_oom();
		linger = grown;
		linger[nlinger++] = uid;
	} else if (!on && i < nlinger) {
		linger[i] = linger[--nlinger];
	}
	save_linger();
	return 0;
}

void sessstore_load_linger(void)
{
	char path[PATH_MAX], why[256];
	path_of(g_launchd.paths.state_dir, "linger.plist", path, sizeof(path));
	if (access(path, F_OK) != 0)
		return;
	plist_t root = gantry_plist_load(path, why, sizeof(why));
	uint32_t n = root && plist_get_node_type(root) == PLIST_ARRAY ? plist_array_get_size(root) : 0;
	if (!n && (!root || plist_get_node_type(root) != PLIST_ARRAY))
		log_msg(LOG_ERR, "%s: not a list of uids (%s); nobody lingers", path, root ? "not an array" : why);
	for (uint32_t i = 0; i < n && nlinger < LINGER_MAX; i++) {
		plist_t v = plist_array_get_item(root, i);
		uint64_t uid = 0;
		if (plist_get_node_type(v) != PLIST_UINT)
			continue;
		plist_get_uint_val(v, &uid);
		struct gerror e = {0};
		sessstore_set_linger((uid_t)uid, true, &e);
	}
	plist_free(root);
}

size_t sessstore_nlinger(void)
{
	return nlinger;
}

uid_t sessstore_linger_uid(size_t i)
{
	return linger[i];
}
