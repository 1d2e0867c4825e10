/* Privilege separation: the split, the channel, the monitor (privsep.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "hex.h"
#include "log.h"
#include "privsep.h"

int privsep_fork(const struct sandbox *sb, bool relay, struct privsep *ps)
{
	int ctl[2], data[2] = { -1, -1 };
	pid_t pid;
	int r;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0)
		return -errno;
	if (relay && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, data) < 0) {
		r = -errno;
		close(ctl[0]);
		close(ctl[1]);
		return r;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(ctl[0]);
		close(ctl[1]);
		if (relay) {
			close(data[0]);
			close(data[1]);
		}
		return r;
	}
	if (pid > 0) {
		close(ctl[1]);
		if (relay)
			close(data[1]);
		*ps = (struct privsep){ .child = pid, .ctl = ctl[0], .data = relay ? data[0] : -1 };
		return 1;
	}
	/* The child keeps the connection (0, 1, 2) and its two channels on
	 * fixed numbers; everything else the monitor had open (the syslog
	 * socket, a fail-state file) is closed before the cell shuts. */
	closelog();
	if (dup2(ctl[1], PRIVSEP_CTL_FD) < 0 ||
	    (relay && dup2(data[1], PRIVSEP_DATA_FD) < 0))
		_exit(1);
	if (close_range(relay ? PRIVSEP_DATA_FD + 1 : PRIVSEP_CTL_FD + 1, ~0U, 0) < 0)
		_exit(1);
	/* From here on its log lines go to the monitor. */
	log_set_sink(privsep_log);
	r = sandbox_enter(sb);
	if (r < 0) {
		log_msg(LOG_ERR, "privsep: cannot enter the sandbox: %s", strerror(-r));
		_exit(1);
	}
	return 0;
}

/* ---------------------------------------------------------------- the channel */

static int send_record(int fd, const struct ps_buf *b)
{
	ssize_t n;

	if (b->overflow)
		return -EMSGSIZE;
	do
		n = send(fd, b->b, b->len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == b->len ? 0 : -EIO;
}

/* One record into buf; its length, 0 at EOF, or a negative errno
 * (-EMSGSIZE: longer than buf, cut by the kernel). */
static ssize_t recv_record(int fd, void *buf, size_t size)
{
	ssize_t n;

	do
		n = recv(fd, buf, size, MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n > size ? -EMSGSIZE : n;
}

static int ask(int fd, const struct ps_buf *b, enum ps_type want, struct ps_reply *ret)
{
	unsigned char buf[PS_MAX_RECORD];
	ssize_t n;
	int r = send_record(fd, b);

	if (r < 0)
		return r;
	n = recv_record(fd, buf, sizeof(buf));
	if (n <= 0)
		return n == 0 ? -EPIPE : (int)n;
	if (ps_reply_parse(buf, (size_t)n, ret) < 0 || ret->type != want)
		return -EPROTO;
	return 0;
}

int privsep_hello(int fd, const char *addr, struct ps_reply *ret)
{
	static struct ps_buf b;

	ps_begin(&b, PS_HELLO);
	ps_put_str(&b, addr);
	return ask(fd, &b, PS_HELLO_REPLY, ret);
}

int privsep_auth(int fd, enum login_mech mech, const char *user, const char *response,
                 const char *addr, bool *ret_close)
{
	static struct ps_buf b;
	struct ps_reply rep;
	int r;

	ps_begin(&b, PS_AUTH);
	ps_put_u32(&b, mech);
	ps_put_str(&b, user);
	ps_put_str(&b, response);
	ps_put_str(&b, addr);
	r = ask(fd, &b, PS_AUTH_REPLY, &rep);
	explicit_bzero(b.b, b.len);
	if (r < 0)
		return r;
	*ret_close = rep.close;
	return (int)rep.verdict;
}

int privsep_challenge(int fd, char *out, size_t size)
{
	static struct ps_buf b;
	struct ps_reply rep;
	int r;

	ps_begin(&b, PS_CHALLENGE);
	r = ask(fd, &b, PS_CHALLENGE_REPLY, &rep);
	if (r < 0)
		return r;
	return strlcpy(out, rep.stamp, size) < size ? 0 : -E2BIG;
}

int privsep_end(int fd, uint32_t reason, const struct ps_stats *st)
{
	static struct ps_buf b;

	ps_begin(&b, PS_END);
	ps_put_u32(&b, reason);
	ps_put_stats(&b, st);
	return send_record(fd, &b);
}

int privsep_handoff(int fd, bool relay, const struct ps_stats *st, const void *input,
                    size_t len)
{
	static struct ps_buf b;

	ps_begin(&b, PS_HANDOFF);
	ps_put_u32(&b, relay);
	ps_put_stats(&b, st);
	ps_put(&b, input, len);
	return send_record(fd, &b);
}

void privsep_log(int prio, const char *text)
{
	static struct ps_buf b;
	char line[PS_MAX_LOG + 1];

	strlcpy(line, text, sizeof(line));
	for (char *p = line; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	ps_begin(&b, PS_LOG);
	ps_put_u32(&b, (uint32_t)(prio < LOG_ERR ? LOG_ERR : prio > LOG_DEBUG ? LOG_DEBUG : prio));
	ps_put_str(&b, line);
	(void)send_record(PRIVSEP_CTL_FD, &b);
}

/* ---------------------------------------------------------------- the monitor */

/* A line the other side wants logged: every control octet escaped. */
static void log_forwarded(const struct ps_request *q)
{
	char out[PS_MAX_LOG * 4 + 1];
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)q->text; *p; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '\\') {
			out[o++] = (char)*p;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			hex_byte(*p, out + o);
			o += 2;
		}
	}
	out[o] = '\0';
	log_msg(q->prio, "%s", out);
}

static bool address_ok(const char *addr)
{
	unsigned char a[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, addr, a) == 1 || inet_pton(AF_INET6, addr, a) == 1;
}

static int reply_auth(int ctl, enum login_verdict v, bool close_it)
{
	struct ps_buf b;

	ps_begin(&b, PS_AUTH_REPLY);
	ps_put_u32(&b, v);
	ps_put_u32(&b, close_it);
	return send_record(ctl, &b);
}

static int broken(const char *why)
{
	log_msg(LOG_ERR, "privsep: the pre-auth process broke the protocol (%s); "
	        "ending the session, nobody logged in", why);
	return -EPROTO;
}

/* The monitor's side of one exchange: where it stands, what it knows. */
struct monitor {
	int ctl;
	struct login *l;
	bool addr_from_child, want_stamp;
	enum { WANT_HELLO, READY, CLOSED, WANT_HANDOFF } state;
	struct user_info who;       /* after a good login, until the handoff */
};

/* The next record from the other side, parsed into *q (which keeps what
 * it needs: the raw bytes are wiped). 0; -EPIPE when the other side is
 * gone; -EPROTO (logged) for a record it should never have sent. */
static int next_record(int ctl, struct ps_request *q)
{
	static unsigned char buf[PS_MAX_RECORD];
	ssize_t n = recv_record(ctl, buf, sizeof(buf));
	int r;

	if (n == 0 || n == -ECONNRESET)
		return -EPIPE;
	if (n < 0)
		return broken(n == -EMSGSIZE ? "oversized record" : "unreadable channel");
	r = ps_request_parse(buf, (size_t)n, q);
	explicit_bzero(buf, (size_t)n);
	return r < 0 ? broken("malformed record") : 0;
}

static int on_hello(struct monitor *m, const struct ps_request *q)
{
	struct login *l = m->l;
	struct ps_buf b;
	uint32_t seconds = 0;
	enum login_verdict v;
	int r;

	/* A PROXY header may name another address; without one (LOCAL,
	 * UNKNOWN, a peer not in the list) the monitor's own stands. */
	if (m->addr_from_child && strcmp(q->addr, l->remote) != 0) {
		if (!address_ok(q->addr))
			return broken("bad client address");
		strlcpy(l->remote, q->addr, sizeof(l->remote));
	}
	v = login_hello(l, m->want_stamp, &seconds);
	ps_begin(&b, PS_HELLO_REPLY);
	ps_put_u32(&b, v);
	ps_put_u32(&b, seconds);
	ps_put_str(&b, l->stamp);
	ps_put_u32(&b, login_mechs(l));
	if ((r = send_record(m->ctl, &b)) < 0)
		return r;
	m->state = v == VERDICT_OK ? READY : CLOSED;
	return 0;
}

static int on_challenge(struct monitor *m)
{
	struct ps_buf b;

	ps_begin(&b, PS_CHALLENGE_REPLY);
	ps_put_str(&b, login_challenge(m->l));
	return send_record(m->ctl, &b);
}

static int on_auth(struct monitor *m, struct ps_request *q)
{
	enum login_verdict v;
	bool close_it;
	int r;

	/* The address was fixed by HELLO: a record naming another cannot
	 * dodge --fail-state. */
	if (strcmp(q->addr, m->l->remote) != 0)
		return broken("client address changed");
	v = login_check(m->l, q->mech, q->user, q->response, &m->who, &close_it);
	explicit_bzero(q->response, sizeof(q->response));
	if ((r = reply_auth(m->ctl, v, close_it)) < 0)
		return r;
	m->state = v == VERDICT_OK ? WANT_HANDOFF : close_it ? CLOSED : READY;
	return 0;
}

/* The session is handed over: the user, and the client's unread bytes. */
static void on_handoff(struct monitor *m, struct ps_request *q, struct monitor_result *ret)
{
	ret->logged_in = true;
	ret->relay = q->relay;
	ret->stats = q->stats;
	ret->input_len = q->input_len;
	memcpy(ret->input, q->input, q->input_len);
	explicit_bzero(q->input, sizeof(q->input));
	ret->user = m->who;
}

int monitor_run(int ctl, struct login *l, bool addr_from_child, bool want_stamp,
                struct monitor_result *ret)
{
	static struct ps_request q;
	struct monitor m = { .ctl = ctl, .l = l, .addr_from_child = addr_from_child,
	                     .want_stamp = want_stamp, .state = WANT_HELLO };
	int r;

	while ((r = next_record(ctl, &q)) == 0) {
		if (q.type == PS_LOG) {
			if (q.prio < LOG_DEBUG || log_debugging())
				log_forwarded(&q);
		} else if (m.state == WANT_HELLO && q.type == PS_HELLO) {
			r = on_hello(&m, &q);
		} else if (m.state == READY && q.type == PS_CHALLENGE) {
			r = on_challenge(&m);
		} else if (m.state == READY && q.type == PS_AUTH) {
			r = on_auth(&m, &q);
		} else if (m.state == WANT_HANDOFF && q.type == PS_HANDOFF) {
			on_handoff(&m, &q, ret);
			return 0;
		} else if (m.state != WANT_HANDOFF && q.type == PS_END) {
			ret->logged_in = false;
			ret->reason = q.reason;
			ret->stats = q.stats;
			break;
		} else {
			r = broken("record out of order");
		}
		if (r < 0)
			break;
	}
	user_info_clear(&m.who);
	return r;
}
