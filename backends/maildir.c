/* The Maildir backend (the default): messages in new/ and cur/.
 *
 * UIDL: the base name (before ":"), unique by Maildir's own rules; a base
 * name longer than 70 octets or holding bytes outside 0x21-0x7E gets
 * "onepop-" + the hex MD5 of the base name instead (stable, derived).
 * Order: by the leading number of the base name (delivery time), then by
 * the rest of the name, so it does not change when a file moves from new/
 * to cur/ or its flags change.
 * Lock: flock(2) on DIR/onepop.lock for the whole session; the kernel
 * drops it when the process ends however it ends, so no stale lock. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <md5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "session_lock.h"
#include "wire.h"

struct maildir_msg {
	char *name;         /* "new/NAME" or "cur/NAME" relative to the Maildir */
	size_t base_len;    /* length of the base name (before ":") */
};

struct maildir {
	struct mailbox base;
	int dir_fd;
	int lock_fd;
	int msg_fd;         /* the open message, or -1 */
	struct maildir_msg *msgs;
	size_t count;
};

extern const struct backend_ops backend_maildir;

static const char *base_of(const struct maildir_msg *m)
{
	return m->name + 4;
}

static void maildir_close(struct mailbox *mb)
{
	struct maildir *md = (struct maildir *)mb;

	if (!md)
		return;
	for (size_t i = 0; i < md->count; i++)
		free(md->msgs[i].name);
	free(md->msgs);
	if (md->msg_fd >= 0)
		close(md->msg_fd);
	if (md->lock_fd >= 0)
		close(md->lock_fd);   /* releases the flock */
	if (md->dir_fd >= 0)
		close(md->dir_fd);
	free(md);
}

static int maildir_open(const char *path, struct mailbox **ret_mb)
{
	struct maildir *md = calloc(1, sizeof(*md));
	struct stat st;
	int r;

	if (!md)
		return -ENOMEM;
	md->base.ops = &backend_maildir;
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
	r = session_lock_take(md->dir_fd, "onepop.lock");
	if (r < 0)
		goto fail;
	md->lock_fd = r;
	*ret_mb = &md->base;
	return 0;
fail:
	maildir_close(&md->base);
	return r;
}

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

static void make_uidl(const char *base, size_t len, char out[MAX_UIDL + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[MD5_DIGEST_LENGTH];
	bool ok = len > 0 && len <= MAX_UIDL;
	MD5_CTX ctx;

	for (size_t i = 0; ok && i < len; i++)
		ok = base[i] > 0x20 && base[i] < 0x7f;
	if (ok) {
		memcpy(out, base, len);
		out[len] = '\0';
		return;
	}
	MD5Init(&ctx);
	MD5Update(&ctx, (const unsigned char *)base, len);
	MD5Final(d, &ctx);
	memcpy(out, "onepop-", 7);
	for (int i = 0; i < MD5_DIGEST_LENGTH; i++) {
		out[7 + 2 * i] = hex[d[i] >> 4];
		out[8 + 2 * i] = hex[d[i] & 15];
	}
	out[7 + 2 * MD5_DIGEST_LENGTH] = '\0';
}

/* Delivery order: leading decimal number (seconds), then the name. */
static int cmp_msgs(const void *a, const void *b)
{
	const struct maildir_msg *x = a, *y = b;
	const char *p = base_of(x), *q = base_of(y);
	size_t np = strspn(p, "0123456789"), nq = strspn(q, "0123456789");
	int c;

	while (np > 1 && *p == '0') { p++; np--; }
	while (nq > 1 && *q == '0') { q++; nq--; }
	if (np != nq)
		return np < nq ? -1 : 1;
	c = strncmp(p, q, np);
	if (c)
		return c;
	c = strncmp(p + np, q + nq, x->base_len - np < y->base_len - nq ?
	            x->base_len - np : y->base_len - nq);
	if (c)
		return c;
	return (x->base_len > y->base_len) - (x->base_len < y->base_len);
}

/* Add the messages of subdir ("new" or "cur") to md->msgs. */
static int read_subdir(struct maildir *md, const char *sub, size_t *cap)
{
	int fd = openat(md->dir_fd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		struct maildir_msg *m;
		char *colon;

		if (de->d_name[0] == '.')
			continue;
		if (md->count == *cap) {
			size_t ncap = *cap ? *cap * 2 : 64;
			void *p = reallocarray(md->msgs, ncap, sizeof(*md->msgs));
			if (!p) {
				closedir(d);
				return -ENOMEM;
			}
			md->msgs = p;
			*cap = ncap;
		}
		m = &md->msgs[md->count];
		if (asprintf(&m->name, "%s/%s", sub, de->d_name) < 0) {
			closedir(d);
			return -ENOMEM;
		}
		colon = strchr(de->d_name, ':');
		m->base_len = colon ? (size_t)(colon - de->d_name) : strlen(de->d_name);
		md->count++;
	}
	closedir(d);
	return 0;
}

/* Find a message again by base name after another process renamed it
 * (new/ to cur/, or a flag change), and update its name. 0 or -ENOENT. */
static int relocate(struct maildir *md, struct maildir_msg *m)
{
	static const char *const subs[] = { "cur", "new" };

	for (int s = 0; s < 2; s++) {
		int fd = openat(md->dir_fd, subs[s], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct dirent *de;
		DIR *d;

		if (fd < 0 || !(d = fdopendir(fd))) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		while ((de = readdir(d))) {
			char *name;
			if (strncmp(de->d_name, base_of(m), m->base_len) != 0 ||
			    (de->d_name[m->base_len] != ':' && de->d_name[m->base_len] != '\0'))
				continue;
			if (asprintf(&name, "%s/%s", subs[s], de->d_name) < 0)
				break;
			free(m->name);
			m->name = name;
			closedir(d);
			return 0;
		}
		closedir(d);
	}
	return -ENOENT;
}

static int open_msg(struct maildir *md, struct maildir_msg *m)
{
	int fd = openat(md->dir_fd, m->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && relocate(md, m) == 0)
		fd = openat(md->dir_fd, m->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int maildir_scan(struct mailbox *mb, struct msginfo **ret_msgs, size_t *ret_count)
{
	struct maildir *md = (struct maildir *)mb;
	struct msginfo *info;
	size_t cap = 0, out = 0;
	int r;

	if ((r = read_subdir(md, "new", &cap)) < 0 || (r = read_subdir(md, "cur", &cap)) < 0)
		return r;
	qsort(md->msgs, md->count, sizeof(*md->msgs), cmp_msgs);
	info = calloc(md->count ? md->count : 1, sizeof(*info));
	if (!info)
		return -ENOMEM;
	for (size_t i = 0; i < md->count; i++) {
		struct maildir_msg *m = &md->msgs[i];
		struct stat st;
		int fd;

		/* Moved from new/ to cur/ while we read the two: keep one. */
		if (out > 0 && md->msgs[out - 1].base_len == m->base_len &&
		    !strncmp(base_of(&md->msgs[out - 1]), base_of(m), m->base_len)) {
			free(m->name);
			continue;
		}
		fd = open_msg(md, m);
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
		    file_size(fd, &info[out].size) < 0) {
			/* Gone, or not a message: not part of this session. */
			if (fd >= 0)
				close(fd);
			free(m->name);
			continue;
		}
		close(fd);
		make_uidl(base_of(m), m->base_len, info[out].uidl);
		md->msgs[out++] = *m;
	}
	md->count = out;
	*ret_msgs = info;
	*ret_count = out;
	return 0;
}

static int maildir_msg_open(struct mailbox *mb, size_t idx)
{
	struct maildir *md = (struct maildir *)mb;
	int fd;

	if (idx >= md->count)
		return -EINVAL;
	fd = open_msg(md, &md->msgs[idx]);
	if (fd < 0)
		return fd;
	md->msg_fd = fd;
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

static int maildir_commit(struct mailbox *mb, const bool *deleted, size_t count)
{
	struct maildir *md = (struct maildir *)mb;
	int r = 0;

	for (size_t i = 0; i < count && i < md->count; i++) {
		struct maildir_msg *m = &md->msgs[i];

		if (!deleted[i])
			continue;
		if (unlinkat(md->dir_fd, m->name, 0) == 0)
			continue;
		if (errno == ENOENT && relocate(md, m) == 0 &&
		    unlinkat(md->dir_fd, m->name, 0) == 0)
			continue;
		/* Already gone is what was asked; anything else is a failure. */
		if (errno != ENOENT && r == 0)
			r = -errno;
	}
	/* Make the unlinks durable before "+OK" tells the client so. */
	for (int s = 0; r == 0 && s < 2; s++) {
		int fd = openat(md->dir_fd, s ? "cur" : "new", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || (fsync(fd) < 0 && errno != EINVAL))
			r = -errno;
		if (fd >= 0)
			close(fd);
	}
	return r;
}

const struct backend_ops backend_maildir = {
	.name = "maildir",
	.default_mailbox = "%h/Maildir",
	.open = maildir_open,
	.scan = maildir_scan,
	.msg_open = maildir_msg_open,
	.msg_read = maildir_msg_read,
	.msg_close = maildir_msg_close,
	.commit = maildir_commit,
	.close = maildir_close,
};
