/* Helpers shared by the libFuzzer targets. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fuzz_util.h"

void fuzz_die(const char *what)
{
	perror(what);
	abort();
}

void fuzz_maildir(char *top, char *maildir, size_t size)
{
	char path[512];

	if (!mkdtemp(top))
		fuzz_die("mkdtemp");
	snprintf(maildir, size, "%s/Maildir", top);
	if (mkdir(maildir, 0700) < 0)
		fuzz_die(maildir);
	for (const char *const *sub = (const char *const[]){ "new", "cur", "tmp", NULL }; *sub; sub++) {
		snprintf(path, sizeof(path), "%s/%s", maildir, *sub);
		if (mkdir(path, 0700) < 0)
			fuzz_die(path);
	}
}
