/* The Maildir size cache: DIR/onepop.cache lists every message with its
 * file size and wire size, so a session need not read each file again.
 *
 * The file is in the user's Maildir, so the user (or a crash, or a full
 * disk) may have put anything in it: every line is parsed strictly, every
 * number range-checked, every name checked as a Maildir name, the order
 * checked (which also proves the base names unique), and a checksum over
 * the entries catches torn or altered files. Any doubt and the whole file
 * is ignored. No value from it ever sizes a buffer (the lesson of Dovecot's
 * CVE-2019-7524), and the caller still checks each file's st_size against
 * the cached one before using a cached wire size, unless the name's ,S=
 * and ,W= say the same sizes (maildir_size.c's size_msg: those are checked
 * when the message is opened and sent, and a wrong one is recorded here
 * with its true sizes); RETR checks the octets it sends against the size
 * announced.
 *
 * Format (text, one record a line):
 *   onepop-maildir-cache 2
 *   new DEV INO SEC NSEC          state of new/ when the list was read
 *   cur DEV INO SEC NSEC          (all 0: do not trust as fresh)
 *   RAW WIRE INO new/NAME | cur/NAME
 *                                 one line per message, in delivery order;
 *                                 INO 0: not known (the file is stat'ed)
 *   end COUNT CHECKSUM            line_sum over the message lines, in hex */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "maildir_cache.h"
#include "maildir_lines.h"
#include "numparse.h"

/* Cache file and its temporary, in the Maildir. */
#define MAILDIR_CACHE "onepop.cache"
#define MAILDIR_CACHE_TMP "onepop.cache.tmp"
/* A cache bigger than this is not ours (100 M messages would not fit). */
#define MAILDIR_CACHE_MAX (1ULL << 32)

#define CACHE_MAGIC "onepop-maildir-cache 2\n"
/* "RAW WIRE INO " is at most 3 × 20 digits + 3 spaces; "cur/" + name + LF. */
#define CACHE_LINE (66 + 4 + MAILDIR_MAX_NAME + 2)

#define CACHE_WRITE_BUF 65536

/* The words of the stamp lines and of the names' directories. */
static const char *const subs[2] = { "new", "cur" };

/* The checksum after a message line (n octets without its LF): eight
 * octets a step, read little-endian, the last step zero-padded, then the
 * length. Catches torn or altered files (FNV-1a an octet at a time was a
 * tenth of a cold login). test/lib/mdcache.py computes the same. */
static uint64_t line_sum(uint64_t h, const char *p, size_t n)
{
	const uint64_t k = 0x9e3779b97f4a7c15ULL;
	uint64_t w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ le64toh(w)) * k;
	}
	if (i < n) {
		w = 0;
		memcpy(&w, p + i, n - i);
		h = (h ^ le64toh(w)) * k;
	}
	h = (h ^ n) * k;
	return h ^ h >> 29;
}

#define SUM_INIT 0xcbf29ce484222325ULL

/* v in decimal at out (at most 20 octets, no NUL): its length. */
static size_t put_u64(char *out, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

/* Split s at the first space: returns the rest, or NULL if none. */
static char *cut(char *s)
{
	char *sp = strchr(s, ' ');

	if (!sp)
		return NULL;
	*sp = '\0';
	return sp + 1;
}

static int parse_stamp(char *line, const char *sub, struct maildir_stamp *ret)
{
	char *f[5];
	uint64_t v[4];

	f[0] = line;
	for (int i = 1; i < 5; i++)
		if (!(f[i] = cut(f[i - 1])))
			return -EBADMSG;
	if (strcmp(f[0], sub) != 0)
		return -EBADMSG;
	for (int i = 0; i < 4; i++)
		if (num_parse(f[i + 1], 0, i == 3 ? 999999999 : INT64_MAX, &v[i]) < 0)
			return -EBADMSG;
	*ret = (struct maildir_stamp){ v[0], v[1], (int64_t)v[2], (int64_t)v[3] };
	return 0;
}

static bool stamp_equal(const struct maildir_stamp *a, const struct maildir_stamp *b)
{
	return a->ino != 0 && a->dev == b->dev && a->ino == b->ino && a->sec == b->sec &&
	       a->nsec == b->nsec;
}

/* The previous entry's leading number (maildir_lead_number). */
struct order {
	uint64_t num;
	bool ok;
};

static int parse_entry(char *line, size_t len, struct maildir_list *l, struct order *prev)
{
	char *wire_s, *ino_s, *path;
	uint64_t raw, wire, ino;
	struct order cur;

	if (!(wire_s = cut(line)) || !(ino_s = cut(wire_s)) || !(path = cut(ino_s)))
		return -EBADMSG;
	if (num_parse(line, 0, INT64_MAX, &raw) < 0 || num_parse(wire_s, 0, INT64_MAX, &wire) < 0 ||
	    num_parse(ino_s, 0, UINT64_MAX, &ino) < 0 || !maildir_wire_plausible(raw, wire))
		return -EBADMSG;
	if (path[3] != '/' || (strncmp(path, subs[0], 3) != 0 && strncmp(path, subs[1], 3) != 0))
		return -EBADMSG;
	path[3] = '\0';
	if (maildir_list_add(l, path, path + 4, len - (size_t)(path + 4 - line), raw, wire) < 0)
		return -EBADMSG;
	l->msgs[l->count - 1].ino = ino;
	cur.ok = maildir_lead_number(maildir_base(l, l->count - 1), l->msgs[l->count - 1].base_len,
	                             &cur.num);
	/* Out of order or a base name twice. Different leading numbers
	 * decide without the names (the usual case). */
	if (l->count > 1 && (prev->ok && cur.ok && prev->num != cur.num
	                     ? prev->num > cur.num
	                     : maildir_list_cmp(l, l->count - 2, l->count - 1) >= 0))
		return -EBADMSG;
	*prev = cur;
	return 0;
}

static int load(struct maildir_lines *f, const struct maildir_stamp now[2], size_t max_count,
                bool fresh_only, struct maildir_list *l, bool *ret_fresh)
{
	struct maildir_stamp was[2];
	struct order prev = { 0 };
	uint64_t sum = SUM_INIT, count, want;
	char *line, *rest, *sum_s;
	int n;

	/* The magic is a line of its own (its LF is part of CACHE_MAGIC). */
	if ((n = maildir_lines_next(f, &line, CACHE_LINE)) < 0 ||
	    (size_t)n != strlen(CACHE_MAGIC) - 1 || memcmp(line, CACHE_MAGIC, (size_t)n) != 0)
		return -EBADMSG;
	for (int i = 0; i < 2; i++)
		if (maildir_lines_next(f, &line, CACHE_LINE) < 0 ||
		    parse_stamp(line, subs[i], &was[i]) < 0)
			return -EBADMSG;
	if (fresh_only && !(stamp_equal(&was[0], &now[0]) && stamp_equal(&was[1], &now[1])))
		return -ESTALE;
	for (;;) {
		if ((n = maildir_lines_next(f, &line, CACHE_LINE)) < 0)
			return -EBADMSG;   /* truncated: no end line */
		if (!strncmp(line, "end ", 4))
			break;
		if (l->count >= max_count)
			return -EBADMSG;   /* more than the mailbox holds */
		sum = line_sum(sum, line, (size_t)n);
		if (parse_entry(line, (size_t)n, l, &prev) < 0)
			return -EBADMSG;
	}
	rest = line + 4;
	if (!(sum_s = cut(rest)) || num_parse(rest, 0, SIZE_MAX, &count) < 0 || count != l->count)
		return -EBADMSG;
	if (strlen(sum_s) != 16 || strspn(sum_s, "0123456789abcdef") != 16)
		return -EBADMSG;
	want = strtoull(sum_s, NULL, 16);
	if (want != sum || !maildir_lines_end(f))
		return -EBADMSG;
	*ret_fresh = stamp_equal(&was[0], &now[0]) && stamp_equal(&was[1], &now[1]);
	return 0;
}

int maildir_cache_load(int dir_fd, const struct maildir_stamp stamps[2], size_t max_count,
                       bool fresh_only, struct maildir_list *ret_list, bool *ret_fresh)
{
	/* The magic, two stamp lines and the end line; then a line a message. */
	const uint64_t head = 4 * (uint64_t)CACHE_LINE;
	struct maildir_list l = { 0 };
	struct maildir_lines f;
	bool fresh = false;
	struct stat st;
	int fd, r;

	fd = openat(dir_fd, MAILDIR_CACHE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -EBADMSG;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAILDIR_CACHE_MAX ||
	    (max_count < (MAILDIR_CACHE_MAX - head) / CACHE_LINE &&
	     (uint64_t)st.st_size > head + (uint64_t)max_count * CACHE_LINE)) {
		close(fd);
		return -EBADMSG;
	}
	maildir_lines_init(&f, fd);
	r = load(&f, stamps, max_count, fresh_only, &l, &fresh);
	close(fd);
	if (r < 0) {
		maildir_list_free(&l);
		return r;
	}
	*ret_list = l;
	*ret_fresh = fresh;
	return 0;
}

void maildir_cache_save(int dir_fd, const struct maildir_stamp stamps[2], bool trusted,
                        const struct maildir_list *l)
{
	uint64_t sum = SUM_INIT;
	char *vbuf = NULL, tmp[sizeof(MAILDIR_CACHE_TMP) + 24];
	bool ok = true;
	FILE *f;
	int fd;

	/* A name with LF cannot be a line: such a Maildir goes uncached. */
	for (size_t i = 0; i < l->count; i++) {
		char buf[MAILDIR_PATH_MAX];
		if (strchr(maildir_path(l, i, buf), '\n'))
			return;
	}
	fd = atomic_file_create(dir_fd, MAILDIR_CACHE_TMP, tmp, sizeof(tmp));
	if (fd < 0)
		return;
	if (!(f = fdopen(fd, "w"))) {
		atomic_file_discard(dir_fd, fd, NULL, tmp);
		return;
	}
	/* 64 KB writes rather than stdio's 4 KB (1,500 writes at 100,000);
	 * glibc ignores the size unless given the buffer. */
	if ((vbuf = malloc(CACHE_WRITE_BUF)))
		setvbuf(f, vbuf, _IOFBF, CACHE_WRITE_BUF);
	fputs(CACHE_MAGIC, f);
	for (int i = 0; i < 2; i++) {
		const struct maildir_stamp *s = &stamps[i];
		if (trusted)
			fprintf(f, "%s %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRId64 "\n", subs[i], s->dev,
			        s->ino, s->sec, s->nsec);
		else
			fprintf(f, "%s 0 0 0 0\n", subs[i]);
	}
	for (size_t i = 0; i < l->count && ok; i++) {
		char line[CACHE_LINE], buf[MAILDIR_PATH_MAX];
		const char *path = maildir_path(l, i, buf);
		size_t n = put_u64(line, l->msgs[i].raw), plen = strlen(path);

		/* By hand: snprintf was most of the cost of writing the cache. */
		line[n++] = ' ';
		n += put_u64(line + n, l->msgs[i].wire);
		line[n++] = ' ';
		n += put_u64(line + n, l->msgs[i].ino);
		line[n++] = ' ';
		ok = n + plen + 1 < sizeof(line);
		if (ok) {
			memcpy(line + n, path, plen + 1);   /* its NUL becomes the LF */
			n += plen;
			line[n++] = '\n';
			sum = line_sum(sum, line, n - 1);
			fwrite(line, 1, n, f);
		}
	}
	fprintf(f, "end %zu %016" PRIx64 "\n", l->count, sum);
	/* No sync: the cache is checked when read and rebuilt from the
	 * directories when it is not whole (a crash can leave it empty). */
	if (ok)
		(void)atomic_file_commit(dir_fd, fd, f, tmp, MAILDIR_CACHE, ATOMIC_SYNC_NONE);
	else
		atomic_file_discard(dir_fd, fd, f, tmp);
	free(vbuf);
}
