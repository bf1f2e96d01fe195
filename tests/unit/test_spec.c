/*
 * Unit tests of plist validation: for every key launchd.plist(5) defines, a
 * valid value is accepted and a wrong one is refused with the key path,
 * what was expected and what was found; ignored keys warn; file-level
 * errors (XML syntax with its line, binary plists, empty files) are named.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <grp.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <strings.h>
#include <unistd.h>

#include "errors.h"
#include "spec.h"
#include "spec_parse.h"

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n<dict>\n"
#define TAIL "</dict>\n</plist>\n"

/* Parses a dict body; the base gives Label and ProgramArguments unless the body has them. */
static struct job_spec *parse_body(const char *body, struct spec_diag *d)
{
	char xml[8192];
	const char *label = strcasestr(body, "<key>Label</key>") ? "" : "<key>Label</key><string>t</string>\n";
	const char *args = strcasestr(body, "<key>Program") ? "" :
		"<key>ProgramArguments</key><array><string>/bin/true</string></array>\n";
	snprintf(xml, sizeof(xml), HEAD "%s%s%s\n" TAIL, label, args, body);
	plist_t root = NULL;
	plist_from_xml(xml, (uint32_t)strlen(xml), &root);
	assert_non_null(root);
	struct job_spec *s = spec_from_plist(root, "t.plist", d);
	plist_free(root);
	return s;
}

static bool any_contains(char **list, size_t n, const char *needle)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(list[i], needle))
			return true;
	return false;
}

struct key_case {
	const char *key;
	const char *good;
	const char *bad;
	const char *error; /* expected in the error message of the bad value */
};

static const struct key_case cases[] = {
	{"Label", "<string>com.example</string>", "<integer>3</integer>", "Label: expected string, found integer"},
	{"Disabled", "<true/>", "<string>yes</string>", "Disabled: expected boolean, found string"},
	{"Program", "<string>/bin/true</string>", "<string>true</string>", "Program: must be an absolute path"},
	{"ProgramArguments", "<array><string>a</string></array>", "<array><integer>1</integer></array>",
		"ProgramArguments[0]: expected string, found integer"},
	{"BundleProgram", "<string>Contents/MacOS/x</string>", "<true/>", "BundleProgram: expected string, found boolean"},
	{"EnableGlobbing", "<true/>", "<integer>1</integer>", "EnableGlobbing: expected boolean, found integer"},
	{"UserName", "<string>nobody</string>", "<integer>0</integer>", "UserName: expected string, found integer"},
	{"GroupName", "<string>nogroup</string>", "<array/>", "GroupName: expected string, found array"},
	{"InitGroups", "<false/>", "<string>no</string>", "InitGroups: expected boolean, found string"},
	{"RootDirectory", "<string>/srv</string>", "<true/>", "RootDirectory: expected string, found boolean"},
	{"WorkingDirectory", "<string>/tmp</string>", "<dict/>", "WorkingDirectory: expected string, found dictionary"},
	{"EnvironmentVariables", "<dict><key>A</key><string>b</string></dict>", "<string>A=b</string>",
		"EnvironmentVariables: expected dictionary, found string"},
	{"Umask", "<string>027</string>", "<string>999</string>", "Umask: expected an octal string"},
	{"StandardInPath", "<string>/dev/null</string>", "<true/>", "StandardInPath: expected string"},
	{"StandardOutPath", "<string>/tmp/o</string>", "<integer>1</integer>", "StandardOutPath: expected string"},
	{"StandardErrorPath", "<string>/tmp/e</string>", "<real>1.5</real>", "StandardErrorPath: expected string, found real"},
	{"RunAtLoad", "<true/>", "<string>true</string>", "RunAtLoad: expected boolean, found string"},
	{"KeepAlive", "<dict><key>SuccessfulExit</key><false/></dict>",
		"<dict><key>SuccessfulExit</key><string>no</string></dict>",
		"KeepAlive.SuccessfulExit: expected boolean, found string"},
	{"OnDemand", "<false/>", "<integer>0</integer>", "OnDemand: expected boolean, found integer"},
	{"ThrottleInterval", "<integer>5</integer>", "<integer>-1</integer>",
		"ThrottleInterval: expected an integer from 0 to 86400, found -1"},
	{"ExitTimeOut", "<integer>3</integer>", "<string>3</string>", "ExitTimeOut: expected integer, found string"},
	{"GantryOutputRotation", "<dict><key>MaxBytes</key><integer>8192</integer><key>Keep</key><integer>3</integer></dict>",
		"<dict><key>MaxBytes</key><integer>100</integer></dict>", "GantryOutputRotation.MaxBytes"},
	{"GantryOutlivesLogout", "<true/>", "<string>yes</string>", "GantryOutlivesLogout: expected boolean"},
	{"AbandonProcessGroup", "<true/>", "<integer>1</integer>", "AbandonProcessGroup: expected boolean"},
	{"LaunchOnlyOnce", "<true/>", "<integer>1</integer>", "LaunchOnlyOnce: expected boolean"},
	{"Nice", "<integer>-5</integer>", "<integer>30</integer>", "Nice: expected an integer from -20 to 19, found 30"},
	{"SoftResourceLimits", "<dict><key>NumberOfFiles</key><integer>1024</integer></dict>",
		"<dict><key>NumberOfFiles</key><string>many</string></dict>",
		"SoftResourceLimits.NumberOfFiles: expected integer, found string"},
	{"HardResourceLimits", "<dict><key>Core</key><integer>0</integer></dict>", "<array/>",
		"HardResourceLimits: expected dictionary, found array"},
	{"ProcessType", "<string>Background</string>", "<string>Turbo</string>",
		"ProcessType: expected one of Standard, Background, Adaptive, Interactive, found \"Turbo\""},
	{"LowPriorityIO", "<true/>", "<string>x</string>", "LowPriorityIO: expected boolean"},
	{"Debug", "<false/>", "<string>x</string>", "Debug: expected boolean"},
	{"LimitLoadToSessionType", "<string>Aqua</string>", "<integer>1</integer>",
		"LimitLoadToSessionType: expected string, found integer"},
	{"AssociatedBundleIdentifiers", "<string>com.example.app</string>", "<integer>1</integer>",
		"AssociatedBundleIdentifiers: expected array of strings, found integer"},
	{"StartInterval", "<integer>60</integer>", "<integer>0</integer>", "StartInterval: expected an integer from 1 to"},
	{"StartCalendarInterval", "<array><dict><key>Minute</key><integer>5</integer></dict></array>",
		"<array><dict/><dict><key>Hour</key><integer>24</integer></dict></array>",
		"StartCalendarInterval[1].Hour: expected an integer from 0 to 23, found 24"},
	{"WatchPaths", "<array><string>/tmp/x</string></array>", "<string>/tmp/x</string>",
		"WatchPaths: expected array of strings, found string"},
	{"QueueDirectories", "<array><string>/tmp/q</string></array>", "<array><true/></array>",
		"QueueDirectories[0]: expected string, found boolean"},
	{"StartOnMount", "<true/>", "<string>x</string>", "StartOnMount: expected boolean"},
	{"Sockets", "<dict/>", "<true/>", "Sockets: expected dictionary, found boolean"},
	{"MachServices", "<dict/>", "<string>x</string>", "MachServices: expected dictionary, found string"},
	{"inetdCompatibility", "<dict><key>Wait</key><false/></dict>", "<integer>1</integer>",
		"inetdCompatibility: expected dictionary, found integer"},
	{"SpawnConstraint", "<dict><key>owner</key><integer>0</integer><key>sha256</key><string>ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB</string></dict>",
		"<dict><key>cdhash</key><string>x</string></dict>",
		"SpawnConstraint.cdhash: is not a fact Gantry checks (SpawnConstraint: owner, sha256, in-bundle"},
	{"ResponsibleProcessConstraint", "<dict><key>uid</key><integer>501</integer></dict>",
		"<dict><key>executable</key><string>x</string></dict>",
		"ResponsibleProcessConstraint.executable: must be an absolute path, found \"x\""},
};

/* Sockets: every sub-key, one invalid value each, and what the valid ones become. */
static const struct {
	const char *entry; /* the inside of one Sockets entry's dictionary */
	const char *error; /* NULL: valid */
} socket_cases[] = {
	{"<key>SockServiceName</key><string>8080</string>", NULL},
	{"<key>SockServiceName</key><integer>8080</integer><key>SockType</key><string>dgram</string>", NULL},
	{"<key>SockServiceName</key><string>http</string><key>SockFamily</key><string>IPv6</string>", NULL},
	{"<key>SockPathName</key><string>/run/x.sock</string><key>SockPathMode</key><integer>384</integer>", NULL},
	{"<key>SockType</key><string>raw</string><key>SockServiceName</key><string>1</string>",
		"Sockets.L.SockType: expected stream, dgram or seqpacket, found \"raw\""},
	{"<key>SockServiceName</key><string>no-such-service-name</string>",
		"Sockets.L.SockServiceName: \"no-such-service-name\" is neither a port number nor a service"},
	{"<key>SockServiceName</key><integer>70000</integer>", "Sockets.L.SockServiceName: expected an integer from 0 to 65535"},
	{"<key>SockFamily</key><string>AppleTalk</string><key>SockServiceName</key><string>1</string>",
		"Sockets.L.SockFamily: expected IPv4, IPv6, IPv4v6 or Unix"},
	{"<key>SockProtocol</key><string>SCTP</string><key>SockServiceName</key><string>1</string>",
		"Sockets.L.SockProtocol: expected TCP or UDP"},
	{"<key>SockPathName</key><string>relative.sock</string>", "Sockets.L.SockPathName: \"relative.sock\" must be an absolute path"},
	{"<key>SockPathName</key><string>/x</string><key>SockPathMode</key><integer>9999</integer>",
		"Sockets.L.SockPathMode: 9999 (023417): expected permission bits, 0 to 07777 (optionally with the socket "
		"type, 0140000)"},
	{"<key>SockPathName</key><string>/x</string><key>SockPathMode</key><integer>49663</integer>", NULL},
	{"<key>SockFamily</key><string>Unix</string>", "Sockets.L: SockFamily Unix needs SockPathName"},
	{"<key>SockPassive</key><true/>", "Sockets.L: needs SockServiceName (a port) or SockPathName"},
	{"<key>SockWhatever</key><true/>", "Sockets.L.SockWhatever: unknown socket key"},
};

static void test_socket_specs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(socket_cases) / sizeof(socket_cases[0]); i++) {
		char body[1024];
		struct spec_diag d = {0};
		snprintf(body, sizeof(body), "<key>Sockets</key><dict><key>L</key><dict>%s</dict></dict>",
			socket_cases[i].entry);
		struct job_spec *s = parse_body(body, &d);
		if (!socket_cases[i].error && !s)
			fail_msg("case %zu refused: %s", i, d.errors[0]);
		if (socket_cases[i].error && s)
			fail_msg("case %zu accepted", i);
		if (socket_cases[i].error && !any_contains(d.errors, d.nerrors, socket_cases[i].error))
			fail_msg("case %zu: expected \"%s\" in \"%s\"", i, socket_cases[i].error, d.errors[0]);
		if (s) {
			assert_int_equal(s->nsockets, 1);
			assert_string_equal(s->sockets[0].name, "L");
		}
		spec_free(s);
		spec_diag_clear(&d);
	}
	/* UDP implies datagrams; a path implies a Unix socket; arrays give several entries of one name */
	struct spec_diag d = {0};
	struct job_spec *s = parse_body("<key>Sockets</key><dict><key>L</key><array>"
		"<dict><key>SockServiceName</key><string>53</string><key>SockProtocol</key><string>UDP</string></dict>"
		"<dict><key>SockPathName</key><string>/run/l.sock</string></dict></array></dict>", &d);
	assert_non_null(s);
	assert_int_equal(s->nsockets, 2);
	assert_int_equal(s->sockets[0].type, SOCK_DGRAM);
	assert_int_equal(s->sockets[1].family, AF_UNIX);
	spec_free(s);
}

static void test_every_key_valid_and_invalid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char body[1024];
		struct spec_diag d = {0};
		snprintf(body, sizeof(body), "<key>%s</key>%s", cases[i].key, cases[i].good);
		struct job_spec *s = parse_body(body, &d);
		if (!s)
			fail_msg("%s: valid value refused: %s", cases[i].key, d.errors[0]);
		spec_free(s);
		snprintf(body, sizeof(body), "<key>%s</key>%s", cases[i].key, cases[i].bad);
		s = parse_body(body, &d);
		if (s)
			fail_msg("%s: invalid value %s accepted", cases[i].key, cases[i].bad);
		if (!any_contains(d.errors, d.nerrors, cases[i].error))
			fail_msg("%s: expected \"%s\" in \"%s\"", cases[i].key, cases[i].error, d.errors[0]);
		assert_true(strncmp(d.errors[0], "t.plist: ", 9) == 0);
		spec_diag_clear(&d);
	}
}

/* Every key the table knows is either tested above or ignored with a reason. */
static void test_key_table_fully_covered(void **state)
{
	(void)state;
	size_t count = 0;
	for (const struct key_def *k = spec_keys; k->name; k++)
		count++;
	assert_true(count <= SPEC_KEYS_MAX); /* the duplicate-key check has a slot for each */
	for (const struct key_def *k = spec_keys; k->name; k++) {
		if (!k->handle) {
			char body[256];
			struct spec_diag d = {0};
			snprintf(body, sizeof(body), "<key>%s</key><true/>", k->name);
			struct job_spec *s = parse_body(body, &d);
			assert_non_null(s);
			if (!any_contains(s->warnings, s->nwarnings, k->name))
				fail_msg("ignored key %s gives no warning", k->name);
			spec_free(s);
			continue;
		}
		bool tested = false;
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			tested |= strcmp(cases[i].key, k->name) == 0;
		if (!tested)
			fail_msg("key %s has a handler but no test case", k->name);
	}
}

/* Launch constraints keep every fact, the ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB-256 in lowercase; each key knows only its own facts. */
static void test_constraint_facts(void **state)
{
	(void)state;
	struct spec_diag d = {0};
	struct job_spec *s = parse_body("<key>SpawnConstraint</key><dict><key>owner</key><integer>7</integer>"
		"<key>sha256</key><string>ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB</string><key>in-bundle</key><string>/opt/A.app</string>"
		"<key>bundle-identifier</key><string>com.a</string></dict>"
		"<key>ResponsibleProcessConstraint</key><dict><key>uid</key><integer>501</integer>"
		"<key>executable</key><string>/usr/bin/c</string></dict>", &d);
	assert_non_null(s);
	assert_true(s->spawn_constraint.present && s->spawn_constraint.has_uid && s->spawn_constraint.uid == 7);
	assert_string_equal(s->spawn_constraint.sha256, "abababababababababababababababababababababababababababababababab");
	assert_string_equal(s->spawn_constraint.in_bundle, "/opt/A.app");
	assert_string_equal(s->spawn_constraint.bundle_identifier, "com.a");
	assert_true(s->responsible_constraint.has_uid && s->responsible_constraint.uid == 501);
	assert_string_equal(s->responsible_constraint.executable, "/usr/bin/c");
	spec_free(s);
	s = parse_body("<key>SpawnConstraint</key><dict><key>uid</key><integer>0</integer></dict>"
		"<key>ResponsibleProcessConstraint</key><dict><key>owner</key><integer>0</integer></dict>", &d);
	assert_null(s);
	assert_true(any_contains(d.errors, d.nerrors, "SpawnConstraint.uid: is not a fact"));
	assert_true(any_contains(d.errors, d.nerrors, "ResponsibleProcessConstraint.owner: is not a fact"));
	spec_diag_clear(&d);
}

static void test_values_land_in_spec(void **state)
{
	(void)state;
	struct spec_diag d = {0};
	struct job_spec *s = parse_body(
		"<key>label</key><string>com.x</string>" /* keys match case-insensitively */
		"<key>PROGRAMARGUMENTS</key><array><string>sleep</string><string>5</string></array>"
		"<key>Umask</key><integer>18</integer>"
		"<key>KeepAlive</key><dict><key>SuccessfulExit</key><false/><key>Crashed</key><true/>"
		"<key>PathState</key><dict><key>/tmp/flag</key><true/></dict>"
		"<key>OtherJobEnabled</key><dict><key>com.other</key><false/></dict></dict>"
		"<key>EnvironmentVariables</key><dict><key>A</key><string>1</string><key>N</key><integer>2</integer></dict>"
		"<key>HardResourceLimits</key><dict><key>NumberOfFiles</key><integer>512</integer></dict>"
		"<key>Nice</key><integer>-3</integer>", &d);
	assert_non_null(s);
	assert_string_equal(s->label, "com.x");
	assert_int_equal(s->argc, 2);
	assert_string_equal(spec_program(s), "sleep");
	assert_int_equal(s->umask, 022);
	assert_true(s->keepalive);
	assert_false(s->ka_always);
	assert_int_equal(s->ka_successful_exit, 0);
	assert_int_equal(s->ka_crashed, 1);
	assert_int_equal(s->nka_paths, 1);
	assert_string_equal(s->ka_paths[0].name, "/tmp/flag");
	assert_int_equal(s->nka_jobs, 1);
	assert_false(s->ka_jobs[0].want);
	assert_int_equal(s->nenv, 1);
	assert_string_equal(s->env[0], "A=1");
	assert_true(any_contains(s->warnings, s->nwarnings, "EnvironmentVariables.N: expected string, found integer"));
	assert_true(s->hard[RL_NOFILE].set);
	assert_int_equal(s->hard[RL_NOFILE].value, 512);
	assert_int_equal(s->nice, -3);
	assert_int_equal(s->throttle_interval, 10);
	assert_int_equal(s->exit_timeout, 20);
	spec_free(s);
}

static void test_warnings_for_unknown_and_noop(void **state)
{
	(void)state;
	struct spec_diag d = {0};
	struct job_spec *s = parse_body("<key>KeepAlvie</key><true/><key>TimeOut</key><integer>5</integer>"
		"<key>KeepAlive</key><dict><key>NetworkState</key><true/></dict>", &d);
	assert_non_null(s);
	assert_true(any_contains(s->warnings, s->nwarnings, "KeepAlvie: unknown key"));
	assert_true(any_contains(s->warnings, s->nwarnings, "TimeOut: never did anything"));
	assert_int_equal(s->ka_network, 1); /* honoured (netstate.c), not warned away */
	assert_false(any_contains(s->warnings, s->nwarnings, "NetworkState"));
	spec_free(s);
	s = parse_body("<key>OnDemand</key><false/>", &d);
	assert_true(s->ka_always); /* OnDemand false == KeepAlive true */
	spec_free(s);
}

static void test_duplicate_keys_refused(void **state)
{
	(void)state;
	struct spec_diag d = {0};
	assert_null(parse_body("<key>RunAtLoad</key><true/><key>runatload</key><false/>", &d));
	assert_true(any_contains(d.errors, d.nerrors, "RunAtLoad: given twice"));
	spec_diag_clear(&d);
}

static void test_required_keys(void **state)
{
	(void)state;
	struct spec_diag d = {0};
	const char *xml = HEAD "<key>Program</key><string>/bin/true</string>" TAIL;
	plist_t root = NULL;
	plist_from_xml(xml, (uint32_t)strlen(xml), &root);
	assert_null(spec_from_plist(root, "t.plist", &d));
	plist_free(root);
	assert_int_equal(d.code, LE_INVALID_LABEL);
	assert_true(any_contains(d.errors, d.nerrors, "Label: required key is missing"));
	spec_diag_clear(&d);
	xml = HEAD "<key>Label</key><string>x</string>" TAIL;
	root = NULL; /* libplist reads *plist on entry */
	plist_from_xml(xml, (uint32_t)strlen(xml), &root);
	assert_null(spec_from_plist(root, "t.plist", &d));
	plist_free(root);
	assert_int_equal(d.code, LE_INVALID_PROGRAM);
	spec_diag_clear(&d);
	assert_null(parse_body("<key>Label</key><string>a/b</string>", &d));
	assert_int_equal(d.code, LE_INVALID_LABEL);
	spec_diag_clear(&d);
}

static char *write_temp(const void *data, size_t len)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/gantry-test-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void test_file_errors(void **state)
{
	(void)state;
	struct spec_diag d = {0};
	const char *broken = HEAD "<key>Label</key><string>x</string>\n<key>Program</key><string>/bin/true</strin>\n" TAIL;
	char *p = write_temp(broken, strlen(broken));
	assert_null(spec_load_file(p, &d));
	assert_int_equal(d.code, LE_INVALID_PLIST);
	if (!strstr(d.errors[0], "line 5") || !strstr(d.errors[0], "XML syntax error"))
		fail_msg("no line number: %s", d.errors[0]);
	spec_diag_clear(&d);
	unlink(p);

	p = write_temp("", 0);
	assert_null(spec_load_file(p, &d));
	assert_true(strstr(d.errors[0], "empty file") != NULL);
	spec_diag_clear(&d);
	unlink(p);

	assert_null(spec_load_file("/nonexistent/x.plist", &d));
	assert_true(strstr(d.errors[0], "No such file or directory") != NULL);
	spec_diag_clear(&d);

	const char *array_root = "<?xml version=\"1.0\"?><plist version=\"1.0\"><array/></plist>";
	p = write_temp(array_root, strlen(array_root));
	assert_null(spec_load_file(p, &d));
	assert_true(strstr(d.errors[0], "(root): expected dictionary, found array") != NULL);
	spec_diag_clear(&d);
	unlink(p);
}

static void test_binary_plist(void **state)
{
	(void)state;
	plist_t root = plist_new_dict();
	plist_dict_set_item(root, "Label", plist_new_string("com.bin"));
	plist_dict_set_item(root, "Program", plist_new_string("/bin/true"));
	plist_dict_set_item(root, "RunAtLoad", plist_new_bool(1));
	char *bin = NULL;
	uint32_t len = 0;
	plist_to_bin(root, &bin, &len);
	plist_free(root);
	char *p = write_temp(bin, len);
	plist_to_bin_free(bin);
	struct spec_diag d = {0};
	struct job_spec *s = spec_load_file(p, &d);
	assert_non_null(s);
	assert_string_equal(s->label, "com.bin");
	assert_true(s->run_at_load);
	spec_free(s);
	unlink(p);
	p = write_temp("bplist00garbage", 15);
	assert_null(spec_load_file(p, &d));
	assert_true(strstr(d.errors[0], "corrupt binary property list") != NULL);
	spec_diag_clear(&d);
	unlink(p);
}

/* Does the spec's warning list hold one that contains text? */
static bool warned(const struct job_spec *s, const char *text)
{
	for (size_t i = 0; i < s->nwarnings; i++)
		if (strstr(s->warnings[i], text))
			return true;
	return false;
}

/* macOS paths and group names with a Linux equivalent are translated, each with a warning (spec_compat.c). */
static void test_macos_paths_and_groups(void **state)
{
	(void)state;
	struct stat st;
	if (stat("/private", &st) == 0 || stat("/Users", &st) == 0)
		skip(); /* a machine that has them keeps them */
	struct spec_diag d = {0};
	struct job_spec *s = parse_body("<key>StandardOutPath</key><string>/private/var/log/x.log</string>"
		"<key>WorkingDirectory</key><string>/Users/bob/Library</string>"
		"<key>WatchPaths</key><array><string>/private/etc/hosts</string><string>/privately/x</string></array>"
		"<key>UserName</key><string>nobody</string><key>GroupName</key><string>wheel</string>", &d);
	assert_non_null(s);
	assert_string_equal(s->stdout_path, "/var/log/x.log");
	assert_string_equal(s->working_dir, "/home/bob/Library");
	assert_string_equal(s->watch_paths[0], "/etc/hosts");
	assert_string_equal(s->watch_paths[1], "/privately/x"); /* a whole component only */
	assert_true(warned(s, "StandardOutPath: /private/var/log/x.log: macOS's /private does not exist here; using "
		"/var/log/x.log"));
	if (!getgrnam("wheel")) {
		assert_string_equal(s->group, "root");
		assert_true(warned(s, "wheel: no such group here; using root"));
	}
	spec_free(s);
	s = parse_body("<key>UserName</key><string>nobody</string><key>GroupName</key><string>staff</string>", &d);
	assert_non_null(s);
	if (!getgrnam("staff"))
		assert_null(s->group); /* the user's primary group */
	spec_free(s);
	spec_diag_clear(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key_valid_and_invalid),
		cmocka_unit_test(test_socket_specs),
		cmocka_unit_test(test_key_table_fully_covered),
		cmocka_unit_test(test_values_land_in_spec),
		cmocka_unit_test(test_constraint_facts),
		cmocka_unit_test(test_warnings_for_unknown_and_noop),
		cmocka_unit_test(test_duplicate_keys_refused),
		cmocka_unit_test(test_required_keys),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_binary_plist),
		cmocka_unit_test(test_macos_paths_and_groups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
