/* Unit tests for the pre-auth seccomp filter (sandbox_seccomp): with
 * ktls, setsockopt for TCP_ULP and SOL_TLS gets through to the kernel and
 * every other socket option is still refused; without it, all are. Each
 * case runs in a child that installs the filter on a live loopback TCP
 * connection made before. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"
#include "unit.h"

enum { PASSED = 10, REFUSED = 11, SETUP = 12 };

static int conn = -1;

/* A connected loopback TCP socket in conn (the kernel's TLS ULP takes
 * only an established connection). */
static bool connect_loopback(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) < 0)
		return false;
	conn = socket(AF_INET, SOCK_STREAM, 0);
	if (conn < 0 || connect(conn, (struct sockaddr *)&a, sizeof(a)) < 0)
		return false;
	return accept(l, NULL, NULL) >= 0;
}

/* In a child under the filter (ktls or not): setsockopt(level, name).
 * PASSED when the call reached the kernel (whatever it answered),
 * REFUSED when the filter stopped it: killed by SIGSYS, or ENOSYS where
 * a sanitizer build makes the filter fail calls instead. */
static int try_setsockopt(bool ktls, int level, int name, const void *val, socklen_t len)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || sandbox_seccomp(ktls) < 0)
			_exit(SETUP);
		errno = 0;
		if (setsockopt(conn, level, name, val, len) < 0 && errno == ENOSYS)
			_exit(REFUSED);
		_exit(PASSED);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return WTERMSIG(status) == SIGSYS ? REFUSED : -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_filter(void)
{
	static const unsigned char junk[64];
	int one = 1;

	/* with --tls-ktls=on: the two the kernel's TLS needs */
	CHECK(try_setsockopt(true, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")) == PASSED);
	CHECK(try_setsockopt(true, SOL_TLS, 1 /* TLS_TX */, junk, sizeof(junk)) == PASSED);
	CHECK(try_setsockopt(true, SOL_TLS, 2 /* TLS_RX */, junk, sizeof(junk)) == PASSED);
	/* ... and no other option at either level */
	CHECK(try_setsockopt(true, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == REFUSED);
	CHECK(try_setsockopt(true, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == REFUSED);
	CHECK(try_setsockopt(true, SOL_SOCKET, TCP_ULP, "tls", sizeof("tls")) == REFUSED);
	/* off: none of them */
	CHECK(try_setsockopt(false, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")) == REFUSED);
	CHECK(try_setsockopt(false, SOL_TLS, 1, junk, sizeof(junk)) == REFUSED);
	CHECK(try_setsockopt(false, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == REFUSED);
}

/* The filter after the kTLS rules still does its work: the number of
 * the system call is back in the accumulator. */
static void test_rest_of_filter(void)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || sandbox_seccomp(true) < 0)
			_exit(SETUP);
		/* allowed: a write; refused softly: openat; then fatal: socket */
		if (write(conn, "x", 1) != 1)
			_exit(1);
		if (open("/", O_RDONLY) >= 0 || errno != EACCES)
			_exit(2);
		if (socket(AF_INET, SOCK_STREAM, 0) < 0 && errno == ENOSYS)
			_exit(REFUSED);
		_exit(PASSED);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) ||
	      (WIFEXITED(status) && WEXITSTATUS(status) == REFUSED));
}

int main(void)
{
	int status = -1;
	pid_t pid;

	CHECK(connect_loopback());
	/* An architecture without a filter has nothing to test. */
	pid = fork();
	if (pid == 0)
		_exit(sandbox_seccomp(false) == -ENOTSUP ? 0 : 1);
	if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0) {
		printf("sandbox: no seccomp filter on this architecture, skipped\n");
		return 0;
	}
	test_filter();
	test_rest_of_filter();
	return unit_done("sandbox");
}
