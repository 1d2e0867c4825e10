/* Unit tests for the hex encoder and decoder (util/hex.c). */
#include <errno.h>
#include <string.h>

#include "hex.h"
#include "unit.h"

static void test_encode(void)
{
	char out[2 * 5 + 1];
	char two[3] = "zz";

	memset(out, 'z', sizeof(out));
	hex_encode("", 0, out);
	CHECK(out[0] == '\0');
	hex_encode("\x00\x01\x7f\xab\xff", 5, out);
	CHECK(strcmp(out, "00017fabff") == 0);
	/* The digits are lower case, as every UIDL and ledger has them. */
	hex_encode("\xde\xad\xbe\xef", 4, out);
	CHECK(strcmp(out, "deadbeef") == 0);
	hex_byte(0xc3, two);
	CHECK(two[0] == 'c' && two[1] == '3' && two[2] == '\0');
}

static void test_decode(void)
{
	unsigned char out[4];

	CHECK(hex_decode("00017fab", 4, out) == 0 && !memcmp(out, "\x00\x01\x7f\xab", 4));
	CHECK(hex_decode("deadbeef", 4, out) == 0 && !memcmp(out, "\xde\xad\xbe\xef", 4));
	CHECK(hex_decode("ffff", 2, out) == 0 && out[0] == 0xff && out[1] == 0xff);
	/* Only the digits asked for are read. */
	CHECK(hex_decode("12zz", 1, out) == 0 && out[0] == 0x12);
	CHECK(hex_decode("", 0, out) == 0);
	/* Upper case, a non-digit anywhere, a NUL: refused. */
	CHECK(hex_decode("DEADBEEF", 4, out) == -EBADMSG);
	CHECK(hex_decode("deadbeeF", 4, out) == -EBADMSG);
	CHECK(hex_decode("g0", 1, out) == -EBADMSG);
	CHECK(hex_decode("0g", 1, out) == -EBADMSG);
	CHECK(hex_decode("0 ", 1, out) == -EBADMSG);
	CHECK(hex_decode("0\0", 1, out) == -EBADMSG);
}

static void test_round_trip(void)
{
	unsigned char all[256], back[256];
	char text[2 * sizeof(all) + 1];

	for (size_t i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)i;
	hex_encode(all, sizeof(all), text);
	CHECK(strlen(text) == 2 * sizeof(all));
	CHECK(hex_decode(text, sizeof(back), back) == 0 && !memcmp(all, back, sizeof(all)));
}

static void test_valid(void)
{
	CHECK(hex_valid("0123456789abcdef", 16));
	CHECK(hex_valid("0123456789abcdefXYZ", 16));
	CHECK(hex_valid("", 0));
	CHECK(!hex_valid("0123456789abcdeF", 16));
	CHECK(!hex_valid("0123456789abcde", 16));   /* stops at the NUL */
	CHECK(!hex_valid("-1", 2));
}

int main(void)
{
	test_encode();
	test_decode();
	test_round_trip();
	test_valid();
	return unit_done("hex");
}
