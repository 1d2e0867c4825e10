/* Where each file of new/ and cur/ is now, by base name: one read of both
 * directories answers for every message another process renamed (a flag
 * change, new/ to cur/), where a rescan for each was quadratic (an IMAP
 * client marking 16,000 messages seen made QUIT take 38 s). Also opening
 * a listed message's file, wherever it is now. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maildir_find.h"

/* The base name of entry "sub/NAME[:INFO]" and its length. */
static const char *entry_base(const char *entry, size_t *ret_len)
{
	const char *base = entry + 4;

	*ret_len = strcspn(base, ":");
	return base;
}

static int base_cmp(const char *a, size_t la, const char *b, size_t lb)
{
	int c = memcmp(a, b, la < lb ? la : lb);

	return c ? c : (la > lb) - (la < lb);
}

static int entry_cmp(const void *x, const void *y, void *arg)
{
	const char *names = arg;
	const char *a, *b;
	size_t la, lb;

	a = entry_base(names + *(const uint32_t *)x, &la);
	b = entry_base(names + *(const uint32_t *)y, &lb);
	return base_cmp(a, la, b, lb);
}

static int add_entry(struct maildir_find *f, const char *sub, const char *name)
{
	size_t need = 4 + strlen(name) + 1;

	if (f->len + need > UINT32_MAX)
		return -ENOMEM;
	if (f->len + need > f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 16384;
		char *p;
		while (ncap < f->len + need)
			ncap *= 2;
		if (!(p = realloc(f->names, ncap)))
			return -ENOMEM;
		f->names = p;
		f->cap = ncap;
	}
	if (f->count == f->offs_cap) {
		size_t ncap = f->offs_cap ? f->offs_cap * 2 : 256;
		uint32_t *p = reallocarray(f->offs, ncap, sizeof(*p));
		if (!p)
			return -ENOMEM;
		f->offs = p;
		f->offs_cap = ncap;
	}
	f->offs[f->count++] = (uint32_t)f->len;
	memcpy(f->names + f->len, sub, 3);
	f->names[f->len + 3] = '/';
	memcpy(f->names + f->len + 4, name, need - 4);
	f->len += need;
	return 0;
}

int maildir_find_build(int dir_fd, struct maildir_find *f)
{
	static const char *const subs[2] = { "cur", "new" };
	int r = 0;

	f->len = f->count = 0;
	f->built = false;
	for (int s = 0; s < 2 && r == 0; s++) {
		int fd = openat(dir_fd, subs[s], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct dirent *de;
		DIR *d;

		if (fd < 0 || !(d = fdopendir(fd))) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		while (r == 0 && (de = readdir(d)))
			if (de->d_name[0] != '.')
				r = add_entry(f, subs[s], de->d_name);
		closedir(d);
	}
	if (r < 0)
		return r;
	if (f->count > 1)
		qsort_r(f->offs, f->count, sizeof(*f->offs), entry_cmp, f->names);
	f->built = true;
	return 0;
}

const char *maildir_find(const struct maildir_find *f, const char *base, size_t blen)
{
	size_t lo = 0, hi = f->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2, l;
		const char *e = f->names + f->offs[mid];
		const char *b = entry_base(e, &l);
		int c = base_cmp(b, l, base, blen);

		if (c == 0)
			return e;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void maildir_find_free(struct maildir_find *f)
{
	free(f->names);
	free(f->offs);
	*f = (struct maildir_find){ 0 };
}

int maildir_relocate(int dir_fd, struct maildir_list *l, struct maildir_find *f, size_t i)
{
	const char *base = maildir_base(l, i), *found = NULL;
	size_t blen = l->msgs[i].base_len;
	char buf[MAILDIR_PATH_MAX];
	const char *now;
	bool fresh = false;

	if (!l->moved && !(l->moved = calloc(l->count ? l->count : 1, sizeof(*l->moved))))
		return -ENOENT;
	now = maildir_path(l, i, buf);
	for (int pass = 0; pass < 2 && !found; pass++) {
		if (!f->built || pass == 1) {
			if (maildir_find_build(dir_fd, f) < 0)
				return -ENOENT;
			fresh = true;
		}
		found = maildir_find(f, base, blen);
		/* The name that just failed: the reading predates the move. */
		if (found && !strcmp(found, now))
			found = NULL;
		if (fresh)
			break;
	}
	if (!found)
		return -ENOENT;
	free(l->moved[i]);
	if (!(l->moved[i] = strdup(found)))
		return -ENOENT;
	return 0;
}

int maildir_file_open(int dir_fd, struct maildir_list *l, struct maildir_find *f, size_t i,
                      struct stat *ret_st)
{
	const int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
	char buf[MAILDIR_PATH_MAX];
	int fd = openat(dir_fd, maildir_path(l, i, buf), flags);
	struct stat st;

	if (fd < 0 && errno == ENOENT && maildir_relocate(dir_fd, l, f, i) == 0)
		fd = openat(dir_fd, maildir_path(l, i, buf), flags);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if (ret_st)
		*ret_st = st;
	return fd;
}
