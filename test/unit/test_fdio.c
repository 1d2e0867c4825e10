/* Unit tests for the EINTR-safe read and write loops (util/fdio.c). */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"
#include "unit.h"

static volatile sig_atomic_t ticks;

static void on_tick(int sig)
{
	(void)sig;
	ticks++;
}

/* A timer firing every millisecond, its handler installed without
 * SA_RESTART: a blocked read or write returns EINTR. */
static void interrupts(bool on)
{
	struct sigaction sa = { .sa_handler = on ? on_tick : SIG_DFL };
	struct itimerval it = { { 0, on ? 1000 : 0 }, { 0, on ? 1000 : 0 } };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

static void pause_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void test_round_trip(void)
{
	int p[2];
	char buf[16];

	CHECK(pipe(p) == 0);
	CHECK(fd_write_all(p[1], "hello", 5) == 0);
	CHECK(fd_write_all(p[1], "", 0) == 0);
	close(p[1]);
	/* End of file before len: the octets there were. */
	CHECK(fd_read_full(p[0], buf, sizeof(buf)) == 5 && !memcmp(buf, "hello", 5));
	CHECK(fd_read_full(p[0], buf, sizeof(buf)) == 0);
	close(p[0]);
}

static void test_errors(void)
{
	int p[2];
	char buf[4];

	CHECK(pipe(p) == 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	CHECK(fd_write_all(p[1], "x", 1) == -EPIPE);
	close(p[1]);
	CHECK(fd_write_all(-1, "x", 1) == -EBADF);
	CHECK(fd_read_full(-1, buf, sizeof(buf)) == 0);
}

/* A writer that pauses between halves: the reader is interrupted while
 * it waits, and must go on reading. */
static void test_read_interrupted(void)
{
	int p[2];
	char buf[6];
	pid_t pid;

	CHECK(pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		(void)!write(p[1], "abc", 3);
		pause_ms(50);
		(void)!write(p[1], "def", 3);
		_exit(0);
	}
	close(p[1]);
	ticks = 0;
	interrupts(true);
	CHECK(fd_read_full(p[0], buf, sizeof(buf)) == 6 && !memcmp(buf, "abcdef", 6));
	interrupts(false);
	CHECK(ticks > 0);
	close(p[0]);
	waitpid(pid, NULL, 0);
}

/* More than a pipe holds, to a reader that starts late: the writer
 * blocks, is interrupted, and must go on writing. */
static void test_write_interrupted(void)
{
	static char big[256 * 1024], back[sizeof(big)];
	int p[2];
	pid_t pid;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	CHECK(pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		pause_ms(50);
		_exit(fd_read_full(p[0], back, sizeof(back)) == sizeof(back) &&
		      !memcmp(big, back, sizeof(big)) ? 0 : 1);
	}
	close(p[0]);
	ticks = 0;
	interrupts(true);
	CHECK(fd_write_all(p[1], big, sizeof(big)) == 0);
	interrupts(false);
	CHECK(ticks > 0);
	close(p[1]);
	int status = -1;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	test_round_trip();
	test_errors();
	test_read_interrupted();
	test_write_interrupted();
	return unit_done("fdio");
}
