/*
 * KeepAlive NetworkState: is the network up — some interface other than
 * loopback up with an address? Watched through rtnetlink (link and address
 * changes, no polling) while any job asks; its user is told when the
 * answer changes.
 */
#ifndef GANTRY_NETSTATE_H
#define GANTRY_NETSTATE_H

#include <stdbool.h>

/*
 * A job with NetworkState was loaded (+1) or freed (-1): the kernel is watched while any is, and changed()
 * runs when the network comes up or goes down.
 */
void netstate_use(int delta, void (*changed)(void));
/* The network as last seen: up when a non-loopback interface is up and has an IPv4 or IPv6 address. */
bool netstate_up(void);

#endif
