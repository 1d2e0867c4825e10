/* Replacing a file whole: write a temporary file, then rename it over
 * the name, with the durability each caller asks for. */
#ifndef ONEPOP_ATOMIC_FILE_H
#define ONEPOP_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

/* What a replacement makes durable before atomic_file_commit returns.
 * Each caller says why it chose its policy where it commits. */
enum atomic_sync {
	/* Nothing synced: after a crash the name may hold the old file, the
	 * new one, or an empty one. For files rebuilt when unreadable. */
	ATOMIC_SYNC_NONE,
	/* The contents (fdatasync) before the rename: after a crash the
	 * name holds the old file or the complete new one. */
	ATOMIC_SYNC_DATA,
	/* The file (fsync: contents and metadata such as its mode) before
	 * the rename; the rename is not synced. For a caller that syncs the
	 * directory itself (atomic_file_sync_dir) to act on its failure. */
	ATOMIC_SYNC_FILE,
	/* The file (fsync: contents and metadata such as its mode) before
	 * the rename and the directory after it: when commit returns 0 the
	 * new file is in place for good. */
	ATOMIC_SYNC_FILE_DIR,
};

/* Create dir_fd/tmp for writing, mode 0600, with O_EXCL and O_NOFOLLOW:
 * never through a symlink, a hard link or a FIFO left at the name. A
 * name already taken (a crash's leftover, or anything a mail writer put
 * there: a FIFO, a link, an empty directory) is removed first; if it
 * cannot be (a directory with files in it), TMP.PID is used instead.
 * Call only under the store's session lock: no other session writes the
 * name. The name used goes to ret_tmp. The fd, or a negative errno. */
int atomic_file_create(int dir_fd, const char *tmp, char *ret_tmp, size_t size);

/* Finish the replacement of dir_fd/name by dir_fd/tmp, written through
 * fd, or through f if not NULL (a stream fdopen'ed on fd): flush f,
 * sync as sync says, close, rename tmp over name; for
 * ATOMIC_SYNC_FILE_DIR then fsync dir_fd. fd (or f) is closed in every
 * case and tmp removed if it was not renamed. A file system that cannot
 * sync (EINVAL) and a close interrupted after the fact (EINTR) are not
 * failures. 0, or a negative errno: before the rename, name is as it
 * was; after it (only the directory sync failed), name is the new file
 * but may not stay so after a crash. */
int atomic_file_commit(int dir_fd, int fd, FILE *f, const char *tmp, const char *name,
                       enum atomic_sync sync);

/* fsync the directory dir_fd (a rename in it made durable): 0 or a
 * negative errno; EINVAL (no sync there) is not a failure. */
int atomic_file_sync_dir(int dir_fd);

/* Give up: close fd (or f, if not NULL) and remove dir_fd/tmp. */
void atomic_file_discard(int dir_fd, int fd, FILE *f, const char *tmp);

#endif
