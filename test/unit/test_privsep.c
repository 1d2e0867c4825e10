/* Unit tests for the privsep records (privsep_proto.c) and the monitor
 * (privsep.c) driven over a real socketpair by a forging "pre-auth
 * process": whatever it sends, nobody logs in without the password. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hmac_md5.h"
#include "log.h"
#include "privsep.h"
#include "unit.h"

static struct ps_request q;

/* An AUTH record from 192.0.2.1 into b. */
static void auth_record(struct ps_buf *b, uint32_t mech, const char *user, const char *response)
{
	ps_begin(b, PS_AUTH);
	ps_put_u32(b, mech);
	ps_put_str(b, user);
	ps_put_str(b, response);
	ps_put_str(b, "192.0.2.1");
}

static void test_parse_auth(void)
{
	struct ps_buf b;
	char user[MAX_USER + 2];

	auth_record(&b, MECH_PASS, "alice", "secret");
	CHECK(!b.overflow);
	CHECK(ps_request_parse(b.b, b.len, &q) == 0);
	CHECK(q.type == PS_AUTH && q.mech == MECH_PASS && !strcmp(q.user, "alice") &&
	      !strcmp(q.response, "secret") && !strcmp(q.addr, "192.0.2.1"));
	/* every truncation is refused, and so is one octet more */
	for (size_t n = 0; n < b.len; n++)
		CHECK(ps_request_parse(b.b, n, &q) == -EBADMSG);
	b.b[b.len] = 0;
	CHECK(ps_request_parse(b.b, b.len + 1, &q) == -EBADMSG);
	/* a mechanism out of range */
	auth_record(&b, MECH_LAST + 1, "alice", "x");
	CHECK(ps_request_parse(b.b, b.len, &q) == -EBADMSG);
	/* a user name over MAX_USER */
	memset(user, 'u', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	auth_record(&b, MECH_PASS, user, "x");
	CHECK(ps_request_parse(b.b, b.len, &q) == -EBADMSG);
}

static void test_parse_refused(void)
{
	struct ps_buf b;
	struct ps_reply rep;

	/* a NUL, a CR or an LF inside a string */
	ps_begin(&b, PS_HELLO);
	ps_put(&b, "1.2\0.3", 6);
	CHECK(ps_request_parse(b.b, b.len, &q) == -EBADMSG);
	ps_begin(&b, PS_LOG);
	ps_put_u32(&b, 6);
	ps_put_str(&b, "line\nforged: login: user=root");
	CHECK(ps_request_parse(b.b, b.len, &q) == -EBADMSG);
	/* a log priority that would raise an alert */
	ps_begin(&b, PS_LOG);
	ps_put_u32(&b, 1);
	ps_put_str(&b, "x");
	CHECK(ps_request_parse(b.b, b.len, &q) == -EBADMSG);
	/* a reply type sent as a request */
	ps_begin(&b, PS_AUTH_REPLY);
	ps_put_u32(&b, VERDICT_OK);
	ps_put_u32(&b, 0);
	CHECK(ps_request_parse(b.b, b.len, &q) == -EBADMSG);
	CHECK(ps_reply_parse(b.b, b.len, &rep) == 0 && rep.verdict == VERDICT_OK);
}

static void test_parse_stats(void)
{
	static unsigned char huge[PS_MAX_RECORD];
	unsigned char big[4 * (MAX_COMMANDS + 3)] = { 0 };
	struct ps_buf b;
	struct ps_stats st = { .commands = 7, .flags = PS_STATS_EXIT, .ncounts = 2,
	                       .counts = { 3, 4 } };

	/* too many counters */
	ps_begin(&b, PS_END);
	ps_put_u32(&b, 0);
	ps_put(&b, big, sizeof(big));
	CHECK(ps_request_parse(b.b, b.len, &q) == -EBADMSG);
	ps_begin(&b, PS_HANDOFF);
	ps_put_u32(&b, 1);
	ps_put_stats(&b, &st);
	ps_put(&b, "STAT\r\n", 6);
	CHECK(ps_request_parse(b.b, b.len, &q) == 0 && q.relay && q.input_len == 6 &&
	      q.stats.commands == 7 && q.stats.ncounts == 2 && q.stats.counts[1] == 4 &&
	      q.stats.flags == PS_STATS_EXIT);
	/* an overflowing builder is refused by the sender */
	ps_begin(&b, PS_HANDOFF);
	ps_put(&b, huge, sizeof(huge));
	CHECK(b.overflow);
}

/* ---------------------------------------------------------------- the monitor */

static struct options opt;
static struct auth *auth;

static void send_rec(int fd, const struct ps_buf *b)
{
	CHECK(send(fd, b->b, b->len, 0) == (ssize_t)b->len);
}

static void hello(int fd, const char *addr)
{
	struct ps_buf b;

	ps_begin(&b, PS_HELLO);
	ps_put_str(&b, addr);
	send_rec(fd, &b);
}

static void auth_rec(int fd, enum login_mech mech, const char *user, const char *resp,
                     const char *addr)
{
	struct ps_buf b;

	ps_begin(&b, PS_AUTH);
	ps_put_u32(&b, mech);
	ps_put_str(&b, user);
	ps_put_str(&b, resp);
	ps_put_str(&b, addr);
	send_rec(fd, &b);
}

static void handoff(int fd)
{
	struct ps_buf b;
	struct ps_stats st = { 0 };

	ps_begin(&b, PS_HANDOFF);
	ps_put_u32(&b, 0);
	ps_put_stats(&b, &st);
	ps_put(&b, "", 0);
	send_rec(fd, &b);
}

/* Run the monitor on one end while script() forges on the other (in a
 * child process, so a blocking monitor cannot hang the test). */
static int monitor_against(void (*script)(int fd), bool proxied, struct monitor_result *m)
{
	int sv[2], r, status;
	struct login l;
	pid_t pid;

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		script(sv[1]);
		/* read the replies until the monitor closes */
		{
			char buf[PS_MAX_RECORD];
			while (recv(sv[1], buf, sizeof(buf), 0) > 0)
				;
		}
		_exit(0);
	}
	close(sv[1]);
	login_init(&l, &opt, auth, "192.0.2.1");
	memset(m, 0, sizeof(*m));
	r = monitor_run(sv[0], &l, proxied, true, m);
	close(sv[0]);
	waitpid(pid, &status, 0);
	return r;
}

static void s_good(int fd)
{
	hello(fd, "192.0.2.1");
	auth_rec(fd, MECH_PASS, "alice", "secret", "192.0.2.1");
	handoff(fd);
}

static void s_handoff_only(int fd)
{
	hello(fd, "192.0.2.1");
	handoff(fd);
}

static void s_auth_first(int fd)
{
	auth_rec(fd, MECH_PASS, "alice", "secret", "192.0.2.1");
	handoff(fd);
}

static void s_wrong_then_handoff(int fd)
{
	hello(fd, "192.0.2.1");
	auth_rec(fd, MECH_PASS, "alice", "wrong", "192.0.2.1");
	handoff(fd);
}

static void s_claims_ok(int fd)
{
	struct ps_buf b;

	hello(fd, "192.0.2.1");
	ps_begin(&b, PS_AUTH_REPLY);
	ps_put_u32(&b, VERDICT_OK);
	ps_put_u32(&b, 0);
	send_rec(fd, &b);
	handoff(fd);
}

static void s_oversized(int fd)
{
	static unsigned char big[PS_MAX_RECORD + 100];

	hello(fd, "192.0.2.1");
	big[0] = PS_HANDOFF;
	CHECK(send(fd, big, sizeof(big), 0) == (ssize_t)sizeof(big));
}

static void s_garbage(int fd)
{
	hello(fd, "192.0.2.1");
	CHECK(send(fd, "\x02\xff\xff", 3, 0) == 3);
	handoff(fd);
}

static void s_addr_change(int fd)
{
	hello(fd, "192.0.2.1");
	auth_rec(fd, MECH_PASS, "alice", "secret", "198.51.100.7");
	handoff(fd);
}

static void s_preauth(int fd)
{
	hello(fd, "192.0.2.1");
	auth_rec(fd, MECH_PREAUTH, "alice", "", "192.0.2.1");
	handoff(fd);
}

static void s_apop_own_stamp(int fd)
{
	char digest[33];

	hello(fd, "192.0.2.1");
	/* a digest over a stamp the forger chose, not the monitor's */
	auth_md5_hex("<1.1@forged>", "secret", digest);
	auth_rec(fd, MECH_APOP, "alice", digest, "192.0.2.1");
	handoff(fd);
}

/* A right CRAM-MD5 answer without a challenge from the monitor. */
static void s_cram_no_challenge(int fd)
{
	char digest[33];

	hello(fd, "192.0.2.1");
	hmac_md5_hex("secret", 6, "<1.2.3@x>", 9, digest);
	auth_rec(fd, MECH_CRAM_MD5, "alice", digest, "192.0.2.1");
	handoff(fd);
}

/* The right answer to the monitor's challenge, then the same again: the
 * first logs in; replayed in a new session it must not. */
static char replay_digest[33];
static void s_cram_replay(int fd)
{
	hello(fd, "192.0.2.1");
	auth_rec(fd, MECH_CRAM_MD5, "alice", replay_digest, "192.0.2.1");
	handoff(fd);
}

static void s_three_failures(int fd)
{
	hello(fd, "192.0.2.1");
	for (int i = 0; i < 4; i++)
		auth_rec(fd, MECH_PASS, "alice", "wrong", "192.0.2.1");
	handoff(fd);
}

static void s_bad_hello(int fd)
{
	hello(fd, "not-an-address");
	auth_rec(fd, MECH_PASS, "alice", "secret", "not-an-address");
	handoff(fd);
}

static void test_monitor(void)
{
	static struct monitor_result m;
	char path[] = "/tmp/onepop-unit-XXXXXX";
	char spec[64];
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK(write(fd, "alice:{PLAIN}secret:::::\n", 25) == 25);
	close(fd);
	snprintf(spec, sizeof(spec), "passwd-file:%s", path);
	opt.fail_delay_ms = 0;
	opt.greeting = "x";
	CHECK(auth_open(spec, &auth) == 0);

	CHECK(monitor_against(s_good, false, &m) == 0);
	CHECK(m.logged_in && m.user.name && !strcmp(m.user.name, "alice"));
	user_info_clear(&m.user);

	CHECK(monitor_against(s_handoff_only, false, &m) == -EPROTO && !m.logged_in);
	CHECK(monitor_against(s_auth_first, false, &m) == -EPROTO && !m.logged_in);
	CHECK(monitor_against(s_wrong_then_handoff, false, &m) == -EPROTO && !m.logged_in);
	CHECK(monitor_against(s_claims_ok, false, &m) == -EPROTO && !m.logged_in);
	CHECK(monitor_against(s_oversized, false, &m) == -EPROTO && !m.logged_in);
	CHECK(monitor_against(s_garbage, false, &m) == -EPROTO && !m.logged_in);
	CHECK(monitor_against(s_addr_change, true, &m) == -EPROTO && !m.logged_in);
	CHECK(monitor_against(s_bad_hello, true, &m) == -EPROTO && !m.logged_in);
	CHECK(monitor_against(s_apop_own_stamp, false, &m) == -EPROTO && !m.logged_in);
	CHECK(monitor_against(s_cram_no_challenge, false, &m) == -EPROTO && !m.logged_in);
	CHECK(monitor_against(s_three_failures, false, &m) == -EPROTO && !m.logged_in);
	/* --preauth is the monitor's option, not the forger's wish */
	CHECK(monitor_against(s_preauth, false, &m) == -EPROTO && !m.logged_in);

	/* A right answer to a real challenge, replayed: the challenge is
	 * the monitor's and used once. */
	{
		struct login l;
		struct user_info u = { 0 };
		bool close_it;

		login_init(&l, &opt, auth, "192.0.2.1");
		login_challenge(&l);
		hmac_md5_hex("secret", 6, l.challenge, strlen(l.challenge), replay_digest);
		CHECK(login_check(&l, MECH_CRAM_MD5, "alice", replay_digest, &u, &close_it) ==
		      VERDICT_OK);
		user_info_clear(&u);
		CHECK(login_check(&l, MECH_CRAM_MD5, "alice", replay_digest, &u, &close_it) ==
		      VERDICT_AUTH);
		CHECK(monitor_against(s_cram_replay, false, &m) == -EPROTO && !m.logged_in);
	}
	auth_close(auth);
	unlink(path);
}

int main(void)
{
	log_open(false);
	test_parse_auth();
	test_parse_refused();
	test_parse_stats();
	test_monitor();
	return unit_done("privsep");
}
