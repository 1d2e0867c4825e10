/* privs_end: after it, real, effective and saved gid are equal, whatever
 * privs_drop kept. Each case runs in a child, which may change its own
 * ids; the group switches need root and are skipped without it. */
#include <stdbool.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privs.h"
#include "unit.h"

/* In a child: set real, effective and saved gid (when root), call
 * privs_end, and say whether all three are the real one after it. */
static bool ends_equal(gid_t r, gid_t e, gid_t s)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		gid_t r2, e2, s2;

		if (geteuid() == 0 && setresgid(r, e, s) < 0)
			_exit(2);
		privs_end();
		_exit(getresgid(&r2, &e2, &s2) == 0 && r2 == e2 && e2 == s2 && r2 == getgid()
		      && (geteuid() != 0 || r2 == r) ? 0 : 1);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

int main(void)
{
	gid_t g = getgid();

	CHECK(ends_equal(g, g, g));     /* nothing kept: nothing to do */
	if (geteuid() == 0) {
		gid_t other = g == 1 ? 2 : 1;

		CHECK(ends_equal(g, g, other));       /* a kept saved gid */
		CHECK(ends_equal(g, other, other));   /* ... switched on */
		CHECK(ends_equal(other, g, g));
	} else {
		printf("privs: not root, the group switches are not tried\n");
	}
	return unit_done("privs");
}
