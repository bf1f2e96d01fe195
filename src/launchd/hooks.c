/* Wiring the core's hooks to the layers above it (see hooks.h). */
#include "background.h"
#include "control.h"
#include "hooks.h"
#include "launchd.h"
#include "lifecycle.h"
#include "logreq.h"
#include "requests.h"
#include "sessions.h"
#include "sessreq.h"
#include "settings.h"
#include "smrequests.h"
#include "sys.h"
#include "xpcrequests.h"
#include "triggers.h"

const struct routine *const launchd_routines[] = {request_routines, settings_routines, xpc_routines, sm_routines,
	lifecycle_routines, log_routines, session_routines, NULL};

void hooks_install(void)
{
	sys = &sys_real;
	g_launchd.hooks = (struct launchd_hooks){
		.deliver = control_deliver,
		.domain_loading = sm_load_domain,
		.owns_label = sm_owns_label,
		.lookup_reason = sm_lookup_reason,
		.job_exited = lifecycle_job_exited,
		.session_types = sessions_types_of,
		.triggers = trigger_kinds,
	};
}
