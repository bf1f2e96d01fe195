/* Notifying the service manager that started launchd (systemd's $NOTIFY_SOCKET protocol); see notify.c. */
#ifndef GANTRY_NOTIFY_H
#define GANTRY_NOTIFY_H

/* Reads $NOTIFY_SOCKET (and removes it from the environment jobs inherit). */
void notify_init(void);
/* Sends one state datagram ("READY=1\nMAINPID=..."), if a manager asked for them. */
void notify_state(const char *state);

#endif
