/* The Maildir message list: names in one arena with their info as a
 * code, the UIDLs of names (derived when a name cannot be one), and the
 * delivery order: by the leading number of the base name (delivery time),
 * then by the rest of the name, so it does not change when a file moves
 * from new/ to cur/ or its flags change. */
#include <errno.h>
#include <md5.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "maildir_list.h"

const char *const maildir_subdirs[2] = { "new", "cur" };

/* The code of a name's INFO (after the ":"; NULL: no ":"). */
static enum maildir_info info_code(const char *info, size_t len)
{
	if (!info)
		return MAILDIR_INFO_NONE;
	if (len == 2 && !memcmp(info, "2,", 2))
		return MAILDIR_INFO_2;
	if (len == 3 && !memcmp(info, "2,S", 3))
		return MAILDIR_INFO_2S;
	return MAILDIR_INFO_TEXT;
}

/* Append s (len octets) and a NUL to an arena (*buf, *used of *cap
 * octets) whose offsets must stay below limit: 0 and *ret_off, or
 * -ENOMEM. Offsets are 32-bit: 4 GB of names is far beyond any mailbox. */
static int arena_append(char **buf, size_t *used, size_t *cap, size_t limit, const char *s,
                        size_t len, uint32_t *ret_off)
{
	size_t need = len + 1;

	if (*used + need > *cap) {
		size_t ncap = *cap ? *cap * 2 : 4096;
		char *p;

		while (ncap < *used + need)
			ncap *= 2;
		if (ncap > limit || !(p = realloc(*buf, ncap)))
			return -ENOMEM;
		*buf = p;
		*cap = ncap;
	}
	*ret_off = (uint32_t)*used;
	memcpy(*buf + *used, s, len);
	(*buf)[*used + len] = '\0';
	*used += need;
	return 0;
}

static int names_append(struct maildir_list *l, const char *s, size_t len, uint32_t *ret_off)
{
	return arena_append(&l->names, &l->names_len, &l->names_cap, UINT32_MAX, s, len, ret_off);
}

int maildir_list_add(struct maildir_list *l, const char *sub, const char *name, size_t len,
                     uint64_t raw, uint64_t wire)
{
	const char *colon = memchr(name, ':', len);
	size_t blen = colon ? (size_t)(colon - name) : len;
	enum maildir_info info = info_code(colon ? colon + 1 : NULL, len - blen - !!colon);
	struct maildir_msg *m;
	uint32_t off, ioff;
	int r;

	/* No NUL check: every caller's name is a C string of len octets
	 * (readdir's, or a cache line, which maildir_lines_next checks). */
	if (len == 0 || len > MAILDIR_MAX_NAME || name[0] == '.' || memchr(name, '/', len) ||
	    raw > MAILDIR_RAW_MAX)
		return -EINVAL;
	if (l->count == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		void *p = reallocarray(l->msgs, ncap, sizeof(*l->msgs));
		if (!p)
			return -ENOMEM;
		l->msgs = p;
		l->cap = ncap;
	}
	if ((r = names_append(l, name, blen, &off)) < 0 ||
	    (info == MAILDIR_INFO_TEXT && (r = names_append(l, colon + 1, len - blen - 1, &ioff)) < 0))
		return r;
	m = &l->msgs[l->count++];
	*m = (struct maildir_msg){ .raw = raw, .cur = sub[0] == 'c', .info = info,
	                           .base_len = blen, .wire = wire, .name_off = off,
	                           .uidl_off = MAILDIR_UIDL_BASE };
	return 0;
}

void maildir_list_free(struct maildir_list *l)
{
	for (size_t i = 0; l->moved && i < l->count; i++)
		free(l->moved[i]);
	free(l->moved);
	free(l->msgs);
	free(l->names);
	free(l->uidls);
	*l = (struct maildir_list){ 0 };
}

const char *maildir_path(const struct maildir_list *l, size_t i, char buf[MAILDIR_PATH_MAX])
{
	const struct maildir_msg *m = &l->msgs[i];
	const char *base = l->names + m->name_off;
	size_t n = 4 + m->base_len;

	if (l->moved && l->moved[i])
		return l->moved[i];
	memcpy(buf, m->cur ? "cur/" : "new/", 4);
	memcpy(buf + 4, base, m->base_len);
	switch (m->info) {
	case MAILDIR_INFO_NONE:
		buf[n] = '\0';
		break;
	case MAILDIR_INFO_TEXT:
		buf[n] = ':';
		/* fits: the name did */
		memcpy(buf + n + 1, base + m->base_len + 1, strlen(base + m->base_len + 1) + 1);
		break;
	case MAILDIR_INFO_2:
		memcpy(buf + n, ":2,", 4);
		break;
	default:
		memcpy(buf + n, ":2,S", 5);
		break;
	}
	return buf;
}

int maildir_uidl_set(struct maildir_list *l, size_t i, const char *uidl)
{
	struct maildir_msg *m = &l->msgs[i];
	uint32_t off;
	int r;

	if (!strcmp(uidl, maildir_base(l, i))) {
		m->uidl_off = MAILDIR_UIDL_BASE;
		return 0;
	}
	if (m->uidl_off != MAILDIR_UIDL_BASE && !strcmp(uidl, l->uidls + m->uidl_off))
		return 0;
	/* Below MAILDIR_UIDL_BASE, which says "the base name". */
	if ((r = arena_append(&l->uidls, &l->uidls_len, &l->uidls_cap, MAILDIR_UIDL_BASE, uidl,
	                      strlen(uidl), &off)) < 0)
		return r;
	m->uidl_off = off;
	return 0;
}

int maildir_uidl_reset(struct maildir_list *l, size_t i)
{
	char uidl[MAX_UIDL + 1];

	maildir_name_uidl(maildir_base(l, i), l->msgs[i].base_len, uidl);
	return maildir_uidl_set(l, i, uidl);
}

bool maildir_wire_plausible(uint64_t raw, uint64_t wire)
{
	return raw <= INT64_MAX / 2 && wire >= raw && wire <= 2 * raw + 2;
}

void maildir_stamp_of(const struct stat *st, struct maildir_stamp *ret)
{
	*ret = (struct maildir_stamp){ (uint64_t)st->st_dev, (uint64_t)st->st_ino,
	                               (int64_t)st->st_mtim.tv_sec, (int64_t)st->st_mtim.tv_nsec };
}

/* ------------------------------------------------------------ the order */

/* Delivery order of two base names: leading decimal number (seconds),
 * then the rest of the name. */
static int cmp_base(const char *p, size_t lp, const char *q, size_t lq)
{
	size_t np = 0, nq = 0, rp, rq, k = 0;
	int c;

	/* Names that start with a non-zero digit (every delivery agent's):
	 * the first octet that differs decides, unless it lies inside both
	 * numbers, where the longer number is the larger. Other names (and
	 * that case) take the general way below; same order either way. */
	if (lp && lq && p[0] >= '1' && p[0] <= '9' && q[0] >= '1' && q[0] <= '9') {
		bool dp, dq;

		while (k < lp && k < lq && p[k] == q[k])
			k++;
		if (k == lp || k == lq) {
			if (lp == lq)
				return 0;
			/* one is a prefix of the other: longer is larger, unless
			 * the longer one's number goes on (then it is larger too) */
			return lp < lq ? -1 : 1;
		}
		dp = p[k] >= '0' && p[k] <= '9';
		dq = q[k] >= '0' && q[k] <= '9';
		/* Only when the whole prefix is digits is k inside the numbers. */
		for (size_t i = 0; (dp || dq) && i < k; i++)
			if (p[i] < '0' || p[i] > '9')
				dp = dq = false;
		if (!dp && !dq)
			return (unsigned char)p[k] < (unsigned char)q[k] ? -1 : 1;
		if (dp != dq)
			return dp ? 1 : -1;   /* p's number is longer when dp */
		np = nq = k;
		while (np < lp && p[np] >= '0' && p[np] <= '9')
			np++;
		while (nq < lq && q[nq] >= '0' && q[nq] <= '9')
			nq++;
		if (np != nq)
			return np < nq ? -1 : 1;
		return (unsigned char)p[k] < (unsigned char)q[k] ? -1 : 1;
	}
	while (np < lp && p[np] >= '0' && p[np] <= '9')
		np++;
	while (nq < lq && q[nq] >= '0' && q[nq] <= '9')
		nq++;
	while (np > 1 && *p == '0') { p++; np--; lp--; }
	while (nq > 1 && *q == '0') { q++; nq--; lq--; }
	if (np != nq)
		return np < nq ? -1 : 1;
	c = memcmp(p, q, np);
	if (c)
		return c;
	rp = lp - np;
	rq = lq - nq;
	c = memcmp(p + np, q + nq, rp < rq ? rp : rq);
	if (c)
		return c;
	return (rp > rq) - (rp < rq);
}

static int cmp_msg(const char *na, const struct maildir_msg *a, const char *nb,
                   const struct maildir_msg *b)
{
	return cmp_base(na + a->name_off, a->base_len, nb + b->name_off, b->base_len);
}

int maildir_list_cmp(const struct maildir_list *l, size_t a, size_t b)
{
	return cmp_msg(l->names, &l->msgs[a], l->names, &l->msgs[b]);
}

int maildir_list_cmp2(const struct maildir_list *la, size_t a, const struct maildir_list *lb,
                      size_t b)
{
	return cmp_msg(la->names, &la->msgs[a], lb->names, &lb->msgs[b]);
}

bool maildir_lead_number(const char *base, size_t len, uint64_t *ret)
{
	size_t n = 0;
	uint64_t v = 0;

	/* v wraps past 19 digits, but is then not used. */
	for (; n < len; n++) {
		unsigned d = (unsigned)(unsigned char)base[n] - '0';
		if (d > 9)
			break;
		v = v * 10 + d;
	}
	*ret = v;
	return n >= 1 && n <= 19;
}

/* A message's place in the sort: the value of its base name's leading
 * number when that has 1-19 digits (so fits; the usual name), which
 * decides most comparisons without looking at the names. */
struct sort_key {
	uint64_t num;
	uint32_t idx;
	bool num_ok;
};

static int key_cmp(const void *a, const void *b, void *list)
{
	const struct sort_key *x = a, *y = b;

	/* Equal values, or a name without such a number: the full order,
	 * which agrees (numbers of 1-19 digits compare as their values). */
	if (x->num_ok && y->num_ok && x->num != y->num)
		return x->num < y->num ? -1 : 1;
	return maildir_list_cmp(list, x->idx, y->idx);
}

/* Sort keys by num alone: LSD radix, a byte a pass, skipping the bytes
 * all keys share (names of one year differ in their low 3-4 bytes). Stable.
 * 0 or -ENOMEM. */
static int radix_keys(struct sort_key *k, size_t n)
{
	struct sort_key *tmp, *src = k, *dst;
	uint64_t diff = 0;

	for (size_t i = 1; i < n; i++)
		diff |= k[i].num ^ k[0].num;
	if (!diff)
		return 0;
	if (!(tmp = reallocarray(NULL, n, sizeof(*tmp))))
		return -ENOMEM;
	dst = tmp;
	for (unsigned shift = 0; shift < 64; shift += 8) {
		size_t count[256] = { 0 }, pos = 0;
		struct sort_key *t;

		if (!((diff >> shift) & 0xff))
			continue;
		for (size_t i = 0; i < n; i++)
			count[(src[i].num >> shift) & 0xff]++;
		for (unsigned b = 0; b < 256; b++) {
			size_t c = count[b];
			count[b] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i].num >> shift) & 0xff]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != k)
		memcpy(k, src, n * sizeof(*k));
	free(tmp);
	return 0;
}

/* Sort the keys in delivery order (key_cmp). When every name has a
 * leading number (every delivery agent's), by radix on the numbers and
 * then each run of equal numbers by the full order: qsort's 1.7 M
 * comparisons were a fifth of a cold login. 0 or -ENOMEM. */
static int sort_keys(struct sort_key *k, size_t n, struct maildir_list *l)
{
	bool all = true;
	int r;

	for (size_t i = 0; i < n && all; i++)
		all = k[i].num_ok;
	if (!all) {
		qsort_r(k, n, sizeof(*k), key_cmp, l);
		return 0;
	}
	if ((r = radix_keys(k, n)) < 0)
		return r;
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && k[j].num == k[i].num; j++)
			;
		if (j - i > 1)
			qsort_r(k + i, j - i, sizeof(*k), key_cmp, l);
	}
	return 0;
}

/* Keys of 16 octets sorted, then the records moved into place along the
 * permutation's cycles (no second copy of the list). */
int maildir_list_sort(struct maildir_list *l)
{
	struct sort_key *k;
	int r;

	if (l->count < 2)
		return 0;
	if (l->count > UINT32_MAX || !(k = calloc(l->count, sizeof(*k))))
		return -ENOMEM;
	for (size_t i = 0; i < l->count; i++) {
		k[i].idx = (uint32_t)i;
		k[i].num_ok = maildir_lead_number(maildir_base(l, i), l->msgs[i].base_len, &k[i].num);
	}
	if ((r = sort_keys(k, l->count, l)) < 0) {
		free(k);
		return r;
	}
	/* k[i].idx is the record that belongs at i; a done place gets
	 * idx == i. */
	for (size_t i = 0; i < l->count; i++) {
		struct maildir_msg tmp;
		size_t j = i;

		if (k[i].idx == i)
			continue;
		tmp = l->msgs[i];
		for (;;) {
			size_t src = k[j].idx;
			k[j].idx = (uint32_t)j;
			if (src == i) {
				l->msgs[j] = tmp;
				break;
			}
			l->msgs[j] = l->msgs[src];
			j = src;
		}
	}
	free(k);
	return 0;
}

/* Names that start with a non-zero digit compare equal only when
 * identical (cmp_base), so most pairs are told apart by their lengths or
 * first octets. */
bool maildir_list_same(const struct maildir_list *l, size_t a, size_t b)
{
	const struct maildir_msg *x = &l->msgs[a], *y = &l->msgs[b];
	const char *p = l->names + x->name_off, *q = l->names + y->name_off;

	if (p[0] >= '1' && p[0] <= '9' && q[0] >= '1' && q[0] <= '9')
		return x->base_len == y->base_len && !memcmp(p, q, x->base_len);
	return maildir_list_cmp(l, a, b) == 0;
}

/* ------------------------------------------------------------ UIDLs */

bool maildir_printable(const char *s, size_t len)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t bad = 0;
	size_t i = 0;

	/* Eight octets at a time (every name is checked on each login): a
	 * high bit left means some octet is below 0x21 (x - 0x21 borrows into
	 * it) or above 0x7E (x + 1 or x itself has it). Exact for "any". */
	for (; i + 8 <= len; i += 8) {
		uint64_t x;
		memcpy(&x, s + i, 8);
		bad |= ((x - 0x21 * ones) & ~x) | x | (x + ones);
	}
	for (; i < len; i++)
		bad |= (unsigned char)(s[i] - 0x21) >= 0x5e ? high : 0;
	return !(bad & high);
}

bool maildir_uidl_plain(const char *base, size_t len)
{
	return len > 0 && len <= MAX_UIDL && maildir_printable(base, len);
}

int maildir_name_uidls(struct maildir_list *l)
{
	for (size_t i = 0; i < l->count; i++) {
		int r;
		if (maildir_uidl_plain(maildir_base(l, i), l->msgs[i].base_len))
			l->msgs[i].uidl_off = MAILDIR_UIDL_BASE;
		else if ((r = maildir_uidl_reset(l, i)) < 0)
			return r;
	}
	return 0;
}

void maildir_name_uidl(const char *base, size_t len, char out[MAX_UIDL + 1])
{
	unsigned char d[MD5_DIGEST_LENGTH];
	MD5_CTX ctx;

	if (maildir_uidl_plain(base, len)) {
		memcpy(out, base, len);
		out[len] = '\0';
		return;
	}
	MD5Init(&ctx);
	MD5Update(&ctx, (const unsigned char *)base, len);
	MD5Final(d, &ctx);
	maildir_derived_uidl(d, out);
}

void maildir_derived_uidl(const unsigned char d[16], char out[MAX_UIDL + 1])
{
	static const char prefix[] = "onepop-";

	memcpy(out, prefix, sizeof(prefix));
	hex_encode(d, 16, out + sizeof(prefix) - 1);
}
