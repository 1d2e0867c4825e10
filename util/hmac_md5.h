/* HMAC-MD5 (RFC 2104) for SASL CRAM-MD5 (RFC 2195). */
#ifndef ONEPOP_HMAC_MD5_H
#define ONEPOP_HMAC_MD5_H

#include <stddef.h>

/* Lower-case hex HMAC-MD5 of msg under key into out[33]. */
void hmac_md5_hex(const void *key, size_t keylen, const void *msg, size_t msglen,
                  char out[33]);

#endif
