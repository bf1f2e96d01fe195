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
#include <unistd.h>

#include "digest.h"

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

int sha256_file_hex(const char *path, char out[SHA256_HEX_LEN + 1])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	int err = sha256_fd_hex(fd, out);
	close(fd);
	return err;
}
