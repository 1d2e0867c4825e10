/* The physical limit of a cold Maildir scan, for bench.py: read every
 * file in DIR/new and DIR/cur (readdir order, as a server lists them)
 * and count its line ends; prints the total lines. Not part of onepop. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	const char *subs[] = { "new", "cur" };
	unsigned long long lines = 0;

	if (argc != 2)
		return 2;
	for (int i = 0; i < 2; i++) {
		int dfd = openat(AT_FDCWD, argv[1], O_RDONLY | O_DIRECTORY);
		int sfd = dfd < 0 ? -1 : openat(dfd, subs[i], O_RDONLY | O_DIRECTORY);
		DIR *d = sfd < 0 ? NULL : fdopendir(sfd);
		struct dirent *e;

		if (!d)
			return 1;
		while ((e = readdir(d))) {
			int fd;
			ssize_t n;

			if (e->d_name[0] == '.')
				continue;
			fd = openat(sfd, e->d_name, O_RDONLY);
			if (fd < 0)
				return 1;
			while ((n = read(fd, buf, sizeof(buf))) > 0)
				for (char *p = buf; (p = memchr(p, '\n', (size_t)(buf + n - p))); p++)
					lines++;
			close(fd);
		}
		closedir(d);
		close(dfd);
	}
	printf("%llu\n", lines);
	return 0;
}
