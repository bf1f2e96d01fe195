/* Socket activation (see sockets.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accept.h"
#include "domain.h"
#include "errors.h"
#include "identity.h"
#include "job.h"
#include "log.h"
#include "procrec.h"
#include "protocol.h"
#include "sockets.h"
#include "sys.h"
#include "oom.h"

/* A job's sockets are bounded: each is a descriptor launchd holds for as long as the job is loaded. */
#define SOCKETS_MAX SPAWN_MAX_FDS

struct held {
	struct watch w;
	struct job_sockets *owner;
	const struct spec_socket *spec;
	char address[128];
	pid_t activated_by; /* launch_activate_socket() already answered this process */
};

struct job_sockets {
	struct job *job;
	struct held s[SOCKETS_MAX];
	size_t n;
	int fds[SOCKETS_MAX];
	char names[SOCKETS_MAX * 64];
	unsigned long accepted, instances; /* inetd, Wait = false */
};

/* inetd instances (Wait = false) are reaped here, outliving their job's unload if need be. */
struct instance {
	struct watch w;
	pid_t pid;
	int rec_slot; /* in the process record, so a launchd after a crash stops it too */
	struct job_sockets *owner;
	struct instance *next;
};
static struct instance *instances;

static int fail(struct gerror *e, const struct spec_socket *sk, const char *what, int err)
{
	return gerror_set(e, darwin_errno(err), "Sockets.%s: %s %s: %s", sk->name, what, sk->path ? sk->path : "",
		strerror(err));
}

static int unix_socket(const struct spec_socket *sk, struct gerror *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(sk->path) >= sizeof(sa.sun_path))
		return -fail(e, sk, "path too long:", ENAMETOOLONG);
	strcpy(sa.sun_path, sk->path);
	int fd = socket(AF_UNIX, sk->type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -fail(e, sk, "socket", errno);
	struct stat st;
	if (sk->passive && lstat(sk->path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(sk->path); /* a stale socket from an earlier run */
	int r = sk->passive ? bind(fd, (struct sockaddr *)&sa, sizeof(sa)) : connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r < 0 || (sk->passive && sk->type != SOCK_DGRAM && listen(fd, SOMAXCONN) < 0)) {
		int err = errno;
		close(fd);
		return -fail(e, sk, sk->passive ? "bind" : "connect", err);
	}
	if (sk->passive && sk->path_mode >= 0 && chmod(sk->path, (mode_t)sk->path_mode) < 0)
		log_msg(LOG_WARNING, "Sockets.%s: chmod %s: %s", sk->name, sk->path, strerror(errno));
	if (sk->passive && (sk->path_owner >= 0 || sk->path_group >= 0) &&
	    chown(sk->path, (uid_t)sk->path_owner, (gid_t)sk->path_group) < 0)
		log_msg(LOG_WARNING, "Sockets.%s: chown %s: %s", sk->name, sk->path, strerror(errno));
	return fd;
}

static void join_group(int fd, const struct spec_socket *sk, int family)
{
	int r = -1;
	if (family == AF_INET) {
		struct ip_mreq m = {.imr_interface.s_addr = htonl(INADDR_ANY)};
		if (inet_pton(AF_INET, sk->multicast, &m.imr_multiaddr) == 1)
			r = setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m));
	} else {
		struct ipv6_mreq m = {0};
		if (inet_pton(AF_INET6, sk->multicast, &m.ipv6mr_multiaddr) == 1)
			r = setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof(m));
	}
	if (r < 0)
		log_msg(LOG_WARNING, "Sockets.%s: MulticastGroup %s: %s", sk->name, sk->multicast,
			errno ? strerror(errno) : "not an address of the socket's family");
}

/* ReceivePacketInfo: each datagram comes with the address it was sent to (IP_PKTINFO / IPV6_RECVPKTINFO). */
static int receive_packet_info(int fd, int family)
{
	int one = 1;
	return family == AF_INET ? setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one))
				 : setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
}

static int port_of(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
}

/*
 * One descriptor per address getaddrinfo() gives (IPv4 and IPv6 for
 * IPv4v6); for a job of a user (owner != 0), none below the unprivileged
 * port range.
 */
static int inet_sockets(struct job_sockets *js, const struct spec_socket *sk, uid_t owner, struct gerror *e)
{
	struct addrinfo hints = {.ai_family = sk->family, .ai_socktype = sk->type, .ai_protocol = sk->protocol,
		.ai_flags = sk->passive ? AI_PASSIVE : 0}, *res;
	int r = getaddrinfo(sk->node, sk->service, &hints, &res);
	if (r)
		return gerror_set(e, LE_INVALID_PLIST, "Sockets.%s: %s:%s: %s", sk->name, sk->node ? sk->node : "*",
			sk->service, gai_strerror(r));
	int err = 0;
	for (struct addrinfo *a = res; a && !err; a = a->ai_next) {
		char host[64], port[16];
		getnameinfo(a->ai_addr, a->ai_addrlen, host, sizeof(host), port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
		int lowest = owner && sk->passive ? identity_unprivileged_port_start() : 0;
		if (port_of(a->ai_addr) > 0 && port_of(a->ai_addr) < lowest) {
			err = gerror_set(e, EACCES, "Sockets.%s: port %s is privileged (below %d); only a system daemon may "
				"listen on it", sk->name, port, lowest);
			break;
		}
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol), one = 1;
		if (fd < 0 || js->n == SOCKETS_MAX) {
			err = gerror_set(e, darwin_errno(fd < 0 ? errno : EMFILE), "Sockets.%s: socket for %s: %s", sk->name,
				host, fd < 0 ? strerror(errno) : "too many sockets");
			if (fd >= 0)
				close(fd);
			break;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (a->ai_family == AF_INET6) /* IPv4 gets its own socket */
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (sk->passive ? bind(fd, a->ai_addr, a->ai_addrlen) < 0 ||
				      (sk->type != SOCK_DGRAM && listen(fd, SOMAXCONN) < 0)
				: connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
			err = gerror_set(e, darwin_errno(errno), "Sockets.%s: %s %s%s%s:%s: %s", sk->name,
				sk->passive ? "bind" : "connect", a->ai_family == AF_INET6 ? "[" : "", host,
				a->ai_family == AF_INET6 ? "]" : "", port, strerror(errno));
			close(fd);
			break;
		}
		if (sk->multicast)
			join_group(fd, sk, a->ai_family);
		if (sk->packet_info && receive_packet_info(fd, a->ai_family) < 0)
			log_msg(LOG_WARNING, "Sockets.%s: ReceivePacketInfo: %s", sk->name, strerror(errno));
		struct held *h = &js->s[js->n];
		h->spec = sk;
		h->w.fd = fd;
		snprintf(h->address, sizeof(h->address), "%s%s%s:%s %s", a->ai_family == AF_INET6 ? "[" : "", host,
			a->ai_family == AF_INET6 ? "]" : "", port, sk->type == SOCK_DGRAM ? "udp" : "tcp");
		js->n++;
	}
	freeaddrinfo(res);
	return err;
}

/* SecureSocketWithKey: a path in a private directory, exported to the job in an environment variable. */
static int secure_path(struct job_spec *spec, struct spec_socket *sk, struct gerror *e)
{
	char dir[] = "/tmp/launch-XXXXXX";
	if (!mkdtemp(dir))
		return gerror_set(e, darwin_errno(errno), "Sockets.%s: SecureSocketWithKey: mkdtemp: %s", sk->name,
			strerror(errno));
	if (asprintf(&sk->path, "%s/Listeners", dir) < 0)
		gantry_oom();
	spec->env = realloc(spec->env, (spec->nenv + 2) * sizeof(*spec->env));
	if (!spec->env || asprintf(&spec->env[spec->nenv], "%s=%s", sk->secure_key, sk->path) < 0)
		gantry_oom();
	spec->env[++spec->nenv] = NULL;
	sk->family = AF_UNIX;
	return 0;
}

/* Sockets acquired for a load that failed (or failed themselves): closed, and never attached. */
static void release(void *held)
{
	struct job_sockets *js = held;
	for (size_t i = 0; i < js->n; i++)
		close(js->s[i].w.fd);
	free(js);
}

/* Creates the spec's sockets (bound, listening) with the identity the caller took. */
static int acquire(struct job_spec *spec, uid_t owner, void **out, struct gerror *e)
{
	*out = NULL;
	if (!spec->nsockets)
		return 0;
	struct job_sockets *js = calloc(1, sizeof(*js));
	if (!js)
		gantry_oom();
	int err = 0;
	for (size_t i = 0; i < spec->nsockets && !err; i++) {
		struct spec_socket *sk = &spec->sockets[i];
		if (sk->secure_key && !sk->path && (err = secure_path(spec, sk, e)))
			break;
		if (!sk->path) {
			err = inet_sockets(js, sk, owner, e);
			continue;
		}
		int fd = js->n < SOCKETS_MAX ? unix_socket(sk, e) : -fail(e, sk, "too many sockets", EMFILE);
		if (fd < 0) {
			err = -fd;
			break;
		}
		js->s[js->n].spec = sk;
		js->s[js->n].w.fd = fd;
		snprintf(js->s[js->n].address, sizeof(js->s[js->n].address), "%s", sk->path);
		js->n++;
	}
	if (err) {
		release(js);
		return err;
	}
	*out = js;
	return 0;
}

static void on_instance_exit(struct watch *w, uint32_t events)
{
	(void)events;
	struct instance *in = container_of(w, struct instance, w);
	siginfo_t si;
	waitid(P_PIDFD, (id_t)w->fd, &si, WEXITED | WNOHANG);
	int fd = w->fd;
	loop_unwatch(w);
	close(fd);
	procrec_remove(in->rec_slot);
	if (in->owner)
		in->owner->instances--;
	for (struct instance **pp = &instances; *pp; pp = &(*pp)->next)
		if (*pp == in) {
			*pp = in->next;
			break;
		}
	free(in);
}

/* inetd, Wait = false: one instance per connection, with the connection on stdin and stdout. */
static void accept_instance(struct job_sockets *js, struct held *h)
{
	struct job *j = js->job;
	int conn = gantry_accept(h->w.fd);
	if (conn < 0)
		return;
	struct spawn_fds extra = {.stdio_fd = conn};
	char cause[SPAWN_CAUSE_MAX];
	pid_t pid;
	int pidfd;
	struct spawn_identity *id = job_identity(j, cause, sizeof(cause));
	js->accepted++;
	struct procrec_ticket rec;
	procrec_prepare(&rec, j->domain->name, j->spec->label);
	struct spawn_request rq = {.spec = j->spec, .id = id, .launchd_socket = g_launchd.paths.socket,
		.domain_env = j->domain->env, .extra = &extra, .rec = &rec, .limits = job_limits(),
		.default_path = j->domain->config.path, .default_umask = j->domain->config.umask};
	if (!id || sys->spawn(&rq, &pid, &pidfd, cause)) {
		procrec_remove(rec.slot);
		log_msg(LOG_ERR, "(%s/%s) inetd instance could not spawn: %s", j->domain->name, j->spec->label, cause);
		close(conn);
		return;
	}
	close(conn);
	struct instance *in = calloc(1, sizeof(*in));
	if (!in)
		gantry_oom();
	in->pid = pid;
	in->owner = js;
	if (loop_watch(&in->w, pidfd, EPOLLIN, on_instance_exit)) {
		close(pidfd);
		free(in);
		return;
	}
	in->rec_slot = rec.slot;
	in->next = instances;
	instances = in;
	js->instances++;
}

static void on_readable(struct watch *w, uint32_t events)
{
	(void)events;
	struct held *h = container_of(w, struct held, w);
	struct job_sockets *js = h->owner;
	struct job *j = js->job;
	if (j->spec->inetd && !j->spec->inetd_wait && h->spec->type != SOCK_DGRAM) {
		accept_instance(js, h);
		return;
	}
	job_trigger(j, SR_SOCKET); /* the start stops the watch (sockets_sync): the job alone reads from here on */
}

static void arm(struct job *j, void *held)
{
	struct job_sockets *js = held;
	if (!js)
		return;
	j->sockets = js;
	js->job = j;
	size_t off = 0;
	for (size_t i = 0; i < js->n; i++) {
		struct held *h = &js->s[i];
		int fd = h->w.fd;
		h->owner = js;
		js->fds[i] = fd;
		off += (size_t)snprintf(js->names + off, sizeof(js->names) - off, "%s%s", i ? ":" : "", h->spec->name);
		if (loop_watch(&h->w, fd, EPOLLIN, on_readable))
			log_msg(LOG_ERR, "(%s/%s) cannot watch Sockets.%s: %s", j->domain->name, j->spec->label, h->spec->name,
				strerror(errno));
	}
}

static void sync_watches(struct job *j)
{
	struct job_sockets *js = j->sockets;
	bool inetd_nowait = j->spec->inetd && !j->spec->inetd_wait;
	for (size_t i = 0; js && i < js->n; i++)
		if (js->s[i].w.fd >= 0)
			loop_modify(&js->s[i].w, j->rt.state == JS_WAITING || inetd_nowait ? EPOLLIN : 0);
}

static void disarm(struct job *j)
{
	struct job_sockets *js = j->sockets;
	if (!js)
		return;
	for (size_t i = 0; i < js->n; i++) {
		struct held *h = &js->s[i];
		int fd = h->w.fd;
		if (fd >= 0) {
			loop_unwatch(&h->w);
			close(fd);
		}
		if (h->spec->path && h->spec->passive)
			unlink(h->spec->path);
		if (h->spec->secure_key) { /* and the private directory launchd made for it */
			char dir[sizeof(h->address)];
			snprintf(dir, sizeof(dir), "%s", h->spec->path);
			char *slash = strrchr(dir, '/');
			if (slash) {
				*slash = '\0';
				rmdir(dir);
			}
		}
	}
	for (struct instance *in = instances; in; in = in->next)
		if (in->owner == js) {
			kill(in->pid, SIGTERM); /* unloading an inetd job stops its instances */
			in->owner = NULL;
		}
	free(js);
	j->sockets = NULL;
}

static const struct spawn_fds *spawn_fds(struct job *j, struct spawn_fds *buf)
{
	struct job_sockets *js = j->sockets;
	if (!js)
		return NULL;
	if (j->spec->inetd) /* Wait = true: the listening socket itself on stdin/stdout */
		*buf = (struct spawn_fds){.stdio_fd = js->n ? js->fds[0] : -1};
	else
		*buf = (struct spawn_fds){.fds = js->fds, .n = js->n, .names = js->names, .stdio_fd = -1};
	for (size_t i = 0; i < js->n; i++)
		js->s[i].activated_by = 0; /* a new instance may activate again */
	return buf;
}

int sockets_activate(pid_t pid, const char *name, xpc_object_t fds, char *why, size_t len)
{
	struct job *j = domain_job_by_pid(pid);
	if (!j) {
		snprintf(why, len, "pid %d is not the process of a launchd job", (int)pid);
		return ESRCH;
	}
	struct job_sockets *js = j->sockets;
	size_t found = 0;
	for (size_t i = 0; js && i < js->n; i++) {
		struct held *h = &js->s[i];
		if (strcmp(h->spec->name, name) != 0)
			continue;
		if (h->activated_by == pid) {
			snprintf(why, len, "Sockets.%s was already activated by pid %d", name, (int)pid);
			return EALREADY;
		}
		found++;
	}
	if (!found) {
		snprintf(why, len, "%s/%s has no socket named \"%s\"", j->domain->name, j->spec->label, name);
		return ENOENT;
	}
	for (size_t i = 0; i < js->n; i++)
		if (strcmp(js->s[i].spec->name, name) == 0) {
			js->s[i].activated_by = pid;
			xpc_object_t fd = xpc_fd_create(js->s[i].w.fd);
			xpc_array_append_value(fds, fd);
			xpc_release(fd);
		}
	return 0;
}

static void describe(const struct job *j, xpc_object_t d)
{
	const struct job_sockets *js = j->sockets;
	if (!js)
		return;
	xpc_object_t arr = xpc_array_create(NULL, 0);
	for (size_t i = 0; i < js->n; i++) {
		xpc_object_t e = xpc_dictionary_create_empty();
		xpc_dictionary_set_string(e, KEY_NAME, js->s[i].spec->name);
		xpc_dictionary_set_string(e, KEY_ADDRESS, js->s[i].address);
		xpc_dictionary_set_string(e, KEY_STATE, j->rt.state == JS_WAITING || (j->spec->inetd && !j->spec->inetd_wait)
			? "watching" : "held; the job reads it");
		xpc_array_append_value(arr, e);
		xpc_release(e);
	}
	xpc_dictionary_set_value(d, KEY_SOCKETS, arr);
	xpc_release(arr);
	if (j->spec->inetd) {
		xpc_dictionary_set_bool(d, KEY_INETD_WAIT, j->spec->inetd_wait);
		xpc_dictionary_set_int64(d, KEY_INETD_ACCEPTED, (int64_t)js->accepted);
		xpc_dictionary_set_int64(d, KEY_INETD_INSTANCES, (int64_t)js->instances);
	}
}

const struct trigger_kind sockets_trigger = {.name = "sockets", .acquire = acquire, .release = release, .arm = arm,
	.disarm = disarm, .sync = sync_watches, .spawn_fds = spawn_fds, .describe = describe};
