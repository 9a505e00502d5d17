/* SHA-256 against the FIPS 180-4 / NIST example vectors, whole and piecewise. */
#include <stdlib.h>

#include "sha256.h"
#include "unit.h"

static void hash_hex(const void *data, size_t len, size_t piece, char *hex)
{
	unsigned char digest[SHA256_LEN];
	const unsigned char *p = data;
	struct sha256 s;

	sha256_init(&s);
	while (len) {
		size_t n = piece < len ? piece : len;

		sha256_update(&s, p, n);
		p += n;
		len -= n;
	}
	sha256_final(&s, digest);
	sha256_hex(digest, hex);
}

static void test_sha256_vectors(void)
{
	static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char hex[2 * SHA256_LEN + 1];
	size_t piece;

	hash_hex("", 0, 1, hex);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hash_hex("abc", 3, 64, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* 56 bytes: the padding needs a second block; any split gives the same. */
	for (piece = 1; piece <= 64; piece += 7) {
		hash_hex(two_blocks, sizeof(two_blocks) - 1, piece, hex);
		CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	}
}

static void test_sha256_million(void)
{
	size_t n = 1000000;
	char *a = malloc(n), hex[2 * SHA256_LEN + 1];

	memset(a, 'a', n);
	hash_hex(a, n, 1000, hex);
	CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(a);
}

const struct unit_case sha256_cases[] = {
	{ "sha256_vectors", test_sha256_vectors },
	{ "sha256_million", test_sha256_million },
	{ NULL, NULL },
};
