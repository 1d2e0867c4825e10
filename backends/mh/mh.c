/* The MH backend: a folder of numbered message files (MH, nmh, Claws
 * Mail, and the t/messages folder of the Mail::Box test server).
 *
 * Messages: files whose names are decimal numbers without a leading zero,
 * in numeric order; anything else (.mh_sequences, ",3" backups, editors'
 * files, subfolders) is not a message. UIDL: X-UIDL, else a digest of
 * the header (uidl_digest.h), not the number: MH reuses the highest
 * number after it is deleted, and "folder -pack" renumbers everything;
 * an inode is reused just as fast. Lock: flock(2) on the folder itself,
 * then on .onepop.lock in it (a dot-file, so MH tools ignore it; what
 * older onepop sessions lock), which is left out when the file system has
 * no inode for it; the kernel drops both however the process ends.
 * Commit: an intent record (commit_intent.h), then unlink the deleted
 * files, then take them out of .mh_sequences (mh_sequences.c). --expire
 * and --login-delay: mh_expire.c and login_delay.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commit_intent.h"
#include "login_delay.h"
#include "mh_expire.h"
#include "mh_sequences.h"
#include "session_lock.h"
#include "uidl_digest.h"

/* MH message numbers fit in an int in every MH implementation. */
#define MH_MAX_NUMBER 999999999UL
/* --login-delay's record: a dot-file, so MH tools ignore it. */
#define MH_LOGIN ".onepop-login"
/* The record of an UPDATE under way: a line "NUMBER DEV INO SIZE MTIME
 * NSEC" a message, so that a file delivered under a reused number
 * later is never taken for it. */
#define MH_INTENT ".onepop-intent"

struct mh {
	struct mailbox base;
	int dir_fd;
	int lock_fd;
	bool locked;            /* holds the flock on dir_fd */
	bool full;              /* no inode for the lock file: write nothing */
	FILE *rd;               /* the open message */
	unsigned long *nums;    /* message numbers, ascending */
	char (*uidls)[MAX_UIDL + 1];    /* what scan's msginfo points to */
	size_t count;
	const struct backend_session *session;
	struct backend_report *report;
	struct login_delay login;
};

extern const struct backend_ops backend_mh;

static int roll_forward(struct mh *h);

/* Give up the session lock (at QUIT, before the reply, or at close). */
static void mh_release(struct mailbox *mb)
{
	struct mh *h = (struct mh *)mb;

	login_delay_end(h->session, h->dir_fd, MH_LOGIN, &h->login, h->count);
	if (h->lock_fd >= 0)
		close(h->lock_fd);
	h->lock_fd = -1;
	if (h->locked)
		(void)flock(h->dir_fd, LOCK_UN);
	h->locked = false;
}

static void mh_close(struct mailbox *mb)
{
	struct mh *h = (struct mh *)mb;

	if (!h)
		return;
	mh_release(mb);
	if (h->rd)
		fclose(h->rd);
	if (h->dir_fd >= 0)
		close(h->dir_fd);
	free(h->nums);
	free(h->uidls);
	free(h);
}

static int mh_open(const char *path, const struct backend_session *session,
                   struct backend_report *report, struct mailbox **ret_mb)
{
	struct mh *h = calloc(1, sizeof(*h));
	int r;

	if (!h)
		return -ENOMEM;
	h->base.ops = &backend_mh;
	h->session = session;
	h->report = report;
	h->lock_fd = -1;
	h->dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (h->dir_fd < 0) {
		r = -errno;
		goto fail;
	}
	/* A dry run (--scan) writes nothing, not even the lock file. */
	if (!session->readonly) {
		/* The folder first: it needs no inode, so it works on a full
		 * file system, and every session takes it. */
		if (flock(h->dir_fd, LOCK_EX | LOCK_NB) < 0) {
			r = errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
			goto fail;
		}
		h->locked = true;
		r = session_lock_take(h->dir_fd, ".onepop.lock");
		if (r >= 0 && intent_store_full(h->dir_fd)) {
			h->lock_fd = r;
			r = -ENOSPC;   /* locked, but nothing else of ours fits */
		}
		if (r == -ENOSPC || r == -EDQUOT) {
			h->full = true;
			report->store_full = true;
		} else if (r < 0) {
			goto fail;
		} else {
			h->lock_fd = r;
		}
		/* Under the lock: an UPDATE a crash cut short is finished. */
		if ((r = roll_forward(h)) < 0)
			goto fail;
	}
	/* Under the lock: no other session reads or writes the record. */
	if (!h->full && (r = login_delay_begin(session, report, h->dir_fd, MH_LOGIN, &h->login)) < 0)
		goto fail;
	*ret_mb = &h->base;
	return 0;
fail:
	mh_close(&h->base);
	return r;
}

/* The message number a file name stands for, or 0 for a non-message. */
static unsigned long msg_number(const char *name)
{
	unsigned long n = 0;

	if (name[0] < '1' || name[0] > '9')
		return 0;
	for (; *name; name++) {
		if (*name < '0' || *name > '9')
			return 0;
		n = n * 10 + (unsigned long)(*name - '0');
		if (n > MH_MAX_NUMBER)
			return 0;
	}
	return n;
}

static int cmp_num(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return (x > y) - (x < y);
}

static FILE *open_msg(struct mh *h, unsigned long num)
{
	char name[16];
	struct stat st;
	FILE *f;
	int fd;

	snprintf(name, sizeof(name), "%lu", num);
	/* O_NONBLOCK: a FIFO named like a message must not hang the session
	 * (with the lock held) before the type is checked. Regular files
	 * ignore the flag. */
	fd = openat(h->dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(f = fdopen(fd, "r"))) {
		close(fd);
		return NULL;
	}
	return f;
}

/* Size and UIDL of one message file, read in blocks: a line longer than
 * a block goes to the digest in parts, so memory does not grow with it. */
static int read_info(FILE *f, struct msginfo *info, char uidl[MAX_UIDL + 1])
{
	struct uidl_digest d;
	struct wire_size ws;
	char buf[MSG_CHUNK];
	bool start = true;      /* buf[0] starts a line */
	size_t n;
	int r;

	wire_size_init(&ws);
	uidl_digest_init(&d);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		const char *p = buf, *end = buf + n, *lf;

		wire_size_feed(&ws, buf, n);
		/* Past the header only the size matters. */
		for (; p < end && d.in_header; p = lf + 1) {
			if (!(lf = memchr(p, '\n', (size_t)(end - p)))) {
				uidl_digest_part(&d, p, (size_t)(end - p), false);
				start = false;
				break;
			}
			if (start)
				uidl_digest_line(&d, p, (size_t)(lf + 1 - p));
			else
				uidl_digest_part(&d, p, (size_t)(lf + 1 - p), true);
			start = true;
		}
	}
	/* A last line without LF is a line too. */
	if (!start)
		uidl_digest_part(&d, "", 0, true);
	r = ferror(f) ? -EIO : wire_size_end(&ws, &info->size);
	uidl_digest_end(&d, uidl);
	info->uidl = uidl;
	return r;
}

static int list_numbers(struct mh *h)
{
	int fd = openat(h->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	size_t cap = 0;
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		unsigned long n = msg_number(de->d_name);

		if (!n)
			continue;
		if (h->count == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			void *p = reallocarray(h->nums, ncap, sizeof(*h->nums));
			if (!p) {
				closedir(d);
				return -ENOMEM;
			}
			h->nums = p;
			cap = ncap;
		}
		h->nums[h->count++] = n;
	}
	closedir(d);
	if (h->count)   /* an empty folder has no array: qsort(NULL) is UB */
		qsort(h->nums, h->count, sizeof(*h->nums), cmp_num);
	return 0;
}

static int mh_scan(struct mailbox *mb, struct msginfo **ret_msgs, size_t *ret_count)
{
	struct mh *h = (struct mh *)mb;
	struct msginfo *info;
	size_t out = 0;
	int r;

	if ((r = list_numbers(h)) < 0)
		return r;
	/* --expire: before the list is built, so the expired are not in it. */
	if (!h->session->readonly && h->session->config->expire &&
	    (r = mh_expire_run(h->dir_fd, h->nums, &h->count, h->session->config->expire_days,
	                       (int64_t)time(NULL), &h->report->expired)) < 0)
		return r;
	info = calloc(h->count ? h->count : 1, sizeof(*info));
	h->uidls = calloc(h->count ? h->count : 1, sizeof(*h->uidls));
	if (!info || !h->uidls) {
		free(info);
		return -ENOMEM;
	}
	for (size_t i = 0; i < h->count; i++) {
		FILE *f = open_msg(h, h->nums[i]);

		/* Gone, unreadable or not a regular file: not a message. */
		if (!f)
			continue;
		r = read_info(f, &info[out], h->uidls[out]);
		fclose(f);
		if (r < 0)
			continue;
		h->nums[out++] = h->nums[i];
	}
	h->count = out;
	if ((r = uidl_make_unique(info, out)) < 0) {
		free(info);
		return r;
	}
	*ret_msgs = info;
	*ret_count = out;
	return 0;
}

static int mh_msg_open(struct mailbox *mb, size_t idx)
{
	struct mh *h = (struct mh *)mb;

	if (idx >= h->count)
		return -EINVAL;
	h->rd = open_msg(h, h->nums[idx]);
	return h->rd ? 0 : -ENOENT;
}

static ssize_t mh_msg_read(struct mailbox *mb, void *buf, size_t len)
{
	struct mh *h = (struct mh *)mb;
	size_t n = fread(buf, 1, len, h->rd);

	return n == 0 && ferror(h->rd) ? -EIO : (ssize_t)n;
}

static void mh_msg_close(struct mailbox *mb)
{
	struct mh *h = (struct mh *)mb;

	if (h->rd)
		fclose(h->rd);
	h->rd = NULL;
}

/* The intent line of message num as it is now, or -errno. */
static int intent_of(int dir_fd, unsigned long num, char *line, size_t size)
{
	char name[16];
	struct stat st;

	snprintf(name, sizeof(name), "%lu", num);
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	snprintf(line, size, "%lu %llu %llu %lld %lld %ld", num, (unsigned long long)st.st_dev,
	         (unsigned long long)st.st_ino, (long long)st.st_size, (long long)st.st_mtim.tv_sec,
	         (long)st.st_mtim.tv_nsec);
	return 0;
}

struct replay {
	struct mh *h;
	unsigned long *gone;
	size_t ngone, cap;
};

/* One line of a record left by an interrupted UPDATE: the file of that
 * number, if it is still the one recorded, goes. */
static int replay_line(char *line, void *arg)
{
	struct replay *rp = arg;
	char name[16], now[128];
	unsigned long num;
	int n = 0;

	if (sscanf(line, "%lu%n", &num, &n) != 1 || n <= 0 || !num || num > MH_MAX_NUMBER)
		return -EBADMSG;
	if (intent_of(rp->h->dir_fd, num, now, sizeof(now)) < 0 || strcmp(now, line) != 0)
		return 0;   /* gone, or another message now has the number */
	snprintf(name, sizeof(name), "%lu", num);
	if (unlinkat(rp->h->dir_fd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	if (rp->ngone == rp->cap) {
		size_t ncap = rp->cap ? rp->cap * 2 : 64;
		unsigned long *p = reallocarray(rp->gone, ncap, sizeof(*p));
		if (!p)
			return -ENOMEM;
		rp->gone = p;
		rp->cap = ncap;
	}
	rp->gone[rp->ngone++] = num;
	return 0;
}

/* Finish an UPDATE a crash cut short, before the scan. */
static int roll_forward(struct mh *h)
{
	struct replay rp = { .h = h };
	int r = intent_replay(h->dir_fd, MH_INTENT, replay_line, &rp);

	(void)unlinkat(h->dir_fd, MH_INTENT ".tmp", 0);
	if (r == -EBADMSG)
		r = 0;
	if (r == 1) {
		if (rp.ngone > 1)
			qsort(rp.gone, rp.ngone, sizeof(*rp.gone), cmp_num);
		r = 0;
		if (rp.ngone && fsync(h->dir_fd) < 0 && errno != EINVAL)
			r = -errno;
		if (r == 0 && rp.ngone)
			r = mh_sequences_remove(h->dir_fd, rp.gone, rp.ngone);
		if ((r == -ENOSPC || r == -EDQUOT) && intent_store_full(h->dir_fd))
			r = 0;   /* a full disk: sequences naming a gone file are harmless */
		if (r == 0)
			intent_remove(h->dir_fd, MH_INTENT);
	}
	free(rp.gone);
	return r;
}

/* Write the intent record of the deletions: 0 when it is durable,
 * 1 when it could not be made for lack of space (go on without), or a
 * negative errno. */
static int record_intent(struct mh *h, const bool *deleted, size_t count)
{
	struct intent_writer *w = malloc(sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	w->fd = -1;
	w->dir_fd = h->dir_fd;
	snprintf(w->tmp, sizeof(w->tmp), "%s.tmp", MH_INTENT);
	r = h->full ? -ENOSPC : intent_begin(w, h->dir_fd, MH_INTENT);
	for (size_t i = 0; r == 0 && i < count && i < h->count; i++) {
		char line[128];
		int e;

		if (!deleted[i])
			continue;
		if ((e = intent_of(h->dir_fd, h->nums[i], line, sizeof(line))) == 0)
			intent_line(w, line);
		else if (e != -ENOENT)
			r = e;
	}
	if (r == 0)
		r = intent_commit(w);   /* cleans up after itself */
	else
		intent_abort(w);
	free(w);
	return r < 0 && intent_unavailable(r) ? 1 : r;
}

static int mh_commit(struct mailbox *mb, const bool *deleted, size_t count)
{
	struct mh *h = (struct mh *)mb;
	unsigned long *gone;
	size_t ngone = 0;
	bool any = false;
	int r = 0, recorded = 1;

	for (size_t i = 0; i < count && i < h->count && !any; i++)
		any = deleted[i];
	if (any && (recorded = record_intent(h, deleted, count)) < 0)
		return recorded;
	gone = calloc(count ? count : 1, sizeof(*gone));
	if (!gone)
		return -ENOMEM;
	for (size_t i = 0; i < count && i < h->count; i++) {
		char name[16];

		if (!deleted[i])
			continue;
		snprintf(name, sizeof(name), "%lu", h->nums[i]);
		/* Already gone is what was asked; anything else is a failure. */
		if (unlinkat(h->dir_fd, name, 0) < 0 && errno != ENOENT && r == 0)
			r = -errno;
		gone[ngone++] = h->nums[i];
	}
	if (r == 0 && ngone > 0 && fsync(h->dir_fd) < 0 && errno != EINVAL)
		r = -errno;
	/* --expire: the retrieved join onepopretrieved in the same rewrite. */
	if (r == 0)
		r = mh_mark_retrieved(h->dir_fd, h->nums, count < h->count ? count : h->count, deleted,
		                      h->session->config->expire ? h->session->retrieved : NULL,
		                      gone, ngone);
	/* No room for the new .mh_sequences: the messages are gone all the
	 * same (that is what frees the disk), and a sequence naming a
	 * missing message is harmless to MH tools. */
	if ((r == -ENOSPC || r == -EDQUOT) && intent_store_full(h->dir_fd))
		r = 0;
	free(gone);
	/* Done and durable: the record has served (on a failure it stays,
	 * and the next session finishes the UPDATE). */
	if (r == 0 && recorded == 0)
		intent_remove(h->dir_fd, MH_INTENT);
	return r;
}

/* MH messages carry no other server's UIDLs: only the default (X-UIDL,
 * else the header digest) is accepted, so a migration option that would
 * do nothing is refused rather than silently ignored. */
static const char *const uidl_formats[] = { "x-uidl", NULL };

const struct backend_ops backend_mh = {
	.name = "mh",
	.default_mailbox = "%h/Mail/inbox",
	.flags = BACKEND_READONLY | BACKEND_EXPIRY,
	.uidl_formats = uidl_formats,
	.uidl_format_refusal = ": mh knows only x-uidl (the default)",
	.open = mh_open,
	.scan = mh_scan,
	.msg_open = mh_msg_open,
	.msg_read = mh_msg_read,
	.msg_close = mh_msg_close,
	.commit = mh_commit,
	.release = mh_release,
	.close = mh_close,
};
