/* Verifying a login: the one routine behind PASS, APOP, AUTH PLAIN,
 * AUTH CRAM-MD5 and --preauth. It holds everything a login may not trust
 * the client side with: the APOP stamp and CRAM-MD5 challenge it issued,
 * the auth source and its secrets, the failure delay, the per-session
 * failure limit and --fail-state. Run by the monitor when privileges are
 * separated (privsep.h), in the session's own process otherwise. It never
 * talks to the client. */
#ifndef ONEPOP_LOGIN_H
#define ONEPOP_LOGIN_H

#include <stdbool.h>
#include <stdint.h>

#include "auth.h"
#include "options.h"
#include "privsep_proto.h"

struct login {
	const struct options *opt;
	struct auth *auth;
	char remote[PS_MAX_ADDR + 1];
	char stamp[PS_MAX_STAMP + 1];       /* APOP stamp of the greeting, or "" */
	char challenge[PS_MAX_STAMP + 1];   /* the open CRAM-MD5 challenge, or "" */
	unsigned failures;                  /* in this session */
};

void login_init(struct login *l, const struct options *opt, struct auth *auth,
                const char *remote);

/* Who user is, without a password (--preauth, --scan): from the auth
 * source when there is one, else the system's passwd. 0 or -ENOENT. */
int login_lookup(const struct login *l, const char *user, struct user_info *ret);

/* "<pid.time@host>" (RFC 1939 §7), extra in front of pid when given:
 * the APOP stamp, and a CRAM-MD5 challenge with a random part. */
void login_msg_id(char *out, size_t size, const char *extra);

/* MECHS_* that the auth source can serve. */
unsigned login_mechs(const struct login *l);

/* Before the greeting: is this address over --fail-limit? VERDICT_OK, or
 * VERDICT_REFUSED with *ret_seconds until it is let in again. With
 * want_stamp (APOP on) also makes the greeting's stamp. */
enum login_verdict login_hello(struct login *l, bool want_stamp, uint32_t *ret_seconds);

/* A fresh CRAM-MD5 challenge (RFC 2195 msg-id), remembered for the next
 * MECH_CRAM_MD5 check only. Returns l->challenge. */
const char *login_challenge(struct login *l);

/* Check one attempt. VERDICT_OK fills *ret with who it is. Any other
 * verdict has been logged, counted (session and --fail-state) and waited
 * for: a failure is answered at one deadline counted from the call, the
 * same for every kind of user and for a right or wrong password from a
 * refused address. *ret_close says the session must end (too many
 * failures). */
enum login_verdict login_check(struct login *l, enum login_mech mech, const char *user,
                               const char *response, struct user_info *ret, bool *ret_close);

#endif
