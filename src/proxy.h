/* The HAProxy PROXY protocol, v1 (text) and v2 (binary), read before the
 * greeting so logs name the real client behind a load balancer. */
#ifndef ONEPOP_PROXY_H
#define ONEPOP_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The longest v1 header, CRLF included (the spec's own bound). */
#define PROXY_V1_MAX 107
/* v2: 16-octet fixed part, then at most this many octets of addresses
 * and TLVs; HAProxy's own TLVs fit easily, anything longer is refused. */
#define PROXY_V2_MAX_BODY 1024

struct proxy_addr {
	bool known;             /* false: LOCAL/UNKNOWN, keep the peer address */
	int family;             /* AF_INET or AF_INET6 when known */
	char addr[46];          /* INET6_ADDRSTRLEN */
	unsigned port;
};

/* Given the first len octets of a connection, how many octets the whole
 * header holds, as far as they tell: when the result equals len the
 * header is complete; when larger, read up to it (never past it, so the
 * bytes after the header stay unread). -EINVAL if these octets cannot
 * start a valid header. Never asks for more than the limits above. */
ssize_t proxy_header_need(const uint8_t *buf, size_t len);

/* Parse a complete header of exactly len octets strictly. 0 or -EINVAL. */
int proxy_parse(const uint8_t *buf, size_t len, struct proxy_addr *ret);

/* 0 if list is a valid comma-separated list of addresses and CIDR
 * prefixes (IPv4 or IPv6), -EINVAL otherwise. */
int proxy_cidr_check(const char *list);

/* True if addr (struct in_addr or in6_addr by family) is in list. */
bool proxy_cidr_match(const char *list, int family, const void *addr);

/* Read the header from fd within timeout seconds when the peer of fd is
 * one that must send one (any peer if from is NULL). On success the real
 * client's address (if the header carries one) is copied to remote.
 * Logs its own failures. 0, -EPROTO (missing or malformed), -ETIMEDOUT,
 * -EIO. */
int proxy_accept(int fd, const char *from, unsigned timeout, char *remote, size_t size);

#endif
