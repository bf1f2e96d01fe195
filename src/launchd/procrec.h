/*
 * Records of the job processes this launchd started, one fixed-size slot
 * per running job in a file of the run directory (tmpfs: it does not outlive
 * a reboot, and needs no fsync — launchd's crash does not lose the page
 * cache). A launchd that starts after its predecessor died (kill -9, a
 * crash) finds what that one left running — each record's pid and start
 * time, checked through a pidfd so a reused pid is never mistaken for a
 * job — and stops it before loading any job: every job then has exactly one
 * instance. `print` says what was stopped.
 */
#ifndef GANTRY_PROCREC_H
#define GANTRY_PROCREC_H

#include <stdint.h>
#include <sys/types.h>

/*
 * Opens (creates) the record file at path, stops every process a previous
 * launchd recorded that still runs (SIGTERM to its process group, SIGKILL
 * after LEFTOVER_TIMEOUT_S), and starts an empty record. Returns how many
 * were stopped; logs what it did.
 */
int procrec_start(const char *path);
/* Records a job's new process; returns its slot (for procrec_remove), or -1 if it could not be recorded. */
int procrec_add(pid_t pid, const char *domain, const char *label);
/* The process of slot is gone (reaped). */
void procrec_remove(int slot);
/* "pid N, left running by a launchd that exited uncleanly, was stopped at start", or NULL for that job. */
const char *procrec_note(const char *domain, const char *label);

/* Field (numbered as in proc(5), from 3) of /proc/<pid>/stat; 0 if it cannot be read. */
uint64_t procrec_stat_field(pid_t pid, int field);

#endif
