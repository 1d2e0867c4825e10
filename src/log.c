/* Logging to syslog or the journal and, when debugging, to stderr. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "config.h"
#include "hex.h"
#include "log.h"

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-journal.h>

#include "sd.h"
#endif

/* One formatted log line; longer ones are cut (client text is capped
 * well below this by MAX_LINE). */
#define LOG_LINE_MAX 2048

static bool debugging;
static bool to_stderr;
static bool to_journal;
static void (*sink)(int prio, const char *text);

void log_set_sink(void (*fn)(int prio, const char *text))
{
	sink = fn;
}

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
#ifdef HAVE_LIBSYSTEMD
	/* systemd sets these for every service it starts (systemd.exec(5)). */
	to_journal = getenv("JOURNAL_STREAM") || getenv("INVOCATION_ID");
#endif
	openlog("onepop", LOG_PID, LOG_MAIL);
	setlogmask(debug ? LOG_UPTO(LOG_DEBUG) : LOG_UPTO(LOG_INFO));
}

bool log_debugging(void)
{
	return debugging;
}

#ifdef HAVE_LIBSYSTEMD
/* Add "NAME=value" to the iovec list, formatted into buf. */
static void field(struct iovec *iov, size_t *n, char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void field(struct iovec *iov, size_t *n, char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	iov[*n].iov_base = buf;
	iov[*n].iov_len = (size_t)len < size ? (size_t)len : size - 1;
	(*n)++;
}

static int journal_send(int prio, const struct log_fields *f, const char *msg)
{
	char b[12][512];
	char m[LOG_LINE_MAX + 16];
	struct iovec iov[12];
	const struct sd_api *sd;
	size_t n = 0;

	field(iov, &n, m, sizeof(m), "MESSAGE=%s", msg);
	field(iov, &n, b[n], sizeof(b[0]), "PRIORITY=%d", prio);
	field(iov, &n, b[n], sizeof(b[0]), "SYSLOG_FACILITY=%d", LOG_MAIL >> 3);
	field(iov, &n, b[n], sizeof(b[0]), "SYSLOG_IDENTIFIER=onepop");
	field(iov, &n, b[n], sizeof(b[0]), "SYSLOG_PID=%ld", (long)getpid());
	if (f && f->user)
		field(iov, &n, b[n], sizeof(b[0]), "USER=%s", f->user);
	if (f && f->remote_addr)
		field(iov, &n, b[n], sizeof(b[0]), "REMOTE_ADDR=%s", f->remote_addr);
	if (f && f->end_reason) {
		field(iov, &n, b[n], sizeof(b[0]), "END_REASON=%s", f->end_reason);
		field(iov, &n, b[n], sizeof(b[0]), "RETR_BYTES=%llu", f->retr_bytes);
		field(iov, &n, b[n], sizeof(b[0]), "DELETED=%lu", f->deleted);
		field(iov, &n, b[n], sizeof(b[0]), "COMMANDS=%lu", f->commands);
	}
	sd = sd_api();
	return sd ? sd->journal_sendv(iov, (int)n) : -ENOSYS;
}
#endif

/* The attribute lets clang's -Wformat=2 see fmt is checked at the callers. */
__attribute__((format(printf, 3, 0)))
static void log_emit(int prio, const struct log_fields *f, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX];

	if (prio == LOG_DEBUG && !debugging)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (sink) {
		sink(prio, msg);
		return;
	}
#ifdef HAVE_LIBSYSTEMD
	/* No journal after all (not running, or sandboxed away): syslog. */
	if (!to_journal || journal_send(prio, f, msg) < 0)
#endif
		syslog(prio, "%s", msg);
	if (to_stderr)
		fprintf(stderr, "onepop[%ld]: %s\n", (long)getpid(), msg);
}

bool log_to_stderr(void)
{
	return to_stderr;
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(prio, NULL, fmt, ap);
	va_end(ap);
}

void log_fields(int prio, const struct log_fields *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(prio, f, fmt, ap);
	va_end(ap);
}

const char *log_safe(const char *s, char *buf, size_t size)
{
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
			hex_byte(c, buf + o);
			o += 2;
		} else {
			break;
		}
	}
	buf[o] = '\0';
	return buf;
}
