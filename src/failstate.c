/* Failed logins per remote address, across connections.
 *
 * DIR/ADDR holds one fixed-width line, "COUNT LAST", rewritten in place
 * with one pwrite under flock(2): a crash leaves either the old or the new
 * line, and a damaged file reads as no failures. A count decays to zero
 * once its last failure is older than the window. The directory is
 * bounded: before a new address's file is made, a directory holding
 * FAILSTATE_MAX_FILES files loses those whose last failure is out of the
 * window, and if it is still full the new address is not recorded (the
 * per-session limit still applies). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "failstate.h"
#include "limits.h"

/* One file per address: 10 000 addresses guessing at once is already an
 * attack the firewall must handle. */
#define FAILSTATE_MAX_FILES 10000
#define LINE_FMT "%10u %20" PRId64 "\n"
#define LINE_LEN 32

/* The file name for addr: only address characters (letters, digits,
 * "." ":" "-"; "local" for a pipe); ":" becomes "_" so an IPv6 address
 * is a plain name. */
static int file_name(const char *addr, char *out, size_t size)
{
	static const char allowed[] = "0123456789abcdefghijklmnopqrstuvwxyz"
	                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ.:-";
	size_t n = strlen(addr);

	if (n == 0 || n >= size || strspn(addr, allowed) != n || addr[0] == '.')
		return -EINVAL;
	memcpy(out, addr, n + 1);
	for (char *p = out; (p = strchr(p, ':')); p++)
		*p = '_';
	return 0;
}

static int read_line(int fd, unsigned *count, int64_t *last)
{
	char buf[LINE_LEN + 1];
	ssize_t n = pread(fd, buf, LINE_LEN, 0);

	*count = 0;
	*last = 0;
	if (n != LINE_LEN)
		return -EBADMSG;
	buf[LINE_LEN] = '\0';
	if (sscanf(buf, "%10u %20" SCNd64, count, last) != 2 || *last < 0) {
		*count = 0;
		*last = 0;
		return -EBADMSG;
	}
	return 0;
}

static unsigned decayed(unsigned count, int64_t last, unsigned window)
{
	return (int64_t)time(NULL) - last < (int64_t)window ? count : 0;
}

unsigned failstate_recent(const char *dir, const char *addr, unsigned window, int64_t *ret_last)
{
	char name[64], path[MAX_PATH];
	unsigned count = 0;
	int64_t last = 0;
	int fd;

	*ret_last = 0;
	if (!dir || file_name(addr, name, sizeof(name)) < 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH) < 0 || read_line(fd, &count, &last) < 0)
		count = 0;
	close(fd);
	*ret_last = last;
	return decayed(count, last, window);
}

/* Make room: remove files whose last failure is out of the window.
 * Returns the files left. */
static size_t prune(const char *dir, unsigned window)
{
	size_t left = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return FAILSTATE_MAX_FILES;
	while ((de = readdir(d))) {
		unsigned count;
		int64_t last;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
		    (read_line(fd, &count, &last) < 0 || !decayed(count, last, window))) {
			unlinkat(dirfd(d), de->d_name, 0);
		} else {
			left++;
		}
		if (fd >= 0)
			close(fd);
	}
	closedir(d);
	return left;
}

unsigned failstate_note(const char *dir, const char *addr, unsigned window)
{
	char name[64], path[MAX_PATH], line[LINE_LEN + 1];
	unsigned count;
	int64_t last, now = (int64_t)time(NULL);
	int fd;

	if (!dir || file_name(addr, name, sizeof(name)) < 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (prune(dir, window) >= FAILSTATE_MAX_FILES)
			return 0;
		fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_EX) < 0) {
		close(fd);
		return 0;
	}
	read_line(fd, &count, &last);
	count = decayed(count, last, window);
	if (count < 999999999)
		count++;
	snprintf(line, sizeof(line), LINE_FMT, count, now);
	if (pwrite(fd, line, LINE_LEN, 0) != LINE_LEN)
		count = 0;
	close(fd);
	return count;
}
