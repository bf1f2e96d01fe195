/* KeepAlive NetworkState (see netstate.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <ifaddrs.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "netstate.h"

static struct watch nl_watch = {.fd = -1};
static int users;
static bool up;
static void (*on_change)(void);

/* Looks at the interfaces now: any non-loopback one up with an IPv4 or IPv6 address. */
static bool look(void)
{
	struct ifaddrs *all;
	if (getifaddrs(&all) < 0)
		return up; /* keep the last answer; the next change looks again */
	bool found = false;
	for (struct ifaddrs *a = all; a && !found; a = a->ifa_next)
		found = a->ifa_addr && (a->ifa_addr->sa_family == AF_INET || a->ifa_addr->sa_family == AF_INET6) &&
			(a->ifa_flags & IFF_UP) && !(a->ifa_flags & IFF_LOOPBACK);
	freeifaddrs(all);
	return found;
}

static void on_netlink(struct watch *w, uint32_t events)
{
	char buf[8192];
	(void)events;
	while (recv(w->fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		; /* what changed does not matter: the interfaces are looked at whole */
	bool now = look();
	if (now == up)
		return;
	up = now;
	log_msg(LOG_INFO, "network is %s: KeepAlive NetworkState conditions looked at again", up ? "up" : "down");
	if (on_change)
		on_change();
}

static void start_watching(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR};
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || loop_watch(&nl_watch, fd, EPOLLIN, on_netlink)) {
		log_msg(LOG_ERR, "cannot watch the network (rtnetlink): %s; NetworkState is evaluated only when other "
			"conditions change", strerror(errno));
		if (fd >= 0)
			close(fd);
		nl_watch.fd = -1;
	}
	up = look(); /* after subscribing: a change in between is not lost */
}

static void stop_watching(void)
{
	if (nl_watch.fd < 0)
		return;
	int fd = nl_watch.fd;
	loop_unwatch(&nl_watch);
	close(fd);
}

void netstate_use(int delta, void (*changed)(void))
{
	on_change = changed;
	int before = users;
	users += delta;
	if (before == 0 && users > 0)
		start_watching();
	else if (before > 0 && users == 0)
		stop_watching();
}

bool netstate_up(void)
{
	return users > 0 && nl_watch.fd < 0 ? look() : up;
}
