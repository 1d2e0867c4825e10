/* The session: greeting, the read-dispatch loop, login, and the end. */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <md5.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "hex.h"
#include "log.h"
#include "privs.h"
#include "privsep.h"
#include "proxy.h"
#include "session.h"
#include "template.h"
#include "tls.h"
#include "uidl_guard.h"

static const char *const end_names[] = {
	[END_QUIT] = "quit",
	[END_EOF] = "eof",
	[END_TIMEOUT] = "timeout",
	[END_IO] = "io-error",
	[END_AUTH_FAILURES] = "auth-failures",
	[END_BAD_COMMANDS] = "bad-commands",
	[END_SERVER] = "server-error",
	[END_DROPPED] = "dropped",
	[END_HANDOFF] = "handoff",
	[END_PREAUTH_LOST] = "preauth-lost",
};

static void remote_address(char *buf, size_t size)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len = sizeof(ss);
	const char *env;

	if (getpeername(STDIN_FILENO, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET &&
		    inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, (socklen_t)size))
			return;
		if (ss.ss_family == AF_INET6 &&
		    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, buf, (socklen_t)size))
			return;
	}
	/* tcpserver and some inetds pass the peer in the environment. */
	env = getenv("TCPREMOTEIP");
	if (!env)
		env = getenv("REMOTE_HOST");
	log_safe(env ? env : "local", buf, size);
}

bool session_plaintext_ok(const struct session *s)
{
	return s->opt->tls == TLS_OFF || tls_active() || s->tls_relayed || s->opt->allow_plaintext;
}

void session_totals(const struct session *s, size_t *ret_count, uint64_t *ret_octets)
{
	size_t n = 0;
	uint64_t octets = 0;

	for (size_t i = 0; i < s->count; i++)
		if (!s->deleted[i]) {
			n++;
			octets += s->msgs[i].size;
		}
	*ret_count = n;
	*ret_octets = octets;
}

/* Reply code for a backend error (backend.h documents the mapping). */
static const char *backend_code(int err)
{
	switch (err) {
	case -EWOULDBLOCK:
		return "[IN-USE]";
	case -ENOENT: case -ENOTDIR: case -EACCES: case -EPERM: case -ELOOP:
		return "[SYS/PERM]";
	default:
		return "[SYS/TEMP]";
	}
}

/* The group to keep as the saved gid through the privilege drop (see
 * privs_drop): --mail-group, else the backend's default; (gid_t)-1 for
 * none. A default group missing on this system is skipped; a configured
 * one is an error. Only meaningful when running as root. */
static int mail_group(const struct session *s, gid_t *ret_gid)
{
	const char *name = s->opt->mail_group ? s->opt->mail_group : s->backend->privileged_group;
	struct group *g;

	*ret_gid = (gid_t)-1;
	if (!name || !*name || geteuid() != 0)
		return 0;
	g = getgrnam(name);
	if (g)
		*ret_gid = g->gr_gid;
	return g || !s->opt->mail_group ? 0 : -ENOENT;
}

void session_backend_error(struct session *s, int err, const char *what)
{
	/* The skeleton's "Transmit uncaught error messages": off by default,
	 * since a backend's text may tell an attacker too much. */
	const char *text = s->report.error[0] ? s->report.error : NULL;

	if (text)
		log_msg(LOG_ERR, "backend %s: %s", s->backend->name, text);
	if (!s->opt->transmit_errors)
		text = NULL;
	io_reply(&s->io, false, "%s %s%s%s", backend_code(err), what,
	         text ? ": " : "", text ? text : "");
}

bool session_command_enabled(const struct session *s, const char *name)
{
	const struct command *c = command_find(name);

	return c && !(c->flags & s->cmd_disabled);
}

/* Drop privileges, then open and scan the mailbox. On failure the -ERR
 * is sent and the session must end (the identity is already changed). */
static int open_mailbox(struct session *s, struct user_info *u)
{
	const char *tpl = s->opt->mailbox ? s->opt->mailbox : s->backend->default_mailbox;
	char who[MAX_USER * 4 + 1], path[MAX_PATH];
	gid_t keep;
	int r;

	s->who = *u;
	*u = (struct user_info){ 0 };
	log_safe(s->who.name, who, sizeof(who));
	r = mail_group(s, &keep);
	if (r == 0)
		r = privs_drop(&s->who, s->opt->allow_root, keep);
	if (r < 0) {
		log_msg(LOG_ERR, "cannot serve user=%s: privilege drop refused or failed: %s",
		        who, strerror(-r));
		io_reply(&s->io, false, "[SYS/PERM] cannot serve this user");
		return r;
	}
	r = template_expand(tpl, s->who.name, s->who.home, path, sizeof(path));
	if (r < 0) {
		log_msg(LOG_ERR, "user=%s: mailbox template %s: %s", who, tpl, strerror(-r));
		io_reply(&s->io, false, "[SYS/PERM] no mailbox for this user");
		return r;
	}
	s->bsession = (struct backend_session){
		.config = s->bconfig,
		.remote = s->remote,
		.uidl_hold = s->opt->uidl_guard == UIDL_GUARD_REFUSE,
	};
	s->report = (struct backend_report){ 0 };
	r = s->backend->open(path, &s->bsession, &s->report, &s->mb);
	if (r == 0) {
		r = s->backend->scan(s->mb, &s->msgs, &s->count);
		if (r == 0 && (!(s->deleted = calloc(s->count ? s->count : 1, sizeof(bool))) ||
		               !(s->retr_done = calloc(s->count ? s->count : 1, sizeof(bool)))))
			r = -ENOMEM;
		s->bsession.retrieved = s->retr_done;
	}
	if (r < 0) {
		log_msg(r == -EWOULDBLOCK ? LOG_NOTICE : LOG_ERR, "user=%s rhost=%s: mailbox %s: %s%s%s",
		        who, s->remote, path, strerror(-r), s->report.holder[0] ? ", held by a session " : "",
		        s->report.holder);
		if (r == -EAGAIN && s->report.login_wait)
			/* RFC 2449 §8.1.1: too soon since the last login. */
			io_reply(&s->io, false, "[LOGIN-DELAY] one login per %u seconds; "
			         "try again in %u seconds", s->opt->login_delay, s->report.login_wait);
		else if (r == -EWOULDBLOCK && s->report.holder[0])
			/* The holder text is the backend's own (address and
			 * time it formatted), never the client's. */
			io_reply(&s->io, false, "[IN-USE] mailbox locked by a session %s",
			         s->report.holder);
		else
			session_backend_error(s, r, r == -EWOULDBLOCK
			                      ? "mailbox is locked by another session"
			                      : "mailbox is not available");
		return r;
	}
	if (uidl_guard_check(s->opt, &s->report, who, s->remote) < 0) {
		io_reply(&s->io, false, "[SYS/TEMP] message UIDLs changed; an operator must check "
		         "before this mailbox is served");
		return -EAGAIN;
	}
	if (s->report.store_full)
		log_msg(LOG_WARNING, "user=%s: mailbox file system full: served without a lock file; "
		        "caches, UIDL ledger and login-delay record not written", who);
	if (s->report.expired)
		log_msg(LOG_INFO, "expire: user=%s removed=%zu (retrieved before, older than %u days)",
		        who, s->report.expired, s->opt->expire_days);
	log_msg(LOG_INFO, "login: user=%s rhost=%s messages=%zu", who, s->remote, s->count);
	s->logins++;
	return 0;
}

enum cmd_result session_login(struct session *s, struct user_info *u)
{
	size_t n;
	uint64_t octets;

	if (open_mailbox(s, u) < 0)
		return CMD_FAIL_SERVER;
	if (s->opt->preauth) {
		io_reply(&s->io, true, "%s", s->opt->greeting);
		return CMD_NEXT_STATE;
	}
	session_totals(s, &n, &octets);
	/* RFC 1939 §5 example wording; Net::POP3 reads the count from it. */
	io_reply(&s->io, true, "%zu messages (%llu octets)", n, (unsigned long long)octets);
	return CMD_NEXT_STATE;
}

static void debug_hook(const char *line)
{
	log_msg(LOG_DEBUG, "S: %s", line);
}

/* --debug's "C:" line, never with a secret: the arguments of a command
 * that is not a known non-secret one are masked (a PASS with a leading
 * space is an unknown command), and so is the whole line after an AUTH
 * without an initial response, which may be a SASL response the server
 * was not waiting for (the mechanism was refused). What
 * stays: APOP's user and AUTH's mechanism, which operators need. */
static void debug_command(struct session *s, const struct command *c, const char *word,
                          const char *rest)
{
	char w[MAX_LINE * 4 + 1], a[MAX_LINE * 4 + 1];
	bool after_auth = s->debug_after_auth;

	/* An AUTH without an initial response may be followed by one. */
	s->debug_after_auth = c && strcmp(c->name, "AUTH") == 0 && !strpbrk(rest, " \t");
	if (after_auth) {
		log_msg(LOG_DEBUG, "C: ***");
		return;
	}
	log_safe(word, w, sizeof(w));
	if (!*rest || (c && !(c->flags & CMDF_SECRET))) {
		log_msg(LOG_DEBUG, "C: %s %s", w, log_safe(rest, a, sizeof(a)));
	} else if (c && !(c->flags & CMDF_RAW)) {
		size_t n = strcspn(rest, " \t");
		char first[MAX_LINE + 1];

		memcpy(first, rest, n);
		first[n] = '\0';
		log_msg(LOG_DEBUG, "C: %s %s%s", w, log_safe(first, a, sizeof(a)),
		        rest[n] ? " ***" : "");
	} else {
		log_msg(LOG_DEBUG, "C: %s ***", w);
	}
}

/* Split off the command word and its arguments, look the command up,
 * check state and arity, and run it. */
static enum cmd_result dispatch(struct session *s, char *line)
{
	const struct command *c;
	char *argv[CMD_MAX_ARGS + 1] = { 0 };
	char *rest = line;
	int argc = 0;

	while (*rest && *rest != ' ' && *rest != '\t')
		rest++;
	if (*rest)
		*rest++ = '\0';
	while (*rest == ' ' || *rest == '\t')
		rest++;
	c = command_find(line);
	/* Test commands are unknown unless switched on. */
	if (c && (c->flags & s->cmd_disabled & CMDF_TEST))
		c = NULL;
	if (log_debugging())
		debug_command(s, c, line, rest);
	if (!c) {
		io_reply(&s->io, false, "unknown command");
		return CMD_ERR;
	}
	s->cmd_counts[command_index(c)]++;
	if (c->flags & s->cmd_disabled) {
		io_reply(&s->io, false, "%s is not available on this server", c->name);
		return CMD_ERR;
	}
	if (!(c->states & s->state)) {
		io_reply(&s->io, false, "%s is not valid in this state", c->name);
		return CMD_ERR;
	}
	if (c->flags & CMDF_RAW) {
		if (*rest)
			argv[argc++] = rest;
	} else {
		while (*rest) {
			if (argc == CMD_MAX_ARGS) {
				argc++;
				break;
			}
			argv[argc++] = rest;
			while (*rest && *rest != ' ' && *rest != '\t')
				rest++;
			if (*rest)
				*rest++ = '\0';
			while (*rest == ' ' || *rest == '\t')
				rest++;
		}
	}
	if (argc < c->min_args || argc > c->max_args) {
		io_reply(&s->io, false, "wrong number of arguments for %s", c->name);
		return CMD_ERR;
	}
	s->commands++;
	return c->handler(s, argc, argv);
}

static enum end_reason loop(struct session *s)
{
	for (;;) {
		enum cmd_result r = CMD_ERR;
		char *line;
		size_t len;

		switch (io_read_line(&s->io, &line, &len)) {
		case IO_LINE:
			r = dispatch(s, line);
			break;
		case IO_TOO_LONG:
			io_reply(&s->io, false, "line too long");
			break;
		case IO_BAD_CHAR:
			io_reply(&s->io, false, "NUL in command");
			break;
		case IO_EOF:
			return END_EOF;
		case IO_TIMEOUT:
			io_reply(&s->io, false, "autologout: idle for too long");
			io_flush(&s->io);
			return END_TIMEOUT;
		case IO_ERROR:
			return END_IO;
		}
		switch (r) {
		case CMD_OK:
			s->bad_commands = 0;
			break;
		case CMD_NEXT_STATE:
			s->bad_commands = 0;
			s->state = STATE_TRANSACTION;
			break;
		case CMD_ERR:
			if (++s->bad_commands >= MAX_BAD_COMMANDS) {
				io_reply(&s->io, false, "too many bad commands, closing");
				io_flush(&s->io);
				return END_BAD_COMMANDS;
			}
			break;
		case CMD_QUIET:
			break;
		case CMD_QUIT:
			return io_flush(&s->io) < 0 ? END_IO : END_QUIT;
		case CMD_FAIL_AUTH:
			io_flush(&s->io);
			return END_AUTH_FAILURES;
		case CMD_FAIL_IO:
			return io_timed_out() ? END_TIMEOUT : END_IO;
		case CMD_FAIL_SERVER:
			io_flush(&s->io);
			return END_SERVER;
		case CMD_DROP:
			io_flush(&s->io);
			return END_DROPPED;
		case CMD_HANDOFF:
			return END_HANDOFF;
		}
		if (s->io.failed)
			return io_timed_out() ? END_TIMEOUT : END_IO;
	}
}

/* A short digest of the UIDL list, so a changed list shows in the logs. */
static void uidl_digest(const struct session *s, char out[2 * SUMMARY_DIGEST_OCTETS + 1])
{
	unsigned char d[MD5_DIGEST_LENGTH];
	MD5_CTX ctx;

	MD5Init(&ctx);
	for (size_t i = 0; i < s->count; i++) {
		MD5Update(&ctx, (const unsigned char *)s->msgs[i].uidl, strlen(s->msgs[i].uidl));
		MD5Update(&ctx, (const unsigned char *)"\n", 1);
	}
	MD5Final(d, &ctx);
	hex_encode(d, SUMMARY_DIGEST_OCTETS, out);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(command_name(*(const size_t *)a), command_name(*(const size_t *)b));
}

/* "CMD:n,CMD:n" for the commands used, in alphabetical order (seed 003's
 * statistics), or "-". */
static void command_stats(const struct session *s, char *buf, size_t size)
{
	size_t order[MAX_COMMANDS] = { 0 }, n = command_table_size(), len = 0;

	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort(order, n, sizeof(order[0]), by_name);
	strlcpy(buf, "-", size);
	for (size_t i = 0; i < n; i++) {
		unsigned long c = s->cmd_counts[order[i]];
		int w;

		if (!c)
			continue;
		w = snprintf(buf + len, size - len, "%s%s:%lu", len ? "," : "",
		             command_name(order[i]), c);
		if (w < 0 || (size_t)w >= size - len)
			break;
		len += (size_t)w;
	}
}

static void summary(const struct session *s, enum end_reason why)
{
	char who[MAX_USER * 4 + 1], digest[2 * SUMMARY_DIGEST_OCTETS + 1] = "-";
	char stats[MAX_COMMANDS * SUMMARY_STAT_SIZE];
	struct log_fields f = {
		.user = s->who.name ? log_safe(s->who.name, who, sizeof(who)) : NULL,
		.remote_addr = s->remote,
		.end_reason = end_names[why],
		.retr_bytes = s->retrieved_bytes,
		.deleted = why == END_QUIT ? s->deleted_count : 0UL,
		.commands = s->commands,
	};

	if (s->mb)
		uidl_digest(s, digest);
	command_stats(s, stats, sizeof(stats));
	log_fields(LOG_INFO, &f, "session end: user=%s rhost=%s end=%s messages=%zu retr=%lu "
	           "retr_bytes=%llu deleted=%lu commands=%lu uidl_digest=%s logins=%u cmd_counts=%s%s",
	           f.user ? f.user : "-", s->remote, f.end_reason, s->count, s->retrieved,
	           f.retr_bytes, f.deleted, f.commands, digest, s->logins, stats,
	           s->exit_requested ? " exit=requested" : "");
}

/* The end of a session: the log line (it reads the mailbox's UIDLs),
 * then the mailbox closed and unlocked, all before the hang-up, so a
 * client that reconnects as soon as it sees it finds the mailbox free
 * (after QUIT it was unlocked before the goodbye already). */
static void finish(struct session *s, enum end_reason why)
{
	summary(s, why);
	s->state = STATE_DISCONNECT;
	if (s->mb) {
		s->backend->close(s->mb);
		s->mb = NULL;
	}
}

int session_greeting_check(const struct options *opt)
{
	/* Only the stamp: a whole struct session here (70 KB, zeroed) was
	 * most of a session's stack. */
	char stamp[sizeof(((struct session *)0)->apop_stamp)];

	/* The exact line: "+OK " text " " stamp CRLF (a stamp made now is as
	 * long as the real one, give or take a digit of the clock). */
	login_msg_id(stamp, sizeof(stamp), "");
	return 4 + strlen(opt->greeting) + 1 + strlen(stamp) + 2 <= MAX_RESPONSE_LINE
	       ? 0 : -E2BIG;
}

/* Everything before login, and the session itself when it does not
 * split: the PROXY header, the address check, implicit TLS, then the
 * greeting and the command loop (or --preauth's login). */
static enum end_reason dialogue(struct session *s)
{
	const struct options *opt = s->opt;
	uint32_t seconds = 0;
	int r;

	/* Before any greeting: the proxy's header, then implicit TLS (a
	 * proxy in front of port 995 sends its header in the clear). */
	if (opt->proxy_protocol &&
	    proxy_accept(STDIN_FILENO, opt->proxy_from, opt->timeout, s->remote,
	                 sizeof(s->remote)) < 0)
		return io_timed_out() ? END_TIMEOUT : END_IO;
	/* Only now is the client's real address known. */
	r = session_hello(s, &seconds);
	if (r == -EACCES) {
		/* Turned away before the greeting: no TLS handshake, no hash.
		 * RFC 3206's [SYS/TEMP] (retry later), not [AUTH]: no
		 * credentials were given yet. An implicit-TLS client expects a
		 * handshake, not a plain line, so it is told nothing. */
		if (opt->tls != TLS_IMPLICIT)
			io_reply(&s->io, false, "[SYS/TEMP] too many failed logins from your "
			         "address, try again in %lu seconds", (unsigned long)seconds);
		return END_AUTH_FAILURES;
	}
	if (r < 0)
		return END_SERVER;
	if (opt->tls == TLS_IMPLICIT && tls_start(&s->io) < 0)
		return io_timed_out() ? END_TIMEOUT : END_IO;
	if (opt->preauth) {
		switch (session_auth(s, MECH_PREAUTH, "", "")) {
		case CMD_NEXT_STATE:
			s->state = STATE_TRANSACTION;
			return loop(s);
		case CMD_HANDOFF:
			return END_HANDOFF;
		default:
			return END_SERVER;
		}
	}
	s->state = STATE_AUTHORIZATION;
	io_reply(&s->io, true, "%s%s%s", opt->greeting, s->apop_stamp[0] ? " " : "",
	         s->apop_stamp);
	return loop(s);
}

static void session_stats(const struct session *s, struct ps_stats *ret)
{
	size_t n = command_table_size();

	memset(ret, 0, sizeof(*ret));
	ret->commands = (uint32_t)s->commands;
	ret->flags = s->exit_requested ? PS_STATS_EXIT : 0;
	ret->ncounts = (uint32_t)n;
	for (size_t i = 0; i < n; i++)
		ret->counts[i] = (uint32_t)s->cmd_counts[i];
}

static void add_stats(struct session *s, const struct ps_stats *st)
{
	s->commands += st->commands;
	s->exit_requested |= (st->flags & PS_STATS_EXIT) != 0;
	for (size_t i = 0; i < st->ncounts && i < command_table_size(); i++)
		s->cmd_counts[i] += st->counts[i];
}

/* The pre-auth process: the dialogue, then hand over or report the end.
 * Never returns. */
__attribute__((noreturn))
static void preauth_process(struct session *s)
{
	enum end_reason why;
	struct ps_stats st;

	s->monitor_fd = PRIVSEP_CTL_FD;
	why = dialogue(s);
	io_flush(&s->io);
	session_stats(s, &st);
	if (why == END_HANDOFF) {
		const char *in;
		size_t len = io_pending_input(&s->io, &in);
		bool relay = tls_active();

		if (privsep_handoff(PRIVSEP_CTL_FD, relay, &st, in, len) == 0 && relay)
			tls_relay(&s->io, PRIVSEP_DATA_FD);
		_exit(0);
	}
	tls_end();
	privsep_end(PRIVSEP_CTL_FD, why, &st);
	_exit(0);
}

/* Reap the pre-auth process, waiting at most grace seconds (for SIGCHLD,
 * not by polling), then killing it; logs how it ended when that was not
 * a plain exit or our own SIGKILL. */
static void reap(pid_t pid, unsigned grace)
{
	struct timespec ts = { .tv_sec = (time_t)grace };
	sigset_t chld, old;
	int status;
	pid_t r;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	while ((r = waitpid(pid, &status, WNOHANG)) == 0) {
		if (sigtimedwait(&chld, NULL, &ts) < 0 && errno == EAGAIN) {
			kill(pid, SIGKILL);
			r = waitpid(pid, &status, 0);
			break;
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (r != pid)
		return;
	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
		log_msg(LOG_ERR, "privsep: the pre-auth process was killed by signal %d "
		        "(nobody logged in by it)", WTERMSIG(status));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_msg(LOG_ERR, "privsep: the pre-auth process failed (status %d)",
		        WEXITSTATUS(status));
}

/* The monitor's side of a split session (privsep.h). */
static enum end_reason split(struct session *s, const struct sandbox *sb)
{
	static struct monitor_result m;
	struct privsep ps;
	enum end_reason why;
	int r;

	r = privsep_fork(sb, s->opt->tls != TLS_OFF, &ps);
	if (r == 0)
		preauth_process(s);
	if (r < 0) {
		log_msg(LOG_ERR, "privsep: cannot start the pre-auth process: %s", strerror(-r));
		io_reply(&s->io, false, "[SYS/TEMP] server error, try again later");
		return END_SERVER;
	}
	login_init(&s->login, s->opt, s->auth, s->remote);
	memset(&m, 0, sizeof(m));
	r = monitor_run(ps.ctl, &s->login, s->opt->proxy_protocol,
	                session_command_enabled(s, "APOP"), &m);
	close(ps.ctl);
	strlcpy(s->remote, s->login.remote, sizeof(s->remote));
	if (r == 0)
		add_stats(s, &m.stats);
	if (r < 0 || !m.logged_in) {
		if (r < 0) {
			kill(ps.child, SIGKILL);
			if (r == -EPIPE)
				log_msg(LOG_ERR, "privsep: the pre-auth process ended without a word; "
				        "nobody logged in");
		}
		reap(ps.child, TIMEOUT_GRACE);
		if (ps.data >= 0)
			close(ps.data);
		if (r < 0)
			return r == -EPIPE ? END_PREAUTH_LOST : END_SERVER;
		return m.reason < END_HANDOFF ? (enum end_reason)m.reason : END_SERVER;
	}
	if (m.relay && ps.data >= 0) {
		io_init(&s->io, ps.data, ps.data, s->opt->timeout);
		s->tls_relayed = true;
	} else {
		/* Plaintext: the pre-auth process must not read one more byte
		 * of the user's session. It is gone before we become the user. */
		kill(ps.child, SIGKILL);
		reap(ps.child, TIMEOUT_GRACE);
		ps.child = -1;
		if (ps.data >= 0)
			close(ps.data);
		ps.data = -1;
	}
	io_preload(&s->io, m.input, m.input_len);
	explicit_bzero(m.input, sizeof(m.input));
	/* The scan and the first reply are bounded like any command. */
	io_arm(&s->io);
	s->state = STATE_AUTHORIZATION;
	r = session_login(s, &m.user);
	user_info_clear(&m.user);
	if (r == CMD_NEXT_STATE) {
		s->state = STATE_TRANSACTION;
		why = loop(s);
	} else {
		why = END_SERVER;
	}
	io_flush(&s->io);
	finish(s, why);
	if (ps.child > 0) {
		/* The relay sends what is left and the TLS close, hangs up
		 * and ends: after the unlock, as without the split. */
		shutdown(ps.data, SHUT_WR);
		reap(ps.child, TIMEOUT_GRACE);
		close(ps.data);
	}
	return why;
}

int session_run(const struct options *opt, const struct backend_config *bconfig,
                const struct backend_ops *backend, struct auth *auth,
                const struct sandbox *sb)
{
	static struct session s;   /* static: its buffers are too big for the stack */
	static bool used;
	enum end_reason why;

	/* Start clean when called again in one process (the fuzzer). The
	 * first time it is still all zero bss: clearing it would touch its
	 * 70 KB (the 64 KB output buffer) before anything is written. */
	if (used)
		memset(&s, 0, sizeof(s));
	used = true;
	s.opt = opt;
	s.bconfig = bconfig;
	s.backend = backend;
	s.auth = auth;
	s.state = STATE_CONNECT;
	s.monitor_fd = -1;
	s.cmd_disabled = command_disabled_mask(opt);
	io_init(&s.io, STDIN_FILENO, STDOUT_FILENO, opt->timeout);
	if (log_debugging())
		io_reply_hook = debug_hook;
	remote_address(s.remote, sizeof(s.remote));
	if (sb) {
		why = split(&s, sb);
	} else {
		login_init(&s.login, opt, auth, s.remote);
		why = dialogue(&s);
		io_flush(&s.io);
		tls_end();
	}
	if (s.state != STATE_DISCONNECT)
		finish(&s, why);
	/* Everything is sent (with TLS, the close too) and the mailbox is
	 * free: the client sees the hang-up now, not after the exit. On a
	 * pipe this fails with ENOTSOCK and changes nothing. */
	shutdown(STDOUT_FILENO, SHUT_WR);
	privs_end();     /* the kept group (mail_group) is not needed any more */
	free(s.msgs);
	free(s.deleted);
	free(s.retr_done);
	user_info_clear(&s.who);
	return why == END_QUIT ? 0 : 1;
}
