/* Exclusive creation of the backends' temporary files (tmpfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "tmpfile.h"

#define TMP_FLAGS (O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC)

/* Remove whatever is at name: a file of any kind, or an empty directory. */
static void clear_name(int dir_fd, const char *name)
{
	if (unlinkat(dir_fd, name, 0) < 0 && (errno == EISDIR || errno == EPERM))
		(void)unlinkat(dir_fd, name, AT_REMOVEDIR);
}

int tmpfile_create(int dir_fd, const char *name, mode_t mode, char *ret_name, size_t size)
{
	int fd;

	if ((size_t)snprintf(ret_name, size, "%s", name) >= size)
		return -ENAMETOOLONG;
	fd = openat(dir_fd, ret_name, TMP_FLAGS, mode);
	if (fd < 0 && errno == EEXIST) {
		clear_name(dir_fd, ret_name);
		fd = openat(dir_fd, ret_name, TMP_FLAGS, mode);
	}
	if (fd < 0 && errno == EEXIST) {
		/* Still taken (a directory with files in it): step around it. */
		if ((size_t)snprintf(ret_name, size, "%s.%ld", name, (long)getpid()) >= size)
			return -ENAMETOOLONG;
		clear_name(dir_fd, ret_name);
		fd = openat(dir_fd, ret_name, TMP_FLAGS, mode);
	}
	return fd < 0 ? -errno : fd;
}
