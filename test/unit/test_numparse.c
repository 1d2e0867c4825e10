/* num_parse: digits only, overflow- and range-checked. */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <stdint.h>

#include "numparse.h"
#include "unit.h"

int main(void)
{
	uint64_t v = 77;

	CHECK(num_parse("1", 1, 10, &v) == 0 && v == 1);
	CHECK(num_parse("10", 1, 10, &v) == 0 && v == 10);
	CHECK(num_parse("0", 0, 10, &v) == 0 && v == 0);
	CHECK(num_parse("007", 1, 10, &v) == 0 && v == 7);
	v = 77;
	CHECK(num_parse("0", 1, 10, &v) == -ERANGE && v == 77);
	CHECK(num_parse("11", 1, 10, &v) == -ERANGE && v == 77);
	CHECK(num_parse("-1", 1, 10, &v) == -EINVAL);
	CHECK(num_parse("+1", 1, 10, &v) == -EINVAL);
	CHECK(num_parse(" 1", 1, 10, &v) == -EINVAL);
	CHECK(num_parse("1 ", 1, 10, &v) == -EINVAL);
	CHECK(num_parse("", 1, 10, &v) == -EINVAL);
	CHECK(num_parse(NULL, 1, 10, &v) == -EINVAL);
	CHECK(num_parse("1a", 1, 10, &v) == -EINVAL);
	CHECK(num_parse("0x1", 0, 10, &v) == -EINVAL);
	CHECK(num_parse("18446744073709551615", 0, UINT64_MAX, &v) == 0 && v == UINT64_MAX);
	CHECK(num_parse("18446744073709551616", 0, UINT64_MAX, &v) == -ERANGE);
	CHECK(num_parse("99999999999999999999", 1, 10, &v) == -ERANGE);
	CHECK(num_parse("99999999999999999999x", 1, 10, &v) == -EINVAL);
	CHECK(v == UINT64_MAX);

	/* num_format: every value reads back through num_parse, no padding. */
	static const uint64_t vals[] = { 0, 1, 9, 10, 99, 100, 1234567890,
	                                 UINT64_MAX / 10, UINT64_MAX - 1, UINT64_MAX };
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		char buf[21], want[21];
		unsigned n = num_format(vals[i], buf);
		buf[n] = '\0';
		snprintf(want, sizeof(want), "%llu", (unsigned long long)vals[i]);
		CHECK(strcmp(buf, want) == 0);
		CHECK(num_parse(buf, 0, UINT64_MAX, &v) == 0 && v == vals[i]);
	}
	return unit_done("numparse");
}
