/* maildir list encoding: names stored as "sub/BASE\0INFO\0", UIDLs that
 * point at the base name or into the UIDL arena, the printability check,
 * the delivery order, the block line reader of the cache and ledger, and
 * the sizes a name carries (,S= and ,W=) or a file has on the wire. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maildir_lines.h"
#include "maildir_list.h"
#include "maildir_size.h"
#include "unit.h"

/* The delivery order, computed another way as the reference: a key of
 * the leading number's length without leading zeros (3 digits), that
 * number, then the rest of the name; keys compare as strings. */
static void ref_key(const char *s, char *key, size_t size)
{
	size_t n = strspn(s, "0123456789"), z = 0;

	while (z + 1 < n && s[z] == '0')
		z++;
	snprintf(key, size, "%03zu%.*s%s", n - z, (int)(n - z), s + z, s + n);
}

static int ref_cmp(const char *p, const char *q)
{
	char kp[300], kq[300];

	ref_key(p, kp, sizeof(kp));
	ref_key(q, kq, sizeof(kq));
	return strcmp(kp, kq);
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static void test_names(void)
{
	struct maildir_list l = { 0 };
	char buf[MAILDIR_PATH_MAX];

	CHECK(maildir_list_add(&l, "new", "1700000000.M1P1.host", 20, 10, 12) == 0);
	CHECK(maildir_list_add(&l, "cur", "1700000001.M2P1.host:2,RS", 25, 20, 22) == 0);
	CHECK(maildir_list_add(&l, "cur", "1700000002.M3P1.host:", 21, 30, 32) == 0);
	CHECK(maildir_list_add(&l, "cur", "x:a:b", 5, 1, 1) == 0);
	/* Not names a Maildir holds, or a size beyond the bit-field. */
	CHECK(maildir_list_add(&l, "new", ".hidden", 7, 1, 1) == -EINVAL);
	CHECK(maildir_list_add(&l, "new", "a/b", 3, 1, 1) == -EINVAL);
	CHECK(maildir_list_add(&l, "new", "big", 3, MAILDIR_RAW_MAX + 1, 0) == -EINVAL);
	CHECK(l.count == 4);

	/* The path is the name as given; the base name a C string of its own. */
	CHECK(!strcmp(maildir_path(&l, 0, buf), "new/1700000000.M1P1.host"));
	CHECK(!strcmp(maildir_path(&l, 1, buf), "cur/1700000001.M2P1.host:2,RS"));
	CHECK(!strcmp(maildir_path(&l, 2, buf), "cur/1700000002.M3P1.host:"));
	CHECK(!strcmp(maildir_path(&l, 3, buf), "cur/x:a:b"));
	CHECK(!strcmp(maildir_base(&l, 1), "1700000001.M2P1.host"));
	CHECK(l.msgs[1].base_len == 20);
	CHECK(!strcmp(maildir_base(&l, 3), "x"));
	CHECK(l.msgs[1].raw == 20 && l.msgs[1].wire == 22);
	/* The usual infos are codes, the others stored after the base name. */
	CHECK(maildir_list_add(&l, "cur", "1700000003.M4P1.host:2,S", 24, 1, 1) == 0);
	CHECK(maildir_list_add(&l, "cur", "1700000004.M5P1.host:2,", 23, 1, 1) == 0);
	CHECK(l.msgs[4].info == MAILDIR_INFO_2S && l.msgs[5].info == MAILDIR_INFO_2);
	CHECK(l.msgs[1].info == MAILDIR_INFO_TEXT && l.msgs[0].info == MAILDIR_INFO_NONE);
	CHECK(!strcmp(maildir_path(&l, 4, buf), "cur/1700000003.M4P1.host:2,S"));
	CHECK(!strcmp(maildir_path(&l, 5, buf), "cur/1700000004.M5P1.host:2,"));
	CHECK(l.msgs[4].cur && !l.msgs[0].cur);
	l.count = 4;   /* the rest below counts on four */

	/* The UIDL is the base name itself, in the names arena: no copy. */
	CHECK(maildir_name_uidls(&l) == 0);
	CHECK(maildir_uidl(&l, 1) == maildir_base(&l, 1));
	CHECK(l.uidls_len == 0);
	/* Another UIDL goes to the UIDL arena; the base name's comes back
	 * without taking any. */
	CHECK(maildir_uidl_set(&l, 1, "kept-from-ledger") == 0);
	CHECK(!strcmp(maildir_uidl(&l, 1), "kept-from-ledger"));
	CHECK(!strcmp(maildir_path(&l, 1, buf), "cur/1700000001.M2P1.host:2,RS"));
	CHECK(maildir_uidl_set(&l, 1, "kept-from-ledger") == 0 && l.uidls_len == 17);
	CHECK(maildir_uidl_reset(&l, 1) == 0);
	CHECK(maildir_uidl(&l, 1) == maildir_base(&l, 1) && l.uidls_len == 17);
	maildir_list_free(&l);
	CHECK(l.count == 0 && !l.names && !l.uidls);
}

static void test_derived(void)
{
	struct maildir_list l = { 0 };
	char name[100], want[MAX_UIDL + 1], buf[MAILDIR_PATH_MAX];

	/* 71 octets: too long for a UIDL; and one with a space. */
	memset(name, 'a', 71);
	memcpy(name + 71, ":2,S", 5);
	CHECK(maildir_list_add(&l, "cur", name, 75, 1, 1) == 0);
	CHECK(maildir_list_add(&l, "new", "with space", 10, 1, 1) == 0);
	CHECK(maildir_name_uidls(&l) == 0);
	maildir_name_uidl(name, 71, want);
	CHECK(!strncmp(want, "onepop-", 7) && !strcmp(maildir_uidl(&l, 0), want));
	maildir_name_uidl("with space", 10, want);
	CHECK(!strcmp(maildir_uidl(&l, 1), want));
	CHECK(!strcmp(maildir_path(&l, 0, buf) + 4 + 71, ":2,S"));
	maildir_list_free(&l);
}

static void test_printable(void)
{
	char s[40];

	/* Every bad octet at every position of strings of every length up to
	 * 33 (the eight-at-a-time loop and its tail). */
	for (size_t len = 1; len <= 33; len++) {
		memset(s, 'x', sizeof(s));
		CHECK(maildir_printable(s, len));
		for (size_t at = 0; at < len; at++) {
			for (int c = 0; c < 256; c++) {
				bool want = c >= 0x21 && c <= 0x7e;
				s[at] = (char)c;
				if (maildir_printable(s, len) != want) {
					CHECK(!"printable");
					fprintf(stderr, "len %zu at %zu octet %d\n", len, at, c);
				}
			}
			s[at] = 'x';
		}
	}
	CHECK(maildir_printable("", 0));
	CHECK(!maildir_uidl_plain("", 0));
	CHECK(maildir_uidl_plain("!~", 2));
}

static void test_order(void)
{
	static const char *const names[] = {
		"1700000000.M1P1.a", "1700000001.M1P1.a", "1700000010.M1P1.a", "170000000.x",
		"17000000000.x", "0001700000000.x", "01.a", "1.a", "1", "10", "2", "2a", "2.", "9x",
		"1700000000", "17000000001", "1700000000a", "abc", "ab", "0", "00", "1.b",
		"1700000001.M2P1.a", "1700000001.M10P1.a", "1700000001.M1P1.a,S=10",
	};
	const size_t n = sizeof(names) / sizeof(names[0]);
	struct maildir_list l = { 0 };
	bool ok = true;

	for (size_t i = 0; i < n; i++)
		ok = maildir_list_add(&l, "new", names[i], strlen(names[i]), 0, 0) == 0 && ok;
	CHECK(ok);
	for (size_t i = 0; i < l.count; i++)
		for (size_t j = 0; j < l.count; j++) {
			const char *p = maildir_base(&l, i), *q = maildir_base(&l, j);
			int want = sign(ref_cmp(p, q));
			if (sign(maildir_list_cmp(&l, i, j)) != want) {
				CHECK(!"order");
				fprintf(stderr, "%s vs %s\n", p, q);
			}
		}
	maildir_list_free(&l);
}

static void test_lines(void)
{
	static const char text[] = "one\ntwo two\n\nlast";
	struct maildir_lines *r = malloc(sizeof(*r));
	char path[] = "/tmp/onepop-unit-XXXXXX", *line;
	int fd = mkstemp(path);

	CHECK(fd >= 0 && r);
	if (fd < 0 || !r) {
		free(r);
		return;
	}
	unlink(path);
	CHECK(write(fd, text, sizeof(text) - 1) == (ssize_t)sizeof(text) - 1);
	lseek(fd, 0, SEEK_SET);
	maildir_lines_init(r, fd);
	CHECK(maildir_lines_next(r, &line, 100) == 3 && !strcmp(line, "one"));
	/* "two two\n" needs 9 octets with its NUL, as fgets would */
	CHECK(maildir_lines_next(r, &line, 10) == 7 && !strcmp(line, "two two"));
	CHECK(maildir_lines_next(r, &line, 100) == 0 && !strcmp(line, ""));
	CHECK(!maildir_lines_end(r));
	CHECK(maildir_lines_next(r, &line, 100) == -EBADMSG);   /* no LF */

	/* Too long, and a NUL (anywhere: also after the last line read). */
	lseek(fd, 0, SEEK_SET);
	maildir_lines_init(r, fd);
	CHECK(maildir_lines_next(r, &line, 4) == -EBADMSG);
	CHECK(ftruncate(fd, 0) == 0 && pwrite(fd, "a\nb\0\n", 5, 0) == 5);
	lseek(fd, 0, SEEK_SET);
	maildir_lines_init(r, fd);
	CHECK(maildir_lines_next(r, &line, 100) == -EBADMSG);
	CHECK(ftruncate(fd, 0) == 0 && pwrite(fd, "a\n", 2, 0) == 2);
	lseek(fd, 0, SEEK_SET);
	maildir_lines_init(r, fd);
	CHECK(maildir_lines_next(r, &line, 100) == 1 && maildir_lines_end(r));
	/* A NUL in a later block than the last line: not a clean end. */
	{
		char block[MAILDIR_LINES_BUF];
		size_t lines = sizeof(block) / 64, got = 0;
		for (size_t i = 0; i < sizeof(block); i++)
			block[i] = i % 64 == 63 ? '\n' : 'a';
		CHECK(ftruncate(fd, 0) == 0 && pwrite(fd, block, sizeof(block), 0) == (ssize_t)sizeof(block));
		CHECK(pwrite(fd, "", 1, sizeof(block)) == 1);
		lseek(fd, 0, SEEK_SET);
		maildir_lines_init(r, fd);
		while (maildir_lines_next(r, &line, 100) == 63)
			if (++got == lines)
				break;
		CHECK(got == lines && !maildir_lines_end(r));
	}
	close(fd);
	free(r);
}

/* maildir_name_sizes on base name s: whether it took them, and which. */
static bool sizes_are(const char *s, uint64_t raw, uint64_t wire)
{
	uint64_t r = 0xdead, w = 0xbeef;

	if (!maildir_name_sizes(s, strlen(s), &r, &w))
		return false;
	if (r != raw || w != wire)
		fprintf(stderr, "%s: S=%llu W=%llu\n", s, (unsigned long long)r,
		        (unsigned long long)w);
	return r == raw && w == wire;
}

static bool no_sizes(const char *s)
{
	uint64_t r = 0xdead, w = 0xbeef;

	/* and the out-parameters untouched */
	return !maildir_name_sizes(s, strlen(s), &r, &w) && r == 0xdead && w == 0xbeef;
}

static void test_name_sizes(void)
{
	CHECK(sizes_are("1700000000.M1P1.host,S=100,W=102", 100, 102));
	CHECK(sizes_are("1700000000.M1P1.host,W=102,S=100", 100, 102));
	CHECK(sizes_are("x,S=0,W=0", 0, 0));
	CHECK(sizes_are("x,S=10,W=22", 10, 22));           /* every LF and the end */
	/* The first valid field of each counts. */
	CHECK(sizes_are("x,S=abc,S=5,W=5", 5, 5));
	CHECK(sizes_are("x,S=5,S=7,W=7", 5, 7));
	CHECK(sizes_are("x,S=5x,S=6,W=6,W=9", 6, 6));
	CHECK(sizes_are("x,X=1,S=9007199254740991,W=9007199254740991", 9007199254740991ULL,
	                9007199254740991ULL));
	/* Missing, empty, not ended by "," or the end, impossible together,
	 * beyond the file size field, or beyond any number. */
	CHECK(no_sizes("1700000000.M1P1.host"));
	CHECK(no_sizes("x,S=100"));
	CHECK(no_sizes("x,W=100"));
	CHECK(no_sizes("x,S=,W=1"));
	CHECK(no_sizes("x,S=5x,W=5"));
	CHECK(no_sizes("x,S=5,W=5y"));
	CHECK(no_sizes("x,S=100,W=99"));
	CHECK(no_sizes("x,S=10,W=23"));
	CHECK(no_sizes("x,S=9007199254740992,W=9007199254740992"));
	CHECK(no_sizes("x,S=99999999999999999999999,W=1"));
	CHECK(no_sizes("x,s=5,w=5"));
	CHECK(no_sizes("x,S=5,W="));
	/* Only len octets are looked at. */
	{
		uint64_t r, w;
		CHECK(!maildir_name_sizes("x,S=5,W=5", 7, &r, &w));
	}
}

static void test_file_size(void)
{
	static const struct {
		const char *text;
		uint64_t wire;
	} cases[] = {
		{ "", 0 }, { "a\nb", 6 }, { "a\r\nb\n", 6 }, { "\n\n", 4 }, { "abc", 5 },
	};
	char path[] = "/tmp/onepop-unit-XXXXXX";
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	unlink(path);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].text);
		uint64_t wire = 0;
		CHECK(ftruncate(fd, 0) == 0 && pwrite(fd, cases[i].text, len, 0) == (ssize_t)len);
		lseek(fd, 0, SEEK_SET);
		CHECK(maildir_file_size(fd, len, &wire) == 0 && wire == cases[i].wire);
		/* A file shorter than its size said (cut meanwhile): what is there. */
		lseek(fd, 0, SEEK_SET);
		CHECK(maildir_file_size(fd, len + 100, &wire) == 0 && wire == cases[i].wire);
	}
	close(fd);
}

int main(void)
{
	test_names();
	test_derived();
	test_printable();
	test_order();
	test_lines();
	test_name_sizes();
	test_file_size();
	return unit_done("maildir");
}
