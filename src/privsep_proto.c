/* Building and checking the records of privsep_proto.h. */
#include <errno.h>
#include <string.h>

#include "privsep_proto.h"

void ps_begin(struct ps_buf *b, enum ps_type type)
{
	b->len = 1;
	b->overflow = false;
	b->b[0] = (unsigned char)type;
}

void ps_put(struct ps_buf *b, const void *data, size_t len)
{
	if (len > UINT16_MAX || sizeof(b->b) - b->len < 2 + len) {
		b->overflow = true;
		return;
	}
	b->b[b->len++] = (unsigned char)(len & 0xff);
	b->b[b->len++] = (unsigned char)(len >> 8);
	if (len)
		memcpy(b->b + b->len, data, len);
	b->len += len;
}

void ps_put_str(struct ps_buf *b, const char *s)
{
	ps_put(b, s, strlen(s));
}

static void u32_le(unsigned char out[4], uint32_t v)
{
	for (int i = 0; i < 4; i++)
		out[i] = (unsigned char)(v >> (8 * i));
}

void ps_put_u32(struct ps_buf *b, uint32_t v)
{
	unsigned char le[4];

	u32_le(le, v);
	ps_put(b, le, sizeof(le));
}

void ps_put_stats(struct ps_buf *b, const struct ps_stats *st)
{
	unsigned char le[4 * (2 + MAX_COMMANDS)];
	uint32_t n = st->ncounts <= MAX_COMMANDS ? st->ncounts : MAX_COMMANDS;

	u32_le(le, st->commands);
	u32_le(le + 4, st->flags);
	for (uint32_t i = 0; i < n; i++)
		u32_le(le + 4 * ((size_t)i + 2), st->counts[i]);
	ps_put(b, le, 4 * ((size_t)n + 2));
}

struct field {
	const unsigned char *p;
	size_t len;
};

/* Split a record into its type and fields; -EBADMSG unless it is exactly
 * n fields with nothing left over. */
static int split(const void *buf, size_t len, size_t n, struct field *f)
{
	const unsigned char *p = buf;
	size_t off = 1;

	if (!buf || len < 1 || len > PS_MAX_RECORD)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		size_t l;

		if (len - off < 2)
			return -EBADMSG;
		l = (size_t)p[off] | (size_t)p[off + 1] << 8;
		off += 2;
		if (len - off < l)
			return -EBADMSG;
		f[i].p = p + off;
		f[i].len = l;
		off += l;
	}
	return off == len ? 0 : -EBADMSG;
}

/* A string field: at most max octets, no NUL, no CR or LF. */
static bool str_ok(const struct field *f, size_t max)
{
	if (f->len > max)
		return false;
	for (size_t i = 0; i < f->len; i++)
		if (f->p[i] == '\0' || f->p[i] == '\r' || f->p[i] == '\n')
			return false;
	return true;
}

static void str_copy(char *out, const struct field *f)
{
	memcpy(out, f->p, f->len);
	out[f->len] = '\0';
}

static bool u32_get(const struct field *f, uint32_t max, uint32_t *ret)
{
	uint32_t v = 0;

	if (f->len != 4)
		return false;
	for (int i = 3; i >= 0; i--)
		v = v << 8 | f->p[i];
	if (v > max)
		return false;
	*ret = v;
	return true;
}

static bool stats_get(const struct field *f, struct ps_stats *ret)
{
	size_t n;

	struct field flags = { f->p + 4, 4 };
	uint32_t v;

	if (f->len < 8 || f->len % 4 || f->len / 4 - 2 > MAX_COMMANDS ||
	    !u32_get(&flags, PS_STATS_EXIT, &v))
		return false;
	n = f->len / 4 - 2;
	memset(ret, 0, sizeof(*ret));
	ret->flags = v;
	for (size_t i = 0; i < n + 2; i++) {
		struct field one = { f->p + 4 * i, 4 };

		(void)u32_get(&one, UINT32_MAX, &v);
		if (i == 0)
			ret->commands = v;
		else if (i >= 2)
			ret->counts[i - 2] = v;
	}
	ret->ncounts = (uint32_t)n;
	return true;
}

/* Fields per request type; -1: not a request. */
static int request_fields(unsigned type)
{
	switch (type) {
	case PS_HELLO: return 1;
	case PS_AUTH: return 4;
	case PS_CHALLENGE: return 0;
	case PS_LOG:
	case PS_END: return 2;
	case PS_HANDOFF: return 3;
	default: return -1;
	}
}

int ps_request_parse(const void *buf, size_t len, struct ps_request *ret)
{
	struct field f[PS_MAX_FIELDS];
	uint32_t a = 0, b = 0;
	int n;

	if (!buf || len < 1 || (n = request_fields(*(const unsigned char *)buf)) < 0 ||
	    split(buf, len, (size_t)n, f) < 0)
		return -EBADMSG;
	switch (*(const unsigned char *)buf) {
	case PS_HELLO:
		if (f[0].len == 0 || !str_ok(&f[0], PS_MAX_ADDR))
			return -EBADMSG;
		str_copy(ret->addr, &f[0]);
		break;
	case PS_AUTH:
		if (!u32_get(&f[0], MECH_LAST, &a) || a < MECH_PASS || !str_ok(&f[1], MAX_USER) ||
		    !str_ok(&f[2], MAX_LINE) || f[3].len == 0 || !str_ok(&f[3], PS_MAX_ADDR))
			return -EBADMSG;
		ret->mech = (enum login_mech)a;
		str_copy(ret->user, &f[1]);
		str_copy(ret->response, &f[2]);
		str_copy(ret->addr, &f[3]);
		break;
	case PS_CHALLENGE:
		break;
	case PS_LOG:
		/* LOG_ERR (3) .. LOG_DEBUG (7): the other side cannot raise
		 * an alert. */
		if (!u32_get(&f[0], 7, &a) || a < 3 || !str_ok(&f[1], PS_MAX_LOG))
			return -EBADMSG;
		ret->prio = (int)a;
		str_copy(ret->text, &f[1]);
		break;
	case PS_END:
		if (!u32_get(&f[0], 255, &a) || !stats_get(&f[1], &ret->stats))
			return -EBADMSG;
		ret->reason = a;
		break;
	case PS_HANDOFF:
		if (!u32_get(&f[0], 1, &b) || f[2].len > sizeof(ret->input) ||
		    !stats_get(&f[1], &ret->stats))
			return -EBADMSG;
		ret->relay = b;
		memcpy(ret->input, f[2].p, f[2].len);
		ret->input_len = f[2].len;
		break;
	}
	ret->type = (enum ps_type)*(const unsigned char *)buf;
	return 0;
}

int ps_reply_parse(const void *buf, size_t len, struct ps_reply *ret)
{
	struct field f[PS_MAX_FIELDS];
	struct ps_reply r = { 0 };
	uint32_t v = 0;

	if (!buf || len < 1)
		return -EBADMSG;
	r.type = (enum ps_type)*(const unsigned char *)buf;
	switch (r.type) {
	case PS_HELLO_REPLY:
		if (split(buf, len, 4, f) < 0 || !u32_get(&f[0], VERDICT_REFUSED, &v) || !v ||
		    !u32_get(&f[1], UINT32_MAX, &r.seconds) || !str_ok(&f[2], PS_MAX_STAMP) ||
		    !u32_get(&f[3], MECHS_ALL, &r.mechs))
			return -EBADMSG;
		str_copy(r.stamp, &f[2]);
		break;
	case PS_CHALLENGE_REPLY:
		if (split(buf, len, 1, f) < 0 || f[0].len == 0 || !str_ok(&f[0], PS_MAX_STAMP))
			return -EBADMSG;
		str_copy(r.stamp, &f[0]);
		break;
	case PS_AUTH_REPLY: {
		uint32_t c = 0;

		if (split(buf, len, 2, f) < 0 || !u32_get(&f[0], VERDICT_REFUSED, &v) || !v ||
		    !u32_get(&f[1], 1, &c))
			return -EBADMSG;
		r.close = c;
		break;
	}
	default:
		return -EBADMSG;
	}
	r.verdict = (enum login_verdict)v;
	*ret = r;
	return 0;
}
