/* PROXY protocol v1/v2 (haproxy doc/proxy-protocol.txt): a strict parser
 * and a bounded reader that never consumes a byte past the header. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io.h"
#include "log.h"
#include "numparse.h"
#include "proxy.h"

static const uint8_t v2_sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a,
                                    0x51, 0x55, 0x49, 0x54, 0x0a };
static const char v1_sig[] = "PROXY ";

/* Both versions are at least this long, so it is always safe to read. */
#define PROXY_MIN 8

ssize_t proxy_header_need(const uint8_t *buf, size_t len)
{
	size_t n = len < PROXY_MIN ? len : PROXY_MIN;
	bool v1 = memcmp(buf, v1_sig, n < 6 ? n : 6) == 0;
	bool v2 = memcmp(buf, v2_sig, n) == 0;

	if (!v1 && !v2)
		return -EINVAL;
	if (len < PROXY_MIN)
		return PROXY_MIN;
	if (v1) {
		const uint8_t *lf = memchr(buf, '\n', len);
		/* An LF before the 8th octet ends a header too short to be
		 * valid, and one the reader has already read past. */
		if (lf)
			return lf - buf + 1 < PROXY_MIN ? -EINVAL : lf - buf + 1;
		return len < PROXY_V1_MAX ? (ssize_t)len + 1 : -EINVAL;
	}
	if (len < 16)
		return 16;
	if (memcmp(buf, v2_sig, sizeof(v2_sig)) != 0)
		return -EINVAL;
	n = (size_t)buf[14] << 8 | buf[15];
	if (n > PROXY_V2_MAX_BODY)
		return -EINVAL;
	return (ssize_t)(16 + n);
}

/* One space-terminated (or CRLF-terminated, for the last) v1 field. */
static int v1_field(const char **p, const char *end, char sep, char *out, size_t size)
{
	const char *f = *p, *e = memchr(f, sep, (size_t)(end - f));
	size_t n;

	if (!e || e == f)
		return -EINVAL;
	n = (size_t)(e - f);
	if (n >= size)
		return -EINVAL;
	memcpy(out, f, n);
	out[n] = '\0';
	*p = e + 1;
	return 0;
}

static int v1_port(const char *s, unsigned *ret)
{
	uint64_t v;

	/* The spec: decimal, no leading zero (a lone "0" aside). */
	if ((s[0] == '0' && s[1]) || num_parse(s, 0, 65535, &v) < 0)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

static int parse_v1(const char *buf, size_t len, struct proxy_addr *ret)
{
	const char *p = buf + 6, *end;
	char proto[8], src[46], dst[46], sport[8], dport[8];
	unsigned char tmp[16];
	struct proxy_addr a = { 0 };

	if (len < 8 || len > PROXY_V1_MAX || buf[len - 2] != '\r' || buf[len - 1] != '\n' ||
	    memchr(buf, '\0', len) || memchr(buf, '\n', len - 1) || memchr(buf, '\r', len - 2))
		return -EINVAL;
	end = buf + len - 2;   /* the CR; fields stop at spaces before it */
	if ((size_t)(end - p) >= 7 && memcmp(p, "UNKNOWN", 7) == 0 &&
	    (end - p == 7 || p[7] == ' ')) {
		/* The proxy could not tell; the rest of the line is ignored. */
		*ret = a;
		return 0;
	}
	if (v1_field(&p, end, ' ', proto, sizeof(proto)) < 0 ||
	    v1_field(&p, end, ' ', src, sizeof(src)) < 0 ||
	    v1_field(&p, end, ' ', dst, sizeof(dst)) < 0 ||
	    v1_field(&p, end, ' ', sport, sizeof(sport)) < 0 ||
	    v1_field(&p, end + 1, '\r', dport, sizeof(dport)) < 0 || p != end + 1)
		return -EINVAL;
	if (!strcmp(proto, "TCP4"))
		a.family = AF_INET;
	else if (!strcmp(proto, "TCP6"))
		a.family = AF_INET6;
	else
		return -EINVAL;
	if (inet_pton(a.family, src, tmp) != 1 || inet_pton(a.family, dst, tmp) != 1 ||
	    v1_port(sport, &a.port) < 0 || v1_port(dport, &(unsigned){ 0 }) < 0)
		return -EINVAL;
	/* Written back by inet_ntop, so the log shows one canonical form. */
	inet_pton(a.family, src, tmp);
	inet_ntop(a.family, tmp, a.addr, sizeof(a.addr));
	a.known = true;
	*ret = a;
	return 0;
}

static int parse_v2(const uint8_t *buf, size_t len, struct proxy_addr *ret)
{
	size_t body = (size_t)buf[14] << 8 | buf[15];
	struct proxy_addr a = { 0 };
	uint8_t cmd = buf[12], fam = buf[13];

	if (len != 16 + body || memcmp(buf, v2_sig, sizeof(v2_sig)) != 0 || (cmd >> 4) != 2)
		return -EINVAL;
	if ((cmd & 15) == 0) {
		/* LOCAL: the proxy's own connection (a health check). */
		*ret = a;
		return 0;
	}
	if ((cmd & 15) != 1)
		return -EINVAL;
	switch (fam) {
	case 0x11:      /* TCP over IPv4: src, dst, sport, dport */
		if (body < 12)
			return -EINVAL;
		a.family = AF_INET;
		inet_ntop(AF_INET, buf + 16, a.addr, sizeof(a.addr));
		a.port = (unsigned)buf[24] << 8 | buf[25];
		a.known = true;
		break;
	case 0x21:      /* TCP over IPv6 */
		if (body < 36)
			return -EINVAL;
		a.family = AF_INET6;
		inet_ntop(AF_INET6, buf + 16, a.addr, sizeof(a.addr));
		a.port = (unsigned)buf[48] << 8 | buf[49];
		a.known = true;
		break;
	case 0x00:      /* UNSPEC: nothing to learn */
	case 0x31:      /* a unix socket: no address to log */
		break;
	default:        /* UDP or garbage: not a POP3 connection */
		return -EINVAL;
	}
	*ret = a;
	return 0;
}

int proxy_parse(const uint8_t *buf, size_t len, struct proxy_addr *ret)
{
	if (len >= 16 && memcmp(buf, v2_sig, sizeof(v2_sig)) == 0)
		return parse_v2(buf, len, ret);
	if (len >= 6 && memcmp(buf, v1_sig, 6) == 0)
		return parse_v1((const char *)buf, len, ret);
	return -EINVAL;
}

/* One "ADDR[/BITS]" entry into family, address bytes and prefix length. */
static int cidr_parse(const char *s, size_t n, int *ret_family, uint8_t addr[16],
                      unsigned *ret_bits)
{
	char buf[64], *slash;
	uint64_t bits;
	int family;

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(family, buf, addr) != 1)
		return -EINVAL;
	bits = family == AF_INET ? 32 : 128;
	if (slash && num_parse(slash, 0, bits, &bits) < 0)
		return -EINVAL;
	*ret_family = family;
	*ret_bits = (unsigned)bits;
	return 0;
}

/* Walk list: 1 if addr (of family) is in it, 0 if not, -EINVAL at the
 * first bad entry. With family AF_UNSPEC it only checks the syntax. */
static int cidr_walk(const char *list, int family, const uint8_t *addr)
{
	int found = 0;

	for (const char *p = list; p;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		uint8_t net[16];
		unsigned bits, full;
		int fam;

		if (cidr_parse(p, n, &fam, net, &bits) < 0)
			return -EINVAL;
		p = comma ? comma + 1 : NULL;
		if (found || fam != family)
			continue;
		full = bits / 8;
		if (memcmp(addr, net, full) != 0)
			continue;
		if (bits % 8) {
			uint8_t mask = (uint8_t)(0xff << (8 - bits % 8));
			if ((addr[full] & mask) != (net[full] & mask))
				continue;
		}
		found = 1;
	}
	return found;
}

int proxy_cidr_check(const char *list)
{
	return cidr_walk(list, AF_UNSPEC, NULL) < 0 ? -EINVAL : 0;
}

bool proxy_cidr_match(const char *list, int family, const void *addr)
{
	return cidr_walk(list, family, addr) == 1;
}

/* Whether the peer of fd must send a header. Peers that are not IP
 * sockets (a pipe, a unix socket) only when no list restricts it. */
static bool expected_from(int fd, const char *from)
{
	/* Zeroed: a peer whose name comes back empty is AF_UNSPEC, refused. */
	struct sockaddr_storage ss = { 0 };
	socklen_t len = sizeof(ss);

	if (!from)
		return true;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return false;
	if (ss.ss_family == AF_INET)
		return proxy_cidr_match(from, AF_INET, &((struct sockaddr_in *)&ss)->sin_addr);
	if (ss.ss_family == AF_INET6) {
		const struct in6_addr *a6 = &((struct sockaddr_in6 *)&ss)->sin6_addr;
		/* A v4 client of a dual-stack listener is ::ffff:a.b.c.d. */
		if (IN6_IS_ADDR_V4MAPPED(a6) && proxy_cidr_match(from, AF_INET, a6->s6_addr + 12))
			return true;
		return proxy_cidr_match(from, AF_INET6, a6);
	}
	return false;
}

int proxy_accept(int fd, const char *from, unsigned timeout, char *remote, size_t size)
{
	uint8_t buf[16 + PROXY_V2_MAX_BODY];
	struct proxy_addr a;
	size_t have = 0;
	ssize_t need;
	int r = 0;

	if (!expected_from(fd, from))
		return 0;
	if (timeout && !io_timed_out())
		alarm(timeout);
	/* Read exactly up to what the header announces: anything after it
	 * (a TLS ClientHello, say) belongs to the session. */
	while ((need = proxy_header_need(buf, have)) > (ssize_t)have) {
		ssize_t n = read(fd, buf + have, (size_t)need - have);

		if (n < 0 && errno == EINTR && !io_timed_out())
			continue;
		if (n <= 0) {
			r = io_timed_out() ? -ETIMEDOUT : n == 0 ? -EPROTO : -EIO;
			break;
		}
		have += (size_t)n;
	}
	if (!io_timed_out())
		alarm(0);
	if (r == 0 && (need < 0 || proxy_parse(buf, have, &a) < 0))
		r = -EPROTO;
	if (r < 0) {
		log_msg(LOG_NOTICE, "PROXY header from rhost=%s: %s", remote,
		        r == -EPROTO ? "missing or malformed" :
		        r == -ETIMEDOUT ? "timed out" : "read error");
		return r;
	}
	if (a.known)
		strlcpy(remote, a.addr, size);
	return 0;
}
