/*
 * What a Gantry program does when it cannot go on: every allocation failure
 * in launchd, the job-spec library and libxpc ends here, and so do the few
 * other failures nothing can recover from in place (no descriptor for an
 * eventfd or socketpair, no thread, a broken internal invariant). Anywhere but PID 1:
 * abort(), for a core dump to read. As PID 1, abort() would panic the kernel
 * or end the container, so the process writes one line to stderr and runs
 * itself again — the same binary and command line, read without allocating —
 * as `launchctl reboot userspace` does: the new launchd stops the job
 * processes its predecessor recorded and loads the job directories again.
 * If that exec fails, it tries again every second; it never exits.
 */
#ifndef GANTRY_OOM_H
#define GANTRY_OOM_H

__attribute__((noreturn, cold)) void gantry_oom(void);

#endif
