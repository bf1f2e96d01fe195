/* The table of trigger kinds (see triggers.h): one entry per kind. */
#include "mounts.h"
#include "pathtrig.h"
#include "sockets.h"
#include "timers.h"
#include "triggers.h"

const struct trigger_kind *const trigger_kinds[] = {&timers_trigger, &paths_trigger, &sockets_trigger, &mounts_trigger,
	NULL};

_Static_assert(sizeof(trigger_kinds) / sizeof(trigger_kinds[0]) <= TRIGGER_KINDS_MAX + 1, "raise TRIGGER_KINDS_MAX");
