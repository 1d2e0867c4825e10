/* Base64 encoding and strict decoding (RFC 4648 §4). */
#include <errno.h>
#include <stdint.h>

#include "base64.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int value_of(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int base64_decode(const char *in, size_t len, unsigned char *out, size_t size,
                  size_t *ret_len)
{
	size_t o = 0;

	if (len % 4)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		size_t pad = 0;
		uint32_t bits = 0;

		for (int k = 0; k < 4; k++) {
			char c = in[i + k];
			if (c == '=') {
				/* Padding: only in the last quantum, only its last two
				 * places, and nothing but padding after it. */
				if (i + 4 != len || k < 2)
					return -EINVAL;
				pad++;
				v[k] = 0;
				continue;
			}
			if (pad)
				return -EINVAL;
			v[k] = value_of(c);
			if (v[k] < 0)
				return -EINVAL;
		}
		bits = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		/* RFC 4648 §3.5: bits past the data must be zero (one encoding). */
		if ((pad == 1 && (bits & 0xff)) || (pad == 2 && (bits & 0xffff)))
			return -EINVAL;
		if (o + 3 - pad > size)
			return -ENOBUFS;
		out[o++] = (unsigned char)(bits >> 16);
		if (pad < 2)
			out[o++] = (unsigned char)(bits >> 8);
		if (pad < 1)
			out[o++] = (unsigned char)bits;
	}
	*ret_len = o;
	return 0;
}

int base64_encode(const void *in, size_t len, char *out, size_t size)
{
	const unsigned char *p = in;
	size_t o = 0;

	if ((len + 2) / 3 * 4 + 1 > size)
		return -ENOBUFS;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t bits = (uint32_t)p[i] << 16;

		if (i + 1 < len)
			bits |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			bits |= p[i + 2];
		out[o++] = alphabet[bits >> 18 & 63];
		out[o++] = alphabet[bits >> 12 & 63];
		out[o++] = (char)(i + 1 < len ? alphabet[bits >> 6 & 63] : '=');
		out[o++] = (char)(i + 2 < len ? alphabet[bits & 63] : '=');
	}
	out[o] = '\0';
	return (int)o;
}
