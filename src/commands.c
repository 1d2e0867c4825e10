/* The POP3 commands (RFC 1939, RFC 2449 CAPA) and their table. The loop
 * in session.c has already checked the state and the argument count. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "config.h"
#include "log.h"
#include "numparse.h"
#include "sasl.h"
#include "tls.h"
#include "wire.h"

/* The message named by arg: 1..count and not deleted (RFC 1939 §5). */
static enum cmd_result msg_arg(struct session *s, const char *arg, size_t *ret_idx)
{
	uint64_t n;
	int r = num_parse(arg, 1, s->count, &n);

	if (r == -EINVAL) {
		io_reply(&s->io, false, "invalid message number");
		return CMD_ERR;
	}
	if (r < 0) {
		io_reply(&s->io, false, "no such message");
		return CMD_ERR;
	}
	if (s->deleted[n - 1]) {
		io_reply(&s->io, false, "message %llu already deleted", (unsigned long long)n);
		return CMD_ERR;
	}
	*ret_idx = (size_t)(n - 1);
	return CMD_OK;
}

/* RFC 2595 §4: with TLS on, no password crosses the wire in the clear. */
static bool plaintext_refused(struct session *s)
{
	if (session_plaintext_ok(s))
		return false;
	io_reply(&s->io, false, "[AUTH] plaintext authentication needs TLS first (STLS)");
	return true;
}

static enum cmd_result cmd_user(struct session *s, int argc, char **argv)
{
	if (plaintext_refused(s))
		return CMD_ERR;
	strlcpy(s->user, argv[0], sizeof(s->user));
	io_reply(&s->io, true, "send PASS");
	return CMD_OK;
}

static enum cmd_result cmd_pass(struct session *s, int argc, char **argv)
{
	enum cmd_result res;
	char *pass = argv[0];

	if (plaintext_refused(s)) {
		explicit_bzero(pass, strlen(pass));
		return CMD_ERR;
	}
	if (!s->user[0]) {
		explicit_bzero(pass, strlen(pass));
		io_reply(&s->io, false, "send USER first");
		return CMD_ERR;
	}
	res = session_auth(s, MECH_PASS, s->user, pass);
	explicit_bzero(pass, strlen(pass));
	/* RFC 1939 §7: after a failed PASS, USER must be sent again. */
	explicit_bzero(s->user, sizeof(s->user));
	return res;
}

static enum cmd_result cmd_apop(struct session *s, int argc, char **argv)
{
	if (plaintext_refused(s))
		return CMD_ERR;
	if (!s->apop_stamp[0]) {
		io_reply(&s->io, false, "APOP is not available");
		return CMD_ERR;
	}
	return session_auth(s, MECH_APOP, argv[0], argv[1]);
}

static enum cmd_result cmd_quit(struct session *s, int argc, char **argv)
{
	int r;

	if (s->state == STATE_TRANSACTION) {
		/* RFC 1939 §6: deletions happen only now, in UPDATE. */
		s->state = STATE_UPDATE;
		for (size_t i = 0; i < s->count; i++)
			s->deleted_count += s->deleted[i];
		r = s->backend->commit(s->mb, s->deleted, s->count);
		if (r < 0) {
			log_msg(LOG_ERR, "update failed: %s", strerror(-r));
			s->deleted_count = 0;
			session_backend_error(s, r, "some deleted messages not removed");
			return CMD_FAIL_SERVER;
		}
		/* Unlocked before the reply: a client that logs in again as
		 * soon as it reads it must find the mailbox free. */
		if (s->backend->release)
			s->backend->release(s->mb);
	}
	io_reply(&s->io, true, "%s", s->opt->goodbye);
	return CMD_QUIT;
}

static enum cmd_result cmd_capa(struct session *s, int argc, char **argv)
{
	/* RFC 2449 §5: only what is enforced is announced. */
	io_reply(&s->io, true, "capability list follows");
	io_line(&s->io, "TOP");
	if (session_plaintext_ok(s) && session_command_enabled(s, "USER"))
		io_line(&s->io, "USER");
	if (s->state == STATE_AUTHORIZATION)
		sasl_capa(s);
	if (s->opt->tls == TLS_STARTTLS && !tls_active() && s->state == STATE_AUTHORIZATION)
		io_line(&s->io, "STLS");
	io_line(&s->io, "UIDL");
	io_line(&s->io, "RESP-CODES");
	io_line(&s->io, "PIPELINING");
	io_line(&s->io, "AUTH-RESP-CODE");
	/* RFC 2449 §6.5, §6.7: the same for every user, so no "USER"
	 * suffix; enforced by the backend (main checks it can). */
	if (s->opt->expire)
		io_line(&s->io, "EXPIRE %u", s->opt->expire_days);
	if (s->opt->login_delay)
		io_line(&s->io, "LOGIN-DELAY %u", s->opt->login_delay);
	io_line(&s->io, "IMPLEMENTATION onepop-%s", ONEPOP_VERSION);
	io_line(&s->io, ".");
	return CMD_OK;
}

/* RFC 2595 §4: reply, then handshake; whatever the client pipelined
 * after STLS in the clear is dropped, never run as if it came over TLS. */
static enum cmd_result cmd_stls(struct session *s, int argc, char **argv)
{
	if (s->opt->tls != TLS_STARTTLS || tls_active()) {
		io_reply(&s->io, false, tls_active() ? "TLS is already active"
		                                      : "STLS is not available");
		return CMD_ERR;
	}
	io_reply(&s->io, true, "begin TLS negotiation");
	if (io_flush(&s->io) < 0)
		return CMD_FAIL_IO;
	io_discard_input(&s->io);
	if (tls_start(&s->io) < 0)
		return CMD_FAIL_IO;
	/* RFC 2595 §4: forget what the client said before TLS. */
	explicit_bzero(s->user, sizeof(s->user));
	return CMD_OK;
}

static enum cmd_result cmd_noop(struct session *s, int argc, char **argv)
{
	io_reply(&s->io, true, "%s", "");
	return CMD_OK;
}

static enum cmd_result cmd_stat(struct session *s, int argc, char **argv)
{
	size_t n;
	uint64_t octets;

	session_totals(s, &n, &octets);
	io_reply(&s->io, true, "%zu %llu", n, (unsigned long long)octets);
	return CMD_OK;
}

/* One line of a LIST or UIDL listing: "N TEXT" or "N SIZE", CRLF. Built
 * by hand: at 100,000 messages a printf per line was a quarter of the
 * session's instructions. */
static void listing_line(struct io *io, size_t n, const char *uidl, uint64_t size)
{
	char line[20 + 1 + MAX_UIDL + 2];
	size_t len = num_format(n, line);

	line[len++] = ' ';
	if (uidl) {
		size_t u = strnlen(uidl, MAX_UIDL);
		memcpy(line + len, uidl, u);
		len += u;
	} else {
		len += num_format(size, line + len);
	}
	line[len++] = '\r';
	line[len++] = '\n';
	io_write(io, line, len);
}

/* LIST and UIDL share their shape: one message, or all live ones. */
static enum cmd_result list_or_uidl(struct session *s, int argc, char **argv, bool uidl)
{
	size_t idx;

	if (argc == 1) {
		enum cmd_result r = msg_arg(s, argv[0], &idx);
		if (r != CMD_OK)
			return r;
		if (uidl)
			io_reply(&s->io, true, "%zu %s", idx + 1, s->msgs[idx].uidl);
		else
			io_reply(&s->io, true, "%zu %llu", idx + 1,
			         (unsigned long long)s->msgs[idx].size);
		return CMD_OK;
	}
	if (uidl) {
		io_reply(&s->io, true, "unique-id listing follows");
	} else {
		size_t n;
		uint64_t octets;
		session_totals(s, &n, &octets);
		io_reply(&s->io, true, "%zu messages (%llu octets)", n, (unsigned long long)octets);
	}
	for (size_t i = 0; i < s->count; i++) {
		if (s->deleted[i])
			continue;
		listing_line(&s->io, i + 1, uidl ? s->msgs[i].uidl : NULL, s->msgs[i].size);
	}
	io_line(&s->io, ".");
	return CMD_OK;
}

static enum cmd_result cmd_list(struct session *s, int argc, char **argv)
{
	return list_or_uidl(s, argc, argv, false);
}

static enum cmd_result cmd_uidl(struct session *s, int argc, char **argv)
{
	return list_or_uidl(s, argc, argv, true);
}

/* Stream message idx; body_lines < 0 for all of it (RETR). Once "+OK"
 * is out, a failure can only be shown by dropping the connection: a
 * short message must never end with "." as if it were complete. */
static enum cmd_result send_message(struct session *s, size_t idx, long long body_lines)
{
	static char chunk[MSG_CHUNK];
	struct wire_out w;
	ssize_t n;
	int r;

	r = s->backend->msg_open(s->mb, idx);
	if (r < 0) {
		log_msg(LOG_ERR, "message %zu: cannot open: %s", idx + 1, strerror(-r));
		session_backend_error(s, r, "cannot read this message");
		return CMD_QUIET;
	}
	if (body_lines < 0)
		io_reply(&s->io, true, "%llu octets", (unsigned long long)s->msgs[idx].size);
	else
		io_reply(&s->io, true, "top of message follows");
	wire_out_init(&w, &s->io, body_lines);
	if (s->opt->faithful)
		wire_out_raw(&w, s->opt->faithful == FAITHFUL_NOEXTRA);
	while ((n = s->backend->msg_read(s->mb, chunk, sizeof(chunk))) > 0)
		if (wire_out_feed(&w, chunk, (size_t)n) < 0)
			break;
	s->backend->msg_close(s->mb);
	if (n == 0 && wire_out_finish(&w) < 0)
		return CMD_FAIL_IO;
	if (s->io.failed)
		return CMD_FAIL_IO;
	if (n == 0 && body_lines < 0 && w.sent != s->msgs[idx].size && s->backend->msg_size_wrong)
		s->backend->msg_size_wrong(s->mb, idx);
	if (n < 0 || (body_lines < 0 && w.sent != s->msgs[idx].size)) {
		log_msg(LOG_ERR, "message %zu: %s; dropping the connection", idx + 1,
		        n < 0 ? strerror((int)-n) : "size changed while sending");
		return CMD_FAIL_SERVER;
	}
	if (wire_out_end(&w) < 0)
		return CMD_FAIL_IO;
	if (body_lines < 0) {
		s->retr_done[idx] = true;
		s->retrieved++;
		s->retrieved_bytes += w.sent;
	}
	/* Seed 003's autodelete: a message sent whole (RETR, or a TOP whose
	 * count ran past the end of the body) is marked deleted. */
	if (s->opt->autodelete && !w.done)
		s->deleted[idx] = true;
	return CMD_OK;
}

static enum cmd_result cmd_retr(struct session *s, int argc, char **argv)
{
	size_t idx;
	enum cmd_result r = msg_arg(s, argv[0], &idx);

	return r == CMD_OK ? send_message(s, idx, -1) : r;
}

static enum cmd_result cmd_top(struct session *s, int argc, char **argv)
{
	size_t idx;
	uint64_t lines;
	enum cmd_result r = msg_arg(s, argv[0], &idx);

	if (r != CMD_OK)
		return r;
	if (num_parse(argv[1], 0, INT64_MAX, &lines) < 0) {
		io_reply(&s->io, false, "invalid number of lines");
		return CMD_ERR;
	}
	return send_message(s, idx, (long long)lines);
}

static enum cmd_result cmd_dele(struct session *s, int argc, char **argv)
{
	size_t idx;
	enum cmd_result r = msg_arg(s, argv[0], &idx);

	if (r != CMD_OK)
		return r;
	s->deleted[idx] = true;
	io_reply(&s->io, true, "message %zu deleted", idx + 1);
	return CMD_OK;
}

static enum cmd_result cmd_rset(struct session *s, int argc, char **argv)
{
	size_t n;
	uint64_t octets;

	memset(s->deleted, 0, s->count * sizeof(*s->deleted));
	session_totals(s, &n, &octets);
	io_reply(&s->io, true, "maildrop has %zu messages (%llu octets)", n,
	         (unsigned long long)octets);
	return CMD_OK;
}

/* Seed 003's BREAK: drop the connection with no reply and no UPDATE. */
static enum cmd_result cmd_break(struct session *s, int argc, char **argv)
{
	return CMD_DROP;
}

/* Seed 003's EXIT: the test stand-in shuts down after this session's
 * QUIT; onepop only records the request in its summary line. */
static enum cmd_result cmd_exit(struct session *s, int argc, char **argv)
{
	s->exit_requested = true;
	io_reply(&s->io, true, "exiting after QUIT");
	return CMD_OK;
}

#define AUTH STATE_AUTHORIZATION
#define TRANS STATE_TRANSACTION
#define EXT CMDF_EXTENSION

static const struct command commands[] = {
	{ "USER", cmd_user, AUTH, 1, 1, CMDF_USERPASS },
	{ "PASS", cmd_pass, AUTH, 1, 1, CMDF_RAW | CMDF_SECRET | CMDF_USERPASS },
	{ "APOP", cmd_apop, AUTH, 2, 2, CMDF_SECRET | EXT },
	{ "AUTH", cmd_auth, AUTH, 0, 2, CMDF_SECRET | EXT },
	{ "STLS", cmd_stls, AUTH, 0, 0, EXT },
	{ "CAPA", cmd_capa, AUTH | TRANS, 0, 0, EXT },
	{ "QUIT", cmd_quit, AUTH | TRANS, 0, 0, 0 },
	{ "STAT", cmd_stat, TRANS, 0, 0, 0 },
	{ "LIST", cmd_list, TRANS, 0, 1, 0 },
	{ "UIDL", cmd_uidl, TRANS, 0, 1, EXT },
	{ "RETR", cmd_retr, TRANS, 1, 1, 0 },
	{ "TOP", cmd_top, TRANS, 2, 2, EXT },
	{ "DELE", cmd_dele, TRANS, 1, 1, 0 },
	{ "RSET", cmd_rset, TRANS, 0, 0, 0 },
	{ "NOOP", cmd_noop, TRANS, 0, 0, 0 },
	{ "BREAK", cmd_break, AUTH | TRANS, 0, 0, CMDF_TEST },
	{ "EXIT", cmd_exit, AUTH | TRANS, 0, 0, CMDF_TEST },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))
_Static_assert(N_COMMANDS <= MAX_COMMANDS, "raise MAX_COMMANDS in onepop_limits.h");

const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcasecmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

unsigned command_disabled_mask(const struct options *opt)
{
	return (opt->commands_minimal ? CMDF_EXTENSION : 0) |
	       (opt->apop_only ? CMDF_USERPASS : 0) |
	       (opt->test_commands ? 0 : CMDF_TEST);
}

size_t command_table_size(void)
{
	return N_COMMANDS;
}

const char *command_name(size_t i)
{
	return commands[i].name;
}

size_t command_index(const struct command *c)
{
	return (size_t)(c - commands);
}
