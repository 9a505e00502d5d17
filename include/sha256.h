/*
 * SHA-256 (FIPS 180-4), small and dependency-free: vmlaunch names cached
 * files by the hash of what went into them.
 */
#ifndef VMLAUNCH_SHA256_H
#define VMLAUNCH_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;         /* hashed so far */
	unsigned char block[64];
	size_t fill;            /* bytes waiting in block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, unsigned char out[SHA256_LEN]);
/* OUT gets 64 lower-case hex digits and a NUL. */
void sha256_hex(const unsigned char digest[SHA256_LEN], char out[2 * SHA256_LEN + 1]);

#endif
