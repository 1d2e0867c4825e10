/* Unit tests for the strict base64 decoder, the encoder and HMAC-MD5. */
#include <errno.h>
#include <string.h>

#include "base64.h"
#include "hmac_md5.h"
#include "unit.h"

static int dec(const char *in, char *out, size_t size, size_t *len)
{
	return base64_decode(in, strlen(in), (unsigned char *)out, size, len);
}

static void test_decode_good(void)
{
	char out[64];
	size_t len = 99;

	CHECK(dec("", out, sizeof(out), &len) == 0 && len == 0);
	CHECK(dec("Zg==", out, sizeof(out), &len) == 0 && len == 1 && !memcmp(out, "f", 1));
	CHECK(dec("Zm8=", out, sizeof(out), &len) == 0 && len == 2 && !memcmp(out, "fo", 2));
	CHECK(dec("Zm9v", out, sizeof(out), &len) == 0 && len == 3 && !memcmp(out, "foo", 3));
	CHECK(dec("Zm9vYmFy", out, sizeof(out), &len) == 0 && len == 6 &&
	      !memcmp(out, "foobar", 6));
	/* RFC 4616 example: NUL bytes survive. */
	CHECK(dec("AHRpbQB0YW5zdGFhZnRhbnN0YWFm", out, sizeof(out), &len) == 0 && len == 21 &&
	      !memcmp(out, "\0tim\0tanstaaftanstaaf", 21));
	CHECK(dec("+/+/", out, sizeof(out), &len) == 0 && len == 3 &&
	      !memcmp(out, "\xfb\xff\xbf", 3));
}

static void test_decode_bad(void)
{
	char out[64];
	size_t len = 99;

	CHECK(dec("Zg", out, sizeof(out), &len) == -EINVAL);          /* unpadded */
	CHECK(dec("Zg=", out, sizeof(out), &len) == -EINVAL);
	CHECK(dec("Z===", out, sizeof(out), &len) == -EINVAL);        /* too much padding */
	CHECK(dec("====", out, sizeof(out), &len) == -EINVAL);
	CHECK(dec("Zg==Zg==", out, sizeof(out), &len) == -EINVAL);    /* padding inside */
	CHECK(dec("Zm=v", out, sizeof(out), &len) == -EINVAL);
	CHECK(dec("Zm9v YmFy", out, sizeof(out), &len) == -EINVAL);   /* whitespace */
	CHECK(dec("Zm9v\r\n", out, sizeof(out), &len) == -EINVAL);
	CHECK(dec("Zm9-", out, sizeof(out), &len) == -EINVAL);        /* base64url */
	CHECK(dec("Zm9_", out, sizeof(out), &len) == -EINVAL);
	CHECK(dec("Zh==", out, sizeof(out), &len) == -EINVAL);        /* non-zero spare bits */
	CHECK(dec("Zm9=", out, sizeof(out), &len) == -EINVAL);
	CHECK(dec("*", out, sizeof(out), &len) == -EINVAL);
	CHECK(base64_decode("Zm9v\0v==", 8, (unsigned char *)out, sizeof(out), &len) == -EINVAL);
	CHECK(len == 99);                                             /* untouched on error */
	CHECK(dec("Zm9vYmFy", out, 5, &len) == -ENOBUFS);
	CHECK(dec("Zm9vYmFy", out, 6, &len) == 0 && len == 6);
}

static void test_encode(void)
{
	char out[16];

	CHECK(base64_encode("", 0, out, sizeof(out)) == 0 && !strcmp(out, ""));
	CHECK(base64_encode("f", 1, out, sizeof(out)) == 4 && !strcmp(out, "Zg=="));
	CHECK(base64_encode("fo", 2, out, sizeof(out)) == 4 && !strcmp(out, "Zm8="));
	CHECK(base64_encode("foobar", 6, out, sizeof(out)) == 8 && !strcmp(out, "Zm9vYmFy"));
	CHECK(base64_encode("foobar", 6, out, 8) == -ENOBUFS);   /* no room for the NUL */
}

static void test_round_trip(void)
{
	unsigned char in[256], back[256];
	char enc[400];
	size_t len;

	for (int i = 0; i < 256; i++)
		in[i] = (unsigned char)i;
	for (size_t n = 0; n <= sizeof(in); n += 37) {
		int e = base64_encode(in, n, enc, sizeof(enc));
		CHECK(e >= 0);
		CHECK(base64_decode(enc, (size_t)e, back, sizeof(back), &len) == 0 && len == n &&
		      !memcmp(in, back, n));
	}
}

static void test_hmac_md5(void)
{
	char out[33];
	const char *ch = "<1896.697170952@postoffice.reston.mci.net>";

	/* RFC 2195 §2 example. */
	hmac_md5_hex("tanstaaftanstaaf", 16, ch, strlen(ch), out);
	CHECK(!strcmp(out, "b913a602c7eda7a495b4e6e7334d3890"));
	/* RFC 2202 test cases 2 and 6 (a key longer than the block). */
	hmac_md5_hex("Jefe", 4, "what do ya want for nothing?", 28, out);
	CHECK(!strcmp(out, "750c783e6ab0b503eaa86e310a5db738"));
	{
		unsigned char key[80];
		memset(key, 0xaa, sizeof(key));
		hmac_md5_hex(key, sizeof(key), "Test Using Larger Than Block-Size Key - Hash Key First",
		             54, out);
		CHECK(!strcmp(out, "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"));
	}
}

int main(void)
{
	test_decode_good();
	test_decode_bad();
	test_encode();
	test_round_trip();
	test_hmac_md5();
	return unit_done("base64");
}
