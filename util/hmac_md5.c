/* HMAC-MD5 (RFC 2104) over libmd's MD5. */
#include <md5.h>
#include <string.h>

#include "hex.h"
#include "hmac_md5.h"

#define BLOCK 64

void hmac_md5_hex(const void *key, size_t keylen, const void *msg, size_t msglen,
                  char out[33])
{
	unsigned char k[BLOCK] = { 0 }, pad[BLOCK], d[MD5_DIGEST_LENGTH];
	MD5_CTX ctx;

	/* RFC 2104 §2: a key longer than the block is hashed first. */
	if (keylen > BLOCK) {
		MD5Init(&ctx);
		MD5Update(&ctx, key, keylen);
		MD5Final(k, &ctx);
	} else {
		memcpy(k, key, keylen);
	}
	for (int i = 0; i < BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	MD5Init(&ctx);
	MD5Update(&ctx, pad, BLOCK);
	MD5Update(&ctx, msg, msglen);
	MD5Final(d, &ctx);
	for (int i = 0; i < BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	MD5Init(&ctx);
	MD5Update(&ctx, pad, BLOCK);
	MD5Update(&ctx, d, sizeof(d));
	MD5Final(d, &ctx);
	hex_encode(d, sizeof(d), out);
	explicit_bzero(k, sizeof(k));
	explicit_bzero(pad, sizeof(pad));
	explicit_bzero(&ctx, sizeof(ctx));
}
