/* Time limits for checkpassword and PAM (auth_helper.h). A program or
 * module that hangs (a network back end that never answers, a program
 * that sleeps) must not hold the session past the idle timeout. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth_helper.h"
#include "onepop_limits.h"

static unsigned timeout_s = DEFAULT_TIMEOUT;

void auth_helper_set_timeout(unsigned seconds)
{
	timeout_s = seconds;
}

unsigned auth_helper_timeout(void)
{
	return timeout_s;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline for poll(): -1 with no deadline. */
static int left_ms(long long deadline)
{
	long long left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	return left <= 0 ? 0 : left > 1000 ? 1000 : (int)left;
}

static bool past(long long deadline)
{
	return deadline >= 0 && now_ms() >= deadline;
}

int auth_helper_collect(pid_t pid, int fd, char *buf, size_t size, size_t *ret_len,
                        int *ret_status)
{
	long long deadline = timeout_s ? now_ms() + timeout_s * 1000LL : -1;
	size_t have = 0;
	int status, pidfd;

	while (have < size && !past(deadline)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, left_ms(deadline));
		ssize_t n;

		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		n = read(fd, buf + have, size - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	/* Its output is complete (or refused): now it must exit in time. A
	 * pidfd becomes readable when it does; without one, look every 10 ms. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid || (w < 0 && errno != EINTR)) {
			if (pidfd >= 0)
				close(pidfd);
			*ret_len = have;
			*ret_status = w == pid ? status : -1;
			return 0;
		}
		if (past(deadline))
			break;
		if (pidfd >= 0) {
			struct pollfd p = { .fd = pidfd, .events = POLLIN };
			poll(&p, 1, left_ms(deadline));
		} else {
			struct timespec ts = { 0, 10 * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	/* The group first (what it started), then the pid itself in case it
	 * had not called setpgid yet. */
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return -ETIMEDOUT;
}
