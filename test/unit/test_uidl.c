/* uidl_make_unique (hash table and its sorting fallback) and popa3d's
 * digest (uidl_popa3d.c): ranks in mailbox order, suffixes cut to 70.
 * md5_lanes (the mbox scan's header digests) against libmd's MD5. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md5_lanes.h"
#include "uidl_digest.h"
#include "uidl_popa3d.h"
#include "unit.h"

static char (*bufs)[MAX_UIDL + 1];
static struct msginfo *msgs;

static void setup(size_t n)
{
	free(bufs);
	free(msgs);
	bufs = calloc(n ? n : 1, sizeof(*bufs));
	msgs = calloc(n ? n : 1, sizeof(*msgs));
	if (!bufs || !msgs)
		abort();
	for (size_t i = 0; i < n; i++)
		msgs[i].uidl = bufs[i];
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static void duplicates_ranked_in_order(void)
{
	static const char *const in[] = { "a", "b", "a", "c", "a", "b", "a-2" };
	static const char *const want[] = { "a", "b", "a-2", "c", "a-3", "b-2", "a-2" };
	size_t n = sizeof(in) / sizeof(in[0]);

	setup(n);
	for (size_t i = 0; i < n; i++)
		strlcpy(bufs[i], in[i], sizeof(bufs[i]));
	CHECK(uidl_make_unique(msgs, n) == 0);
	/* Ranks come from the UIDLs as they were: "a-2" stays, as before. */
	for (size_t i = 0; i < n; i++)
		CHECK(strcmp(msgs[i].uidl, want[i]) == 0);
}

static void suffix_cut_to_fit(void)
{
	setup(3);
	for (size_t i = 0; i < 3; i++)
		memset(bufs[i], 'x', MAX_UIDL);
	CHECK(uidl_make_unique(msgs, 3) == 0);
	CHECK(strlen(msgs[2].uidl) == MAX_UIDL);
	CHECK(strcmp(msgs[2].uidl + MAX_UIDL - 2, "-3") == 0);
	CHECK(strlen(msgs[0].uidl) == MAX_UIDL && msgs[0].uidl[MAX_UIDL - 1] == 'x');
}

/* UIDLs crafted to land in one slot of the table: past the probe budget
 * the sort takes over, with the same result. */
static void crafted_collisions(void)
{
	size_t n = 1000, cap = 2048, found = 0;

	setup(n + 2);
	for (unsigned long k = 0; found < n; k++) {
		char s[32];

		snprintf(s, sizeof(s), "c%lu", k);
		if ((fnv(s) & (cap - 1)) == 0)
			strlcpy(bufs[found++], s, sizeof(bufs[0]));
	}
	strlcpy(bufs[n], bufs[7], sizeof(bufs[0]));
	strlcpy(bufs[n + 1], bufs[7], sizeof(bufs[0]));
	CHECK(uidl_make_unique(msgs, n + 2) == 0);
	CHECK(strcmp(msgs[n].uidl, msgs[7].uidl) != 0);
	CHECK(strncmp(msgs[n].uidl, msgs[7].uidl, strlen(msgs[7].uidl)) == 0);
	CHECK(strcmp(msgs[n].uidl + strlen(msgs[7].uidl), "-2") == 0);
	CHECK(strcmp(msgs[n + 1].uidl + strlen(msgs[7].uidl), "-3") == 0);
	for (size_t i = 0; i < n; i++)
		CHECK(strchr(msgs[i].uidl, '-') == NULL);
}

/* The UIDL of a header (a new string each call: two may be compared). */
static const char *popa3d(const char *header)
{
	static char outs[16][MAX_UIDL + 1];
	static unsigned next;
	char *out = outs[next++ % 16];
	struct uidl_popa3d p;
	const char *s = header;

	uidl_popa3d_init(&p);
	while (*s) {
		const char *lf = strchr(s, '\n');
		size_t len = lf ? (size_t)(lf - s) + 1 : strlen(s);

		uidl_popa3d_line(&p, s, len);
		s += len;
	}
	uidl_popa3d_end(&p, out);
	return out;
}

static void popa3d_digest(void)
{
	/* MD5("") = d41d8cd98f00b204..., shown as octets 3 2 1 0 7 6 5 4. */
	CHECK(strcmp(popa3d("Subject: x\n\nReceived: body\n"), "d98c1dd404b2008f") == 0);
	/* Only the first Received:, Date: only before it, case-blind names
	 * but an upper-case X for X-Delivery-ID:. */
	CHECK(strcmp(popa3d("received: a\nDate: d\n"), popa3d("received: a\n")) == 0);
	CHECK(strcmp(popa3d("Date: d\nreceived: a\n"), popa3d("received: a\n")) != 0);
	CHECK(strcmp(popa3d("x-delivery-id: 1\n"), "d98c1dd404b2008f") == 0);
	CHECK(strcmp(popa3d("X-DELIVERY-ID: 1\n"), "d98c1dd404b2008f") != 0);
	/* A CRLF blank line does not end the header. */
	CHECK(strcmp(popa3d("Subject: s\r\n\r\nDate: d\r\n"), "d98c1dd404b2008f") != 0);
}

/* Every lane count, lengths around the padding's edges (55/56, 64,
 * 119/120) and lanes of different block counts side by side; both the
 * 4-lane code and, where the CPU has AVX2, the 8-lane one. */
static void md5_lanes_match_md5(void)
{
	static const size_t lens[] = { 0, 1, 3, 55, 56, 63, 64, 65, 119, 120, 127, 128, 1000, 4096 };
	size_t nl = sizeof(lens) / sizeof(lens[0]);
	static unsigned char data[MD5_LANES_MAX][4096];
	const unsigned char *msg[MD5_LANES_MAX];
	unsigned char out[MD5_LANES_MAX][16], want[16];
	size_t len[MD5_LANES_MAX];
	MD5_CTX c;

	for (size_t j = 0; j < MD5_LANES_MAX; j++)
		for (size_t i = 0; i < sizeof(data[j]); i++)
			data[j][i] = (unsigned char)(i * 31 + j * 7 + (i >> 8));
	CHECK(md5_lanes_width() == 4 || md5_lanes_width() == 8);
	for (size_t n = 1; n <= MD5_LANES_MAX; n++)
		for (size_t k = 0; k < nl; k++) {
			for (size_t j = 0; j < n; j++) {
				msg[j] = data[j];
				len[j] = lens[(k + j * 5) % nl];
			}
			md5_lanes(n, msg, len, out);
			for (size_t j = 0; j < n; j++) {
				MD5Init(&c);
				MD5Update(&c, msg[j], len[j]);
				MD5Final(want, &c);
				CHECK(memcmp(out[j], want, 16) == 0);
			}
		}
	/* RFC 1321's own test vector. */
	msg[0] = (const unsigned char *)"abc";
	len[0] = 3;
	md5_lanes(1, msg, len, out);
	CHECK(memcmp(out[0], "\x90\x01\x50\x98\x3c\xd2\x4f\xb0\xd6\x96\x3f\x7d\x28\xe1\x7f\x72", 16) == 0);
}

/* The digest of a header fed whole, line by line. */
static void digest_whole(const char *text, char out[MAX_UIDL + 1])
{
	struct uidl_digest d;
	const char *p = text, *lf;

	uidl_digest_init(&d);
	for (; *p; p = lf + 1) {
		if (!(lf = strchr(p, '\n'))) {
			uidl_digest_line(&d, p, strlen(p));
			break;
		}
		uidl_digest_line(&d, p, (size_t)(lf + 1 - p));
	}
	uidl_digest_end(&d, out);
}

/* The same text in parts of at most chunk octets, lines cut anywhere. */
static void digest_parts(const char *text, size_t chunk, char out[MAX_UIDL + 1])
{
	struct uidl_digest d;
	const char *p = text, *end = text + strlen(text);

	uidl_digest_init(&d);
	while (p < end) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		size_t n = lf ? (size_t)(lf + 1 - p) : (size_t)(end - p);
		bool line_end = true;

		if (n > chunk) {
			n = chunk;
			line_end = false;
		}
		uidl_digest_part(&d, p, n, line_end);
		p += n;
	}
	uidl_digest_end(&d, out);
}

/* A long line fed in bounded parts (issue 15 #12) digests as it would
 * whole: long header lines, mutable ones left out, continuations, CRs
 * before the LF and in the middle, a blank line of CRs ending the header. */
static void long_lines_in_parts(void)
{
	static const char *const shapes[] = { "Subject: ", "Status: ", " ", "X-Keywords: ",
	                                      "Received: ", "\r\r" };
	char *text = malloc(1 << 20), want[MAX_UIDL + 1], got[MAX_UIDL + 1];
	static const size_t chunks[] = { 1, 7, 64, 255, 256, 257, 4096, 100000 };

	if (!text)
		abort();
	for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		size_t o = 0;

		o += (size_t)sprintf(text + o, "From: a\r\n%s", shapes[k]);
		for (size_t i = 0; i < 3000; i++)
			text[o++] = "abcdefghijklmnopqrstuvwxyz"[i % 26];
		for (size_t i = o - 3000; i < o; i += 97)
			text[i] = '\r';
		o += (size_t)sprintf(text + o, "\r\r\n %s", "cont\r\n");
		for (size_t i = 0; i < 600; i++)
			text[o++] = '\r';
		o += (size_t)sprintf(text + o, "\nBody: not hashed\n");
		text[o] = '\0';
		digest_whole(text, want);
		for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			digest_parts(text, chunks[c], got);
			CHECK(strcmp(want, got) == 0);
		}
	}
	free(text);
}

int main(void)
{
	md5_lanes_match_md5();
	duplicates_ranked_in_order();
	suffix_cut_to_fit();
	crafted_collisions();
	popa3d_digest();
	long_lines_in_parts();
	free(bufs);
	free(msgs);
	return unit_done("uidl");
}
