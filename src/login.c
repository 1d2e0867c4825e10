/* The login verifier (login.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "failstate.h"
#include "hmac_md5.h"
#include "hostname.h"
#include "log.h"
#include "login.h"
#include "secret.h"

void login_init(struct login *l, const struct options *opt, struct auth *auth,
                const char *remote)
{
	memset(l, 0, sizeof(*l));
	l->opt = opt;
	l->auth = auth;
	strlcpy(l->remote, remote, sizeof(l->remote));
}

int login_lookup(const struct login *l, const char *user, struct user_info *ret)
{
	return l->auth ? l->auth->ops->lookup(l->auth, user, ret) : auth_system_lookup(user, ret);
}

unsigned login_mechs(const struct login *l)
{
	const struct auth *a = l->auth;
	bool secrets;

	if (!a)
		return 0;
	/* Named by the operator: those, as far as the source can do them
	 * at all. */
	if (l->opt->auth_mechanisms)
		return l->opt->auth_mechanisms & (a->ops->secret ? MECHS_ALL : MECHS_PLAIN);
	/* Else only what succeeds for every user of the source. */
	secrets = a->ops->secret && a->ops->has_secrets && a->ops->has_secrets((struct auth *)a);
	return MECHS_PLAIN | (secrets ? MECHS_APOP | MECHS_CRAM_MD5 : 0);
}

void login_msg_id(char *out, size_t size, const char *extra)
{
	char host[HOSTNAME_SIZE];

	hostname_get(host);
	snprintf(out, size, "<%s%ld.%lld@%s>", extra, (long)getpid(),
	         (long long)time(NULL), host);
}

/* With --fail-state: whether the address is over --fail-limit; logs the
 * refusal in the one format the fail2ban filter matches too. */
static bool past_limit(const struct login *l, unsigned failures)
{
	if (!l->opt->fail_state || failures < l->opt->fail_limit)
		return false;
	log_msg(LOG_NOTICE, "login refused: rhost=%s failures=%u (too many failed logins)",
	        l->remote, failures);
	return true;
}

enum login_verdict login_hello(struct login *l, bool want_stamp, uint32_t *ret_seconds)
{
	unsigned failures;
	int64_t last, left;

	if (want_stamp && (login_mechs(l) & MECHS_APOP))
		login_msg_id(l->stamp, sizeof(l->stamp), "");
	if (!l->opt->fail_state || l->opt->preauth)
		return VERDICT_OK;
	failures = failstate_recent(l->opt->fail_state, l->remote, l->opt->fail_ban, &last);
	if (!past_limit(l, failures))
		return VERDICT_OK;
	left = last + (int64_t)l->opt->fail_ban - (int64_t)time(NULL);
	*ret_seconds = (uint32_t)(left > 0 ? left : 1);
	return VERDICT_REFUSED;
}

const char *login_challenge(struct login *l)
{
	char extra[16];

	snprintf(extra, sizeof(extra), "%u.", arc4random());
	login_msg_id(l->challenge, sizeof(l->challenge), extra);
	return l->challenge;
}

/* RFC 2195: the answer is hex(HMAC-MD5(secret, challenge)). */
static int check_cram(struct login *l, const char *user, const char *digest,
                      struct user_info *ret)
{
	char want[33], got[33];
	char *secret = NULL;
	size_t i;
	int r, ok;

	if (!l->challenge[0] || !l->auth || !l->auth->ops->secret ||
	    !(login_mechs(l) & MECHS_CRAM_MD5))
		return -EACCES;
	r = l->auth->ops->secret(l->auth, user, &secret);
	/* Unknown users and users without a plain secret do the same work.
	 * secret() sets secret whenever it returns 0 (auth.h). */
	// cppcheck-suppress nullPointerRedundantCheck
	hmac_md5_hex(r == 0 ? secret : "", r == 0 ? strlen(secret) : 0, l->challenge,
	             strlen(l->challenge), want);
	for (i = 0; i < 32 && digest[i]; i++)
		got[i] = (char)(digest[i] >= 'A' && digest[i] <= 'F' ? digest[i] - 'A' + 'a'
		                                                      : digest[i]);
	got[i] = '\0';
	ok = r == 0 && i == 32 && digest[i] == '\0' && secret_equal(want, 32, got, 32);
	if (secret) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
	explicit_bzero(want, sizeof(want));
	/* One answer per challenge: a replayed one meets an empty challenge. */
	explicit_bzero(l->challenge, sizeof(l->challenge));
	if (!ok)
		return r < 0 && r != -ENOENT && r != -ENOTSUP ? r : -EACCES;
	return l->auth->ops->lookup(l->auth, user, ret);
}

static int verify(struct login *l, enum login_mech mech, const char *user,
                  const char *response, struct user_info *ret)
{
	if (l->auth)
		l->auth->rhost = l->remote;
	switch (mech) {
	case MECH_PLAIN:
		if (!(login_mechs(l) & MECHS_PLAIN))
			return -EACCES;
		/* fall through */
	case MECH_PASS:
		return l->auth ? l->auth->ops->verify(l->auth, user, response, ret) : -EACCES;
	case MECH_APOP:
		return l->stamp[0] ? auth_apop(l->auth, user, l->stamp, response, ret) : -EACCES;
	case MECH_CRAM_MD5:
		return check_cram(l, user, response, ret);
	case MECH_PREAUTH:
		return l->opt->preauth ? login_lookup(l, l->opt->preauth, ret) : -EACCES;
	case MECH_NONE:
	default:
		return -EACCES;
	}
}

/* Sleep until start + ms (the failure deadline). */
static void wait_until(const struct timespec *start, uint64_t ms)
{
	struct timespec end = {
		.tv_sec = start->tv_sec + (time_t)(ms / 1000),
		.tv_nsec = start->tv_nsec + (long)(ms % 1000) * 1000000L,
	};

	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &end, NULL) == EINTR)
		;
}

/* The delay before a failure is answered: --fail-delay, lengthened by
 * this address's failures in earlier connections, up to 10 times. */
static uint64_t fail_delay(const struct login *l, unsigned recent)
{
	return (uint64_t)l->opt->fail_delay_ms * (recent > 1 ? (recent < 10 ? recent : 10) : 1);
}

enum login_verdict login_check(struct login *l, enum login_mech mech, const char *user,
                               const char *response, struct user_info *ret, bool *ret_close)
{
	char who[MAX_USER * 4 + 1];
	struct timespec start;
	unsigned recent = 0;
	int64_t last;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &start);
	*ret_close = false;
	if (mech == MECH_PREAUTH) {
		r = verify(l, mech, user, response, ret);
		if (r == 0)
			return VERDICT_OK;
		log_msg(LOG_ERR, "preauth: no such user");
		*ret_close = true;
		return VERDICT_TEMP;
	}
	/* An address over the limit is refused without a check: right and
	 * wrong passwords alike, at the same deadline, so guesses teach
	 * nothing. */
	if (l->opt->fail_state)
		recent = failstate_recent(l->opt->fail_state, l->remote, l->opt->fail_ban, &last);
	if (past_limit(l, recent)) {
		wait_until(&start, fail_delay(l, recent));
		*ret_close = true;
		return VERDICT_REFUSED;
	}
	r = verify(l, mech, user, response, ret);
	if (r == 0)
		return VERDICT_OK;
	l->failures++;
	log_safe(user, who, sizeof(who));
	{
		struct log_fields f = { .user = who, .remote_addr = l->remote };
		/* The fixed format the shipped fail2ban filter matches. */
		log_fields(LOG_NOTICE, &f, "login failed: user=%s rhost=%s", who, l->remote);
	}
	recent = failstate_note(l->opt->fail_state, l->remote, l->opt->fail_ban);
	wait_until(&start, fail_delay(l, recent));
	*ret_close = l->failures >= MAX_AUTH_FAILURES;
	if (past_limit(l, recent)) {
		*ret_close = true;
		return VERDICT_REFUSED;
	}
	return r == -EACCES ? VERDICT_AUTH : VERDICT_TEMP;
}
