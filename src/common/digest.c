/* SHA-256 of files (see digest.h). */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <unistd.h>

#include "digest.h"

int sha256_fd_hex(int fd, char out[SHA256_HEX_LEN + 1])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(ctx);
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
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	}
	unsigned char md[32];
	unsigned int mdlen = 0;
	if (!err && !EVP_DigestFinal_ex(ctx, md, &mdlen))
		err = EIO;
	EVP_MD_CTX_free(ctx);
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
