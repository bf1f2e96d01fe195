/* Accepting on a listening socket without spinning when the process is out of descriptors. */
#ifndef GANTRY_ACCEPT_H
#define GANTRY_ACCEPT_H

/*
 * accept4(fd, SOCK_CLOEXEC): a connection, or -1 with errno. At the descriptor limit (EMFILE, ENFILE) a
 * pending connection would wake a level-triggered poller for ever while nothing can take it: it is
 * accepted on a descriptor kept spare for that and closed at once (the client sees the connection end),
 * and -1 is returned with errno EMFILE.
 */
int gantry_accept(int fd);

#endif
