/*
 * forkprobe.so: an LD_PRELOAD shim for the benchmark's instruction counts.
 *
 * valgrind (lackey, callgrind) copies its counters at fork(): a forked
 * child's total includes everything its parent ran before the fork, so a
 * sum over every process counts that twice. Right before each fork() this
 * shim clones a probe that exits at once: its total is the parent's count
 * at that moment, what the real child is about to inherit. The parent then
 * appends "PROBE CHILD\n" to DIR/PARENT.fork, DIR from
 * ONEPOP_BENCH_FORKPROBE (read at load, before any chroot or clearing of
 * the environment); bench/tls_peers.py (fork_corrected) subtracts each
 * probe's total for the probe and again for its sibling, unless the
 * sibling exec'd (a fresh count). Without the variable, or on any failure,
 * fork() is the plain one: the servers must not notice.
 *
 * The probe is a clone with no exit signal: no SIGCHLD for the server's
 * handler, invisible to its waitpid(-1) (only __WCLONE reaps it), and not
 * reaped behind our back where SIGCHLD is ignored.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[PATH_MAX];
static pid_t (*real_fork)(void);

__attribute__((constructor)) static void forkprobe_init(void)
{
	const char *d = getenv("ONEPOP_BENCH_FORKPROBE");

	if (d && d[0] == '/' && strlen(d) < sizeof dir - 32)
		strcpy(dir, d);
	real_fork = (pid_t (*)(void))dlsym(RTLD_NEXT, "fork");
}

static void record(long probe, long child)
{
	char name[PATH_MAX + 32], line[64];
	int fd, n;

	snprintf(name, sizeof name, "%s/%ld.fork", dir, (long)getpid());
	fd = open(name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return;
	n = snprintf(line, sizeof line, "%ld %ld\n", probe, child);
	if (write(fd, line, (size_t)n) != n) {
		/* lost: that fork stays over-counted */
	}
	close(fd);
}

pid_t fork(void)
{
	int saved = errno, e;
	long probe;
	pid_t child;

	if (!real_fork) {
		real_fork = (pid_t (*)(void))dlsym(RTLD_NEXT, "fork");
		if (!real_fork) {
			errno = ENOSYS;
			return -1;
		}
	}
	if (!dir[0])
		return real_fork();
	/* flags 0: a fork-like clone whose exit signals nobody. */
	probe = syscall(SYS_clone, 0L, 0L, 0L, 0L, 0L);
	if (probe == 0)
		syscall(SYS_exit_group, 0L);
	child = real_fork();
	if (child == 0)
		return 0;
	e = errno;
	if (probe > 0) {
		while (waitpid((pid_t)probe, NULL, __WCLONE) < 0 && errno == EINTR)
			;
		/* A failed fork leaves the probe alone: subtracted once. */
		record(probe, child > 0 ? (long)child : 0L);
	}
	errno = child < 0 ? e : saved;
	return child;
}
