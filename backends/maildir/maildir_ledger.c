/* The Maildir UIDL ledger: DIR/onepop-uidl (maildir_ledger_file.c)
 * remembers the UIDL every message had in the last session, so that
 * renaming a message file (a Maildir "fix" tool, a migration with rsync
 * and new names) does not give it a new UIDL and make every "leave mail
 * on server" client download it again. This file matches its entries to
 * the messages listed now.
 *
 * A message is the same one as a ledger entry when, in this order:
 *   1. its base name is the entry's, and so is its inode or its size
 *      (the usual case: nothing to do);
 *   2. its inode and file size are the entry's (renamed in place);
 *   3. its file size and the MD5 of its first 4 KB (LEDGER_HEAD) are the
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
 * is not a change (nothing is gone). */
#include <errno.h>
#include <fcntl.h>
#include <md5.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "maildir_ledger.h"
#include "maildir_ledger_file.h"

/* Files older than the last session's start by this much look "old"
 * (delivery writes the file a moment before it appears in new/). */
#define LEDGER_SLACK 2

/* Sort orders over entry indexes, for the three ways to find a message. */
static const struct ledger *sort_lg;

static int by_base(const void *a, const void *b)
{
	const struct ledger_entry *x = &sort_lg->e[*(const size_t *)a], *y = &sort_lg->e[*(const size_t *)b];

	return strcmp(x->base ? x->base : "", y->base ? y->base : "");
}

static int by_ino(const void *a, const void *b)
{
	const struct ledger_entry *x = &sort_lg->e[*(const size_t *)a], *y = &sort_lg->e[*(const size_t *)b];

	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return (x->raw > y->raw) - (x->raw < y->raw);
}

static int by_digest(const void *a, const void *b)
{
	const struct ledger_entry *x = &sort_lg->e[*(const size_t *)a], *y = &sort_lg->e[*(const size_t *)b];

	if (x->raw != y->raw)
		return x->raw < y->raw ? -1 : 1;
	return memcmp(x->digest, y->digest, sizeof(x->digest));
}

/* The first unused entry equal to key under cmp (a sorted index), or NULL.
 * key is an entry placed at index lg->count (one spare slot). */
static struct ledger_entry *find(struct ledger *lg, size_t *idx, int (*cmp)(const void *, const void *))
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
	maildir_ledger_free(&mt->lg);
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
                      struct backend_uidl_report *res)
{
	struct ledger *lg = &mt->lg;

	for (size_t i = 0; i < l->count; i++) {
		struct maildir_ledger_meta_msg *m = &meta->msgs[i];
		char path[MAILDIR_PATH_MAX];
		struct ledger_entry *key = &lg->e[lg->count], *e = NULL;
		int r;

		if (pass > 1 && meta->matched[i])
			continue;
		*key = (struct ledger_entry){ .base = maildir_base(l, i), .ino = l->msgs[i].ino,
		                       .raw = l->msgs[i].raw };
		if (pass == 3) {
			m->have_digest = maildir_ledger_digest(dir_fd, maildir_path(l, i, path), m->digest);
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
                         struct backend_uidl_report *res,
                         struct maildir_ledger_match **ret_match)
{
	struct maildir_ledger_match *mt;
	size_t *idx[3] = { NULL, NULL, NULL };
	int r;

	if (l->count && maildir_ledger_fast(dir_fd, l, meta, res)) {
		*ret_match = NULL;
		return 0;
	}
	if ((r = maildir_name_uidls(l)) < 0 ||
	    !(meta->msgs = calloc(l->count ? l->count : 1, sizeof(*meta->msgs))) ||
	    !(meta->matched = calloc(l->count ? l->count : 1, sizeof(*meta->matched))) ||
	    !(mt = calloc(1, sizeof(*mt))))
		return r < 0 ? r : -ENOMEM;
	r = maildir_ledger_load(dir_fd, l->count, &mt->lg);
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
                          struct maildir_ledger_match *mt, struct backend_uidl_report *res)
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
			m->have_digest = maildir_ledger_digest(dir_fd, maildir_path(l, i, path), m->digest);
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
