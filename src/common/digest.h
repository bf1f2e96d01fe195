/*
 * SHA-256 of files, as lowercase hex, through OpenSSL's libcrypto. Used by
 * libxpc peer requirements ("sha256") and the Service Management registry.
 */
#ifndef GANTRY_DIGEST_H
#define GANTRY_DIGEST_H

#define SHA256_HEX_LEN 64

/* Hashes everything readable from fd (from its current offset). Returns 0 or an errno. */
int sha256_fd_hex(int fd, char out[SHA256_HEX_LEN + 1]);
/*
 * The SHA-256 of the whole open file fd (read from the start position it
 * has), remembered by device, inode, size, mtime and ctime so that an
 * unchanged file is hashed once. Returns 0 or an errno.
 */
int sha256_file_fd_hex(int fd, char out[SHA256_HEX_LEN + 1]);
/* Hashes the file at path (through the same cache). Returns 0 or an errno. */
int sha256_file_hex(const char *path, char out[SHA256_HEX_LEN + 1]);

#endif
