/* The Maildir UIDL ledger: DIR/onepop-uidl remembers the UIDL every message
 * had in the last session, so that renaming a message file (a Maildir
 * "fix" tool, a migration with rsync and new names) does not give it a new
 * UIDL and make every "leave mail on server" client download it again.
 *
 * A message is the same one as a ledger entry when, in this order:
 *   1. its base name is the entry's, and so is its inode or its size
 *      (the usual case: nothing to do);
 *   2. its inode and file size are the entry's (renamed in place);
 *   3. its file size and the MD5 of its first LEDGER_HEAD octets are the
 *      entry's (copied elsewhere and renamed: the head holds Received
 *      lines and the Message-ID, so two different messages practically
 *      never share both).
 * Each entry is used at most once. Any other message is new and gets the
 * UIDL of its base name (maildir_list.c's rule) or the old server's
 * (maildir_migrate.c, which the caller runs between the match and the
 * settling, maildir_ledger_settle).
 *
 * The guard: a ledger entry with no message now is "gone" (normally,
 * deleted); a new message whose file is older than the last session's
 * start looks like an old message under a new name. When both happen,
 * min(gone, old-looking) messages seen in the last session have most
 * likely got new UIDLs: reported as "changed" for the core to warn about
 * or refuse (--uidl-guard). Moving one old message in with an IMAP client
 * is not a change (nothing is gone).
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
#include "maildir_ledger.h"
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
/* Files older than the last session's start by this much look "old"
 * (delivery writes the file a moment before it appears in new/). */
#define LEDGER_SLACK 2
/* Longest line: UIDL, two numbers, the digest, a name and their spaces. */
#define LEDGER_LINE (MAX_UIDL + 2 * 21 + 2 * MD5_DIGEST_LENGTH + MAILDIR_MAX_NAME + 16)

struct entry {
	const char *uidl, *base;    /* into the file's buffer; base NULL for "-" */
	uint64_t ino, raw;
	unsigned char digest[MD5_DIGEST_LENGTH];
	bool used;
};

struct ledger {
	char *buf;
	struct entry *e;
	size_t count;
	int64_t since;
};

static void ledger_free(struct ledger *lg)
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
	return strcmp(((const struct entry *)a)->uidl, ((const struct entry *)b)->uidl);
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
static int entry_parse(char *f[5], struct entry *e)
{
	*e = (struct entry){ .uidl = f[0], .base = strcmp(f[4], "-") ? f[4] : NULL };
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
		struct entry *e;
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
static int ledger_load(int dir_fd, size_t count, struct ledger *lg)
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
		ledger_free(lg);
	return r == -ENOMEM ? -ENOMEM : r < 0 ? -EBADMSG : 0;
}

/* MD5 of the first LEDGER_HEAD octets of message i; false if unreadable. */
static bool head_digest(int dir_fd, const char *name, unsigned char out[MD5_DIGEST_LENGTH])
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

/* Sort orders over entry indexes, for the three ways to find a message. */
static const struct ledger *sort_lg;

static int by_base(const void *a, const void *b)
{
	const struct entry *x = &sort_lg->e[*(const size_t *)a], *y = &sort_lg->e[*(const size_t *)b];

	return strcmp(x->base ? x->base : "", y->base ? y->base : "");
}

static int by_ino(const void *a, const void *b)
{
	const struct entry *x = &sort_lg->e[*(const size_t *)a], *y = &sort_lg->e[*(const size_t *)b];

	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return (x->raw > y->raw) - (x->raw < y->raw);
}

static int by_digest(const void *a, const void *b)
{
	const struct entry *x = &sort_lg->e[*(const size_t *)a], *y = &sort_lg->e[*(const size_t *)b];

	if (x->raw != y->raw)
		return x->raw < y->raw ? -1 : 1;
	return memcmp(x->digest, y->digest, sizeof(x->digest));
}

/* The first unused entry equal to key under cmp (a sorted index), or NULL.
 * key is an entry placed at index lg->count (one spare slot). */
static struct entry *find(struct ledger *lg, size_t *idx, int (*cmp)(const void *, const void *))
{
	const size_t key = lg->count;
	size_t lo = 0, hi = key;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp(&idx[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < lg->count && cmp(&idx[lo], &key) == 0; lo++)
		if (!lg->e[idx[lo]].used)
			return &lg->e[idx[lo]];
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A new message's UIDL taken by an older one: derive another, stable
 * for the name, that no kept UIDL uses. */
static void uidl_rederive(const char *base, size_t len, char *const *kept, size_t nkept,
                          char out[MAX_UIDL + 1])
{
	unsigned char d[MD5_DIGEST_LENGTH];

	for (unsigned salt = 0; salt < 100; salt++) {
		const char *key = out;
		MD5_CTX ctx;
		MD5Init(&ctx);
		MD5Update(&ctx, (const unsigned char *)base, len);
		MD5Update(&ctx, (const unsigned char *)&salt, sizeof(salt));
		MD5Final(d, &ctx);
		maildir_derived_uidl(d, out);
		if (!bsearch(&key, kept, nkept, sizeof(*kept), cmp_str))
			return;
	}
}

/* Entry line i of the ledger for the fast path (len octets, NUL-
 * terminated): what entry_parse checks, for an entry under message i's
 * own base name. The base name is the list's (so no ":", at most
 * NAME_MAX) and, when the UIDL is that name, is checked once. 0 or
 * -EBADMSG. */
static int fast_entry(char *line, size_t len, const struct maildir_list *l, size_t i,
                      struct entry *e)
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
	*e = (struct entry){ .uidl = f[0], .base = f[4] };
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
static bool ledger_fast(int dir_fd, struct maildir_list *l, struct maildir_ledger_meta *meta,
                        struct maildir_ledger_result *res)
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
		struct entry e;

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

/* The mtime of message i's file, or 0 when it cannot be read. */
static int64_t msg_mtime(int dir_fd, const struct maildir_list *l, size_t i)
{
	char buf[MAILDIR_PATH_MAX];
	struct stat st;

	if (fstatat(dir_fd, maildir_path(l, i, buf), &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	return (int64_t)st.st_mtime;
}

/* The ledger as read, kept from the match to the settling. */
struct maildir_ledger_match {
	struct ledger lg;
	/* The kept UIDLs, in the ledger's buffer (the list's may move). */
	char **kept;
	size_t nkept;
};

void maildir_ledger_match_free(struct maildir_ledger_match *mt)
{
	if (!mt)
		return;
	free(mt->kept);
	ledger_free(&mt->lg);
	free(mt);
}

/* One spare entry (the search key) and the entry indexes sorted for the
 * three ways to find a message (by_base, by_ino, by_digest): 0 or
 * -ENOMEM (idx[] then to be freed all the same). */
static int match_index(struct ledger *lg, size_t *idx[3])
{
	void *q = reallocarray(lg->e, lg->count + 1, sizeof(*lg->e));
	int (*const by[3])(const void *, const void *) = { by_base, by_ino, by_digest };

	if (!q)
		return -ENOMEM;
	lg->e = q;
	for (int k = 0; k < 3; k++)
		if (!(idx[k] = calloc(lg->count + 1, sizeof(*idx[k]))))
			return -ENOMEM;
	sort_lg = lg;
	for (int k = 0; k < 3; k++) {
		for (size_t j = 0; j < lg->count; j++)
			idx[k][j] = j;
		qsort(idx[k], lg->count, sizeof(*idx[k]), by[k]);
	}
	return 0;
}

/* Pass 1: same name. Pass 2: same inode and size. Pass 3: same size and
 * head digest. An entry found supplies the UIDL and the digest. 0 or
 * -ENOMEM. */
static int match_pass(int dir_fd, struct maildir_list *l, struct maildir_ledger_meta *meta,
                      struct maildir_ledger_match *mt, size_t *const idx[3], int pass,
                      struct maildir_ledger_result *res)
{
	struct ledger *lg = &mt->lg;

	for (size_t i = 0; i < l->count; i++) {
		struct maildir_ledger_meta_msg *m = &meta->msgs[i];
		char path[MAILDIR_PATH_MAX];
		struct entry *key = &lg->e[lg->count], *e = NULL;
		int r;

		if (pass > 1 && meta->matched[i])
			continue;
		*key = (struct entry){ .base = maildir_base(l, i), .ino = l->msgs[i].ino,
		                       .raw = l->msgs[i].raw };
		if (pass == 3) {
			m->have_digest = head_digest(dir_fd, maildir_path(l, i, path), m->digest);
			memcpy(key->digest, m->digest, sizeof(m->digest));
		}
		if (pass == 1) {
			e = find(lg, idx[0], by_base);
			/* The name alone is not enough when both inode and
			 * size differ: a new message under a reused name. */
			if (e && e->ino != key->ino && e->raw != key->raw)
				e = NULL;
		}
		else if (pass == 2 && key->ino)
			e = find(lg, idx[1], by_ino);
		else if (pass == 3 && m->have_digest)
			e = find(lg, idx[2], by_digest);
		if (!e)
			continue;
		e->used = meta->matched[i] = true;
		if ((r = maildir_uidl_set(l, i, e->uidl)) < 0)
			return r;
		if (e->raw == l->msgs[i].raw) {
			memcpy(m->digest, e->digest, sizeof(m->digest));
			m->have_digest = true;
		}
		if (pass > 1) {
			res->renamed++;
			meta->dirty = true;
		}
		if (e->ino != l->msgs[i].ino || e->raw != l->msgs[i].raw)
			meta->dirty = true;
		res->kept++;
		mt->kept[mt->nkept++] = (char *)e->uidl;
	}
	return 0;
}

int maildir_ledger_match(int dir_fd, struct maildir_list *l, struct maildir_ledger_meta *meta,
                         struct maildir_ledger_result *res,
                         struct maildir_ledger_match **ret_match)
{
	struct maildir_ledger_match *mt;
	size_t *idx[3] = { NULL, NULL, NULL };
	int r;

	if (l->count && ledger_fast(dir_fd, l, meta, res)) {
		*ret_match = NULL;
		return 0;
	}
	if ((r = maildir_name_uidls(l)) < 0 ||
	    !(meta->msgs = calloc(l->count ? l->count : 1, sizeof(*meta->msgs))) ||
	    !(meta->matched = calloc(l->count ? l->count : 1, sizeof(*meta->matched))) ||
	    !(mt = calloc(1, sizeof(*mt))))
		return r < 0 ? r : -ENOMEM;
	r = ledger_load(dir_fd, l->count, &mt->lg);
	if (r == -ENOMEM)
		goto out;
	meta->dirty = r < 0;
	res->known = r == 0;
	res->lost = r == -EBADMSG;
	if ((r = match_index(&mt->lg, idx)) < 0 ||
	    !(mt->kept = calloc(l->count + 1, sizeof(*mt->kept)))) {
		r = -ENOMEM;
		goto out;
	}
	for (int pass = 1; pass <= 3; pass++) {
		if ((r = match_pass(dir_fd, l, meta, mt, idx, pass, res)) < 0)
			goto out;
		if (!mt->lg.count)
			break;   /* no ledger: all are new */
	}
out:
	for (int k = 0; k < 3; k++)
		free(idx[k]);
	if (r < 0) {
		maildir_ledger_match_free(mt);
		return r;
	}
	*ret_match = mt;
	return 0;
}

int maildir_ledger_settle(int dir_fd, struct maildir_list *l, struct maildir_ledger_meta *meta,
                          struct maildir_ledger_match *mt, struct maildir_ledger_result *res)
{
	size_t old_looking = 0;

	if (!mt) {   /* every message matched (the fast path) */
		meta->applied = true;
		return 0;
	}
	/* New messages: their UIDL (the old server's or their name's),
	 * unless a kept one has it. */
	qsort(mt->kept, mt->nkept, sizeof(*mt->kept), cmp_str);
	for (size_t i = 0; i < l->count; i++) {
		struct maildir_ledger_meta_msg *m = &meta->msgs[i];
		const char *key = maildir_uidl(l, i);
		char path[MAILDIR_PATH_MAX];

		if (meta->matched[i])
			continue;
		meta->dirty = true;
		if (!m->have_digest)
			m->have_digest = head_digest(dir_fd, maildir_path(l, i, path), m->digest);
		if (bsearch(&key, mt->kept, mt->nkept, sizeof(*mt->kept), cmp_str)) {
			char uidl[MAX_UIDL + 1];
			int r;
			uidl_rederive(maildir_base(l, i), l->msgs[i].base_len, mt->kept, mt->nkept, uidl);
			if ((r = maildir_uidl_set(l, i, uidl)) < 0)
				return r;
		}
		/* Only the new messages need their file's time: looked up
		 * here rather than kept for all. */
		if (mt->lg.since && msg_mtime(dir_fd, l, i) + LEDGER_SLACK < mt->lg.since)
			old_looking++;
	}
	for (size_t k = 0; k < mt->lg.count; k++)
		if (!mt->lg.e[k].used) {
			res->gone++;
			meta->dirty = true;
		}
	res->changed = res->gone < old_looking ? res->gone : old_looking;
	meta->applied = true;
	return 0;
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
		struct entry e;

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
			msgs[i].have_digest = head_digest(dir_fd, maildir_path(l, i, path), msgs[i].digest);
	}
	save_from(dir_fd, l, msgs, deleted, since);
	free(msgs);
}
