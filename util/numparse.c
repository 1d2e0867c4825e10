/* Strict decimal parsing of command arguments. */
#include <errno.h>
#include <stdbool.h>

#include "numparse.h"

int num_parse(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;
	bool overflow = false;

	if (!s || !*s)
		return -EINVAL;
	/* 19 digits never overflow: no division for them (the Maildir
	 * cache and ledger parse hundreds of thousands of numbers). */
	for (int n = 0; n < 19 && *s; n++, s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
	}
	for (; *s; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			overflow = true;   /* keep scanning: "99x" is still -EINVAL */
		else
			v = v * 10 + d;
	}
	if (overflow || v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

unsigned num_format(uint64_t v, char *buf)
{
	char tmp[20];
	unsigned n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (unsigned i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}
