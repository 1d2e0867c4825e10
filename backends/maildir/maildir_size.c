/* Sizing the Maildir list: a message's wire size is what RETR sends
 * before dot-stuffing, so a file must be read to count its bare LFs.
 * Cheaper sources come first: the name's ,S= and ,W= (as Dovecot and
 * Courier write them), then the sizes the old cache recorded for the
 * same base name and file size; the file is read only when neither
 * says. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "onepop/backend.h"
#include "maildir_size.h"

int maildir_file_size(int fd, uint64_t len, uint64_t *ret)
{
	char buf[MSG_CHUNK];
	struct wire_size ws;
	ssize_t n = 1;

	wire_size_init(&ws);
	while (len > 0 && n != 0) {
		n = read(fd, buf, len < sizeof(buf) ? (size_t)len : sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		wire_size_feed(&ws, buf, (size_t)n);
		len -= (uint64_t)n;
	}
	return wire_size_end(&ws, ret);
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

bool maildir_name_sizes(const char *base, size_t len, uint64_t *ret_raw, uint64_t *ret_wire)
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

/* Message i's raw, wire and ino from its file: open, fstat, read, close
 * (no stat by path first: a cold scan of a Maildir without size hints
 * costs these four calls a message, as reading every file must). */
static int size_by_reading(int dir_fd, struct maildir_list *l, struct maildir_find *f, size_t i)
{
	struct maildir_msg *m = &l->msgs[i];
	struct stat st;
	int fd = maildir_file_open(dir_fd, l, f, i, &st), r;

	if (fd < 0)
		return fd;
	if ((uint64_t)st.st_size > MAILDIR_RAW_MAX) {
		close(fd);
		return -EINVAL;
	}
	m->raw = (uint64_t)st.st_size;
	m->ino = (uint64_t)st.st_ino;
	r = maildir_file_size(fd, m->raw, &m->wire);
	close(fd);
	return r;
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
static int size_msg(int dir_fd, struct maildir_list *l, struct maildir_find *f, size_t i,
                    const struct maildir_msg *old, bool *ret_changed)
{
	struct maildir_msg *m = &l->msgs[i];
	const char *base = maildir_base(l, i);
	/* Copied first: old may be m itself (a fresh cache's own entry). */
	const bool have = old != NULL;
	const uint64_t old_raw = have ? old->raw : 0, old_wire = have ? old->wire : 0;
	char buf[MAILDIR_PATH_MAX];
	struct stat st;
	uint64_t s, w;

	if (m->ino && maildir_name_sizes(base, m->base_len, &s, &w) &&
	    (!have || (old_raw == s && old_wire == w))) {
		if (!have || old != m)
			*ret_changed = true;
		m->raw = s;
		m->wire = w;
		return 0;
	}
	/* Nothing to compare a stat with: the file is read anyway. */
	if (!have && !maildir_name_sizes(base, m->base_len, &s, &w)) {
		*ret_changed = true;
		return size_by_reading(dir_fd, l, f, i);
	}
	if (fstatat(dir_fd, maildir_path(l, i, buf), &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT || maildir_relocate(dir_fd, l, f, i) < 0 ||
		    fstatat(dir_fd, maildir_path(l, i, buf), &st, AT_SYMLINK_NOFOLLOW) < 0)
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
	if (maildir_name_sizes(base, m->base_len, &s, &w) && s == m->raw) {
		m->wire = w;
		return 0;
	}
	return size_by_reading(dir_fd, l, f, i);
}

void maildir_size_all(int dir_fd, struct maildir_list *l, struct maildir_find *f,
                      const struct maildir_list *old, bool *ret_changed)
{
	size_t out = 0, j = 0;

	for (size_t i = 0; i < l->count; i++) {
		struct maildir_msg *m = &l->msgs[i];
		const struct maildir_msg *o = NULL;
		bool keep = true;
		int c = 1;

		/* Moved from new/ to cur/ while we read the two: keep one. (A
		 * cache's list has no base name twice: its load checked that.) */
		if (old != l && out > 0 && maildir_list_same(l, out - 1, i)) {
			keep = false;
		} else {
			if (old == l) {
				o = m;
			} else {
				while (old && j < old->count &&
				       (c = maildir_list_cmp2(old, j, l, i)) < 0)
					j++;
				if (old && j < old->count && c == 0)
					o = &old->msgs[j];
			}
			/* gone, or not a message */
			keep = size_msg(dir_fd, l, f, i, o, ret_changed) == 0;
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
}

int maildir_read_stamps(int dir_fd, struct maildir_stamp stamps[2], bool *ret_trusted)
{
	struct timespec now;
	bool trusted = clock_gettime(CLOCK_REALTIME, &now) == 0;

	for (int s = 0; s < 2; s++) {
		struct stat st;
		if (fstatat(dir_fd, maildir_subdirs[s], &st, 0) < 0)
			return -errno;
		maildir_stamp_of(&st, &stamps[s]);
		trusted = trusted && st.st_mtim.tv_sec + 2 <= now.tv_sec;
	}
	*ret_trusted = trusted;
	return 0;
}

int maildir_size_measure(int dir_fd, struct maildir_list *l, struct maildir_find *f, size_t i)
{
	uint64_t raw, wire = 0;
	struct stat st;
	int fd = maildir_file_open(dir_fd, l, f, i, &st), r;

	if (fd < 0)
		return fd;
	raw = (uint64_t)st.st_size;
	r = raw <= MAILDIR_RAW_MAX ? maildir_file_size(fd, raw, &wire) : -EFBIG;
	if (r == 0 && !maildir_wire_plausible(raw, wire))
		r = -EBADMSG;
	if (r == 0) {
		l->msgs[i].raw = raw;
		l->msgs[i].wire = wire;
	}
	close(fd);
	return r;
}
