/*
 * The Sockets and inetdCompatibility keys of launchd.plist(5): each
 * Sockets entry (a dictionary, or an array of them under one name) becomes
 * a struct spec_socket; every sub-key is checked, with the key path in the
 * error ("Sockets.Listeners.SockType: expected stream, dgram or seqpacket").
 */
#define _GNU_SOURCE
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>
#include <sys/socket.h>

#include "errors.h"
#include "plistio.h"
#include "spec_parse.h"
#include "oom.h"

static struct spec_socket *current(struct parse *p)
{
	return &p->s->sockets[p->s->nsockets - 1];
}

static bool named(struct parse *p, const char *path, plist_t v, const char *const *names, const int *values,
	int *out, const char *expected)
{
	char *s = NULL;
	if (!want_string(p, path, v, &s))
		return false;
	for (size_t i = 0; names[i]; i++)
		if (strcasecmp(s, names[i]) == 0) {
			*out = values[i];
			free(s);
			return true;
		}
	parse_error(p, LE_INVALID_PLIST, path, "expected %s, found \"%s\"", expected, s);
	free(s);
	return false;
}

static void socket_field(struct parse *p, const char *parent, const char *key, plist_t v)
{
	static const char *const types[] = {"stream", "dgram", "seqpacket", NULL};
	static const int type_values[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
	static const char *const families[] = {"IPv4", "IPv6", "IPv4v6", "Unix", NULL};
	static const int family_values[] = {AF_INET, AF_INET6, AF_UNSPEC, AF_UNIX};
	static const char *const protocols[] = {"TCP", "UDP", NULL};
	static const int protocol_values[] = {IPPROTO_TCP, IPPROTO_UDP};
	struct spec_socket *sk = current(p);
	char path[512];
	int64_t n;
	snprintf(path, sizeof(path), "%s.%s", parent, key);
	if (strcasecmp(key, "SockType") == 0) {
		named(p, path, v, types, type_values, &sk->type, "stream, dgram or seqpacket");
	} else if (strcasecmp(key, "SockPassive") == 0) {
		want_bool(p, path, v, &sk->passive);
	} else if (strcasecmp(key, "SockNodeName") == 0) {
		want_string(p, path, v, &sk->node);
	} else if (strcasecmp(key, "SockServiceName") == 0) {
		if (plist_get_node_type(v) == PLIST_UINT && want_int(p, path, v, 0, 65535, &n)) {
			if (asprintf(&sk->service, "%lld", (long long)n) < 0)
				gantry_oom();
		} else if (plist_get_node_type(v) != PLIST_UINT && want_string(p, path, v, &sk->service) &&
			   strspn(sk->service, "0123456789") != strlen(sk->service) && !getservbyname(sk->service, NULL)) {
			parse_error(p, LE_INVALID_PLIST, path, "\"%s\" is neither a port number nor a service in /etc/services",
				sk->service);
		}
	} else if (strcasecmp(key, "SockFamily") == 0) {
		named(p, path, v, families, family_values, &sk->family, "IPv4, IPv6, IPv4v6 or Unix");
	} else if (strcasecmp(key, "SockProtocol") == 0) {
		named(p, path, v, protocols, protocol_values, &sk->protocol, "TCP or UDP");
	} else if (strcasecmp(key, "SockPathName") == 0) {
		if (want_string(p, path, v, &sk->path) && sk->path[0] != '/')
			parse_error(p, LE_INVALID_PLIST, path, "\"%s\" must be an absolute path", sk->path);
	} else if (strcasecmp(key, "SockPathMode") == 0) {
		/* cupsd ships 49663 = 0140777: the socket's whole st_mode, file type included */
		if (!want_int(p, path, v, 0, 0177777, &n)) {
		} else if (n > 07777 && (n & ~07777) != S_IFSOCK) {
			parse_error(p, LE_INVALID_PLIST, path, "%lld (0%llo): expected permission bits, 0 to 07777 "
				"(optionally with the socket type, 0140000)", (long long)n, (unsigned long long)n);
		} else {
			sk->path_mode = (int)(n & 07777);
			if (n > 07777)
				parse_warn(p, path, "%lld is 0%llo, a socket's whole mode; using its permission bits, 0%o",
					(long long)n, (unsigned long long)n, (unsigned)(n & 07777));
		}
	} else if (strcasecmp(key, "SockPathOwner") == 0) {
		want_int(p, path, v, 0, UINT32_MAX - 1, &sk->path_owner);
	} else if (strcasecmp(key, "SockPathGroup") == 0) {
		want_int(p, path, v, 0, UINT32_MAX - 1, &sk->path_group);
	} else if (strcasecmp(key, "MulticastGroup") == 0) {
		want_string(p, path, v, &sk->multicast);
	} else if (strcasecmp(key, "SecureSocketWithKey") == 0) {
		want_string(p, path, v, &sk->secure_key);
	} else if (strcasecmp(key, "ReceivePacketInfo") == 0) {
		want_bool(p, path, v, &sk->packet_info);
	} else if (strcasecmp(key, "Bonjour") == 0) {
		parse_warn(p, path, "Bonjour registration is not supported on Linux; ignored");
	} else {
		parse_error(p, LE_INVALID_PLIST, path, "unknown socket key (known: SockType, SockPassive, SockNodeName, "
			"SockServiceName, SockFamily, SockProtocol, SockPathName, SockPathMode, SockPathOwner, SockPathGroup, "
			"MulticastGroup, SecureSocketWithKey, ReceivePacketInfo, Bonjour)");
	}
}

static void socket_entry(struct parse *p, const char *name, const char *path, plist_t dict)
{
	struct job_spec *s = p->s;
	s->sockets = realloc(s->sockets, (s->nsockets + 1) * sizeof(*s->sockets));
	if (!s->sockets)
		gantry_oom();
	s->sockets[s->nsockets++] = (struct spec_socket){.name = strdup(name), .type = SOCK_STREAM, .passive = true,
		.family = AF_UNSPEC, .path_mode = -1, .path_owner = -1, .path_group = -1};
	each_entry(p, dict, path, socket_field);
	struct spec_socket *sk = current(p);
	if (sk->secure_key && !sk->path) {
		/* launchd makes the path, in a private directory, when the job is loaded */
	} else if (sk->path) {
		sk->family = AF_UNIX;
	} else if (sk->family == AF_UNIX) {
		parse_error(p, LE_INVALID_PLIST, path, "SockFamily Unix needs SockPathName");
	} else if (!sk->service) {
		parse_error(p, LE_INVALID_PLIST, path, "needs SockServiceName (a port) or SockPathName");
	}
	if (sk->protocol == IPPROTO_UDP && sk->type == SOCK_STREAM)
		sk->type = SOCK_DGRAM;
}

static void socket_name(struct parse *p, const char *parent, const char *key, plist_t v)
{
	char path[512];
	snprintf(path, sizeof(path), "%s.%s", parent, key);
	if (plist_get_node_type(v) == PLIST_DICT) {
		socket_entry(p, key, path, v);
		return;
	}
	if (plist_get_node_type(v) != PLIST_ARRAY) {
		parse_error(p, LE_INVALID_PLIST, path, "expected dictionary or array of dictionaries");
		return;
	}
	uint32_t n;
	plist_t *items = gantry_plist_array_items(v, &n);
	for (uint32_t i = 0; i < n; i++) {
		char item[560];
		snprintf(item, sizeof(item), "%s[%u]", path, i);
		if (want_dict(p, item, items[i]))
			socket_entry(p, key, item, items[i]);
	}
	free(items);
}

void key_sockets(struct parse *p, const char *k, plist_t v)
{
	if (want_dict(p, k, v))
		each_entry(p, v, k, socket_name);
	p->s->has_sockets = p->s->nsockets > 0;
}

void key_inetd(struct parse *p, const char *k, plist_t v)
{
	if (!want_dict(p, k, v))
		return;
	p->s->inetd = true;
	plist_t wait = plist_dict_get_item(v, "Wait");
	char path[64];
	snprintf(path, sizeof(path), "%s.Wait", k);
	if (wait)
		want_bool(p, path, wait, &p->s->inetd_wait);
}
