/* The Maildir backend (the default): messages in new/ and cur/.
 *
 * UIDL: the base name (before ":"), unique by Maildir's own rules; a base
 * name longer than 70 octets or holding bytes outside 0x21-0x7E gets
 * "onepop-" + the hex MD5 of the base name instead (stable, derived).
 * Order: by the leading number of the base name (delivery time), then by
 * the rest of the name, so it does not change when a file moves from new/
 * to cur/ or its flags change.
 * Lock: an flock on the directory first (it excludes local sessions even
 * in a read-only Maildir, where no lock file can be made), then
 * DIR/onepop-session.lock (maildir_lock.c), which works across NFS hosts
 * and says who holds it; a session touches it at every message it opens
 * so that other hosts see it alive. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <md5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "onepop/backend.h"
#include "commit_intent.h"
#include "hex.h"
#include "login_delay.h"
#include "maildir.h"

struct maildir {
	struct mailbox base;
	int dir_fd;
	int lock_fd;
	bool locked;        /* holds the flock on dir_fd */
	bool lock_touch;    /* lock_fd is the lock file: keep it young */
	int msg_fd;         /* the open message, or -1 */
	struct maildir_list list;
	const struct backend_session *session;
	struct backend_report *report;
	/* UIDL ledger (maildir_ledger.c): what it knows of each listed
	 * message (the UIDLs are in the list), kept to rewrite it at commit. */
	struct maildir_ledger_meta meta;
	int64_t scanned;            /* when scan ran */
	/* --login-delay: this session's login record, saved at close */
	struct login_delay login;
	/* Messages whose listed size proved wrong (size_wrong): not served
	 * again this session; measured at close and their true sizes put in
	 * the cache, which the next scan prefers to the name's. */
	size_t *wrong;
	size_t wrong_count;
	struct maildir_stamp stamps[2];     /* new/ and cur/ at scan */
	bool stamps_trusted;
	/* The list is not what the cache holds: written at close, after the
	 * client has its replies (the session does not need it). */
	bool cache_dirty;
	/* The file system had no block or inode left for the lock: this
	 * session writes none of its own files (cache, ledger, stamp). */
	bool full;
	struct maildir_find find;   /* for relocate(), built on first need */
};

extern const struct backend_ops backend_maildir;

static const char *const subdirs[2] = { "new", "cur" };

/* The record of an UPDATE under way (commit_intent.h): one line a
 * message, "n NAME" with its base name, or "x HEX" for a name holding a
 * byte a line cannot. */
#define MAILDIR_INTENT "onepop-intent"

static void resize_wrong(struct maildir *md);
static bool writable(const struct maildir *md);
static int roll_forward(struct maildir *md);
static void maildir_release(struct mailbox *mb);

static void maildir_close(struct mailbox *mb)
{
	struct maildir *md = (struct maildir *)mb;

	if (!md)
		return;
	maildir_release(mb);
	if (md->wrong_count)
		resize_wrong(md);
	/* After the lock is gone (at QUIT, before the reply): a cache is
	 * replaced atomically and checked by whoever reads it, so a session
	 * that starts meanwhile at worst finds it stale. */
	if (md->cache_dirty && writable(md))
		maildir_cache_save(md->dir_fd, md->stamps, md->stamps_trusted, &md->list);
	maildir_find_free(&md->find);
	free(md->wrong);
	maildir_list_free(&md->list);
	free(md->meta.msgs);
	if (md->msg_fd >= 0)
		close(md->msg_fd);
	if (md->dir_fd >= 0)
		close(md->dir_fd);
	free(md);
}

/* Give up the session lock (at QUIT, before the reply, or at close):
 * what this session does after it needs none. */
static void maildir_release(struct mailbox *mb)
{
	struct maildir *md = (struct maildir *)mb;

	login_delay_end(md->session, md->dir_fd, MAILDIR_LOGIN, &md->login, md->list.count);
	if (md->lock_fd >= 0 || md->locked) {
		/* The file first: the flock keeps local sessions out until
		 * the file is gone, so none finds it and judges it stale. */
		maildir_unlock(md->dir_fd, md->lock_fd);
		md->lock_fd = -1;
		md->lock_touch = false;
		if (md->locked)
			(void)flock(md->dir_fd, LOCK_UN);
		md->locked = false;
	}
}

static int maildir_open(const char *path, const struct backend_session *session,
                        struct backend_report *report, struct mailbox **ret_mb)
{
	struct maildir *md = calloc(1, sizeof(*md));
	struct stat st;
	int r;

	if (!md)
		return -ENOMEM;
	md->base.ops = &backend_maildir;
	md->session = session;
	md->report = report;
	md->lock_fd = md->msg_fd = -1;
	md->dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (md->dir_fd < 0) {
		r = -errno;
		goto fail;
	}
	if (fstatat(md->dir_fd, "cur", &st, 0) < 0 || !S_ISDIR(st.st_mode) ||
	    fstatat(md->dir_fd, "new", &st, 0) < 0 || !S_ISDIR(st.st_mode)) {
		r = -ENOENT;
		goto fail;
	}
	/* A dry run (--scan) takes no lock: it writes nothing and shows a
	 * snapshot, as a session would see it now. */
	if (!session->readonly) {
		/* The kernel drops the flock on any exit (kill -9 included). */
		if (flock(md->dir_fd, LOCK_EX | LOCK_NB) < 0) {
			r = errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
			if (r == -EWOULDBLOCK)
				maildir_lock_holder(md->dir_fd, report->holder, sizeof(report->holder));
			goto fail;
		}
		md->locked = true;
		r = maildir_lock(md->dir_fd, session->remote, &md->lock_fd, report->holder,
		                 sizeof(report->holder));
		if (r == 0 && intent_store_full(md->dir_fd))
			r = -ENOSPC;   /* locked, but nothing else of ours fits */
		if (r == -ENOSPC || r == -EDQUOT) {
			/* No block or inode left: the flock alone (a second
			 * session is told IN-USE without who), and none of our
			 * own files this session, so that the user can still
			 * fetch and delete mail, which frees space. */
			md->full = true;
			report->store_full = true;
			r = 0;
		}
		if (r == -EACCES || r == -EROFS)
			r = 0;   /* read-only: the flock alone */
		if (r < 0)
			goto fail;
		md->lock_touch = md->lock_fd >= 0;
		/* Under the lock: an UPDATE a crash interrupted is finished
		 * before anything is listed (all or nothing). */
		if ((r = roll_forward(md)) < 0)
			goto fail;
		/* Under the lock: no other session reads or writes the record. */
		if (!md->full &&
		    (r = login_delay_begin(session, report, md->dir_fd, MAILDIR_LOGIN, &md->login)) < 0)
			goto fail;
	}
	*ret_mb = &md->base;
	return 0;
fail:
	maildir_close(&md->base);
	return r;
}

/* ------------------------------------------------------------ the list */

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

/* Sort the list in delivery order: keys of 16 octets sorted, then the
 * records moved into place along the permutation's cycles (no second
 * copy of the list). 0 or -ENOMEM. */
static int sort_list(struct maildir_list *l)
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

/* ------------------------------------------------------------ reading */

/* Wire size of a message file. */
static int file_size(int fd, uint64_t *ret)
{
	char buf[MSG_CHUNK];
	struct wire_size ws;
	ssize_t n;

	wire_size_init(&ws);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		wire_size_feed(&ws, buf, (size_t)n);
	}
	return wire_size_end(&ws, ret);
}

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

/* Add the messages of subdir s (new or cur) to the list. readdir's
 * buffer is getdents-sized already (32 KB in glibc). */
static int read_subdir(struct maildir *md, int s)
{
	int fd = openat(md->dir_fd, subdirs[s], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		r = maildir_list_add(&md->list, subdirs[s], de->d_name, strlen(de->d_name), 0, 0);
		if (r == -EINVAL)
			r = 0;   /* longer than NAME_MAX: not possible, not ours */
		else if (r == 0 && de->d_type == DT_REG)
			/* A regular file and its inode, known without a stat
			 * (0: unknown, size_msg stats it). */
			md->list.msgs[md->list.count - 1].ino = (uint64_t)de->d_ino;
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}

/* Find message i again by base name after another process renamed it
 * (new/ to cur/, or a flag change), and record its name. The directories
 * are read once for all such messages (maildir_find.c), and again only
 * when that reading is older than the message's move. 0 or -ENOENT. */
static int relocate(struct maildir *md, size_t i)
{
	struct maildir_list *l = &md->list;
	const char *base = maildir_base(l, i), *found = NULL;
	size_t blen = l->msgs[i].base_len;
	char buf[MAILDIR_PATH_MAX];
	const char *now;
	bool fresh = false;

	if (!l->moved && !(l->moved = calloc(l->count ? l->count : 1, sizeof(*l->moved))))
		return -ENOENT;
	now = maildir_path(l, i, buf);
	for (int pass = 0; pass < 2 && !found; pass++) {
		if (!md->find.built || pass == 1) {
			if (maildir_find_build(md->dir_fd, &md->find) < 0)
				return -ENOENT;
			fresh = true;
		}
		found = maildir_find(&md->find, base, blen);
		/* The name that just failed: the reading predates the move. */
		if (found && !strcmp(found, now))
			found = NULL;
		if (fresh)
			break;
	}
	if (!found)
		return -ENOENT;
	free(l->moved[i]);
	if (!(l->moved[i] = strdup(found)))
		return -ENOENT;
	return 0;
}

/* Open message i's file: O_NONBLOCK so a FIFO planted in cur/ cannot hang
 * the session; only regular files are messages. *ret_size (if not NULL):
 * its size. */
static int open_msg(struct maildir *md, size_t i, uint64_t *ret_size)
{
	const int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
	char buf[MAILDIR_PATH_MAX];
	int fd = openat(md->dir_fd, maildir_path(&md->list, i, buf), flags);
	struct stat st;

	if (fd < 0 && errno == ENOENT && relocate(md, i) == 0)
		fd = openat(md->dir_fd, maildir_path(&md->list, i, buf), flags);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if (ret_size)
		*ret_size = (uint64_t)st.st_size;
	return fd;
}

/* The first valid ",S=digits" and ",W=digits" of a base name (each -1
 * when missing), in one pass (every name is looked at on each login). */
static void name_fields(const char *base, size_t len, int64_t *ret_s, int64_t *ret_w)
{
	*ret_s = *ret_w = -1;
	for (const char *p = base, *end = base + len; (p = memchr(p, ',', (size_t)(end - p)));
	     p++) {
		int64_t *field;
		uint64_t v = 0;
		const char *q = p + 3;

		if (end - p < 4 || p[2] != '=')
			continue;
		if (p[1] == 'S')
			field = ret_s;
		else if (p[1] == 'W')
			field = ret_w;
		else
			continue;
		if (*field >= 0)
			continue;
		for (; q < end && *q >= '0' && *q <= '9' && v < (1ULL << 60); q++)
			v = v * 10 + (uint64_t)(*q - '0');
		if (q > p + 3 && (q == end || *q == ','))
			*field = (int64_t)v;
	}
}

/* The sizes a base name carries (",S=RAW" and ",W=WIRE", as Dovecot's
 * and others' delivery agents write them): true when both are there and
 * possible together. */
static bool name_sizes(const char *base, size_t len, uint64_t *ret_raw, uint64_t *ret_wire)
{
	int64_t s, w;

	name_fields(base, len, &s, &w);
	if (s < 0 || w < 0 || (uint64_t)s > MAILDIR_RAW_MAX ||
	    !maildir_wire_plausible((uint64_t)s, (uint64_t)w))
		return false;
	*ret_raw = (uint64_t)s;
	*ret_wire = (uint64_t)w;
	return true;
}

/* Fill message i's raw, wire and ino. A name with ,S= and ,W= whose file
 * is known to be a regular file (readdir's d_type, or a fresh cache) and
 * whose inode is known (d_ino, or the cache) needs no stat: its sizes are
 * taken from the name, as Dovecot and Courier do, unless the old cache
 * recorded other sizes for it (a name found wrong: see size_wrong), and
 * are checked where they matter, when the message is opened and sent.
 * Otherwise the wire size comes, cheapest first, from the old cache (same
 * base name, same file size), from the name's ,W= when its ,S= equals the
 * file size, or from reading the file. -ENOENT and the like: not a
 * message. */
static int size_msg(struct maildir *md, size_t i, const struct maildir_msg *old,
                    bool *ret_changed)
{
	struct maildir_msg *m = &md->list.msgs[i];
	const char *base = maildir_base(&md->list, i);
	/* Copied first: old may be m itself (a fresh cache's own entry). */
	const bool have = old != NULL;
	const uint64_t old_raw = have ? old->raw : 0, old_wire = have ? old->wire : 0;
	char buf[MAILDIR_PATH_MAX];
	struct stat st;
	uint64_t s, w;
	int fd, r;

	if (m->ino && name_sizes(base, m->base_len, &s, &w) &&
	    (!have || (old_raw == s && old_wire == w))) {
		if (!have || old != m)
			*ret_changed = true;
		m->raw = s;
		m->wire = w;
		return 0;
	}
	if (fstatat(md->dir_fd, maildir_path(&md->list, i, buf), &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT || relocate(md, i) < 0 ||
		    fstatat(md->dir_fd, maildir_path(&md->list, i, buf), &st, AT_SYMLINK_NOFOLLOW) < 0)
			return -ENOENT;
		*ret_changed = true;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAILDIR_RAW_MAX)
		return -EINVAL;
	m->raw = (uint64_t)st.st_size;
	m->ino = (uint64_t)st.st_ino;
	if (have && old_raw == m->raw) {
		m->wire = old_wire;
		return 0;
	}
	*ret_changed = true;
	if (name_sizes(base, m->base_len, &s, &w) && s == m->raw) {
		m->wire = w;
		return 0;
	}
	fd = open_msg(md, i, NULL);
	if (fd < 0)
		return fd;
	r = file_size(fd, &m->wire);
	close(fd);
	return r;
}

/* The state of new/ and cur/ now. *ret_trusted is false while either was
 * changed within the last two seconds: a change in the same clock tick
 * would not change the stamp, so such a list must not be called fresh. */
static int read_stamps(struct maildir *md, struct maildir_stamp stamps[2], bool *ret_trusted)
{
	struct timespec now;
	bool trusted = clock_gettime(CLOCK_REALTIME, &now) == 0;

	for (int s = 0; s < 2; s++) {
		struct stat st;
		if (fstatat(md->dir_fd, subdirs[s], &st, 0) < 0)
			return -errno;
		maildir_stamp_of(&st, &stamps[s]);
		trusted = trusted && st.st_mtim.tv_sec + 2 <= now.tv_sec;
	}
	*ret_trusted = trusted;
	return 0;
}

/* Whether messages a and b have the same place in the order (the list's
 * duplicates check: maildir_list_cmp() == 0). Names that start with a
 * non-zero digit compare equal only when identical (cmp_base), so most
 * pairs are told apart by their lengths or first octets. */
static bool same_base(const struct maildir_list *l, size_t a, size_t b)
{
	const struct maildir_msg *x = &l->msgs[a], *y = &l->msgs[b];
	const char *p = l->names + x->name_off, *q = l->names + y->name_off;

	if (p[0] >= '1' && p[0] <= '9' && q[0] >= '1' && q[0] <= '9')
		return x->base_len == y->base_len && !memcmp(p, q, x->base_len);
	return maildir_list_cmp(l, a, b) == 0;
}

/* Size every listed message, dropping those that are gone or not files.
 * old (sorted like the list, or the list itself when it came from a
 * fresh cache) supplies sizes already known. */
static int size_all(struct maildir *md, const struct maildir_list *old, bool *ret_changed)
{
	struct maildir_list *l = &md->list;
	size_t out = 0, j = 0;

	for (size_t i = 0; i < l->count; i++) {
		struct maildir_msg *m = &l->msgs[i];
		const struct maildir_msg *o = NULL;
		bool keep = true;
		int c = 1;

		/* Moved from new/ to cur/ while we read the two: keep one. (A
		 * cache's list has no base name twice: its load checked that.) */
		if (old != l && out > 0 && same_base(l, out - 1, i)) {
			keep = false;
		} else {
			if (old == l) {
				o = m;
			} else {
				while (old && j < old->count &&
				       (c = cmp_msg(old->names, &old->msgs[j], l->names, m)) < 0)
					j++;
				if (old && j < old->count && c == 0)
					o = &old->msgs[j];
			}
			/* gone, or not a message */
			keep = size_msg(md, i, o, ret_changed) == 0;
		}
		if (!keep) {
			*ret_changed = true;
			if (l->moved) {
				free(l->moved[i]);
				l->moved[i] = NULL;
			}
			continue;
		}
		if (l->moved && out != i) {
			l->moved[out] = l->moved[i];
			l->moved[i] = NULL;
		}
		l->msgs[out++] = *m;
	}
	l->count = out;
	return 0;
}

/* Whether this session may write its files (not a dry run, and not on
 * a file system found full at login). */
static bool writable(const struct maildir *md)
{
	return !md->session->readonly && !md->full;
}

/* The UIDL of each listed message: its name's, or the one the ledger
 * remembers for it. */
static int apply_ledger(struct maildir *md)
{
	int r;

	md->scanned = (int64_t)time(NULL);
	/* The list starts with every UIDL the base name (MAILDIR_UIDL_BASE),
	 * unchecked: the ledger checks them as it reads (maildir_ledger.c). */
	r = maildir_ledger_apply(md->dir_fd, &md->list, &md->meta, md->session->config->uidl_format,
	                         md->report);
	if (r < 0)
		return r;
	/* A refused login records nothing: the next one is judged the same. */
	if (md->meta.dirty && writable(md) && !(md->session->uidl_hold && md->report->uidl.changed))
		maildir_ledger_save(md->dir_fd, &md->list, &md->meta, NULL, md->scanned);
	return 0;
}

static int maildir_scan(struct mailbox *mb, struct msginfo **ret_msgs, size_t *ret_count)
{
	struct maildir *md = (struct maildir *)mb;
	struct maildir_list old = { 0 };
	struct maildir_stamp stamps[2];
	bool trusted = false, fresh = false, changed = false;
	struct msginfo *info;
	int r;

	/* --expire: before the list is built, so the expired are not in it. */
	if (md->session->config->expire && writable(md) &&
	    (r = maildir_expire_run(md->dir_fd, md->session->config->expire_days,
	                            (int64_t)time(NULL), &md->report->expired)) < 0)
		return r;
	if ((r = read_stamps(md, stamps, &trusted)) < 0)
		return r;
	/* The cache is built whole only when its stamps say it lists the
	 * directories as they are; otherwise it is read after them, for the
	 * sizes it still knows, and never for more messages than they hold. */
	if (trusted && maildir_cache_load(md->dir_fd, stamps, SIZE_MAX, true, &old, &fresh) == 0 &&
	    fresh) {
		/* Nothing was added, removed or renamed since the cache was made:
		 * no readdir, no sort; each file's size is still checked. */
		md->list = old;
		old = (struct maildir_list){ 0 };
		size_all(md, &md->list, &changed);
		trusted = trusted && !changed;
		changed = changed || !fresh;
	} else {
		changed = true;
		if ((r = read_subdir(md, 0)) < 0 || (r = read_subdir(md, 1)) < 0) {
			maildir_list_free(&old);
			return r;
		}
		if ((r = sort_list(&md->list)) < 0) {
			maildir_list_free(&old);
			return r;
		}
		maildir_list_free(&old);
		if (maildir_cache_load(md->dir_fd, stamps, md->list.count, false, &old, &fresh) < 0)
			old = (struct maildir_list){ 0 };
		size_all(md, &old, &changed);
	}
	maildir_list_free(&old);
	/* Saved at close: the same list and stamps, after the replies. */
	md->cache_dirty = changed;
	memcpy(md->stamps, stamps, sizeof(md->stamps));
	md->stamps_trusted = trusted;
	if ((r = apply_ledger(md)) < 0)
		return r;
	info = calloc(md->list.count ? md->list.count : 1, sizeof(*info));
	if (!info)
		return -ENOMEM;
	for (size_t i = 0; i < md->list.count; i++) {
		info[i].size = md->list.msgs[i].wire;
		/* In the list's arenas, which do not move after scan: the
		 * names arena only grows in read_subdir and the cache load, and
		 * relocate() keeps its names apart. */
		info[i].uidl = maildir_uidl(&md->list, i);
	}
	*ret_msgs = info;
	*ret_count = md->list.count;
	return 0;
}

static bool is_wrong(const struct maildir *md, size_t idx)
{
	for (size_t k = 0; k < md->wrong_count; k++)
		if (md->wrong[k] == idx)
			return true;
	return false;
}

/* Message idx's listed size is not what RETR sends (a name's ,S= or ,W=
 * that lies, or a file changed in place): remember it, so that it is not
 * served again this session and is measured at close. */
static void size_wrong(struct maildir *md, size_t idx)
{
	size_t *p;

	if (is_wrong(md, idx) ||
	    !(p = reallocarray(md->wrong, md->wrong_count + 1, sizeof(*p))))
		return;
	md->wrong = p;
	md->wrong[md->wrong_count++] = idx;
}

/* At close: the true sizes of the messages found wrong (read from their
 * files), for the cache (written with the stamps of the scan: only sizes
 * changed, so it is as fresh as the list scan made), so that the next
 * session lists them right. Nothing when the files are gone. */
static void resize_wrong(struct maildir *md)
{
	for (size_t k = 0; k < md->wrong_count; k++) {
		struct maildir_msg *m = &md->list.msgs[md->wrong[k]];
		uint64_t raw = 0, wire;
		int fd = open_msg(md, md->wrong[k], &raw);

		if (fd < 0)
			continue;
		if (raw <= MAILDIR_RAW_MAX && file_size(fd, &wire) == 0 &&
		    maildir_wire_plausible(raw, wire)) {
			m->raw = raw;
			m->wire = wire;
			md->cache_dirty = true;
		}
		close(fd);
	}
}

static int maildir_msg_open(struct mailbox *mb, size_t idx)
{
	struct maildir *md = (struct maildir *)mb;
	uint64_t raw = 0;   /* set by open_msg when it succeeds */
	int fd;

	if (idx >= md->list.count)
		return -EINVAL;
	/* Refused rather than sent with another size than listed (the core
	 * would drop the connection); the next session lists it right. */
	if (is_wrong(md, idx))
		return -ESTALE;
	fd = open_msg(md, idx, &raw);
	if (fd < 0)
		return fd;
	/* The file size scan listed (from the file, or the name's ,S=):
	 * checked here, where the fstat is free. */
	if (raw != md->list.msgs[idx].raw) {
		close(fd);
		size_wrong(md, idx);
		return -ESTALE;
	}
	md->msg_fd = fd;
	/* Keep the lock young for other hosts' staleness check. */
	if (md->lock_touch)
		futimens(md->lock_fd, NULL);
	return 0;
}

static ssize_t maildir_msg_read(struct mailbox *mb, void *buf, size_t len)
{
	struct maildir *md = (struct maildir *)mb;
	ssize_t n;

	do
		n = read(md->msg_fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static void maildir_msg_close(struct mailbox *mb)
{
	struct maildir *md = (struct maildir *)mb;

	if (md->msg_fd >= 0)
		close(md->msg_fd);
	md->msg_fd = -1;
}

static void maildir_msg_size_wrong(struct mailbox *mb, size_t idx)
{
	struct maildir *md = (struct maildir *)mb;

	if (idx < md->list.count)
		size_wrong(md, idx);
}

/* --expire: give each message retrieved and kept the S flag (the base
 * name, and so the UIDL, stays). A failure only means the message is not
 * expired later: it is not reported. */
static void mark_seen(struct maildir *md, const bool *deleted, size_t count)
{
	char to[MAILDIR_PATH_MAX], buf[MAILDIR_PATH_MAX];

	for (size_t i = 0; i < count && i < md->list.count; i++) {
		const char *from;

		if (deleted[i] || !md->session->retrieved[i])
			continue;
		from = maildir_path(&md->list, i, buf);
		if (maildir_seen_name(from, to, sizeof(to)) <= 0)
			continue;
		if (renameat(md->dir_fd, from, md->dir_fd, to) == 0 || errno != ENOENT ||
		    relocate(md, i) < 0)
			continue;
		from = maildir_path(&md->list, i, buf);
		if (maildir_seen_name(from, to, sizeof(to)) > 0)
			renameat(md->dir_fd, from, md->dir_fd, to);
	}
}

/* The intent line of message i (commit_intent.h). */
static void intent_name(struct intent_writer *w, const char *base, size_t blen)
{
	char line[2 + 2 * MAILDIR_MAX_NAME + 1];
	bool plain = maildir_printable(base, blen);

	line[0] = plain ? 'n' : 'x';
	line[1] = ' ';
	if (plain) {
		memcpy(line + 2, base, blen);
		line[2 + blen] = '\0';
	} else {
		hex_encode(base, blen, line + 2);
	}
	intent_line(w, line);
}

/* Make the unlinks in new/ and cur/ durable. */
static int sync_subdirs(int dir_fd)
{
	for (int s = 0; s < 2; s++) {
		int fd = openat(dir_fd, subdirs[s], O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;
		if (fd < 0 || (fsync(fd) < 0 && errno != EINVAL))
			r = -errno;
		if (fd >= 0)
			close(fd);
		if (r < 0)
			return r;
	}
	return 0;
}

/* One line of a record left by an interrupted UPDATE: remove that
 * message wherever it is now (gone already is what was asked). */
static int replay_line(char *line, void *arg)
{
	struct maildir *md = arg;
	char base[MAILDIR_MAX_NAME + 1];
	const char *found;
	size_t blen = 0, len = strlen(line);

	if (len < 3 || line[1] != ' ')
		return -EBADMSG;
	if (line[0] == 'n' && len - 2 <= MAILDIR_MAX_NAME) {
		blen = len - 2;
		memcpy(base, line + 2, blen);
	} else if (line[0] == 'x' && len % 2 == 0 && (len - 2) / 2 <= MAILDIR_MAX_NAME) {
		for (size_t k = 2; k < len; k += 2) {
			unsigned v;
			if (sscanf(line + k, "%2x", &v) != 1)
				return -EBADMSG;
			base[blen++] = (char)v;
		}
	} else {
		return -EBADMSG;
	}
	base[blen] = '\0';
	if (!blen || base[0] == '.' || memchr(base, '/', blen) || memchr(base, ':', blen) ||
	    memchr(base, '\0', blen))
		return -EBADMSG;
	if (!md->find.built && maildir_find_build(md->dir_fd, &md->find) < 0)
		return -ENOMEM;
	if ((found = maildir_find(&md->find, base, blen)) &&
	    unlinkat(md->dir_fd, found, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* Finish an UPDATE that a crash interrupted (its intent record is
 * there), under the lock, before the scan. A record that is not ours is
 * dropped; a failure leaves it for the next session and fails this one
 * ([SYS/TEMP]), as the failed UPDATE did. */
static int roll_forward(struct maildir *md)
{
	int r = intent_replay(md->dir_fd, MAILDIR_INTENT, replay_line, md);

	/* A record being written when the session was killed: never acted on. */
	(void)unlinkat(md->dir_fd, MAILDIR_INTENT ".tmp", 0);

	if (r == -EBADMSG)
		r = 0;
	if (r == 1 && (r = sync_subdirs(md->dir_fd)) == 0)
		intent_remove(md->dir_fd, MAILDIR_INTENT);
	/* The directories changed: the next relocate reads them again. */
	maildir_find_free(&md->find);
	return r;
}

/* UPDATE (RFC 1939 §6), all or nothing as the client can tell: the
 * names to remove are recorded and made durable first, so that a kill
 * or a power loss in the middle is finished by the next session. With no
 * block or inode left for the record, the unlinks go ahead without it:
 * deleting is how the user frees a full disk. */
static int maildir_commit(struct mailbox *mb, const bool *deleted, size_t count)
{
	struct maildir *md = (struct maildir *)mb;
	struct intent_writer *w = NULL;
	bool any = false, recorded = false;
	int r = 0;

	for (size_t i = 0; i < count && i < md->list.count && !any; i++)
		any = deleted[i];
	if (any && !md->session->readonly) {
		if (!(w = malloc(sizeof(*w))))
			return -ENOMEM;
		r = md->full ? -ENOSPC : intent_begin(w, md->dir_fd, MAILDIR_INTENT);
		if (r == 0) {
			for (size_t i = 0; i < count && i < md->list.count; i++)
				if (deleted[i])
					intent_name(w, maildir_base(&md->list, i),
					            md->list.msgs[i].base_len);
			r = intent_commit(w);
		}
		free(w);
		recorded = r == 0;
		if (r < 0 && !intent_unavailable(r))
			return r;
		r = 0;
	}
	for (size_t i = 0; i < count && i < md->list.count; i++) {
		char buf[MAILDIR_PATH_MAX];

		if (!deleted[i])
			continue;
		if (unlinkat(md->dir_fd, maildir_path(&md->list, i, buf), 0) == 0)
			continue;
		if (errno == ENOENT && relocate(md, i) == 0 &&
		    unlinkat(md->dir_fd, maildir_path(&md->list, i, buf), 0) == 0)
			continue;
		/* Already gone is what was asked; anything else is a failure. */
		if (errno != ENOENT && r == 0)
			r = -errno;
	}
	if (r == 0 && md->session->config->expire && md->session->retrieved)
		mark_seen(md, deleted, count);
	/* The ledger forgets what was deleted, so those are not counted as
	 * gone next time. */
	if (r == 0 && md->meta.applied && any && writable(md))
		maildir_ledger_save(md->dir_fd, &md->list, &md->meta, deleted, md->scanned);
	/* Make the unlinks durable before "+OK" tells the client so. */
	if (r == 0)
		r = sync_subdirs(md->dir_fd);
	/* Done and durable: the record has served. (On a failure it stays,
	 * and the next session finishes the UPDATE.) */
	if (r == 0 && recorded)
		intent_remove(md->dir_fd, MAILDIR_INTENT);
	return r;
}

/* The old servers' UIDLs it can take over (maildir_migrate.c); popa3d's
 * are mbox's. */
static const char *const uidl_formats[] = { "maildir", "dovecot", "courier", "x-uidl", "map:",
                                            NULL };

const struct backend_ops backend_maildir = {
	.name = "maildir",
	.default_mailbox = "%h/Maildir",
	.flags = BACKEND_READONLY | BACKEND_EXPIRY,
	.uidl_formats = uidl_formats,
	.uidl_format_refusal = " is for --backend=mbox (popa3d serves mbox spools)",
	.open = maildir_open,
	.scan = maildir_scan,
	.msg_open = maildir_msg_open,
	.msg_read = maildir_msg_read,
	.msg_close = maildir_msg_close,
	.msg_size_wrong = maildir_msg_size_wrong,
	.commit = maildir_commit,
	.release = maildir_release,
	.close = maildir_close,
};
