/* The Maildir UIDL ledger's file, DIR/onepop-uidl: reading it whole or,
 * on the usual login, checking it line by line against the list (the
 * fast path), and writing it. maildir_ledger.c matches its entries to the
 * messages.
 *
 * The file is in the user's Maildir: it is parsed strictly (a bad line,
 * a duplicate UIDL, a missing or wrong "end" line and the whole ledger is
 * ignored, and rebuilt from the names as when it is missing), and written
 * atomically (temporary file, fsync, rename), only when it changed.
 *
 * Format:
 *   onepop-uidl 1 SINCE            SINCE: when that session scanned (Unix s)
 *   UIDL INO SIZE MD5 BASE         one line per message; BASE "-" when the
 *                                  name is not printable ASCII
 *   end COUNT */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <md5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "fdio.h"
#include "hex.h"
#include "maildir_ledger_file.h"
#include "maildir_lines.h"
#include "numparse.h"

#define LEDGER_NAME "onepop-uidl"
#define LEDGER_TMP "onepop-uidl.tmp"
#define LEDGER_MAGIC "onepop-uidl 1 "
/* A ledger bigger than this is not ours. */
#define LEDGER_MAX (256ULL << 20)
/* Nor one of more lines than this many a message now listed, and this
 * many more: what it can hold beyond the messages are those gone since
 * the last session, and it is read whole, so a hostile one must not cost
 * more than the mailbox could need. Beyond it the ledger is rebuilt from
 * the names (logged as unreadable). */
#define LEDGER_LINES_PER_MSG 8
#define LEDGER_LINES_EXTRA 4096
/* Octets of a message that its digest covers. */
#define LEDGER_HEAD 4096
/* Longest line: UIDL, two numbers, the digest, a name and their spaces. */
#define LEDGER_LINE (MAX_UIDL + 2 * 21 + 2 * MD5_DIGEST_LENGTH + MAILDIR_MAX_NAME + 16)

void maildir_ledger_free(struct ledger *lg)
{
	free(lg->buf);
	free(lg->e);
	*lg = (struct ledger){ 0 };
}

static bool printable(const char *s, size_t len)
{
	return len > 0 && maildir_printable(s, len);
}

/* Whether s starts with 2 * MD5_DIGEST_LENGTH lowercase hex digits: the
 * fast path needs no digest, only the same checks. */
static int hex_check(const char *s)
{
	return hex_valid(s, 2 * (size_t)MD5_DIGEST_LENGTH) ? 0 : -EBADMSG;
}

static int hex_parse(const char *s, unsigned char out[MD5_DIGEST_LENGTH])
{
	if (strlen(s) != 2 * (size_t)MD5_DIGEST_LENGTH)
		return -EBADMSG;
	return hex_decode(s, MD5_DIGEST_LENGTH, out);
}

static int cmp_uidl(const void *a, const void *b)
{
	return strcmp(((const struct ledger_entry *)a)->uidl, ((const struct ledger_entry *)b)->uidl);
}

/* Split an entry line (NUL-terminated) into its 5 fields, in place. */
static int split_entry(char *p, char *f[5])
{
	f[0] = p;
	for (int i = 1; i < 5; i++) {
		if (!(f[i] = strchr(f[i - 1], ' ')))
			return -EBADMSG;
		*f[i]++ = '\0';
	}
	return 0;
}

/* Check and convert the fields of one entry; e points into f. */
static int entry_parse(char *f[5], struct ledger_entry *e)
{
	*e = (struct ledger_entry){ .uidl = f[0], .base = strcmp(f[4], "-") ? f[4] : NULL };
	if (strlen(f[0]) > MAX_UIDL || !printable(f[0], strlen(f[0])) ||
	    num_parse(f[1], 0, UINT64_MAX, &e->ino) < 0 ||
	    num_parse(f[2], 0, INT64_MAX, &e->raw) < 0 || hex_parse(f[3], e->digest) < 0 ||
	    (e->base && (strlen(e->base) > MAILDIR_MAX_NAME ||
	                 !printable(e->base, strlen(e->base)) || strchr(e->base, ':'))))
		return -EBADMSG;
	return 0;
}

static int cmp_pstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether the UIDLs of the list are all different. */
static bool uidls_unique(const struct maildir_list *l)
{
	size_t n = l->count;
	const char **p = calloc(n ? n : 1, sizeof(*p));
	bool ok = p != NULL;

	for (size_t i = 0; ok && i < n; i++)
		p[i] = maildir_uidl(l, i);
	if (ok)
		qsort(p, n, sizeof(*p), cmp_pstr);
	for (size_t i = 1; ok && i < n; i++)
		ok = strcmp(p[i - 1], p[i]) != 0;
	free(p);
	return ok;
}

/* Parse the whole file in place; any doubt is -EBADMSG. */
static int ledger_parse(struct ledger *lg, size_t len)
{
	char *p = lg->buf, *end = lg->buf + len, *nl, *f[5];
	uint64_t v, want;
	size_t cap = 0;

	if (len < strlen(LEDGER_MAGIC) || memcmp(p, LEDGER_MAGIC, strlen(LEDGER_MAGIC)) != 0 ||
	    memchr(p, '\0', len) || end[-1] != '\n')
		return -EBADMSG;
	p += strlen(LEDGER_MAGIC);
	nl = memchr(p, '\n', (size_t)(end - p));
	*nl = '\0';
	if (num_parse(p, 0, INT64_MAX, &v) < 0)
		return -EBADMSG;
	lg->since = (int64_t)v;
	for (p = nl + 1; p < end; p = nl + 1) {
		struct ledger_entry *e;
		nl = memchr(p, '\n', (size_t)(end - p));
		*nl = '\0';
		if (!strncmp(p, "end ", 4)) {
			if (num_parse(p + 4, 0, SIZE_MAX, &want) < 0 || want != lg->count || nl + 1 != end)
				return -EBADMSG;
			/* UIDLs must be unique (a client keys on them). */
			if (lg->count)   /* no array when empty: qsort(NULL) is UB */
				qsort(lg->e, lg->count, sizeof(*lg->e), cmp_uidl);
			for (size_t i = 1; i < lg->count; i++)
				if (!strcmp(lg->e[i - 1].uidl, lg->e[i].uidl))
					return -EBADMSG;
			return 0;
		}
		if (split_entry(p, f) < 0)
			return -EBADMSG;
		if (lg->count == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			void *q = reallocarray(lg->e, ncap, sizeof(*lg->e));
			if (!q)
				return -ENOMEM;
			lg->e = q;
			cap = ncap;
		}
		e = &lg->e[lg->count];
		if (entry_parse(f, e) < 0)
			return -EBADMSG;
		lg->count++;
	}
	return -EBADMSG;   /* no end line: truncated */
}

/* The largest ledger file worth reading for count messages. */
static uint64_t ledger_cap(size_t count)
{
	uint64_t lines = (uint64_t)count * LEDGER_LINES_PER_MSG + LEDGER_LINES_EXTRA;

	return lines > LEDGER_MAX / LEDGER_LINE ? LEDGER_MAX : lines * LEDGER_LINE;
}

/* 0 and the ledger, -ENOENT when there is none, -EBADMSG when unusable
 * (or bigger than count messages can need). */
int maildir_ledger_load(int dir_fd, size_t count, struct ledger *lg)
{
	struct stat st;
	size_t got;
	int fd, r;

	fd = openat(dir_fd, LEDGER_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -EBADMSG;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > ledger_cap(count) ||
	    !(lg->buf = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return -EBADMSG;
	}
	got = fd_read_full(fd, lg->buf, (size_t)st.st_size);
	close(fd);
	lg->buf[got] = '\0';
	r = got == (size_t)st.st_size ? ledger_parse(lg, got) : -EBADMSG;
	if (r < 0)
		maildir_ledger_free(lg);
	return r == -ENOMEM ? -ENOMEM : r < 0 ? -EBADMSG : 0;
}

/* MD5 of the first LEDGER_HEAD octets of message i; false if unreadable. */
bool maildir_ledger_digest(int dir_fd, const char *name, unsigned char out[MD5_DIGEST_LENGTH])
{
	char buf[LEDGER_HEAD];
	size_t got;
	MD5_CTX ctx;
	int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return false;
	got = fd_read_full(fd, buf, sizeof(buf));
	close(fd);
	MD5Init(&ctx);
	MD5Update(&ctx, (const unsigned char *)buf, got);
	MD5Final(out, &ctx);
	return true;
}

/* Entry line i of the ledger for the fast path (len octets, NUL-
 * terminated): what entry_parse checks, for an entry under message i's
 * own base name. The base name is the list's (so no ":", at most
 * NAME_MAX) and, when the UIDL is that name, is checked once. 0 or
 * -EBADMSG. */
static int fast_entry(char *line, size_t len, const struct maildir_list *l, size_t i,
                      struct ledger_entry *e)
{
	const char *base = maildir_base(l, i), *end = line + len;
	size_t blen = l->msgs[i].base_len, ulen;
	char *f[5];
	bool same;

	f[0] = line;
	for (int k = 1; k < 5; k++) {
		if (!(f[k] = memchr(f[k - 1], ' ', (size_t)(end - f[k - 1]))))
			return -EBADMSG;
		*f[k]++ = '\0';
	}
	ulen = (size_t)(f[1] - 1 - f[0]);
	if ((size_t)(end - f[4]) != blen || memcmp(f[4], base, blen) != 0 || ulen > MAX_UIDL ||
	    (size_t)(f[4] - 1 - f[3]) != 2 * (size_t)MD5_DIGEST_LENGTH)
		return -EBADMSG;
	same = ulen == blen && memcmp(f[0], base, blen) == 0;
	*e = (struct ledger_entry){ .uidl = f[0], .base = f[4] };
	if (!printable(f[4], blen) || (!same && !printable(f[0], ulen)) ||
	    num_parse(f[1], 0, UINT64_MAX, &e->ino) < 0 ||
	    num_parse(f[2], 0, INT64_MAX, &e->raw) < 0)
		return -EBADMSG;
	return hex_check(f[3]);
}

/* The common case, checked first without loading the ledger into memory:
 * its entries are exactly the listed messages, in the same order (the
 * ledger is written in list order), each under the same base name with
 * the same inode and size. Streams the file once: no index, no sort, no
 * copy of the names, and nothing kept (meta->msgs stays NULL: a rewrite
 * copies these lines). The list's UIDLs are its base names on entry,
 * unchecked: an entry whose UIDL is the base name proves it a valid
 * UIDL. true when it applied (every UIDL checked); false when the caller
 * must do the full match (the UIDLs are the base names again,
 * unchecked): also when an inode or size changed, which the full match
 * settles and records. */
bool maildir_ledger_fast(int dir_fd, struct maildir_list *l, struct maildir_ledger_meta *meta,
                        struct backend_uidl_report *res)
{
	/* UIDL, two numbers, the digest, a name and their spaces fit. */
	const size_t size = LEDGER_LINE;
	struct maildir_lines f;
	struct stat st;
	bool own = true, ok = false;
	uint64_t v;
	size_t i = 0;
	char *line;
	int fd, n;

	fd = openat(dir_fd, LEDGER_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > ledger_cap(l->count)) {
		close(fd);
		return false;
	}
	maildir_lines_init(&f, fd);
	if (maildir_lines_next(&f, &line, size) < 0 ||
	    strncmp(line, LEDGER_MAGIC, strlen(LEDGER_MAGIC)) != 0 ||
	    num_parse(line + strlen(LEDGER_MAGIC), 0, INT64_MAX, &v) < 0)
		goto out;
	for (i = 0; i < l->count; i++) {
		struct maildir_msg *m = &l->msgs[i];
		struct ledger_entry e;

		if ((n = maildir_lines_next(&f, &line, size)) < 0 ||
		    fast_entry(line, (size_t)n, l, i, &e) < 0 || e.ino != m->ino || e.raw != m->raw)
			goto out;
		/* A UIDL that is not the name's own: then uniqueness must be
		 * checked (below), as the full parse does. */
		if (strcmp(e.uidl, maildir_base(l, i)) != 0) {
			if (maildir_uidl_set(l, i, e.uidl) < 0)
				goto out;
			own = false;
		}
	}
	if (maildir_lines_next(&f, &line, size) < 0 || strncmp(line, "end ", 4) != 0 ||
	    num_parse(line + 4, 0, SIZE_MAX, &v) < 0 || v != l->count || !maildir_lines_end(&f))
		goto out;
	ok = own || uidls_unique(l);
out:
	close(fd);
	if (!ok) {
		/* Undo: the full match starts from the base names. */
		for (size_t k = 0; k <= i && k < l->count; k++)
			l->msgs[k].uidl_off = MAILDIR_UIDL_BASE;
		return false;
	}
	meta->dirty = false;
	res->known = true;
	res->kept = l->count;
	return true;
}

/* The temporary ledger's name: LEDGER_TMP, or that and a pid when the
 * name was taken by something that cannot be removed (atomic_file.h). */
static char tmp_name[sizeof(LEDGER_TMP) + 24];

/* The temporary ledger, opened for writing, or NULL. */
static FILE *tmp_open(int dir_fd, int *ret_fd)
{
	int fd = atomic_file_create(dir_fd, LEDGER_TMP, tmp_name, sizeof(tmp_name));
	FILE *f;

	if (fd < 0)
		return NULL;
	if (!(f = fdopen(fd, "w"))) {
		atomic_file_discard(dir_fd, fd, NULL, tmp_name);
		return NULL;
	}
	*ret_fd = fd;
	return f;
}

/* Close the temporary ledger and, if ok and written, make it the ledger. */
static bool tmp_finish(int dir_fd, FILE *f, int fd, bool ok)
{
	if (!ok) {
		atomic_file_discard(dir_fd, fd, f, tmp_name);
		return false;
	}
	/* ATOMIC_SYNC_DATA: the bytes must be on disk before the rename
	 * makes them the ledger (a torn ledger is ignored, and every UIDL
	 * derived from the names again); the file's times need not be. The
	 * rename is not synced: a crash that loses it leaves the previous
	 * ledger, whole. */
	return atomic_file_commit(dir_fd, fd, f, tmp_name, LEDGER_NAME, ATOMIC_SYNC_DATA) == 0;
}

/* Write the ledger from the list and meta->msgs. */
static void save_from(int dir_fd, const struct maildir_list *l,
                      const struct maildir_ledger_meta_msg *msgs, const bool *deleted,
                      int64_t since)
{
	static const unsigned char no_digest[MD5_DIGEST_LENGTH];
	size_t count = 0;
	FILE *f;
	int fd;

	if (!(f = tmp_open(dir_fd, &fd)))
		return;
	fprintf(f, LEDGER_MAGIC "%" PRId64 "\n", since);
	for (size_t i = 0; i < l->count; i++) {
		const struct maildir_ledger_meta_msg *m = &msgs[i];
		const char *base = maildir_base(l, i);
		size_t blen = l->msgs[i].base_len;
		char hex[2 * (size_t)MD5_DIGEST_LENGTH + 1];

		if (deleted && deleted[i])
			continue;
		/* By table (hex.c): snprintf per octet was most of a save. */
		hex_encode(m->have_digest ? m->digest : no_digest, MD5_DIGEST_LENGTH, hex);
		if (!printable(base, blen))
			base = "-", blen = 1;
		fprintf(f, "%s %" PRIu64 " %" PRIu64 " %s %.*s\n", maildir_uidl(l, i), l->msgs[i].ino,
		        (uint64_t)l->msgs[i].raw, hex, (int)blen, base);
		count++;
	}
	fprintf(f, "end %zu\n", count);
	tmp_finish(dir_fd, f, fd, true);
}

/* Write the ledger by copying the lines of the one on disk, which the
 * fast path found to list exactly these messages: false (nothing
 * written) when it no longer does. */
static bool save_copy(int dir_fd, const struct maildir_list *l, const bool *deleted, int64_t since)
{
	struct maildir_lines in;
	size_t count = 0, i;
	bool ok = false;
	uint64_t v;
	char *line;
	FILE *f;
	int in_fd, fd, n;

	in_fd = openat(dir_fd, LEDGER_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (in_fd < 0)
		return false;
	if (!(f = tmp_open(dir_fd, &fd))) {
		close(in_fd);
		return false;
	}
	maildir_lines_init(&in, in_fd);
	fprintf(f, LEDGER_MAGIC "%" PRId64 "\n", since);
	if (maildir_lines_next(&in, &line, LEDGER_LINE) < 0 ||
	    strncmp(line, LEDGER_MAGIC, strlen(LEDGER_MAGIC)) != 0)
		goto out;
	for (i = 0; i < l->count; i++) {
		char copy[LEDGER_LINE];
		struct ledger_entry e;

		if ((n = maildir_lines_next(&in, &line, LEDGER_LINE)) < 0)
			goto out;
		memcpy(copy, line, (size_t)n + 1);
		if (fast_entry(copy, (size_t)n, l, i, &e) < 0 || e.ino != l->msgs[i].ino ||
		    e.raw != l->msgs[i].raw || strcmp(e.uidl, maildir_uidl(l, i)) != 0)
			goto out;
		if (deleted && deleted[i])
			continue;
		fwrite(line, 1, (size_t)n, f);
		fputc('\n', f);
		count++;
	}
	ok = maildir_lines_next(&in, &line, LEDGER_LINE) >= 0 && strncmp(line, "end ", 4) == 0 &&
	     num_parse(line + 4, 0, SIZE_MAX, &v) == 0 && v == l->count && maildir_lines_end(&in);
	if (ok)
		fprintf(f, "end %zu\n", count);
out:
	close(in_fd);
	return tmp_finish(dir_fd, f, fd, ok) && ok;
}

void maildir_ledger_save(int dir_fd, const struct maildir_list *l,
                         const struct maildir_ledger_meta *meta, const bool *deleted,
                         int64_t since)
{
	struct maildir_ledger_meta_msg *msgs;

	if (meta->msgs) {
		save_from(dir_fd, l, meta->msgs, deleted, since);
		return;
	}
	if (save_copy(dir_fd, l, deleted, since))
		return;
	/* The ledger is not what the fast path read (it does not change under
	 * the lock: a disk error, or a hand edit): take the digests from the
	 * messages themselves. */
	if (!(msgs = calloc(l->count ? l->count : 1, sizeof(*msgs))))
		return;
	for (size_t i = 0; i < l->count; i++) {
		char path[MAILDIR_PATH_MAX];
		if (!deleted || !deleted[i])
			msgs[i].have_digest = maildir_ledger_digest(dir_fd, maildir_path(l, i, path), msgs[i].digest);
	}
	save_from(dir_fd, l, msgs, deleted, since);
	free(msgs);
}
