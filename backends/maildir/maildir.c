/* The Maildir backend (the default): messages in new/ and cur/. This file
 * holds the operations (open, scan, messages, commit, close); the others
 * are its parts, and none of them calls back into this one:
 *   maildir_list.c     the list: names, order, UIDLs of names (a leaf)
 *   maildir_lines.c    the line reader of the cache and ledger (a leaf)
 *   maildir_find.c     where renamed files are now; opening a message
 *   maildir_size.c     file and wire sizes, the directories' stamps
 *   maildir_cache.c    the size cache, onepop.cache
 *   maildir_ledger.c   the UIDL ledger: matching it to the list
 *   maildir_ledger_file.c   its file, onepop-uidl: read, fast path, write
 *   maildir_migrate.c  the old server's UIDLs (--uidl-format)
 *   maildir_expire.c, maildir_lock.c   --expire; the session lock
 * Scan is the pipeline expire -> list -> size -> match the ledger ->
 * migrate the unmatched -> settle -> report.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "onepop/backend.h"
#include "commit_intent.h"
#include "hex.h"
#include "login_delay.h"
#include "maildir_cache.h"
#include "maildir_expire.h"
#include "maildir_find.h"
#include "maildir_ledger.h"
#include "maildir_list.h"
#include "maildir_lock.h"
#include "maildir_migrate.h"
#include "maildir_size.h"

/* The --login-delay record in the Maildir (login_delay.h). */
#define MAILDIR_LOGIN "onepop-login"

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
	struct maildir_find find;   /* for maildir_relocate, built on first need */
};

extern const struct backend_ops backend_maildir;

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
	free(md->meta.matched);
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

/* ------------------------------------------------------------ scan */

/* Add the messages of subdir s (new or cur) to the list. readdir's
 * buffer is getdents-sized already (32 KB in glibc). */
static int read_subdir(struct maildir *md, int s)
{
	int fd = openat(md->dir_fd, maildir_subdirs[s], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
		r = maildir_list_add(&md->list, maildir_subdirs[s], de->d_name, strlen(de->d_name), 0, 0);
		if (r == -EINVAL)
			r = 0;   /* longer than NAME_MAX: not possible, not ours */
		else if (r == 0 && de->d_type == DT_REG)
			/* A regular file and its inode, known without a stat
			 * (0: unknown, maildir_size_all stats it). */
			md->list.msgs[md->list.count - 1].ino = (uint64_t)de->d_ino;
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}

/* The list, in delivery order. When the stamps are trusted and the cache
 * says it lists the directories as they are: the cache's list (*ret_fresh
 * true: nothing was added, removed or renamed since it was made, so no
 * readdir and no sort). Otherwise the directories' list, and in *old the
 * cache's (or an empty list), read after them for the sizes it still
 * knows and never for more messages than they hold. */
static int list_build(struct maildir *md, const struct maildir_stamp stamps[2], bool trusted,
                      struct maildir_list *old, bool *ret_fresh)
{
	bool fresh = false;
	int r;

	if (trusted && maildir_cache_load(md->dir_fd, stamps, SIZE_MAX, true, old, &fresh) == 0 &&
	    fresh) {
		md->list = *old;
		*old = (struct maildir_list){ 0 };
		*ret_fresh = true;
		return 0;
	}
	*ret_fresh = false;
	if ((r = read_subdir(md, 0)) < 0 || (r = read_subdir(md, 1)) < 0 ||
	    (r = maildir_list_sort(&md->list)) < 0)
		return r;
	maildir_list_free(old);
	if (maildir_cache_load(md->dir_fd, stamps, md->list.count, false, old, &fresh) < 0)
		*old = (struct maildir_list){ 0 };
	return 0;
}

/* Whether this session may write its files (not a dry run, and not on
 * a file system found full at login). */
static bool writable(const struct maildir *md)
{
	return !md->session->readonly && !md->full;
}

/* UIDL continuity, for the core. */
/* The UIDL of each listed message: the one the ledger remembers for it,
 * else the old server's (--uidl-format), else its name's. */
static int scan_uidls(struct maildir *md)
{
	struct backend_uidl_report res = { 0 };
	struct maildir_ledger_match *match = NULL;
	int r;

	md->scanned = (int64_t)time(NULL);
	/* The list starts with every UIDL the base name (MAILDIR_UIDL_BASE),
	 * unchecked: the ledger checks them as it reads (maildir_ledger.c). */
	r = maildir_ledger_match(md->dir_fd, &md->list, &md->meta, &res, &match);
	/* The messages it did not match (all of them on the first login
	 * after a move); with every message matched, an old list that
	 * cannot be read still refuses. */
	if (r == 0)
		r = maildir_migrate_uidls(md->dir_fd, &md->list, md->meta.matched,
		                          md->session->config->uidl_format);
	if (r == 0)
		r = maildir_ledger_settle(md->dir_fd, &md->list, &md->meta, match, &res);
	maildir_ledger_match_free(match);
	md->report->uidl = res;
	if (r < 0)
		return r;
	/* A refused login records nothing: the next one is judged the same. */
	if (md->meta.dirty && writable(md) && !(md->session->uidl_hold && md->report->uidl.changed))
		maildir_ledger_save(md->dir_fd, &md->list, &md->meta, NULL, md->scanned);
	return 0;
}

/* The core's view of the list. */
static int scan_info(const struct maildir *md, struct msginfo **ret_msgs, size_t *ret_count)
{
	struct msginfo *info = calloc(md->list.count ? md->list.count : 1, sizeof(*info));

	if (!info)
		return -ENOMEM;
	for (size_t i = 0; i < md->list.count; i++) {
		info[i].size = md->list.msgs[i].wire;
		/* In the list's arenas, which do not move after scan: the
		 * names arena only grows in read_subdir and the cache load, and
		 * maildir_relocate keeps its names apart. */
		info[i].uidl = maildir_uidl(&md->list, i);
	}
	*ret_msgs = info;
	*ret_count = md->list.count;
	return 0;
}

/* expire -> list -> size -> match the ledger -> migrate the unmatched ->
 * report. */
static int maildir_scan(struct mailbox *mb, struct msginfo **ret_msgs, size_t *ret_count)
{
	struct maildir *md = (struct maildir *)mb;
	struct maildir_list old = { 0 };
	struct maildir_stamp stamps[2];
	bool trusted = false, fresh = false, changed;
	int r;

	/* --expire: before the list is built, so the expired are not in it. */
	if (md->session->config->expire && writable(md) &&
	    (r = maildir_expire_run(md->dir_fd, md->session->config->expire_days,
	                            (int64_t)time(NULL), &md->report->expired)) < 0)
		return r;
	if ((r = maildir_read_stamps(md->dir_fd, stamps, &trusted)) < 0)
		return r;
	if ((r = list_build(md, stamps, trusted, &old, &fresh)) < 0) {
		maildir_list_free(&old);
		return r;
	}
	/* Each file's size is still checked, also in a fresh cache's list. */
	changed = !fresh;
	maildir_size_all(md->dir_fd, &md->list, &md->find, fresh ? &md->list : &old, &changed);
	maildir_list_free(&old);
	if (fresh)
		trusted = trusted && !changed;
	/* Saved at close: the same list and stamps, after the replies. */
	md->cache_dirty = changed;
	memcpy(md->stamps, stamps, sizeof(md->stamps));
	md->stamps_trusted = trusted;
	if ((r = scan_uidls(md)) < 0)
		return r;
	return scan_info(md, ret_msgs, ret_count);
}

/* ------------------------------------------------------------ messages */

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
	for (size_t k = 0; k < md->wrong_count; k++)
		if (maildir_size_measure(md->dir_fd, &md->list, &md->find, md->wrong[k]) == 0)
			md->cache_dirty = true;
}

static int maildir_msg_open(struct mailbox *mb, size_t idx)
{
	struct maildir *md = (struct maildir *)mb;
	struct stat st;   /* set by maildir_file_open when it succeeds */
	int fd;

	if (idx >= md->list.count)
		return -EINVAL;
	/* Refused rather than sent with another size than listed (the core
	 * would drop the connection); the next session lists it right. */
	if (is_wrong(md, idx))
		return -ESTALE;
	fd = maildir_file_open(md->dir_fd, &md->list, &md->find, idx, &st);
	if (fd < 0)
		return fd;
	/* The file size scan listed (from the file, or the name's ,S=):
	 * checked here, where the fstat is free. */
	if ((uint64_t)st.st_size != md->list.msgs[idx].raw) {
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
		    maildir_relocate(md->dir_fd, &md->list, &md->find, i) < 0)
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
		int fd = openat(dir_fd, maildir_subdirs[s], O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;
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
	/* The directories changed: the next maildir_relocate reads them again. */
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
		if (errno == ENOENT && maildir_relocate(md->dir_fd, &md->list, &md->find, i) == 0 &&
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
