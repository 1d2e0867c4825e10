/* Constant-time comparison of secrets. */
#include "secret.h"

bool secret_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char diff = alen != blen;

	for (size_t i = 0; i < alen; i++)
		diff |= (unsigned char)(x[i] ^ (blen ? y[i % blen] : 0));
	return diff == 0;
}
