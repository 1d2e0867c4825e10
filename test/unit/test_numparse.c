/* num_parse: digits only, overflow- and range-checked. */
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
	return unit_done("numparse");
}
