/* One POP3 session: its state, its mailbox snapshot, its statistics. */
#ifndef ONEPOP_SESSION_H
#define ONEPOP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "onepop/backend.h"
#include "io.h"
#include "onepop_limits.h"
#include "login.h"
#include "options.h"
#include "sandbox.h"

/* RFC 1939 §3 states, as the Perl skeleton names them; bits so the
 * command table can hold a mask. */
enum state {
	STATE_CONNECT = 1 << 0,
	STATE_AUTHORIZATION = 1 << 1,
	STATE_TRANSACTION = 1 << 2,
	STATE_UPDATE = 1 << 3,
	STATE_DISCONNECT = 1 << 4,
};

/* What a command handler reports to the loop. */
enum cmd_result {
	CMD_OK,             /* replied +OK: resets the bad-command count */
	CMD_ERR,            /* replied -ERR: counts as a bad command */
	CMD_QUIET,          /* replied -ERR, but not the client's fault */
	CMD_NEXT_STATE,     /* logged in: now TRANSACTION */
	CMD_QUIT,           /* QUIT handled: end with status 0 */
	CMD_FAIL_AUTH,      /* too many failed logins */
	CMD_FAIL_IO,
	CMD_FAIL_SERVER,    /* cannot go on (UPDATE failed, ...) */
	CMD_DROP,           /* BREAK: close at once, no reply, no UPDATE */
	CMD_HANDOFF,        /* pre-auth process: the monitor takes over */
};

/* Why a session ended; decides the exit status in one place. */
enum end_reason {
	END_QUIT,
	END_EOF,
	END_TIMEOUT,
	END_IO,
	END_AUTH_FAILURES,
	END_BAD_COMMANDS,
	END_SERVER,
	END_DROPPED,
	END_HANDOFF,        /* pre-auth process: handed over after login */
	END_PREAUTH_LOST,   /* the pre-auth process died without a word */
	END_COUNT
};

struct session {
	enum state state;
	struct io io;
	const struct options *opt;
	const struct backend_ops *backend;
	struct auth *auth;

	char apop_stamp[PS_MAX_STAMP + 1]; /* "<pid.time@host>", "" if no APOP */
	unsigned mechs;             /* MECHS_* the auth source can serve */
	int monitor_fd;             /* pre-auth process: the monitor; else -1 */
	bool tls_relayed;           /* the monitor: TLS is relayed for us */
	struct login login;         /* no monitor: the verifier, in process */
	char user[MAX_LINE];        /* from USER, "" if none yet */
	char remote[64];            /* peer address, for logs */
	unsigned auth_failures;
	unsigned bad_commands;
	unsigned cmd_disabled;      /* CMDF_* flags the options switch off */

	struct user_info who;       /* set at login */
	struct mailbox *mb;
	const struct backend_config *bconfig;   /* the part of opt for the backend */
	struct backend_session bsession;    /* given to the backend's open */
	struct backend_report report;       /* what the backend reports back */
	struct msginfo *msgs;
	bool *deleted;
	bool *retr_done;            /* sent whole by RETR (for --expire) */
	size_t count;

	/* statistics for the summary line */
	unsigned long commands;
	unsigned long retrieved;
	uint64_t retrieved_bytes;
	unsigned long deleted_count;
	unsigned logins;            /* successful logins (0 or 1) */
	unsigned long cmd_counts[MAX_COMMANDS]; /* by command table index */
	bool exit_requested;        /* EXIT seen (--test-commands) */
	bool debug_after_auth;      /* --debug: the last line was AUTH */
};

/* Run a whole session on stdin/stdout; returns the process exit status.
 * bconfig is opt's part for the backend (options_backend_config), kept
 * for the session. With sb (started as root), privileges are separated
 * (privsep.h). */
int session_run(const struct options *opt, const struct backend_config *bconfig,
                const struct backend_ops *backend, struct auth *auth,
                const struct sandbox *sb);

/* 0 if the greeting line, with an APOP timestamp, fits RFC 2449's 512
 * octets; -E2BIG otherwise. */
int session_greeting_check(const struct options *opt);

/* Log in as u (already authenticated): drop privileges, open and scan
 * the mailbox, reply (the greeting with --preauth). CMD_NEXT_STATE, or
 * CMD_FAIL_SERVER after an -ERR. */
enum cmd_result session_login(struct session *s, struct user_info *u);

/* A login attempt from PASS, APOP, AUTH or --preauth (preauth.c): asks
 * the monitor, or login.h's verifier in process; replies on failure. */
enum cmd_result session_auth(struct session *s, enum login_mech mech, const char *user,
                             const char *response);

/* Before the greeting, once the client's address is known: 0 to go on,
 * -EACCES when the address is refused for *ret_seconds, another negative
 * errno when the monitor cannot be reached. Sets the APOP stamp and the
 * mechanisms. */
int session_hello(struct session *s, uint32_t *ret_seconds);

/* A CRAM-MD5 challenge from whoever verifies; 0 or a negative errno. */
int session_challenge(struct session *s, char *out, size_t size);

/* Whether USER/PASS, APOP and SASL PLAIN may be used now: TLS is off,
 * up, or --allow-plaintext says so. */
bool session_plaintext_ok(const struct session *s);
/* Reply -ERR for a backend error: its response code (backend.h's
 * mapping), what failed, and the backend's own text when
 * --transmit-errors allows it. */
void session_backend_error(struct session *s, int err, const char *what);

/* True if the command called name exists and this session's modes
 * leave it on. */
bool session_command_enabled(const struct session *s, const char *name);

/* Live messages and their total size. */
void session_totals(const struct session *s, size_t *ret_count, uint64_t *ret_octets);

#endif
