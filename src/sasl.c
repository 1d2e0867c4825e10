/* SASL AUTH (RFC 5034): mechanism table, the challenge/response
 * exchange, PLAIN and CRAM-MD5. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "log.h"
#include "sasl.h"

/* Decoded SASL responses fit a command line (RFC 2449 §4's 255 octets):
 * longer ones are refused by the line reader already. */
#define SASL_BUF MAX_LINE

struct mechanism {
	const char *name;
	bool (*usable)(const struct session *s);
	enum cmd_result (*run)(struct session *s, const char *initial);
};

static bool plain_usable(const struct session *s)
{
	return (s->mechs & MECHS_PLAIN) && session_plaintext_ok(s);
}

static bool cram_usable(const struct session *s)
{
	return s->mechs & MECHS_CRAM_MD5;
}

static enum cmd_result sasl_plain(struct session *s, const char *initial);
static enum cmd_result sasl_cram_md5(struct session *s, const char *initial);

static const struct mechanism mechanisms[] = {
	{ "PLAIN", plain_usable, sasl_plain },
	{ "CRAM-MD5", cram_usable, sasl_cram_md5 },
};
#define N_MECHS (sizeof(mechanisms) / sizeof(mechanisms[0]))

void sasl_capa(struct session *s)
{
	char line[64] = "SASL";
	bool any = false;

	for (size_t i = 0; i < N_MECHS; i++)
		if (mechanisms[i].usable(s)) {
			strlcat(line, " ", sizeof(line));
			strlcat(line, mechanisms[i].name, sizeof(line));
			any = true;
		}
	if (any)
		io_line(&s->io, "%s", line);
}

/* Decode one base64 response; "=" is the empty response (RFC 5034 §4).
 * 0 or -EINVAL (malformed, or holding a NUL where none may be). */
static int decode(const char *b64, unsigned char *out, size_t *ret_len)
{
	if (strcmp(b64, "=") == 0) {
		*ret_len = 0;
		return 0;
	}
	return base64_decode(b64, strlen(b64), out, SASL_BUF, ret_len) < 0 ? -EINVAL : 0;
}

/* Send "+ challenge" and read the client's answer, decoded into out.
 * 0, -ECANCELED for "*", -EINVAL for bad base64, -EIO if the client is
 * gone or idle too long. */
static int exchange(struct session *s, const char *challenge, unsigned char *out,
                    size_t *ret_len)
{
	char *line;
	size_t len;
	int r;

	if (io_write(&s->io, "+ ", 2) < 0 || io_write(&s->io, challenge, strlen(challenge)) < 0 ||
	    io_write(&s->io, "\r\n", 2) < 0)
		return -EIO;
	switch (io_read_line(&s->io, &line, &len)) {
	case IO_LINE:
		break;
	case IO_TOO_LONG:
	case IO_BAD_CHAR:
		return -EINVAL;
	default:
		return -EIO;
	}
	if (strcmp(line, "*") == 0)
		r = -ECANCELED;
	else
		r = decode(line, out, ret_len);
	explicit_bzero(line, len);
	return r;
}

/* Map an exchange failure to the reply and the loop's verdict. */
static enum cmd_result exchange_failed(struct session *s, int r)
{
	if (r == -EIO)
		return CMD_FAIL_IO;
	if (r == -ECANCELED)
		io_reply(&s->io, false, "[AUTH] authentication cancelled");
	else
		io_reply(&s->io, false, "malformed base64 in AUTH response");
	return CMD_ERR;
}

/* RFC 4616: authzid NUL authcid NUL passwd. Only authzid == authcid
 * (or empty) is allowed: onepop does not let one user act as another. */
static enum cmd_result sasl_plain(struct session *s, const char *initial)
{
	unsigned char buf[SASL_BUF + 1];
	const char *authz, *authc, *pass;
	enum cmd_result res;
	size_t len, l1, l2;
	int r;

	r = initial ? decode(initial, buf, &len) : exchange(s, "", buf, &len);
	if (r < 0)
		return exchange_failed(s, r);
	buf[len] = '\0';
	authz = (const char *)buf;
	l1 = strlen(authz);
	l2 = l1 < len ? strlen(authz + l1 + 1) : 0;
	/* Exactly two NULs, a non-empty authcid. */
	if (l1 >= len || l2 == 0 || l1 + 1 + l2 >= len ||
	    memchr(buf + l1 + l2 + 2, '\0', len - l1 - l2 - 2)) {
		explicit_bzero(buf, sizeof(buf));
		io_reply(&s->io, false, "malformed PLAIN response");
		return CMD_ERR;
	}
	authc = authz + l1 + 1;
	pass = authc + l2 + 1;
	/* Acting as another user cannot succeed; it still counts. */
	res = session_auth(s, *authz && strcmp(authz, authc) != 0 ? MECH_NONE : MECH_PLAIN,
	                   authc, pass);
	explicit_bzero(buf, sizeof(buf));
	return res;
}

/* RFC 2195: the challenge is a unique msg-id from whoever verifies; the
 * answer is "user SP hex(HMAC-MD5(secret, challenge))", checked there. */
static enum cmd_result sasl_cram_md5(struct session *s, const char *initial)
{
	char challenge[PS_MAX_STAMP + 1], b64[2 * PS_MAX_STAMP];
	unsigned char buf[SASL_BUF + 1];
	enum cmd_result res;
	char *sp;
	size_t len;
	int r;

	if (initial) {
		io_reply(&s->io, false, "CRAM-MD5 takes no initial response");
		return CMD_ERR;
	}
	if (session_challenge(s, challenge, sizeof(challenge)) < 0) {
		io_reply(&s->io, false, "[SYS/TEMP] authentication is temporarily unavailable");
		return CMD_FAIL_SERVER;
	}
	base64_encode(challenge, strlen(challenge), b64, sizeof(b64));
	r = exchange(s, b64, buf, &len);
	if (r < 0)
		return exchange_failed(s, r);
	buf[len] = '\0';
	sp = strrchr((char *)buf, ' ');
	if (!sp || memchr(buf, '\0', len) || sp == (char *)buf) {
		explicit_bzero(buf, sizeof(buf));
		io_reply(&s->io, false, "malformed CRAM-MD5 response");
		return CMD_ERR;
	}
	*sp++ = '\0';
	res = session_auth(s, MECH_CRAM_MD5, (char *)buf, sp);
	explicit_bzero(buf, sizeof(buf));
	return res;
}

enum cmd_result cmd_auth(struct session *s, int argc, char **argv)
{
	char initial[MAX_LINE];

	if (argc == 0) {
		/* Not in RFC 5034, but clients (Outlook) probe with a bare AUTH
		 * as RFC 1734 servers answered it: list what works now. */
		io_reply(&s->io, true, "SASL mechanisms follow");
		for (size_t i = 0; i < N_MECHS; i++)
			if (mechanisms[i].usable(s))
				io_line(&s->io, "%s", mechanisms[i].name);
		io_line(&s->io, ".");
		return CMD_OK;
	}
	for (size_t i = 0; i < N_MECHS; i++) {
		enum cmd_result res;

		if (strcasecmp(mechanisms[i].name, argv[0]) != 0)
			continue;
		if (!mechanisms[i].usable(s)) {
			if (!strcmp(mechanisms[i].name, "PLAIN") && (s->mechs & MECHS_PLAIN))
				io_reply(&s->io, false, "[AUTH] plaintext authentication needs TLS first (STLS)");
			else
				io_reply(&s->io, false, "%s is not available", mechanisms[i].name);
			return CMD_ERR;
		}
		/* argv points into the read buffer, which the exchange reuses. */
		if (argc == 2) {
			strlcpy(initial, argv[1], sizeof(initial));
			explicit_bzero(argv[1], strlen(argv[1]));
		}
		res = mechanisms[i].run(s, argc == 2 ? initial : NULL);
		explicit_bzero(initial, sizeof(initial));
		return res;
	}
	io_reply(&s->io, false, "unsupported SASL mechanism");
	return CMD_ERR;
}
