/* StartOnMount: starting jobs when a filesystem is mounted (mounts.c). */
#ifndef GANTRY_MOUNTS_H
#define GANTRY_MOUNTS_H

/* A StartOnMount job was loaded / freed: the mount table is watched while there are any. */
void mounts_add(void);
void mounts_remove(void);

#endif
