/* libFuzzer target: what the pre-auth process sends the monitor
 * (src/privsep_proto.c, src/privsep.c). The monitor must treat it as
 * hostile: a compromised pre-auth process writes these bytes.
 *  1. The input as one record: ps_request_parse either refuses it or
 *     gives bounded strings without NUL, CR or LF, and a record built
 *     again from what it gave parses to the same.
 *  2. The input as a run of records (each a 16-bit length, then the
 *     record) sent over a real SOCK_SEQPACKET pair to monitor_run: it
 *     ends, and it logs somebody in only if one of the records was an
 *     AUTH with the right password. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "privsep.h"

static struct options opt;
static struct auth *auth;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char path[] = "/tmp/onepop-fuzz-privsep-XXXXXX";
	char spec[64];
	int fd;

	(void)argc;
	(void)argv;
	log_open(false);
	setlogmask(LOG_MASK(LOG_EMERG));
	fd = mkstemp(path);
	if (fd < 0 || write(fd, "alice:{PLAIN}secret:::::\n", 25) != 25)
		abort();
	close(fd);
	snprintf(spec, sizeof(spec), "passwd-file:%s", path);
	if (auth_open(spec, &auth) < 0)
		abort();
	opt.greeting = "x";
	return 0;
}

static bool clean(const char *s, size_t max)
{
	return strlen(s) <= max && !strpbrk(s, "\r\n");
}

static void check_one(const uint8_t *data, size_t size)
{
	static struct ps_request q, again;
	static struct ps_buf b;

	if (ps_request_parse(data, size, &q) < 0)
		return;
	if (!clean(q.user, MAX_USER) || !clean(q.response, MAX_LINE) ||
	    !clean(q.addr, PS_MAX_ADDR) || !clean(q.text, PS_MAX_LOG) ||
	    q.input_len > sizeof(q.input) || q.stats.ncounts > MAX_COMMANDS)
		abort();
	ps_begin(&b, q.type);
	switch (q.type) {
	case PS_HELLO: ps_put_str(&b, q.addr); break;
	case PS_AUTH:
		ps_put_u32(&b, q.mech);
		ps_put_str(&b, q.user);
		ps_put_str(&b, q.response);
		ps_put_str(&b, q.addr);
		break;
	case PS_LOG: ps_put_u32(&b, (uint32_t)q.prio); ps_put_str(&b, q.text); break;
	case PS_END: ps_put_u32(&b, q.reason); ps_put_stats(&b, &q.stats); break;
	case PS_HANDOFF:
		ps_put_u32(&b, q.relay);
		ps_put_stats(&b, &q.stats);
		ps_put(&b, q.input, q.input_len);
		break;
	default: break;
	}
	if (b.overflow || ps_request_parse(b.b, b.len, &again) < 0 ||
	    b.len != size || memcmp(b.b, data, size) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct monitor_result m;
	static struct ps_request q;
	struct login l;
	bool right_password = false;
	int sv[2];

	check_one(data, size);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		abort();
	for (size_t off = 0; off + 2 <= size;) {
		size_t len = (size_t)data[off] | (size_t)data[off + 1] << 8;

		off += 2;
		if (len > size - off)
			len = size - off;
		if (len > 0 && send(sv[1], data + off, len, MSG_DONTWAIT) < 0)
			break;
		if (ps_request_parse(data + off, len, &q) == 0 && q.type == PS_AUTH &&
		    (q.mech == MECH_PASS || q.mech == MECH_PLAIN) &&
		    !strcmp(q.user, "alice") && !strcmp(q.response, "secret"))
			right_password = true;
		off += len;
	}
	shutdown(sv[1], SHUT_WR);
	login_init(&l, &opt, auth, "192.0.2.1");
	memset(&m, 0, sizeof(m));
	if (monitor_run(sv[0], &l, size % 2, true, &m) == 0 && m.logged_in) {
		if (!right_password)
			abort();
		user_info_clear(&m.user);
	}
	close(sv[0]);
	close(sv[1]);
	return 0;
}
