/* libFuzzer target: the PROXY protocol header (src/proxy.c). The input is
 * what a load balancer (or an attacker) sends first on a connection.
 *  1. proxy_accept() reads it from a pipe, as from a socket. Whatever it
 *     decides, every octet after the header must still be unread, and an
 *     address it hands on must be one inet_pton accepts.
 *  2. proxy_header_need()/proxy_parse() over the input as a complete
 *     header: the reader's bound never passes the protocol's limits, a
 *     header it accepts parses the same way the reader's did.
 *  3. The input as a --proxy-from list (proxy_cidr_check/_match): a list
 *     the check accepts can be matched without trouble. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "proxy.h"

/* A pipe holds 64 KiB; the header is at most 16 + 1024 octets. */
#define MAX_INPUT 16384

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_open(false);
	setlogmask(LOG_MASK(LOG_EMERG));
	return 0;
}

static void check_addr(const char *addr)
{
	unsigned char tmp[16];

	if (inet_pton(strchr(addr, ':') ? AF_INET6 : AF_INET, addr, tmp) != 1) {
		fprintf(stderr, "handed on a bad address: %s\n", addr);
		abort();
	}
}

/* How long the header at the start of data is, as the reader would find
 * it; -1 if none. */
static ssize_t header_len(const uint8_t *data, size_t size)
{
	size_t have = 0;
	ssize_t need;

	while ((need = proxy_header_need(data, have)) > (ssize_t)have) {
		if (need > 16 + PROXY_V2_MAX_BODY) {
			fprintf(stderr, "asked for %zd octets\n", need);
			abort();
		}
		if ((size_t)need > size)
			return -1;
		have = (size_t)need;
	}
	return need < 0 ? -1 : need;
}

static void via_pipe(const uint8_t *data, size_t size)
{
	char remote[64] = "peer", rest[MAX_INPUT];
	int p[2], r;
	ssize_t hlen = header_len(data, size), n;
	struct proxy_addr a;

	if (pipe(p) < 0 || (size && write(p[1], data, size) != (ssize_t)size))
		abort();
	close(p[1]);
	r = proxy_accept(p[0], NULL, 0, remote, sizeof(remote));
	n = read(p[0], rest, sizeof(rest));
	close(p[0]);
	if (r == 0) {
		/* Accepted: exactly the header was consumed. */
		if (hlen < 0 || n != (ssize_t)size - hlen ||
		    (n > 0 && memcmp(rest, data + hlen, (size_t)n) != 0)) {
			fprintf(stderr, "accepted, header %zd, %zd octets left of %zu\n", hlen, n, size);
			abort();
		}
		if (proxy_parse(data, (size_t)hlen, &a) < 0)
			abort();
		if (a.known) {
			check_addr(remote);
			if (strcmp(remote, a.addr) != 0)
				abort();
		} else if (strcmp(remote, "peer") != 0) {
			abort();
		}
	} else {
		if (r != -EPROTO || strcmp(remote, "peer") != 0)
			abort();
		/* Refused: it never read past what a header could be. */
		if (hlen >= 0 && n < (ssize_t)size - hlen)
			abort();
	}
}

static void as_list(const uint8_t *data, size_t size)
{
	char list[512];
	unsigned char v4[4] = { 192, 0, 2, 1 }, v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	if (size >= sizeof(list) || memchr(data, '\0', size))
		return;
	memcpy(list, data, size);
	list[size] = '\0';
	if (proxy_cidr_check(list) < 0)
		return;
	(void)proxy_cidr_match(list, AF_INET, v4);
	(void)proxy_cidr_match(list, AF_INET6, v6);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_addr a;

	if (size > MAX_INPUT)
		return 0;
	via_pipe(data, size);
	if (proxy_parse(data, size, &a) == 0 && a.known) {
		check_addr(a.addr);
		if (a.port > 65535)
			abort();
	}
	as_list(data, size);
	return 0;
}
