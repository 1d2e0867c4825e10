/* Base64 (RFC 4648 §4) for SASL exchanges (RFC 5034 §4). */
#ifndef ONEPOP_BASE64_H
#define ONEPOP_BASE64_H

#include <stddef.h>

/* Strict decode of in[0..len): the standard alphabet, length a multiple
 * of 4, "=" padding only at the end, no whitespace, unused bits zero.
 * Writes at most size bytes to out; *ret_len is the decoded length.
 * 0, -EINVAL for malformed input, -ENOBUFS if out is too small. */
int base64_decode(const char *in, size_t len, unsigned char *out, size_t size,
                  size_t *ret_len);

/* Encode in[0..len) with padding into out, NUL-terminated. Returns the
 * encoded length, or -ENOBUFS if out (size bytes) is too small. */
int base64_encode(const void *in, size_t len, char *out, size_t size);

#endif
