/* The daemon's global context (see launchd.h). */
#include "launchd.h"
#include "sys.h"

struct launchd g_launchd;
const struct sys_ops *sys;
