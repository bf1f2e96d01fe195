/*
 * launchctl background: the registry of Service Management items (the
 * analogue of macOS's `sfltool dumpbtm` / `resetbtm`, scoped to one item and
 * never needing a reboot): list [--json], approve ID, deny ID, reset [ID].
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "protocol.h"
#include "verbs.h"

static const char *const status_names[] = {"notRegistered", "enabled", "requiresApproval", "notFound"};

static void print_time(const char *what, int64_t t)
{
	char buf[64];
	time_t tt = (time_t)t;
	struct tm tm;
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", localtime_r(&tt, &tm));
	printf("\t%s = %s\n", what, buf);
}

static void print_item(xpc_object_t it)
{
	int64_t status = xpc_dictionary_get_int64(it, KEY_STATUS);
	const char *detail = xpc_dictionary_get_string(it, KEY_DETAIL);
	printf("%s (%s) = {\n", xpc_dictionary_get_string(it, KEY_ID), xpc_dictionary_get_string(it, KEY_KIND));
	printf("\tbundle = %s\n", xpc_dictionary_get_string(it, KEY_BUNDLE));
	if (*xpc_dictionary_get_string(it, KEY_BUNDLE_IDENTIFIER))
		printf("\tbundle identifier = %s %s\n", xpc_dictionary_get_string(it, KEY_BUNDLE_IDENTIFIER),
			xpc_dictionary_get_string(it, KEY_BUNDLE_VERSION));
	if (*xpc_dictionary_get_string(it, KEY_PLIST))
		printf("\tplist = %s (sha256 %.16s...)\n", xpc_dictionary_get_string(it, KEY_PLIST),
			xpc_dictionary_get_string(it, KEY_PLIST_SHA256));
	printf("\texecutable = %s (sha256 %.16s...)\n", xpc_dictionary_get_string(it, KEY_EXECUTABLE),
		xpc_dictionary_get_string(it, KEY_EXECUTABLE_SHA256));
	printf("\towner = %lld\n", (long long)xpc_dictionary_get_int64(it, KEY_OWNER));
	printf("\tapproval = %s\n", xpc_dictionary_get_string(it, KEY_APPROVAL));
	printf("\tstatus = %s (%s)%s%s\n", status >= 0 && status < 4 ? status_names[status] : "?",
		xpc_dictionary_get_string(it, KEY_REASON), detail && *detail ? ": " : "", detail ? detail : "");
	if (xpc_dictionary_get_int64(it, KEY_PID))
		printf("\tstate = running (pid %lld)\n", (long long)xpc_dictionary_get_int64(it, KEY_PID));
	else
		printf("\tstate = %s\n", xpc_dictionary_get_bool(it, KEY_LOADED) ? "loaded, not running" : "not loaded");
	print_time("registered", xpc_dictionary_get_int64(it, KEY_REGISTERED));
	print_time("updated", xpc_dictionary_get_int64(it, KEY_UPDATED));
	printf("}\n");
}

/* Jobs from job directories, listed like macOS's legacy background items. */
static void print_legacy(xpc_object_t legacy)
{
	if (!xpc_array_get_count(legacy))
		return;
	printf("legacy items (loaded from job directories; no approval needed) = {\n");
	for (size_t i = 0; i < xpc_array_get_count(legacy); i++) {
		xpc_object_t it = xpc_array_get_value(legacy, i);
		xpc_object_t ids = xpc_dictionary_get_array(it, KEY_ASSOCIATED_BUNDLE_IDENTIFIERS);
		printf("\t%s (%s) %s", xpc_dictionary_get_string(it, KEY_ID), xpc_dictionary_get_string(it, KEY_KIND),
			xpc_dictionary_get_string(it, KEY_PLIST));
		for (size_t k = 0; k < xpc_array_get_count(ids); k++)
			printf("%s%s", k ? ", " : " for ", xpc_array_get_string(ids, k));
		printf("\n");
	}
	printf("}\n");
}

static int bg_list(int argc, char **argv)
{
	bool json = want_json(&argc, argv);
	if (argc != 0)
		return usage_error("background", "list takes no arguments besides --json");
	xpc_object_t reply;
	int r = call(request_new(ROUTINE_BACKGROUND_LIST, NULL), "Background list", &reply);
	if (!r) {
		xpc_object_t items = xpc_dictionary_get_array(reply, KEY_ITEMS);
		if (json) { /* registered items, then legacy ones (kind legacy-daemon / legacy-agent) */
			xpc_object_t all = xpc_copy(items), legacy = xpc_dictionary_get_array(reply, KEY_LEGACY);
			for (size_t i = 0; i < xpc_array_get_count(legacy); i++)
				xpc_array_append_value(all, xpc_array_get_value(legacy, i));
			json_print(stdout, all);
			xpc_release(all);
		}
		for (size_t i = 0; !json && i < xpc_array_get_count(items); i++)
			print_item(xpc_array_get_value(items, i));
		if (!json && !xpc_array_get_count(items))
			printf("no background items are registered\n");
		if (!json)
			print_legacy(xpc_dictionary_get_array(reply, KEY_LEGACY));
	}
	xpc_release(reply);
	return r;
}

static int bg_change(const char *routine, const char *what, const char *id)
{
	xpc_object_t req = request_new(routine, NULL), reply;
	if (id)
		xpc_dictionary_set_string(req, KEY_ID, id);
	int r = call(req, what, &reply);
	if (!r && xpc_dictionary_get_value(reply, KEY_STATUS)) {
		int64_t status = xpc_dictionary_get_int64(reply, KEY_STATUS);
		const char *detail = xpc_dictionary_get_string(reply, KEY_DETAIL);
		printf("%s: %s (%s)%s%s\n", id, status >= 0 && status < 4 ? status_names[status] : "?",
			xpc_dictionary_get_string(reply, KEY_REASON_NAME), detail && *detail ? ": " : "", detail ? detail : "");
	} else if (!r) {
		printf("removed %lld item(s)\n", (long long)xpc_dictionary_get_int64(reply, KEY_REMOVED));
	}
	xpc_release(reply);
	return r;
}

static int cmd_background(int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";
	if (strcmp(sub, "list") == 0)
		return bg_list(argc - 1, argv + 1);
	if ((strcmp(sub, "approve") == 0 || strcmp(sub, "deny") == 0) && argc == 2)
		return bg_change(sub[0] == 'a' ? ROUTINE_BACKGROUND_APPROVE : ROUTINE_BACKGROUND_DENY,
			sub[0] == 'a' ? "Background approve" : "Background deny", argv[1]);
	if (strcmp(sub, "reset") == 0 && argc <= 2)
		return bg_change(ROUTINE_BACKGROUND_RESET, "Background reset", argc == 2 ? argv[1] : NULL);
	return usage_error("background", "expected list [--json] | approve ID | deny ID | reset [ID]");
}

const struct verb background_verbs[] = {
	{"background", cmd_background, "list [--json] | approve ID | deny ID | reset [ID]",
		"Service Management items: show them, approve or deny one, forget one (or all of yours)"},
	{NULL, NULL, NULL, NULL},
};
