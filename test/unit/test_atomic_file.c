/* Unit tests for file replacement through a temporary file
 * (util/atomic_file.c), in a scratch directory. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "unit.h"

static int dir_fd = -1;

/* The contents of name (at most 63 octets), or "" if it cannot be read. */
static const char *contents(const char *name)
{
	static char buf[64];
	int fd = openat(dir_fd, name, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static bool exists(const char *name)
{
	struct stat st;

	return fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void put(const char *name, const char *text)
{
	int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd >= 0) {
		(void)!write(fd, text, strlen(text));
		close(fd);
	}
}

/* Each policy replaces the file and leaves no temporary name. */
static void test_commit_fd(void)
{
	static const enum atomic_sync all[] = { ATOMIC_SYNC_NONE, ATOMIC_SYNC_DATA,
		                                ATOMIC_SYNC_FILE, ATOMIC_SYNC_FILE_DIR };
	char tmp[64];

	put("target", "old\n");
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		char want[16];
		struct stat st;
		int fd = atomic_file_create(dir_fd, "target.tmp", tmp, sizeof(tmp));

		CHECK(fd >= 0 && strcmp(tmp, "target.tmp") == 0);
		CHECK(fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0600);
		snprintf(want, sizeof(want), "new %zu\n", i);
		CHECK(write(fd, want, strlen(want)) == (ssize_t)strlen(want));
		CHECK(atomic_file_commit(dir_fd, fd, NULL, tmp, "target", all[i]) == 0);
		CHECK(strcmp(contents("target"), want) == 0);
		CHECK(!exists(tmp));
		/* fd was closed by commit. */
		CHECK(fcntl(fd, F_GETFD) < 0 && errno == EBADF);
	}
}

static void test_commit_stream(void)
{
	char tmp[64];
	int fd = atomic_file_create(dir_fd, "stream.tmp", tmp, sizeof(tmp));
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");

	CHECK(f != NULL);
	if (!f)
		return;
	/* Still in the stream's buffer: commit flushes it. */
	fputs("through stdio\n", f);
	CHECK(atomic_file_commit(dir_fd, fd, f, tmp, "stream", ATOMIC_SYNC_DATA) == 0);
	CHECK(strcmp(contents("stream"), "through stdio\n") == 0);
	CHECK(!exists(tmp));
}

static void test_discard(void)
{
	char tmp[64];
	int fd;

	put("kept", "kept\n");
	fd = atomic_file_create(dir_fd, "kept.tmp", tmp, sizeof(tmp));
	CHECK(fd >= 0);
	CHECK(write(fd, "lost\n", 5) == 5);
	atomic_file_discard(dir_fd, fd, NULL, tmp);
	CHECK(strcmp(contents("kept"), "kept\n") == 0);
	CHECK(!exists(tmp));
}

/* A failed rename (the target is a non-empty directory) reports the
 * error and removes the temporary file. */
static void test_commit_fails(void)
{
	char tmp[64];
	int fd;

	CHECK(mkdirat(dir_fd, "busy", 0700) == 0);
	CHECK(mkdirat(dir_fd, "busy/inside", 0700) == 0);
	fd = atomic_file_create(dir_fd, "busy.tmp", tmp, sizeof(tmp));
	CHECK(fd >= 0);
	CHECK(atomic_file_commit(dir_fd, fd, NULL, tmp, "busy", ATOMIC_SYNC_FILE_DIR) < 0);
	CHECK(!exists(tmp));
	CHECK(exists("busy/inside"));
}

/* What a crash or a mail writer left at the temporary name is not
 * written through. */
static void test_create_leftovers(void)
{
	char tmp[64], pid_name[64];
	int fd;

	/* A symlink: removed, not followed. */
	put("victim", "victim\n");
	CHECK(symlinkat("victim", dir_fd, "link.tmp") == 0);
	fd = atomic_file_create(dir_fd, "link.tmp", tmp, sizeof(tmp));
	CHECK(fd >= 0 && strcmp(tmp, "link.tmp") == 0);
	CHECK(fd >= 0 && write(fd, "x", 1) == 1);
	atomic_file_discard(dir_fd, fd, NULL, tmp);
	CHECK(strcmp(contents("victim"), "victim\n") == 0);

	/* A FIFO and an empty directory: removed. */
	CHECK(mkfifoat(dir_fd, "fifo.tmp", 0600) == 0);
	fd = atomic_file_create(dir_fd, "fifo.tmp", tmp, sizeof(tmp));
	CHECK(fd >= 0 && strcmp(tmp, "fifo.tmp") == 0);
	atomic_file_discard(dir_fd, fd, NULL, tmp);
	CHECK(mkdirat(dir_fd, "empty.tmp", 0700) == 0);
	fd = atomic_file_create(dir_fd, "empty.tmp", tmp, sizeof(tmp));
	CHECK(fd >= 0 && strcmp(tmp, "empty.tmp") == 0);
	atomic_file_discard(dir_fd, fd, NULL, tmp);

	/* A directory with files in it: stepped around, NAME.PID. */
	CHECK(mkdirat(dir_fd, "full.tmp", 0700) == 0);
	put("full.tmp/file", "x");
	snprintf(pid_name, sizeof(pid_name), "full.tmp.%ld", (long)getpid());
	fd = atomic_file_create(dir_fd, "full.tmp", tmp, sizeof(tmp));
	CHECK(fd >= 0 && strcmp(tmp, pid_name) == 0);
	atomic_file_discard(dir_fd, fd, NULL, tmp);
	CHECK(!exists(pid_name));

	/* No room for the name. */
	CHECK(atomic_file_create(dir_fd, "a-long-name.tmp", tmp, 8) == -ENAMETOOLONG);
}

/* nftw callback: remove each entry, the directories after their files. */
static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

int main(void)
{
	char dir[] = "/tmp/onepop-atomic-XXXXXX";

	if (!mkdtemp(dir) || (dir_fd = open(dir, O_RDONLY | O_DIRECTORY)) < 0) {
		perror("scratch directory");
		return 1;
	}
	test_commit_fd();
	test_commit_stream();
	test_discard();
	test_commit_fails();
	test_create_leftovers();
	CHECK(atomic_file_sync_dir(dir_fd) == 0);
	close(dir_fd);
	CHECK(nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS) == 0);
	return unit_done("atomic_file");
}
