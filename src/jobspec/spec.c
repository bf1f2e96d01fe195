/*
 * Job spec parsing: file reading (XML or binary plist through libplist,
 * with expat pinpointing XML syntax errors by line), the top-level keys, the
 * cross-key checks that run after every key was read, and freeing a spec.
 * The typed accessors and diagnostics are in spec_parse.c, the keys in
 * spec_keys.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <expat.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "plistio.h"
#include "safefile.h"
#include "spec_parse.h"
#include "oom.h"

static void top_level_key(struct parse *p, const char *parent, const char *key, plist_t v)
{
	(void)parent;
	const struct key_def *k = spec_find_key(spec_keys, key);
	if (!k) {
		parse_warn(p, key, "unknown key, ignored (not a launchd.plist(5) key; check its spelling)");
		return;
	}
	size_t idx = (size_t)(k - spec_keys);
	if (idx < SPEC_KEYS_MAX && p->seen[idx]) {
		parse_error(p, LE_INVALID_PLIST, k->name, "given twice (as \"%s\" and \"%s\"; keys match case-insensitively)",
			p->seen[idx], key);
		return;
	}
	if (idx < SPEC_KEYS_MAX)
		p->seen[idx] = k->name;
	if (!k->handle) {
		parse_warn(p, k->name, "%s", k->ignored_why);
		return;
	}
	k->handle(p, k->name, v);
}

static bool label_is_valid(const char *l)
{
	if (!*l || strlen(l) > 255)
		return false;
	for (const char *c = l; *c; c++)
		if (*c == '/' || (unsigned char)*c < 0x20)
			return false;
	return true;
}

/* Checks that need more than one key. */
static void cross_checks(struct parse *p)
{
	struct job_spec *s = p->s;
	if (!s->label)
		parse_error(p, LE_INVALID_LABEL, "Label", "required key is missing");
	else if (!label_is_valid(s->label))
		parse_error(p, LE_INVALID_LABEL, "Label",
			"\"%s\" is not a valid label (1-255 characters, no '/' or control characters)", s->label);
	if (!s->program && !s->argc && !s->bundle_program)
		parse_error(p, LE_INVALID_PROGRAM, "Program",
			"neither Program nor a non-empty ProgramArguments is given");
	if (s->argv && s->argc == 0 && !s->program)
		parse_error(p, LE_INVALID_PROGRAM, "ProgramArguments", "is empty and there is no Program");
	if (s->program && s->program[0] != '/')
		parse_error(p, LE_INVALID_PROGRAM, "Program",
			"must be an absolute path, found \"%s\" (use ProgramArguments alone for a PATH lookup)",
			s->program);
	if (s->argc && !s->program && s->argv[0][0] == '\0')
		parse_error(p, LE_INVALID_PROGRAM, "ProgramArguments[0]", "is an empty string");
	if (s->group && !s->user)
		parse_warn(p, "GroupName", "has effect only together with UserName");
	if (s->spawn_constraint.present && !s->program && s->argc && s->argv[0][0] != '/')
		parse_error(p, LE_INVALID_PROGRAM, "SpawnConstraint", "checks a file: ProgramArguments[0] must then be an "
			"absolute path, found \"%s\"", s->argv[0]);
}

struct job_spec *spec_from_plist(plist_t root, const char *file, struct spec_diag *d)
{
	struct job_spec *s = calloc(1, sizeof(*s));
	if (!s)
		gantry_oom();
	s->umask = -1;
	s->ka_successful_exit = -1;
	s->ka_crashed = -1;
	s->ka_network = -1;
	s->init_groups = true;
	s->throttle_interval = SPEC_DEFAULT_THROTTLE_INTERVAL;
	s->exit_timeout = SPEC_DEFAULT_EXIT_TIMEOUT;
	struct parse p = {.file = file, .s = s, .d = d};
	size_t errors_before = d->nerrors;
	if (plist_get_node_type(root) != PLIST_DICT) {
		parse_error(&p, LE_INVALID_PLIST, "(root)", "expected dictionary, found %s", plist_type_name(root));
	} else {
		each_entry(&p, root, "", top_level_key);
		spec_translate_macos(&p);
		cross_checks(&p);
	}
	if (d->nerrors > errors_before) {
		spec_free(s);
		return NULL;
	}
	if (file && file[0] == '/')
		s->path = strdup(file);
	return s;
}

/* Uses expat only to say where an XML plist that libplist refused is broken. */
static void explain_xml(const char *file, const char *buf, size_t len, struct spec_diag *d)
{
	XML_Parser x = XML_ParserCreate(NULL);
	if (!x) {
		spec_diag_add(d, LE_INVALID_PLIST, "%s: not a valid property list", file);
		return;
	}
	if (XML_Parse(x, buf, (int)len, 1) == XML_STATUS_ERROR)
		spec_diag_add(d, LE_INVALID_PLIST, "%s: line %lu, column %lu: XML syntax error: %s", file,
			(unsigned long)XML_GetCurrentLineNumber(x), (unsigned long)XML_GetCurrentColumnNumber(x) + 1,
			XML_ErrorString(XML_GetErrorCode(x)));
	else
		spec_diag_add(d, LE_INVALID_PLIST,
			"%s: well-formed XML but not a valid property list (check element names such as <dict>, "
			"<key>, <string>, <integer>, <true/> and that every <key> has a value)", file);
	XML_ParserFree(x);
}

static char *read_file(const char *path, size_t *len, struct spec_diag *d)
{
	char why[PATH_MAX + 96];
	int err = 0;
	char *buf = gantry_read_regular(path, SPEC_MAX_FILE_SIZE, len, &err, why, sizeof(why));
	if (!buf)
		spec_diag_add(d, err == ENOENT ? ENOENT : err == EFBIG ? LE_INVALID_PLIST : LE_INVALID_PATH, "%s%s", why,
			err == EFBIG ? " for a job file" : "");
	return buf;
}

plist_t spec_parse_bytes(const char *buf, size_t len, const char *file, struct spec_diag *d)
{
	char why[160];
	plist_t root = gantry_plist_parse(buf, len, why, sizeof(why));
	if (root)
		return root;
	if (len == 0 || (len >= 8 && memcmp(buf, "bplist00", 8) == 0) || strcmp(why, GANTRY_PLIST_XML_INVALID) != 0)
		spec_diag_add(d, LE_INVALID_PLIST, "%s: %s", file, why);
	else
		explain_xml(file, buf, len, d); /* line and column from expat */
	return NULL;
}

struct job_spec *spec_load_file(const char *path, struct spec_diag *d)
{
	size_t len = 0;
	char *buf = read_file(path, &len, d);
	if (!buf)
		return NULL;
	plist_t root = spec_parse_bytes(buf, len, path, d);
	free(buf);
	if (!root)
		return NULL;
	struct job_spec *s = spec_from_plist(root, path, d);
	plist_free(root);
	return s;
}

static void free_list(char **l)
{
	for (char **i = l; i && *i; i++)
		free(*i);
	free(l);
}

static void free_conds(struct spec_cond *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i].name);
	free(c);
}

void spec_free(struct job_spec *s)
{
	if (!s)
		return;
	free(s->label);
	free(s->path);
	free(s->program);
	free_list(s->argv);
	free(s->bundle_program);
	free(s->user);
	free(s->group);
	free(s->root_dir);
	free(s->working_dir);
	free_list(s->env);
	free(s->stdin_path);
	free(s->stdout_path);
	free(s->stderr_path);
	free_conds(s->ka_paths, s->nka_paths);
	free_conds(s->ka_jobs, s->nka_jobs);
	for (size_t i = 0; i < s->nservices; i++)
		free(s->services[i].name);
	free(s->services);
	free(s->calendar);
	for (size_t i = 0; i < s->nassociated_ids; i++)
		free(s->associated_ids[i]);
	free(s->associated_ids);
	for (size_t i = 0; i < s->nsockets; i++) {
		struct spec_socket *k = &s->sockets[i];
		free(k->name);
		free(k->node);
		free(k->service);
		free(k->path);
		free(k->multicast);
		free(k->secure_key);
	}
	free(s->sockets);
	for (size_t i = 0; i < s->nwatch_paths; i++)
		free(s->watch_paths[i]);
	free(s->watch_paths);
	for (size_t i = 0; i < s->nqueue_dirs; i++)
		free(s->queue_dirs[i]);
	free(s->queue_dirs);
	spec_constraint_clear(&s->spawn_constraint);
	spec_constraint_clear(&s->responsible_constraint);
	free_list(s->warnings);
	free(s);
}

const char *spec_program(const struct job_spec *s)
{
	if (s->program)
		return s->program;
	return s->argc ? s->argv[0] : s->bundle_program;
}

const char *spec_process_type_name(enum process_type t)
{
	static const char *const names[] = {"Standard", "Background", "Adaptive", "Interactive"};
	return names[t];
}
