/* The Maildir session lock: DIR/onepop-session.lock, made the NFS-safe way
 * (a unique file, then link(2), which is atomic on shared storage where
 * flock is not). It holds one line, "HOST PID SINCE ADDR": the host and
 * process of the session, when it took the lock (Unix seconds) and the
 * client's address, so a second session can be told who has the mailbox
 * ("-ERR [IN-USE] mailbox locked by a session from ADDR since TIME")
 * instead of waiting on a lock nobody explains. Older locks holding only
 * "HOST PID" are still understood.
 *
 * The caller holds the flock on the Maildir directory (maildir.c), which
 * every local session holds for as long as its lock file exists. So a
 * lock file found then is stale, and taken over at once, when:
 *   - it names this host: no session here holds the mailbox (whatever
 *     its pid is now: gone, reused, pid 1, a process that is not onepop,
 *     or a lock planted to lock the user out);
 *   - it names pid 1 or less, which no session is, on any host;
 *   - it is from another host sharing the store (NFS) and has not been
 *     touched for MAILDIR_LOCK_STALE seconds, or is dated that far in the
 *     future: a pid on another host cannot be checked, and a live session
 *     touches its lock at every message it opens and ends at --timeout
 *     when idle. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hostname.h"
#include "maildir_lock.h"

#define LOCK_NAME "onepop-session.lock"
/* Age after which another host's lock is taken over: far above the
 * default idle timeout (600 s), as touches keep a live one young. */
#define MAILDIR_LOCK_STALE 3600

/* What a lock file says. The host field is another host's (NFS), whose
 * name may be longer than ours can be: 255 octets are kept. */
struct lock_record {
	char host[256];
	long pid;
	long long since;            /* 0: not recorded (an older lock) */
	char addr[64];              /* "" if not recorded or not plausible */
};

/* This host's name as a lock record's first field: no '/' (it is in the
 * temporary file's name), no white space (the fields' separator). */
static void host_name(char host[HOSTNAME_SIZE])
{
	hostname_get(host);
	for (char *p = host; *p; p++)
		if (*p == '/' || *p == ' ' || *p == '\n')
			*p = '_';
}

/* The address as we will show it to another client: only the characters
 * of an IPv4/IPv6 address or "local" (the lock file is in the user's
 * Maildir, so its text is not trusted). */
static bool addr_plausible(const char *a)
{
	if (!*a || strlen(a) > 45)
		return false;
	if (!strcmp(a, "local"))
		return true;
	return strspn(a, "0123456789abcdefABCDEF.:") == strlen(a);
}

static int lock_parse(const char *text, struct lock_record *ret)
{
	struct lock_record r = { 0 };
	int n = sscanf(text, "%255s %ld %lld %63s", r.host, &r.pid, &r.since, r.addr);

	if (n < 2)
		return -EINVAL;
	if (n < 3 || r.since < 0)
		r.since = 0;
	if (n < 4 || !addr_plausible(r.addr))
		r.addr[0] = '\0';
	*ret = r;
	return 0;
}

/* Whether the lock's owner cannot be a live session (see above). */
static bool lock_dead(const struct lock_record *r, const char *our_host, const struct stat *st)
{
	time_t now = time(NULL);

	if (!strcmp(r->host, our_host) || r->pid <= 1)
		return true;
	return now - st->st_mtime > MAILDIR_LOCK_STALE || st->st_mtime - now > MAILDIR_LOCK_STALE;
}

static void describe(const struct lock_record *r, char *buf, size_t size)
{
	char when[32] = "";
	struct tm tm;
	time_t t = (time_t)r->since;

	if (r->since && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (r->addr[0] && when[0])
		snprintf(buf, size, "from %s since %s", r->addr, when);
	else if (when[0])
		snprintf(buf, size, "since %s", when);
	else
		buf[0] = '\0';
}

/* Whether the lock now in place is stale; if so it is moved away (and
 * true returned) so that link() can be tried again. Moving by rename and
 * checking the inode means two sessions that both judged a lock stale
 * cannot remove each other's fresh one. Otherwise its holder is described
 * in holder. */
static bool lock_take_stale(int dir_fd, const char *our_host, const char *aside,
                            char *holder, size_t holder_size)
{
	struct lock_record rec;
	struct stat st, moved;
	char buf[400];
	ssize_t n;
	int fd = openat(dir_fd, LOCK_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return errno == ENOENT;   /* gone meanwhile: try again */
	n = read(fd, buf, sizeof(buf) - 1);
	if (fstat(fd, &st) < 0)
		n = -1;
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	if (lock_parse(buf, &rec) < 0) {
		/* Not a lock we understand: only age tells. */
		time_t now = time(NULL);
		if (now - st.st_mtime <= MAILDIR_LOCK_STALE && st.st_mtime - now <= MAILDIR_LOCK_STALE)
			return false;
	} else if (!lock_dead(&rec, our_host, &st)) {
		describe(&rec, holder, holder_size);
		return false;
	}
	if (renameat(dir_fd, LOCK_NAME, dir_fd, aside) < 0)
		return errno == ENOENT;
	if (fstatat(dir_fd, aside, &moved, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (moved.st_ino != st.st_ino || moved.st_dev != st.st_dev)) {
		/* Someone took the lock between our look and the rename: put
		 * theirs back (if a third session got in meanwhile, that one
		 * holds it and ours stays refused either way). */
		if (linkat(dir_fd, aside, dir_fd, LOCK_NAME, 0) < 0 && errno != EEXIST)
			errno = 0;
		unlinkat(dir_fd, aside, 0);
		return false;
	}
	unlinkat(dir_fd, aside, 0);
	return true;
}

void maildir_lock_holder(int dir_fd, char *holder, size_t holder_size)
{
	struct lock_record rec;
	char buf[400];
	ssize_t n;
	int fd = openat(dir_fd, LOCK_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	holder[0] = '\0';
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	if (lock_parse(buf, &rec) == 0)
		describe(&rec, holder, holder_size);
}

int maildir_lock(int dir_fd, const char *remote, int *ret_fd, char *holder, size_t holder_size)
{
	char host[HOSTNAME_SIZE], id[400], tmp[300], aside[320];
	struct stat st;
	size_t len;
	int r = -EWOULDBLOCK, fd;

	host_name(host);
	snprintf(id, sizeof(id), "%.200s %ld %lld %s\n", host, (long)getpid(),
	         (long long)time(NULL), remote && addr_plausible(remote) ? remote : "-");
	snprintf(tmp, sizeof(tmp), LOCK_NAME ".%.200s.%ld.%08x", host, (long)getpid(),
	         arc4random());
	snprintf(aside, sizeof(aside), "%s.stale", tmp);
	if (holder_size)
		holder[0] = '\0';
	fd = openat(dir_fd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	len = strlen(id);
	if (write(fd, id, len) != (ssize_t)len) {
		/* -ENOSPC: no block left (the caller locks without a file) */
		r = errno && errno != EINTR ? -errno : -EIO;
		goto out;
	}
	for (int tries = 0; tries < 3; tries++) {
		/* On NFS link() may report failure for a link that was made
		 * (a lost reply): the link count is the truth. */
		if (linkat(dir_fd, tmp, dir_fd, LOCK_NAME, 0) == 0 ||
		    (fstat(fd, &st) == 0 && st.st_nlink == 2)) {
			r = 0;
			break;
		}
		if (errno != EEXIST) {
			r = -errno;
			break;
		}
		if (!lock_take_stale(dir_fd, host, aside, holder, holder_size))
			break;
	}
out:
	unlinkat(dir_fd, tmp, 0);
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

void maildir_unlock(int dir_fd, int lock_fd)
{
	struct stat ours, now;

	if (lock_fd < 0)
		return;
	if (fstat(lock_fd, &ours) == 0 &&
	    fstatat(dir_fd, LOCK_NAME, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
	    ours.st_ino == now.st_ino && ours.st_dev == now.st_dev)
		unlinkat(dir_fd, LOCK_NAME, 0);
	close(lock_fd);
}
