/*
 * Records of the job processes this launchd started, one fixed-size slot
 * per running job in a file of the run directory (tmpfs: it does not outlive
 * a reboot, and needs no fsync — launchd's crash does not lose the page
 * cache). A launchd that starts after its predecessor died (kill -9, a
 * crash) finds what that one left running — each record's pid and start
 * time, checked through a pidfd so a reused pid is never mistaken for a
 * job — and stops it before loading any job: every job then has exactly one
 * instance. `print` says what was stopped.
 *
 * A record is written by the job's process itself, in spawn's child before
 * it does anything else (procrec_write_child): recorded by launchd after the
 * exec, a process that had already run — and been seen by a client — was
 * unknown to the next launchd when this one was killed in between.
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
#define PROCREC_LABEL_MAX 200
struct procrec_record {
	int32_t pid;        /* 0: a free slot */
	uint32_t verified;  /* 0 on disk; 1 in memory once checked to be a leftover still running */
	uint64_t starttime; /* field 22 of /proc/<pid>/stat: with the pid, names one process for ever */
	char domain[24];
	char label[PROCREC_LABEL_MAX];
};

/* A record made ready for a spawn: slot -1 if there is no record file. */
struct procrec_ticket {
	int fd;
	int slot;
	struct procrec_record rec;
};

/* Reserves a slot for a job process about to be spawned. */
void procrec_prepare(struct procrec_ticket *t, const char *domain, const char *label);
/* In spawn's child, first thing: writes the ticket's record with the child's pid and start time. Async-signal-safe. */
void procrec_write_child(const struct procrec_ticket *t);
/* The process of slot is gone (reaped), or was never started (a failed spawn). */
void procrec_remove(int slot);
/* "pid N, left running by a launchd that exited uncleanly, was stopped at start", or NULL for that job. */
const char *procrec_note(const char *domain, const char *label);

/* Field (numbered as in proc(5), from 3) of /proc/<pid>/stat (pid 0: this process); 0 if it cannot be read. */
uint64_t procrec_stat_field(pid_t pid, int field);

#endif
