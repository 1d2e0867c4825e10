/* X-UIDL or header-digest UIDLs, shared by the mbox and MH backends. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "uidl_digest.h"

/* Headers rewritten in place by mutt, Pine, UW-IMAP or Dovecot: they
 * must not change a message's identity. */
static const char *const mutable_headers[] = {
	"Status", "X-Status", "X-Keywords", "X-UID", "X-IMAP", "X-IMAPbase",
	"Content-Length", "Lines", "X-UIDL", NULL,
};

void uidl_digest_init(struct uidl_digest *d)
{
	memset(d, 0, sizeof(*d));
	MD5Init(&d->ctx);
	d->in_header = true;
}

void uidl_digest_raw(struct uidl_digest *d, const char *buf, size_t len)
{
	MD5Update(&d->ctx, (const unsigned char *)buf, len);
}

static bool header_is(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
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
		for (int i = 0; mutable_headers[i]; i++)
			if (header_is(line, n, mutable_headers[i]))
				d->skipping = true;
		if (!d->have_xuidl && header_is(line, n, "X-UIDL"))
			take_xuidl(d, line, n);
	}
	if (d->skipping)
		return;
	MD5Update(&d->ctx, (const unsigned char *)line, n);
	MD5Update(&d->ctx, (const unsigned char *)"\n", 1);
}

void uidl_digest_end(struct uidl_digest *d, char out[MAX_UIDL + 1])
{
	uint64_t fp;

	uidl_digest_finish(d, out, &fp);
}

void uidl_digest_finish(struct uidl_digest *d, char out[MAX_UIDL + 1], uint64_t *fp)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[MD5_DIGEST_LENGTH];

	MD5Final(md, &d->ctx);
	memcpy(fp, md, sizeof(*fp));
	if (d->have_xuidl) {
		memcpy(out, d->xuidl, sizeof(d->xuidl));
		return;
	}
	for (size_t i = 0; i < sizeof(md); i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * sizeof(md)] = '\0';
}

static const struct msginfo *sort_base;

/* By UIDL, then by position, so duplicates are numbered in mailbox order. */
static int cmp_idx(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(sort_base[x].uidl, sort_base[y].uidl);

	return c ? c : (x > y) - (x < y);
}

int uidl_make_unique(struct msginfo *msgs, size_t count)
{
	size_t *idx, *rank;

	if (count < 2)
		return 0;
	idx = calloc(count, sizeof(*idx));
	rank = calloc(count, sizeof(*rank));
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
	for (size_t i = 0; i < count; i++) {
		char suffix[24];
		size_t keep, n;

		if (rank[i] < 2)
			continue;
		n = (size_t)snprintf(suffix, sizeof(suffix), "-%zu", rank[i]);
		keep = strlen(msgs[i].uidl);
		if (keep + n > MAX_UIDL)
			keep = MAX_UIDL - n;
		/* The backend's own buffer (see uidl_digest.h). */
		memcpy((char *)msgs[i].uidl + keep, suffix, n + 1);
	}
	free(idx);
	free(rank);
	return 0;
}
