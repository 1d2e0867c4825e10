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

void fuzz_alarm_hold(struct fuzz_alarm *saved)
{
	static const struct itimerval off;

	if (sigaction(SIGALRM, NULL, &saved->handler) < 0 ||
	    setitimer(ITIMER_REAL, &off, &saved->ticks) < 0)
		fuzz_die("sigalrm");
}

void fuzz_alarm_give_back(const struct fuzz_alarm *saved)
{
	if (sigaction(SIGALRM, &saved->handler, NULL) < 0 ||
	    setitimer(ITIMER_REAL, &saved->ticks, NULL) < 0)
		fuzz_die("sigalrm");
}
