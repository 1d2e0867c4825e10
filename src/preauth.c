/* The client's side of a login: PASS, APOP, AUTH and --preauth ask here,
 * and this asks whoever verifies: the monitor over the privsep channel
 * when privileges are separated, login.h's verifier in this process
 * otherwise. The replies to a failed attempt are made here, once. */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "privsep.h"
#include "session.h"

int session_hello(struct session *s, uint32_t *ret_seconds)
{
	enum login_verdict v;

	if (s->monitor_fd >= 0) {
		struct ps_reply rep;
		int r = privsep_hello(s->monitor_fd, s->remote, &rep);

		if (r < 0)
			return r;
		strlcpy(s->apop_stamp, rep.stamp, sizeof(s->apop_stamp));
		s->mechs = rep.mechs;
		*ret_seconds = rep.seconds;
		v = rep.verdict;
	} else {
		strlcpy(s->login.remote, s->remote, sizeof(s->login.remote));
		v = login_hello(&s->login, session_command_enabled(s, "APOP"), ret_seconds);
		strlcpy(s->apop_stamp, s->login.stamp, sizeof(s->apop_stamp));
		s->mechs = login_mechs(&s->login);
	}
	return v == VERDICT_OK ? 0 : -EACCES;
}

int session_challenge(struct session *s, char *out, size_t size)
{
	if (s->monitor_fd >= 0)
		return privsep_challenge(s->monitor_fd, out, size);
	return strlcpy(out, login_challenge(&s->login), size) < size ? 0 : -E2BIG;
}

enum cmd_result session_auth(struct session *s, enum login_mech mech, const char *user,
                             const char *response)
{
	struct user_info u = { 0 };
	enum cmd_result res;
	bool close_it = false;
	int v;

	/* What no account can match is still a failure the verifier counts
	 * and delays, so it stays within the record's bounds. */
	if (strlen(user) > MAX_USER || strlen(response) > MAX_LINE) {
		mech = MECH_NONE;
		user = "";
		response = "";
	}
	if (s->monitor_fd >= 0) {
		v = privsep_auth(s->monitor_fd, mech, user, response, s->remote, &close_it);
		if (v == VERDICT_OK)
			return CMD_HANDOFF;
		if (v < 0) {
			io_reply(&s->io, false, "[SYS/TEMP] authentication is temporarily unavailable");
			return CMD_FAIL_SERVER;
		}
	} else {
		v = login_check(&s->login, mech, user, response, &u, &close_it);
		if (v == VERDICT_OK) {
			res = session_login(s, &u);
			user_info_clear(&u);
			return res;
		}
	}
	switch (v) {
	case VERDICT_REFUSED:
		io_reply(&s->io, false, "[LOGIN-DELAY] too many failed logins from your address, "
		         "try again later");
		return CMD_FAIL_AUTH;
	case VERDICT_AUTH:
		io_reply(&s->io, false, "[AUTH] invalid user name or password");
		break;
	default:
		if (mech == MECH_PREAUTH) {
			io_reply(&s->io, false, "[SYS/PERM] no such user");
			return CMD_FAIL_SERVER;
		}
		io_reply(&s->io, false, "[SYS/TEMP] authentication is temporarily unavailable");
		break;
	}
	return close_it ? CMD_FAIL_AUTH : CMD_QUIET;
}
