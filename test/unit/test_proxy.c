/* Unit tests for the PROXY protocol parser and the CIDR list. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy.h"
#include "unit.h"

static const uint8_t sig[12] = "\r\n\r\n\0\r\nQUIT\n";

/* need() over a whole header, fed as a reader would: it must ask for
 * exactly the header's length and never more. */
static ssize_t framed_length(const uint8_t *buf, size_t len)
{
	size_t have = 0;
	ssize_t need;

	while ((need = proxy_header_need(buf, have)) > (ssize_t)have) {
		if ((size_t)need > len)
			return -ENODATA;
		have = (size_t)need;
	}
	return need < 0 ? need : (ssize_t)have;
}

static int v1(const char *s, struct proxy_addr *a)
{
	size_t len = strlen(s);

	if (framed_length((const uint8_t *)s, len) != (ssize_t)len)
		return -EMSGSIZE;
	return proxy_parse((const uint8_t *)s, len, a);
}

static void test_v1(void)
{
	struct proxy_addr a = { 0 };   /* read by CHECK even after a failed parse */
	char with_tail[] = "PROXY TCP4 192.0.2.1 198.51.100.1 56324 110\r\nUSER x\r\n";

	CHECK(v1("PROXY TCP4 192.0.2.1 198.51.100.1 56324 110\r\n", &a) == 0);
	CHECK(a.known && a.family == AF_INET && !strcmp(a.addr, "192.0.2.1") && a.port == 56324);
	CHECK(v1("PROXY TCP6 2001:db8::1 2001:db8::2 4000 995\r\n", &a) == 0);
	CHECK(a.known && a.family == AF_INET6 && !strcmp(a.addr, "2001:db8::1"));
	CHECK(v1("PROXY TCP6 2001:DB8:0:0::1 ::1 4000 995\r\n", &a) == 0);
	CHECK(!strcmp(a.addr, "2001:db8::1"));                     /* canonical form */
	CHECK(v1("PROXY UNKNOWN\r\n", &a) == 0 && !a.known);
	CHECK(v1("PROXY UNKNOWN ffff:f...f:ffff 65535 65535\r\n", &a) == 0 && !a.known);
	/* The reader stops at the LF: what follows is the session's. */
	CHECK(framed_length((uint8_t *)with_tail, sizeof(with_tail) - 1) ==
	      (ssize_t)(strlen(with_tail) - 8));
}

static void test_v1_bad(void)
{
	struct proxy_addr a;
	char longer[200];

	CHECK(v1("PROXY TCP4 192.0.2.1 198.51.100.1 56324 110\n", &a) == -EINVAL);   /* no CR */
	CHECK(v1("PROXY TCP4 192.0.2.1 198.51.100.1 56324\r\n", &a) == -EINVAL);
	CHECK(v1("PROXY TCP4 192.0.2.1 198.51.100.1 56324 110 x\r\n", &a) == -EINVAL);
	CHECK(v1("PROXY TCP4  192.0.2.1 198.51.100.1 56324 110\r\n", &a) == -EINVAL);
	CHECK(v1("PROXY TCP4 192.0.2.256 198.51.100.1 1 110\r\n", &a) == -EINVAL);
	CHECK(v1("PROXY TCP4 2001:db8::1 198.51.100.1 1 110\r\n", &a) == -EINVAL);
	CHECK(v1("PROXY TCP6 192.0.2.1 198.51.100.1 1 110\r\n", &a) == -EINVAL);
	CHECK(v1("PROXY TCP4 192.0.2.1 198.51.100.1 65536 110\r\n", &a) == -EINVAL);
	CHECK(v1("PROXY TCP4 192.0.2.1 198.51.100.1 01 110\r\n", &a) == -EINVAL);
	CHECK(v1("PROXY TCP4 192.0.2.1 198.51.100.1 -1 110\r\n", &a) == -EINVAL);
	CHECK(v1("PROXY UDP4 192.0.2.1 198.51.100.1 1 110\r\n", &a) == -EINVAL);
	CHECK(v1("PROXY tcp4 192.0.2.1 198.51.100.1 1 110\r\n", &a) == -EINVAL);
	CHECK(v1("PROXY UNKNOWNX\r\n", &a) == -EINVAL);
	CHECK(v1("PROXY \r\n", &a) == -EINVAL);
	CHECK(v1("PROXY\r\n", &a) < 0);
	CHECK(proxy_header_need((const uint8_t *)"USER alice\r\n", 12) == -EINVAL);
	CHECK(proxy_header_need((const uint8_t *)"PROXX", 5) == -EINVAL);
	CHECK(proxy_header_need((const uint8_t *)"PRO", 3) == 8);    /* too early to tell */
	/* An LF in the first 8 octets (found by test/fuzz/fuzz-proxy): the
	 * reader has read past that header's end; never "complete". */
	CHECK(proxy_header_need((const uint8_t *)"PROXY \nQ", 8) == -EINVAL);
	CHECK(proxy_header_need((const uint8_t *)"PROXY \r\n", 8) == 8);
	/* No LF within 107 octets: refused without reading further. */
	memset(longer, 'x', sizeof(longer));
	memcpy(longer, "PROXY ", 6);   // NOLINT(bugprone-not-null-terminated-result): bytes, not a string
	CHECK(proxy_header_need((uint8_t *)longer, PROXY_V1_MAX) == -EINVAL);
	CHECK(proxy_header_need((uint8_t *)longer, PROXY_V1_MAX - 1) == PROXY_V1_MAX);
	/* A NUL inside. */
	CHECK(proxy_parse((const uint8_t *)"PROXY TCP4 1.2.3.4\0 1.2.3.4 1 1\r\n", 33, &a) == -EINVAL);
}

static size_t v2_make(uint8_t *b, uint8_t cmd, uint8_t fam, const uint8_t *body, uint16_t n)
{
	memcpy(b, sig, 12);   // NOLINT(bugprone-not-null-terminated-result): the v2 signature, not a string
	b[12] = cmd;
	b[13] = fam;
	b[14] = (uint8_t)(n >> 8);
	b[15] = (uint8_t)n;
	memcpy(b + 16, body, n);
	return 16 + (size_t)n;
}

static void test_v2(void)
{
	uint8_t b[16 + 1100], body[1100] = { 0 };
	struct proxy_addr a;
	size_t n;

	/* TCP4 192.0.2.7:1234 -> 198.51.100.1:110 */
	memcpy(body, "\xc0\x00\x02\x07\xc6\x33\x64\x01\x04\xd2\x00\x6e", 12);
	n = v2_make(b, 0x21, 0x11, body, 12);
	CHECK(framed_length(b, n) == (ssize_t)n);
	CHECK(proxy_parse(b, n, &a) == 0 && a.known && a.family == AF_INET &&
	      !strcmp(a.addr, "192.0.2.7") && a.port == 1234);
	/* With TLVs after the addresses (HAProxy sends some): skipped. */
	n = v2_make(b, 0x21, 0x11, body, 12 + 7);
	CHECK(framed_length(b, n) == (ssize_t)n && proxy_parse(b, n, &a) == 0 && a.known);
	/* TCP6 */
	memset(body, 0, 36);
	inet_pton(AF_INET6, "2001:db8::42", body);
	body[32] = 0x01;
	body[33] = 0x00;
	n = v2_make(b, 0x21, 0x21, body, 36);
	CHECK(proxy_parse(b, n, &a) == 0 && a.family == AF_INET6 &&
	      !strcmp(a.addr, "2001:db8::42") && a.port == 256);
	/* LOCAL (health check): no address, the peer's is kept. */
	n = v2_make(b, 0x20, 0x00, body, 0);
	CHECK(framed_length(b, n) == 16 && proxy_parse(b, n, &a) == 0 && !a.known);
	/* UNSPEC and unix-socket families: accepted, no address. */
	n = v2_make(b, 0x21, 0x00, body, 0);
	CHECK(proxy_parse(b, n, &a) == 0 && !a.known);
	n = v2_make(b, 0x21, 0x31, body, 216);
	CHECK(proxy_parse(b, n, &a) == 0 && !a.known);
}

static void test_v2_bad(void)
{
	uint8_t b[16 + 1100], body[1100] = { 0 };
	struct proxy_addr a;
	size_t n;

	n = v2_make(b, 0x21, 0x11, body, 11);                   /* short address block */
	CHECK(proxy_parse(b, n, &a) == -EINVAL);
	n = v2_make(b, 0x21, 0x21, body, 35);
	CHECK(proxy_parse(b, n, &a) == -EINVAL);
	n = v2_make(b, 0x11, 0x11, body, 12);                   /* version 1 */
	CHECK(proxy_parse(b, n, &a) == -EINVAL);
	n = v2_make(b, 0x22, 0x11, body, 12);                   /* command 2 */
	CHECK(proxy_parse(b, n, &a) == -EINVAL);
	n = v2_make(b, 0x21, 0x12, body, 12);                   /* UDP */
	CHECK(proxy_parse(b, n, &a) == -EINVAL);
	n = v2_make(b, 0x21, 0x41, body, 12);                   /* unknown family */
	CHECK(proxy_parse(b, n, &a) == -EINVAL);
	n = v2_make(b, 0x21, 0x11, body, 12);
	CHECK(proxy_parse(b, n - 1, &a) == -EINVAL);            /* length mismatch */
	b[11] = 'X';                                            /* broken signature */
	CHECK(proxy_header_need(b, 16) == -EINVAL);
	CHECK(proxy_header_need(b, 8) == 16);                   /* not seen yet */
	(void)v2_make(b, 0x21, 0x11, body, PROXY_V2_MAX_BODY + 1); /* too long to read */
	CHECK(proxy_header_need(b, 16) == -EINVAL);
	CHECK(proxy_header_need(b, 15) == 16);
}

static void test_cidr(void)
{
	uint8_t a4[4], a6[16];

	CHECK(proxy_cidr_check("127.0.0.1") == 0);
	CHECK(proxy_cidr_check("10.0.0.0/8,192.168.1.0/24,::1,2001:db8::/32") == 0);
	CHECK(proxy_cidr_check("10.0.0.0/33") == -EINVAL);
	CHECK(proxy_cidr_check("2001:db8::/129") == -EINVAL);
	CHECK(proxy_cidr_check("10.0.0.0/") == -EINVAL);
	CHECK(proxy_cidr_check("10.0.0.0,") == -EINVAL);
	CHECK(proxy_cidr_check("") == -EINVAL);
	CHECK(proxy_cidr_check("example.org") == -EINVAL);

	inet_pton(AF_INET, "10.1.2.3", a4);
	CHECK(proxy_cidr_match("10.0.0.0/8", AF_INET, a4));
	CHECK(proxy_cidr_match("192.168.0.0/16,10.1.2.0/23", AF_INET, a4));
	CHECK(!proxy_cidr_match("10.1.2.4", AF_INET, a4));
	CHECK(!proxy_cidr_match("10.1.2.0/31", AF_INET, a4));
	CHECK(proxy_cidr_match("10.1.2.2/31", AF_INET, a4));
	CHECK(proxy_cidr_match("0.0.0.0/0", AF_INET, a4));
	CHECK(!proxy_cidr_match("::/0", AF_INET, a4));
	inet_pton(AF_INET6, "2001:db8:1::5", a6);
	CHECK(proxy_cidr_match("2001:db8::/32", AF_INET6, a6));
	CHECK(!proxy_cidr_match("2001:db8:2::/48", AF_INET6, a6));
	CHECK(!proxy_cidr_match("0.0.0.0/0", AF_INET6, a6));
}

int main(void)
{
	test_v1();
	test_v1_bad();
	test_v2();
	test_v2_bad();
	test_cidr();
	return unit_done("proxy");
}
