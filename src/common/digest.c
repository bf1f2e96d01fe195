/*
 * SHA-256 of files (see digest.h) through OpenSSL's libcrypto, loaded with
 * dlopen() on first use: linking it would cost every libxpc program about
 * 1.2 ms of start-up on this machine (measured), while only processes that
 * check a "sha256" requirement or register Service Management items hash.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "safefile.h"

/* Files whose digest is remembered, keyed by device, inode, size, mtime and ctime. */
#define DIGEST_CACHE_SIZE 64

/* OpenSSL 3 (Debian 12); the unversioned name is a development symlink. */
static const char *const crypto_names[] = {"libcrypto.so.3", "libcrypto.so"};

static struct {
	EVP_MD_CTX *(*ctx_new)(void);
	void (*ctx_free)(EVP_MD_CTX *);
	const EVP_MD *(*sha256)(void);
	int (*init)(EVP_MD_CTX *, const EVP_MD *, ENGINE *);
	int (*update)(EVP_MD_CTX *, const void *, size_t);
	int (*final)(EVP_MD_CTX *, unsigned char *, unsigned int *);
} crypto;
static bool crypto_ok;
static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;

static void load_crypto(void)
{
	void *h = NULL;
	for (size_t i = 0; !h && i < sizeof(crypto_names) / sizeof(crypto_names[0]); i++)
		h = dlopen(crypto_names[i], RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return;
	*(void **)&crypto.ctx_new = dlsym(h, "EVP_MD_CTX_new");
	*(void **)&crypto.ctx_free = dlsym(h, "EVP_MD_CTX_free");
	*(void **)&crypto.sha256 = dlsym(h, "EVP_sha256");
	*(void **)&crypto.init = dlsym(h, "EVP_DigestInit_ex");
	*(void **)&crypto.update = dlsym(h, "EVP_DigestUpdate");
	*(void **)&crypto.final = dlsym(h, "EVP_DigestFinal_ex");
	crypto_ok = crypto.ctx_new && crypto.ctx_free && crypto.sha256 && crypto.init && crypto.update && crypto.final;
}

int sha256_fd_hex(int fd, char out[SHA256_HEX_LEN + 1])
{
	pthread_once(&crypto_once, load_crypto);
	if (!crypto_ok)
		return ELIBACC; /* libcrypto.so.3 (Debian package libssl3) is missing */
	EVP_MD_CTX *ctx = crypto.ctx_new();
	if (!ctx || !crypto.init(ctx, crypto.sha256(), NULL)) {
		crypto.ctx_free(ctx);
		return ENOMEM;
	}
	unsigned char buf[64 * 1024];
	ssize_t n;
	int err = 0;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			break;
		}
		crypto.update(ctx, buf, (size_t)n);
	}
	unsigned char md[32];
	unsigned int mdlen = 0;
	if (!err && !crypto.final(ctx, md, &mdlen))
		err = EIO;
	crypto.ctx_free(ctx);
	for (unsigned int i = 0; !err && i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return err;
}

struct digest_entry {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	char hex[SHA256_HEX_LEN + 1];
};

static struct digest_entry cache[DIGEST_CACHE_SIZE];
static unsigned cache_next;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static bool same_file(const struct digest_entry *e, const struct stat *st)
{
	return e->hex[0] && e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
	       e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec &&
	       e->ctime.tv_sec == st->st_ctim.tv_sec && e->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

int sha256_file_fd_hex(int fd, char out[SHA256_HEX_LEN + 1])
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return errno;
	pthread_mutex_lock(&cache_lock);
	for (unsigned i = 0; i < DIGEST_CACHE_SIZE; i++)
		if (same_file(&cache[i], &st)) {
			memcpy(out, cache[i].hex, sizeof(cache[i].hex));
			pthread_mutex_unlock(&cache_lock);
			return 0;
		}
	pthread_mutex_unlock(&cache_lock);
	int err = sha256_fd_hex(fd, out);
	if (err)
		return err;
	pthread_mutex_lock(&cache_lock);
	struct digest_entry *e = &cache[cache_next++ % DIGEST_CACHE_SIZE];
	*e = (struct digest_entry){st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim, ""};
	memcpy(e->hex, out, sizeof(e->hex));
	pthread_mutex_unlock(&cache_lock);
	return 0;
}

int sha256_file_hex(const char *path, char out[SHA256_HEX_LEN + 1])
{
	struct stat st;
	int fd = gantry_open_regular(path, &st);
	if (fd == GANTRY_NOT_REGULAR)
		return EINVAL;
	if (fd < 0)
		return errno;
	int err = sha256_file_fd_hex(fd, out);
	close(fd);
	return err;
}
