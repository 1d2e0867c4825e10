/* Maildir: --expire (RFC 2449 §6.5); --login-delay is login_delay.c.
 *
 * Retrieved: a message sent whole by RETR gets the Maildir S (seen) flag
 * at UPDATE; the base name, hence the UIDL, stays. Expiry runs at login,
 * before the list is built: a message in cur/ with S in its ":2," info,
 * delivered DAYS * 86400 seconds ago or earlier, is unlinked. Delivery
 * time is the leading number of the base name (Maildir's own delivery
 * time, which copies and touch do not change); a name without one falls
 * back to the file's mtime. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maildir_expire.h"

int maildir_seen_name(const char *name, char *out, size_t size)
{
	const char *base = name + 4, *colon = strchr(base, ':');
	char flags[64];
	size_t n = 0, len;

	if (strncmp(name, "new/", 4) != 0 && strncmp(name, "cur/", 4) != 0)
		return -EINVAL;
	if (colon) {
		/* Only the "2," info has flags; "1," (experimental) is left. */
		if (strncmp(colon, ":2,", 3) != 0)
			return -EINVAL;
		if (strchr(colon + 3, 'S') && name[0] == 'c')
			return 0;
		for (const char *p = colon + 3; *p; p++)
			if (*p != 'S' && n < sizeof(flags) - 2)
				flags[n++] = *p;
	}
	flags[n++] = 'S';
	/* Maildir: flags "must be stored in ASCII order". */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && flags[j - 1] > flags[j]; j--) {
			char t = flags[j];
			flags[j] = flags[j - 1];
			flags[j - 1] = t;
		}
	flags[n] = '\0';
	len = colon ? (size_t)(colon - base) : strlen(base);
	if ((size_t)snprintf(out, size, "cur/%.*s:2,%s", (int)len, base, flags) >= size)
		return -ENAMETOOLONG;
	return 1;
}

/* Delivery time of a message: its base name's leading number, else the
 * file's mtime. */
static int64_t delivered(int fd, const char *name)
{
	int64_t t = 0;
	const char *p = name;
	struct stat st;

	for (; *p >= '0' && *p <= '9' && t < (INT64_C(1) << 40); p++)
		t = t * 10 + (*p - '0');
	if (p > name && (*p == '.' || *p == ':' || *p == '\0'))
		return t;
	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	return (int64_t)st.st_mtime;
}

int maildir_expire_run(int dir_fd, unsigned days, int64_t now, size_t *ret_removed)
{
	int fd = openat(dir_fd, "cur", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	const int64_t age = (int64_t)days * 86400;
	size_t removed = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return -errno;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		const char *info = strchr(de->d_name, ':');
		int64_t t;

		if (de->d_name[0] == '.' || !info || strncmp(info, ":2,", 3) != 0 ||
		    !strchr(info + 3, 'S'))
			continue;
		t = delivered(dirfd(d), de->d_name);
		if (t < 0 || now - t < age)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			removed++;
	}
	closedir(d);
	*ret_removed = removed;
	return 0;
}
