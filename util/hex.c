/* Lower-case hexadecimal, encoded and decoded by table (the Maildir
 * ledger decodes a digest on every line it reads). */
#include <errno.h>

#include "hex.h"

static const char digits[] = "0123456789abcdef";

/* Each lower-case hex digit's value plus one; 0 for anything else. */
static const unsigned char value1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

void hex_byte(unsigned char c, char out[2])
{
	out[0] = digits[c >> 4];
	out[1] = digits[c & 15];
}

void hex_encode(const void *in, size_t len, char *out)
{
	const unsigned char *p = in;

	for (size_t i = 0; i < len; i++)
		hex_byte(p[i], out + 2 * i);
	out[2 * len] = '\0';
}

/* A digit's value, or a value above 15 for a non-digit (0 - 1 wraps). */
static unsigned digit(char c)
{
	return value1[(unsigned char)c] - 1u;
}

int hex_decode(const char *in, size_t len, unsigned char *out)
{
	unsigned bad = 0;

	for (size_t k = 0; k < len; k++) {
		unsigned hi = digit(in[2 * k]), lo = digit(in[2 * k + 1]);
		bad |= hi | lo;
		out[k] = (unsigned char)(hi << 4 | lo);
	}
	return bad > 15 ? -EBADMSG : 0;
}

bool hex_valid(const char *in, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (digit(in[k]) > 15)   /* a NUL too: never reads past it */
			return false;
	return true;
}
