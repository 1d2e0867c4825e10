/* Privilege separation (as popa3d, Dovecot's pop3-login and OpenSSH's
 * monitor do it). Started as root, a session splits before it reads a
 * byte from the client:
 *  - the monitor (this process, root) never reads the connection; it runs
 *    login.h's verifier on the records the other side sends, and after a
 *    good login becomes the user and serves the mailbox;
 *  - the pre-auth process (a child in sandbox.h's cell) does all the
 *    talking before login: PROXY, TLS, greeting, CAPA, USER/PASS/APOP/AUTH.
 * After login, a plaintext connection is served by the user's process
 * directly (the pre-auth process is killed first); a TLS one is relayed
 * by the pre-auth process, which holds the TLS state, over a socketpair. */
#ifndef ONEPOP_PRIVSEP_H
#define ONEPOP_PRIVSEP_H

#include <stdbool.h>
#include <sys/types.h>

#include "auth.h"
#include "login.h"
#include "privsep_proto.h"
#include "sandbox.h"

/* Fixed descriptors in the pre-auth process. */
#define PRIVSEP_CTL_FD 3
#define PRIVSEP_DATA_FD 4

struct privsep {
	pid_t child;
	int ctl;        /* the monitor's end of the control channel */
	int data;       /* the monitor's end of the relay channel, or -1 */
};

/* Fork the pre-auth process. In the monitor returns 1 with ps filled, or
 * a negative errno if it could not fork; in the child, sandboxed and
 * logging through the monitor, returns 0 with its channels on
 * PRIVSEP_CTL_FD (and PRIVSEP_DATA_FD when relay is wanted). A child
 * that cannot enter its sandbox logs why and exits. */
int privsep_fork(const struct sandbox *sb, bool relay, struct privsep *ps);

/* What the monitor learnt when the pre-auth side finished. */
struct monitor_result {
	bool logged_in;             /* else the session ended before login */
	uint32_t reason;            /* enum end_reason, when not logged in */
	bool relay;                 /* the connection now comes over ps->data */
	struct ps_stats stats;
	size_t input_len;           /* client bytes read but not yet used */
	unsigned char input[IN_BUF_SIZE];
	struct user_info user;      /* who logged in */
};

/* The monitor: answer the pre-auth side's records on ctl until it hands
 * the session over or ends it. addr_from_child: take the client address
 * from its HELLO (a PROXY header was parsed there); otherwise l->remote
 * stands. want_stamp: APOP is on. 0; -EPIPE when the other side vanished
 * without a word (crashed or killed); -EPROTO when it broke the protocol
 * (a forged or malformed record; logged). */
int monitor_run(int ctl, struct login *l, bool addr_from_child, bool want_stamp,
                struct monitor_result *ret);

/* The pre-auth side's requests (fd is PRIVSEP_CTL_FD). Each returns a
 * negative errno when the monitor cannot be reached. */
int privsep_hello(int fd, const char *addr, struct ps_reply *ret);
int privsep_auth(int fd, enum login_mech mech, const char *user, const char *response,
                 const char *addr, bool *ret_close);
int privsep_challenge(int fd, char *out, size_t size);
int privsep_end(int fd, uint32_t reason, const struct ps_stats *st);
int privsep_handoff(int fd, bool relay, const struct ps_stats *st, const void *input,
                    size_t len);
/* log.h's sink in the pre-auth process: the line goes to the monitor. */
void privsep_log(int prio, const char *text);

#endif
