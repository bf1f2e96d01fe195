/* The daemon's global context (see launchd.h). */
#include "launchd.h"

struct launchd g_launchd;
