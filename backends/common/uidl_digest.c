/* X-UIDL or header-digest UIDLs, shared by the mbox and MH backends. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hex.h"
#include "uidl_digest.h"

/* Headers rewritten in place by mutt, Pine, UW-IMAP or Dovecot: they
 * must not change a message's identity. All begin with c, l, s or x. */
#define HEADER(s) { s, sizeof(s) - 1 }
static const struct header {
	const char *name;
	size_t len;
} mutable_headers[] = {
	HEADER("Status"), HEADER("X-Status"), HEADER("X-Keywords"), HEADER("X-UID"),
	HEADER("X-IMAP"), HEADER("X-IMAPbase"), HEADER("Content-Length"), HEADER("Lines"),
	HEADER("X-UIDL"), { NULL, 0 },
};

void uidl_digest_init(struct uidl_digest *d)
{
	MD5Init(&d->ctx);
	d->staged = 0;
	d->spilled = false;
	d->in_header = true;
	d->skipping = false;
	d->have_xuidl = false;
	d->part_open = d->part_judged = d->part_fed = false;
	d->head_len = 0;
	d->held_cr = 0;
}

/* MD5Update(buf), through the stage: the digest is the same. */
static void digest_feed(struct uidl_digest *d, const void *buf, size_t len)
{
	if (d->staged + len > sizeof(d->stage)) {
		MD5Update(&d->ctx, d->stage, d->staged);
		d->staged = 0;
		d->spilled = true;
		if (len > sizeof(d->stage)) {
			MD5Update(&d->ctx, buf, len);
			return;
		}
	}
	memcpy(d->stage + d->staged, buf, len);
	d->staged += len;
}

void uidl_digest_raw(struct uidl_digest *d, const char *buf, size_t len)
{
	digest_feed(d, buf, len);
}

static bool header_is(const char *line, size_t len, const char *name, size_t n)
{
	return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

/* Most header lines start with none of the mutable headers' letters. */
static bool maybe_mutable(char c)
{
	switch (c | 0x20) {
	case 'c': case 'l': case 's': case 'x':
		return true;
	default:
		return false;
	}
}

/* X-UIDL: value, kept when it is a valid RFC 1939 unique-id. */
static void take_xuidl(struct uidl_digest *d, const char *line, size_t len)
{
	const char *v = line + 7, *e = line + len;
	size_t n;

	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	n = (size_t)(e - v);
	if (n == 0 || n > MAX_UIDL)
		return;
	for (size_t i = 0; i < n; i++)
		if (v[i] < 0x21 || v[i] > 0x7e)
			return;
	memcpy(d->xuidl, v, n);
	d->xuidl[n] = '\0';
	d->have_xuidl = true;
}

void uidl_digest_line(struct uidl_digest *d, const char *line, size_t len)
{
	size_t n = len;

	if (!d->in_header)
		return;
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (n == 0) {
		d->in_header = false;
		return;
	}
	if (line[0] != ' ' && line[0] != '\t') {
		d->skipping = false;
		if (maybe_mutable(line[0])) {
			for (int i = 0; mutable_headers[i].name && !d->skipping; i++)
				d->skipping = header_is(line, n, mutable_headers[i].name,
				                        mutable_headers[i].len);
			if (!d->have_xuidl && header_is(line, n, "X-UIDL", 6))
				take_xuidl(d, line, n);
		}
	}
	if (d->skipping)
		return;
	/* line[n] is its line ending: LF alone is the normal form. */
	if (n < len && line[n] == '\n') {
		digest_feed(d, line, n + 1);
		return;
	}
	digest_feed(d, line, n);
	digest_feed(d, "\n", 1);
}

static void feed_crs(struct uidl_digest *d, uint64_t n)
{
	static const char crs[] = "\r\r\r\r\r\r\r\r\r\r\r\r\r\r\r\r";

	for (; n > 0; n -= n < 16 ? n : 16)
		digest_feed(d, crs, n < 16 ? (size_t)n : 16);
}

/* Content of a line fed in parts; trailing CRs wait for what follows
 * (only the LF: they are the line ending's, and left out). */
static void part_feed(struct uidl_digest *d, const char *buf, size_t len)
{
	size_t n = len;

	while (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n == 0) {
		d->held_cr += len;
		return;
	}
	feed_crs(d, d->held_cr);
	digest_feed(d, buf, n);
	d->part_fed = true;
	d->held_cr = len - n;
}

/* What uidl_digest_line decides from a line's start, on its head. */
static void part_judge(struct uidl_digest *d)
{
	d->part_judged = true;
	if (d->head[0] != ' ' && d->head[0] != '\t') {
		d->skipping = false;
		if (maybe_mutable(d->head[0]))
			for (int i = 0; mutable_headers[i].name && !d->skipping; i++)
				d->skipping = header_is(d->head, d->head_len, mutable_headers[i].name,
				                        mutable_headers[i].len);
	}
	if (!d->skipping)
		part_feed(d, d->head, d->head_len);
}

void uidl_digest_part(struct uidl_digest *d, const char *buf, size_t len, bool line_end)
{
	if (!d->in_header)
		return;
	if (!d->part_open && line_end) {
		uidl_digest_line(d, buf, len);
		return;
	}
	d->part_open = true;
	if (!d->part_judged) {
		size_t k = sizeof(d->head) - d->head_len;

		if (k > len)
			k = len;
		memcpy(d->head + d->head_len, buf, k);
		d->head_len += k;
		buf += k;
		len -= k;
		if (line_end && len == 0) {
			/* Short after all: the whole line is in head. */
			uidl_digest_line(d, d->head, d->head_len);
			goto reset;
		}
		if (d->head_len < sizeof(d->head))
			return;
		part_judge(d);
	}
	if (d->skipping) {
		if (line_end)
			goto reset;
		return;
	}
	if (!line_end) {
		part_feed(d, buf, len);
		return;
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	part_feed(d, buf, len);
	/* Only CRs before the LF: a blank line, the end of the header. */
	if (!d->part_fed)
		d->in_header = false;
	else
		digest_feed(d, "\n", 1);
reset:
	d->part_open = d->part_judged = d->part_fed = false;
	d->head_len = 0;
	d->held_cr = 0;
}

void uidl_digest_end(struct uidl_digest *d, char out[MAX_UIDL + 1])
{
	uint64_t fp;

	uidl_digest_finish(d, out, &fp);
}

void uidl_digest_finish(struct uidl_digest *d, char out[MAX_UIDL + 1], uint64_t *fp)
{
	unsigned char md[MD5_DIGEST_LENGTH];

	MD5Update(&d->ctx, d->stage, d->staged);
	MD5Final(md, &d->ctx);
	uidl_digest_result(d, md, out, fp);
}

void uidl_digest_result(const struct uidl_digest *d, const unsigned char md[16],
                        char out[MAX_UIDL + 1], uint64_t *fp)
{
	memcpy(fp, md, sizeof(*fp));
	if (d->have_xuidl) {
		memcpy(out, d->xuidl, strlen(d->xuidl) + 1);
		return;
	}
	hex_encode(md, MD5_DIGEST_LENGTH, out);
}

static const struct msginfo *sort_base;

/* By UIDL, then by position, so duplicates are numbered in mailbox order. */
static int cmp_idx(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(sort_base[x].uidl, sort_base[y].uidl);

	return c ? c : (x > y) - (x < y);
}

/* Append "-rank" to msgs[i]'s UIDL, cut to fit 70 characters. */
static void add_suffix(struct msginfo *m, size_t rank)
{
	char suffix[24];
	size_t keep, n;

	n = (size_t)snprintf(suffix, sizeof(suffix), "-%zu", rank);
	keep = strlen(m->uidl);
	if (keep + n > MAX_UIDL)
		keep = MAX_UIDL - n;
	/* The backend's own buffer (see uidl_digest.h). */
	memcpy((char *)m->uidl + keep, suffix, n + 1);
}

/* The fallback: sort indexes by UIDL, O(n log n) whatever the UIDLs. */
static int unique_by_sort(struct msginfo *msgs, size_t count)
{
	size_t *idx = calloc(count, sizeof(*idx)), *rank = calloc(count, sizeof(*rank));

	if (!idx || !rank) {
		free(idx);
		free(rank);
		return -ENOMEM;
	}
	for (size_t i = 0; i < count; i++)
		idx[i] = i;
	sort_base = msgs;
	qsort(idx, count, sizeof(*idx), cmp_idx);
	/* Rank each message among those sharing its UIDL before changing any. */
	rank[idx[0]] = 1;
	for (size_t i = 1; i < count; i++)
		rank[idx[i]] = strcmp(msgs[idx[i]].uidl, msgs[idx[i - 1]].uidl) == 0 ?
		               rank[idx[i - 1]] + 1 : 1;
	for (size_t i = 0; i < count; i++)
		if (rank[i] > 1)
			add_suffix(&msgs[i], rank[i]);
	free(idx);
	free(rank);
	return 0;
}

/* FNV-1a: UIDLs are short, and most are hex digests already. */
static uint64_t hash_uidl(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

struct dup {
	size_t idx, rank;
};

/* A table slot: 0 free; else the latest message with its UIDL: with
 * SLOT_DUP, dups[v & ~SLOT_DUP] (a repeat, its rank known), without,
 * message v - 1 (the first). 4 octets a slot: the table (at most half
 * full) takes less than the sort's two index arrays did. */
#define SLOT_DUP 0x80000000u

/* One pass in mailbox order: the rank of each message among those with
 * its UIDL, with no sort. The duplicates (rare) are collected and
 * changed only at the end, so that every lookup sees the UIDLs as they
 * were. UIDLs come from mail (X-UIDL): crafted ones could all hash alike
 * and make this quadratic, so past a budget of probes it gives up
 * (-E2BIG) and the caller sorts instead. */
static int unique_by_hash(struct msginfo *msgs, size_t count)
{
	size_t cap = 64, ndup = 0, capdup = 0, probes = 0, budget = 16 * count + 1024;
	struct dup *dups = NULL;
	uint32_t *t;
	int r = 0;

	if (count >= SLOT_DUP / 2)
		return -E2BIG;
	while (cap < 2 * count)
		cap *= 2;
	if (!(t = calloc(cap, sizeof(*t))))
		return -ENOMEM;
	for (size_t i = 0; i < count && r == 0; i++) {
		size_t j = (size_t)hash_uidl(msgs[i].uidl) & (cap - 1), prev = 0;

		for (; t[j]; j = (j + 1) & (cap - 1)) {
			prev = t[j] & SLOT_DUP ? dups[t[j] & ~SLOT_DUP].idx : t[j] - 1;
			if (strcmp(msgs[prev].uidl, msgs[i].uidl) == 0)
				break;
			if (++probes > budget) {
				r = -E2BIG;
				break;
			}
		}
		if (r < 0)
			break;
		if (!t[j]) {
			t[j] = (uint32_t)i + 1;
			continue;
		}
		if (ndup == capdup) {
			size_t ncap = capdup ? capdup * 2 : 16;
			struct dup *p = ncap < SLOT_DUP ? reallocarray(dups, ncap, sizeof(*dups)) : NULL;

			if (!p) {
				r = -ENOMEM;
				break;
			}
			dups = p;
			capdup = ncap;
		}
		dups[ndup].idx = i;
		dups[ndup].rank = t[j] & SLOT_DUP ? dups[t[j] & ~SLOT_DUP].rank + 1 : 2;
		t[j] = (uint32_t)ndup++ | SLOT_DUP;
	}
	for (size_t k = 0; r == 0 && k < ndup; k++)
		add_suffix(&msgs[dups[k].idx], dups[k].rank);
	free(t);
	free(dups);
	return r;
}

int uidl_make_unique(struct msginfo *msgs, size_t count)
{
	int r;

	if (count < 2)
		return 0;
	r = unique_by_hash(msgs, count);
	return r == -E2BIG ? unique_by_sort(msgs, count) : r;
}
