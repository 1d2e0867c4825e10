/* secret_equal: equality of bytes and lengths. */
#include "secret.h"
#include "unit.h"

int main(void)
{
	CHECK(secret_equal("abc", 3, "abc", 3));
	CHECK(!secret_equal("abc", 3, "abd", 3));
	CHECK(!secret_equal("abc", 3, "abcd", 4));
	CHECK(!secret_equal("abcd", 4, "abc", 3));
	CHECK(!secret_equal("", 0, "a", 1));
	CHECK(!secret_equal("a", 1, "", 0));
	CHECK(secret_equal("", 0, "", 0));
	CHECK(!secret_equal("abcabc", 6, "abc", 3));
	return unit_done("secret");
}
