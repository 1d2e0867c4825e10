/* Logging to syslog and, when debugging, to stderr. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static bool debugging;
static bool to_stderr;

static bool same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static bool stderr_usable(void)
{
	/* inetd and systemd may hand the client's socket in as fd 2 too:
	 * anything logged there would reach the client. */
	if (fcntl(STDERR_FILENO, F_GETFD) < 0)
		return false;
	return !same_file(STDERR_FILENO, STDIN_FILENO) &&
	       !same_file(STDERR_FILENO, STDOUT_FILENO);
}

void log_open(bool debug)
{
	debugging = debug;
	to_stderr = debug && stderr_usable();
	openlog("onepop", LOG_PID, LOG_MAIL);
	setlogmask(debug ? LOG_UPTO(LOG_DEBUG) : LOG_UPTO(LOG_INFO));
}

bool log_debugging(void)
{
	return debugging;
}

bool log_to_stderr(void)
{
	return to_stderr;
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio == LOG_DEBUG && !debugging)
		return;
	va_start(ap, fmt);
	vsyslog(prio, fmt, ap);
	va_end(ap);
	if (to_stderr) {
		va_start(ap, fmt);
		fprintf(stderr, "onepop[%ld]: ", (long)getpid());
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
}

const char *log_safe(const char *s, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (size == 0)
		return buf;
	for (; s && *s && o + 1 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c > 0x20 && c < 0x7f && c != '\\') {
			buf[o++] = (char)c;
		} else if (o + 4 < size) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else {
			break;
		}
	}
	buf[o] = '\0';
	return buf;
}
