/* For bench.py, popa3d behind stunnel: stunnel joins the program it execs
 * to itself by a TCP loopback pair (Debian's 5.68 does), and popa3d writes
 * a multi-line reply's "+OK" line, its text and its "." in separate
 * writes, so with Nagle on popa3d's end of the pair each such reply waits
 * for stunnel's delayed ACK (~40 ms; 22 of them a benchmark session).
 * Sets TCP_NODELAY on fds 0 and 1 (ignored when they are not TCP sockets)
 * and execs PROGRAM with ARGV0 ARG...: `nodelay PROGRAM ARGV0 [ARG...]`.
 * Not part of onepop. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const int one = 1;

	if (argc < 3) {
		fprintf(stderr, "usage: nodelay PROGRAM ARGV0 [ARG...]\n");
		return 2;
	}
	for (int fd = 0; fd < 2; fd++)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	execv(argv[1], argv + 2);
	perror(argv[1]);
	return 127;
}
