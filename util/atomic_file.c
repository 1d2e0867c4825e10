/* Replacing a file whole, through a temporary file (atomic_file.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "atomic_file.h"

#define TMP_FLAGS (O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC)

/* Remove whatever is at name: a file of any kind, or an empty directory. */
static void clear_name(int dir_fd, const char *name)
{
	if (unlinkat(dir_fd, name, 0) < 0 && (errno == EISDIR || errno == EPERM))
		(void)unlinkat(dir_fd, name, AT_REMOVEDIR);
}

int atomic_file_create(int dir_fd, const char *tmp, char *ret_tmp, size_t size)
{
	int fd;

	if ((size_t)snprintf(ret_tmp, size, "%s", tmp) >= size)
		return -ENAMETOOLONG;
	fd = openat(dir_fd, ret_tmp, TMP_FLAGS, 0600);
	if (fd < 0 && errno == EEXIST) {
		clear_name(dir_fd, ret_tmp);
		fd = openat(dir_fd, ret_tmp, TMP_FLAGS, 0600);
	}
	if (fd < 0 && errno == EEXIST) {
		/* Still taken (a directory with files in it): step around it. */
		if ((size_t)snprintf(ret_tmp, size, "%s.%ld", tmp, (long)getpid()) >= size)
			return -ENAMETOOLONG;
		clear_name(dir_fd, ret_tmp);
		fd = openat(dir_fd, ret_tmp, TMP_FLAGS, 0600);
	}
	return fd < 0 ? -errno : fd;
}

/* fsync or fdatasync as sync says: 0 or a negative errno. EINVAL (a
 * file system that has no sync) is not a failure. */
static int sync_fd(int fd, enum atomic_sync sync)
{
	int r = 0;

	if (sync == ATOMIC_SYNC_DATA)
		r = fdatasync(fd);
	else if (sync == ATOMIC_SYNC_FILE || sync == ATOMIC_SYNC_FILE_DIR)
		r = fsync(fd);
	return r < 0 && errno != EINVAL ? -errno : 0;
}

int atomic_file_commit(int dir_fd, int fd, FILE *f, const char *tmp, const char *name,
                       enum atomic_sync sync)
{
	int r = 0;

	errno = 0;
	if (f && (fflush(f) != 0 || ferror(f)))
		r = errno ? -errno : -EIO;
	if (r == 0)
		r = sync_fd(fd, sync);
	if ((f ? fclose(f) : close(fd)) != 0 && r == 0 && errno != EINTR)
		r = -errno;
	if (r == 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(dir_fd, tmp, 0);
		return r;
	}
	return sync == ATOMIC_SYNC_FILE_DIR ? atomic_file_sync_dir(dir_fd) : 0;
}

int atomic_file_sync_dir(int dir_fd)
{
	return fsync(dir_fd) < 0 && errno != EINVAL ? -errno : 0;
}

void atomic_file_discard(int dir_fd, int fd, FILE *f, const char *tmp)
{
	if (f)
		fclose(f);
	else if (fd >= 0)
		close(fd);
	(void)unlinkat(dir_fd, tmp, 0);
}
