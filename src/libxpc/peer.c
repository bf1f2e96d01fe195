/*
 * Peer requirements (see <xpc/xpc.h>): checking the kernel-attested identity
 * of each message's sender against a requirement dictionary. Everything read
 * about the sender through /proc (its executable, the file's SHA-256, its
 * bundle, launchd's word on its job) is read by pid and then confirmed with
 * the message's pidfd: if the sender had exited, so that its pid could have
 * been recycled by another program, the pidfd says so and the check fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bundle.h"
#include "conn_internal.h"
#include "digest.h"

static const struct {
	const char *key;
	xpc_type_t type;
} known_keys[] = {
	{"uid", XPC_TYPE_INT64},
	{"gid", XPC_TYPE_INT64},
	{"executable", XPC_TYPE_STRING},
	{"sha256", XPC_TYPE_STRING},
	{"bundle-identifier", XPC_TYPE_STRING},
	{"launchd-job", XPC_TYPE_STRING},
	{"launchd-domain", XPC_TYPE_STRING},
};

static bool key_known(void *ctx, const char *key, xpc_object_t v)
{
	bool *ok = ctx;
	bool found = false;
	for (size_t i = 0; i < sizeof(known_keys) / sizeof(known_keys[0]); i++)
		found |= strcmp(key, known_keys[i].key) == 0 && xpc_get_type(v) == known_keys[i].type;
	*ok = found;
	return found;
}

static bool is_sha256_hex(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");
	return n == SHA256_HEX_LEN && s[n] == '\0';
}

static bool peer_satisfies(xpc_connection_t c, const struct xpc_msg_meta *m, char *why, size_t len);

int xpc_connection_set_peer_requirement(xpc_connection_t c, xpc_object_t requirement)
{
	bool ok = xpc_get_type(requirement) == XPC_TYPE_DICTIONARY;
	if (ok)
		xpc_dictionary_apply_f(requirement, &ok, key_known);
	const char *sha = ok ? xpc_dictionary_get_string(requirement, "sha256") : NULL;
	if (!ok || (sha && !is_sha256_hex(sha)) ||
	    !xpc_dictionary_get_string(requirement, "launchd-job") != !xpc_dictionary_get_string(requirement, "launchd-domain"))
		return EINVAL;
	if (c->peer.requirement)
		return EALREADY; /* Apple terminates the process; Gantry refuses */
	c->peer.requirement = xpc_copy(requirement);
	c->peer.check = peer_satisfies;
	conn_enable_pidfd(c);
	return 0;
}

char *xpc_connection_copy_peer_requirement_failure(xpc_connection_t c)
{
	return c->peer.failure ? xpc_xstrdup(c->peer.failure) : NULL;
}

/* The pid a pidfd refers to, from /proc/self/fdinfo; -1 if it has exited. */
static pid_t pidfd_pid(int pidfd)
{
	char path[64], line[128];
	pid_t pid = -1;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	FILE *f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Pid: %d", &pid) == 1)
			break;
	if (f)
		fclose(f);
	return pid;
}

/* True if the process behind pidfd still runs as pid (no pidfd: cannot tell, assume so). */
static bool still_running(int pidfd, pid_t pid)
{
	return pidfd < 0 || (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0 && pidfd_pid(pidfd) == pid);
}

static bool fail(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return false;
}

static bool bundle_matches(const char *exe, pid_t pid, const char *want, char *why, size_t len)
{
	char bundle[PATH_MAX], detail[PATH_MAX + 64];
	struct bundle_info info;
	if (!bundle_enclosing(exe, bundle, sizeof(bundle)))
		return fail(why, len, "pid %d runs %s, which is not inside an app bundle", (int)pid, exe);
	if (bundle_read_info(bundle, &info, detail, sizeof(detail)))
		return fail(why, len, "pid %d runs %s, whose bundle cannot be read: %s", (int)pid, exe, detail);
	bool ok = info.identifier && strcmp(info.identifier, want) == 0;
	if (!ok)
		fail(why, len, "pid %d runs %s from bundle %s, not %s", (int)pid, exe,
			info.identifier ? info.identifier : "(no CFBundleIdentifier)", want);
	bundle_info_clear(&info);
	return ok;
}

/* The "executable", "sha256" and "bundle-identifier" keys: what the sender runs. */
static bool program_matches(xpc_object_t req, const struct xpc_msg_meta *m, char *why, size_t len)
{
	const char *want_exe = xpc_dictionary_get_string(req, "executable");
	const char *want_sha = xpc_dictionary_get_string(req, "sha256");
	const char *want_bundle = xpc_dictionary_get_string(req, "bundle-identifier");
	if (!want_exe && !want_sha && !want_bundle)
		return true;
	char link[64], exe[PATH_MAX], hex[SHA256_HEX_LEN + 1] = "";
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)m->pid);
	ssize_t n = readlink(link, exe, sizeof(exe) - 1);
	int fd = want_sha && n >= 0 ? open(link, O_RDONLY | O_CLOEXEC) : -1;
	if (n < 0 || (want_sha && fd < 0))
		return fail(why, len, "cannot read the executable of pid %d: %s", (int)m->pid, strerror(errno));
	exe[n] = '\0';
	int err = fd >= 0 ? sha256_file_fd_hex(fd, hex) : 0;
	if (fd >= 0)
		close(fd);
	/* The sender still runs under that pid, so what was read was its own. */
	if (!still_running(m->pidfd, m->pid))
		return fail(why, len, "pid %d exited before its identity could be checked", (int)m->pid);
	if (want_exe && strcmp(exe, want_exe) != 0)
		return fail(why, len, "pid %d runs %s, not %s", (int)m->pid, exe, want_exe);
	if (err)
		return fail(why, len, "cannot hash %s (pid %d): %s", exe, (int)m->pid, strerror(err));
	if (want_sha && strcmp(hex, want_sha) != 0)
		return fail(why, len, "pid %d runs %s with SHA-256 %s, not %s", (int)m->pid, exe, hex, want_sha);
	return !want_bundle || bundle_matches(exe, m->pid, want_bundle, why, len);
}

/*
 * The "launchd-job" key: launchd says which job pid is the main process of.
 * A positive answer is remembered with a pidfd of our own, so later messages
 * from the same living process do not ask again.
 */
static bool job_matches(xpc_connection_t c, xpc_object_t req, const struct xpc_msg_meta *m, char *why, size_t len)
{
	const char *label = xpc_dictionary_get_string(req, "launchd-job");
	const char *domain = xpc_dictionary_get_string(req, "launchd-domain");
	if (!label)
		return true;
	if (c->peer.job_pidfd >= 0 && c->peer.job_pid == m->pid && still_running(c->peer.job_pidfd, m->pid))
		return true;
	char got_label[256], got_domain[64], cause[256];
	if (launchd_identify(m->pid, got_label, sizeof(got_label), got_domain, sizeof(got_domain), NULL, cause,
		    sizeof(cause)))
		return fail(why, len, "pid %d is not launchd job %s in %s: %s", (int)m->pid, label, domain, cause);
	if (!still_running(m->pidfd, m->pid))
		return fail(why, len, "pid %d exited before its identity could be checked", (int)m->pid);
	if (strcmp(got_label, label) != 0 || strcmp(got_domain, domain) != 0)
		return fail(why, len, "pid %d is launchd job %s in %s, not %s in %s", (int)m->pid, got_label, got_domain,
			label, domain);
	if (m->pidfd >= 0) {
		if (c->peer.job_pidfd >= 0)
			close(c->peer.job_pidfd);
		c->peer.job_pidfd = fcntl(m->pidfd, F_DUPFD_CLOEXEC, 0);
		c->peer.job_pid = m->pid;
	}
	return true;
}

/* Does m's sender satisfy c's requirement? If not, why says what failed (c->peer.check). */
static bool peer_satisfies(xpc_connection_t c, const struct xpc_msg_meta *m, char *why, size_t len)
{
	xpc_object_t req = c->peer.requirement, v;
	if ((v = xpc_dictionary_get_value(req, "uid")) && xpc_int64_get_value(v) != (int64_t)m->uid)
		return fail(why, len, "pid %d has uid %u, not %lld", (int)m->pid, (unsigned)m->uid,
			(long long)xpc_int64_get_value(v));
	if ((v = xpc_dictionary_get_value(req, "gid")) && xpc_int64_get_value(v) != (int64_t)m->gid)
		return fail(why, len, "pid %d has gid %u, not %lld", (int)m->pid, (unsigned)m->gid,
			(long long)xpc_int64_get_value(v));
	return program_matches(req, m, why, len) && job_matches(c, req, m, why, len);
}
