/*
 * The fuzz targets' launchd: the daemon's globals and an in-memory
 * user-mode launchd under a private LAUNCHD_ROOT, with spawn_job() replaced
 * by a stub that fails (the seam between the engine and the OS), so nothing
 * a fuzzed input names is ever run.
 */
#ifndef GANTRY_FUZZ_LAUNCHD_STUBS_H
#define GANTRY_FUZZ_LAUNCHD_STUBS_H

/* Creates the root, the paths, the event loop and the user's gui and user domains; aborts on failure. */
void fuzz_launchd_init(void);

#endif
