/* .mh_sequences: "name: 1-5 7 9-12" lines (continuations start with
 * white space); deleted messages are taken out of every sequence. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "fdio.h"
#include "onepop_limits.h"
#include "mh_sequences.h"

#define SEQ_FILE ".mh_sequences"
/* A sequences file is a few lines; a bigger one is not one we write. */
#define MAX_SEQ_FILE (16L * 1024 * 1024)

/* First index in gone (ascending) whose number is >= n. */
static size_t lower_bound(const unsigned long *gone, size_t ngone, unsigned long n)
{
	size_t lo = 0, hi = ngone;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (gone[mid] < n)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void put_range(FILE *out, bool *first, unsigned long a, unsigned long b)
{
	fprintf(out, "%s%lu", *first ? "" : " ", a);
	if (b > a)
		fprintf(out, "-%lu", b);
	*first = false;
}

/* One sequence value ("1-5 7 9-12") without the numbers in gone, into a
 * malloc'd string ("" when nothing is left). 0 or -ENOMEM. */
static int mh_sequence_filter(const char *value, const unsigned long *gone, size_t ngone,
                              char **ret_out)
{
	char *buf = NULL, *copy = strdup(value), *save = NULL, *tok;
	size_t size = 0;
	bool first = true;
	FILE *out;

	if (!copy)
		return -ENOMEM;
	out = open_memstream(&buf, &size);
	if (!out) {
		free(copy);
		return -ENOMEM;
	}
	for (tok = strtok_r(copy, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
		unsigned long a, b;
		char *end;

		errno = 0;
		a = strtoul(tok, &end, 10);
		b = a;
		if (*end == '-')
			b = strtoul(end + 1, &end, 10);
		if (errno || *end || tok[0] < '0' || tok[0] > '9' || b < a) {
			/* Not ours to judge: keep it as it was. */
			fprintf(out, "%s%s", first ? "" : " ", tok);
			first = false;
			continue;
		}
		for (size_t i = lower_bound(gone, ngone, a); i < ngone && gone[i] <= b; i++) {
			if (gone[i] > a)
				put_range(out, &first, a, gone[i] - 1);
			a = gone[i] + 1;
		}
		if (a <= b && a != 0)
			put_range(out, &first, a, b);
	}
	free(copy);
	if (fclose(out) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*ret_out = buf;
	return 0;
}

/* 0 if fd is a regular file; -EINVAL for a FIFO, device or the like
 * (opened with O_NONBLOCK, so that opening it could not hang). */
static int regular(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	return S_ISREG(st.st_mode) ? 0 : -EINVAL;
}

/* The whole file, NUL-terminated. */
static int slurp(int fd, char **ret)
{
	struct stat st;
	char *buf;
	size_t have;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size > MAX_SEQ_FILE)
		return -EFBIG;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	have = fd_read_full(fd, buf, (size_t)st.st_size);
	buf[have] = '\0';
	*ret = buf;
	return 0;
}

/* End the logical line at line (it plus the continuation lines after
 * it, joined with spaces) with a NUL; the next one, or NULL. */
static char *logical_line(char *line)
{
	char *next = line;

	while ((next = strchr(next, '\n')) && (next[1] == ' ' || next[1] == '\t'))
		*next++ = ' ';
	if (next)
		*next++ = '\0';
	return next;
}

/* Whether a sequence line's name (before the colon) is name. */
static bool seq_is(const char *line, const char *name)
{
	size_t n = strlen(name);

	return strncmp(line, name, n) == 0 && line[n + strspn(line + n, " \t")] == '\0';
}

/* seen (ascending), runs of consecutive numbers as ranges. */
static void put_numbers(FILE *out, bool *first, const unsigned long *seen, size_t nseen)
{
	for (size_t i = 0; i < nseen;) {
		size_t j = i;

		while (j + 1 < nseen && seen[j + 1] == seen[j] + 1)
			j++;
		put_range(out, first, seen[i], seen[j]);
		i = j + 1;
	}
}

struct seq_change {
	const unsigned long *gone, *seen;
	size_t ngone, nseen;
};

/* value (without the numbers in seen) with seen merged in, in order. */
static int merge_seen(const char *value, const unsigned long *seen, size_t nseen, char **ret)
{
	char *copy = strdup(value), *save = NULL, *tok;
	size_t size = 0, i = 0;
	bool first = true;
	FILE *out;

	if (!copy)
		return -ENOMEM;
	if (!(out = open_memstream(ret, &size))) {
		free(copy);
		return -ENOMEM;
	}
	for (tok = strtok_r(copy, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
		unsigned long a = strtoul(tok, NULL, 10);
		size_t j = i;

		while (j < nseen && seen[j] < a)
			j++;
		put_numbers(out, &first, seen + i, j - i);
		i = j;
		fprintf(out, "%s%s", first ? "" : " ", tok);
		first = false;
	}
	put_numbers(out, &first, seen + i, nseen - i);
	free(copy);
	return fclose(out) == 0 ? 0 : -ENOMEM;
}

/* A sequence's new value: without gone; for unseen and ours, without
 * seen; ours then gets seen merged in (so never twice). */
static int new_value(const char *name, const char *value, const struct seq_change *c,
                     char **ret)
{
	bool ours = seq_is(name, MH_SEQ_RETRIEVED);
	char *v1, *v2 = NULL;
	int r;

	if ((r = mh_sequence_filter(value, c->gone, c->ngone, &v1)) < 0)
		return r;
	if (!ours && !seq_is(name, MH_SEQ_UNSEEN)) {
		*ret = v1;
		return 0;
	}
	r = mh_sequence_filter(v1, c->seen, c->nseen, &v2);
	free(v1);
	if (r < 0 || !ours) {
		*ret = v2;
		return r;
	}
	r = merge_seen(v2, c->seen, c->nseen, ret);
	free(v2);
	return r;
}

/* The new file's text into a malloc'd string. */
static int filter_file(char *text, const struct seq_change *c, char **ret)
{
	char *buf = NULL, *line, *next;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);
	bool have_ours = false;
	int r = 0;

	if (!out)
		return -ENOMEM;
	for (line = text; r == 0 && line && *line; line = next) {
		char *colon, *val;

		next = logical_line(line);
		colon = strchr(line, ':');
		if (!colon) {
			if (strspn(line, " \t\r") != strlen(line))
				fprintf(out, "%s\n", line);
			continue;
		}
		*colon = '\0';
		have_ours = have_ours || seq_is(line, MH_SEQ_RETRIEVED);
		if ((r = new_value(line, colon + 1, c, &val)) < 0)
			break;
		if (*val)
			fprintf(out, "%s: %s\n", line, val);
		free(val);
	}
	if (r == 0 && !have_ours && c->nseen) {
		bool first = true;

		fprintf(out, "%s: ", MH_SEQ_RETRIEVED);
		put_numbers(out, &first, c->seen, c->nseen);
		fputc('\n', out);
	}
	if (fclose(out) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	return 0;
}

static int write_new(int dir_fd, const char *tmp, const char *text, mode_t mode)
{
	size_t len = strlen(text);
	char name[80];
	int fd = atomic_file_create(dir_fd, tmp, name, sizeof(name));
	int r;

	if (fd < 0)
		return fd;
	r = fd_write_all(fd, text, len);
	if (r == 0 && fchmod(fd, mode & 07777) < 0)
		r = -errno;
	if (r < 0) {
		atomic_file_discard(dir_fd, fd, NULL, name);
		return r;
	}
	/* The file and its directory: the rewrite is a step of UPDATE, done
	 * when +OK says so; a lost rename would bring back sequences naming
	 * deleted numbers, which new mail may reuse. fsync, not only the
	 * data: the mode just set is kept too. */
	return atomic_file_commit(dir_fd, fd, NULL, name, SEQ_FILE, ATOMIC_SYNC_FILE_DIR);
}

int mh_sequences_remove(int dir_fd, const unsigned long *gone, size_t ngone)
{
	return mh_sequences_update(dir_fd, gone, ngone, NULL, 0);
}

int mh_sequences_update(int dir_fd, const unsigned long *gone, size_t ngone,
                        const unsigned long *seen, size_t nseen)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	const struct seq_change c = { .gone = gone, .ngone = ngone, .seen = seen, .nseen = nseen };
	char tmp[64], *text = NULL, *result = NULL;
	struct stat st;
	int fd, r = -EWOULDBLOCK;

	/* Made only to record retrieved messages; never just to be empty. */
	fd = openat(dir_fd, SEQ_FILE,
	            O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | (nseen ? O_CREAT : 0), 0600);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if ((r = regular(fd)) < 0) {
		close(fd);
		return r;
	}
	r = -EWOULDBLOCK;
	for (int tries = 0; tries < MBOX_LOCK_WAIT * 10; tries++) {
		struct timespec ts = { 0, 100000000L };
		if (fcntl(fd, F_SETLK, &fl) == 0) {
			r = 0;
			break;
		}
		nanosleep(&ts, NULL);
	}
	if (r == 0 && fstat(fd, &st) < 0)
		r = -errno;
	if (r == 0)
		r = slurp(fd, &text);
	if (r == 0)
		r = filter_file(text, &c, &result);
	// NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker): both set when r == 0 (-errno is never 0)
	if (r == 0 && strcmp(text, result) != 0) {
		snprintf(tmp, sizeof(tmp), "%s.onepop-%ld", SEQ_FILE, (long)getpid());
		r = write_new(dir_fd, tmp, result, st.st_mode);
	}
	free(text);
	free(result);
	close(fd);      /* releases the fcntl lock */
	return r;
}

int mh_sequences_members(int dir_fd, const char *name, const unsigned long *nums, size_t count,
                         bool *in)
{
	int fd = openat(dir_fd, SEQ_FILE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	char *text = NULL, *line, *next;
	int r;

	memset(in, 0, count * sizeof(*in));
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	r = regular(fd);
	if (r == 0)
		r = slurp(fd, &text);
	close(fd);
	for (line = text; r == 0 && line && *line; line = next) {
		char *colon, *save = NULL, *tok;

		next = logical_line(line);
		if (!(colon = strchr(line, ':')))
			continue;
		*colon = '\0';
		if (!seq_is(line, name))
			continue;
		for (tok = strtok_r(colon + 1, " \t\r\n", &save); tok;
		     tok = strtok_r(NULL, " \t\r\n", &save)) {
			unsigned long a, b;
			char *end;

			errno = 0;
			a = b = strtoul(tok, &end, 10);
			if (*end == '-')
				b = strtoul(end + 1, &end, 10);
			if (errno || *end || tok[0] < '0' || tok[0] > '9' || b < a)
				continue;   /* "cur", "last" and the like name no member */
			for (size_t i = lower_bound(nums, count, a); i < count && nums[i] <= b; i++)
				in[i] = true;
		}
	}
	free(text);
	return r;
}
