/* Client I/O: bounded line reader, buffered writer, idle timeout. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "io.h"

void (*io_reply_hook)(const char *line);

static volatile sig_atomic_t timed_out;

/* Only sets a flag; a backstop alarm makes sure a read that started just
 * after the flag was checked is interrupted too, and a second expiry
 * while even the -ERR line cannot be written ends the process. */
static void on_alarm(int sig)
{
	(void)sig;
	if (timed_out)
		_exit(1);
	timed_out = 1;
	alarm(TIMEOUT_GRACE);
}

bool io_timed_out(void)
{
	return timed_out;
}

static ssize_t fd_read(void *ctx, void *buf, size_t len)
{
	return read(((struct io *)ctx)->in_fd, buf, len);
}

static ssize_t fd_write(void *ctx, const void *buf, size_t len)
{
	return write(((struct io *)ctx)->out_fd, buf, len);
}

void io_init(struct io *io, int in_fd, int out_fd, unsigned timeout)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	memset(io, 0, offsetof(struct io, in));
	io->in_fd = in_fd;
	io->out_fd = out_fd;
	io->timeout = timeout;
	io->t = (struct io_transport){ .read = fd_read, .write = fd_write, .ctx = io };
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: the alarm must interrupt a blocked read or write. */
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void arm(const struct io *io)
{
	if (io->timeout && !timed_out)
		alarm(io->timeout);
}

/* Work between reads (a mailbox scan, a commit) gets a fresh timeout
 * rather than none: a backend stuck on something a mail writer planted
 * must not hold the mailbox lock for good. Past it, the flag is set and
 * TIMEOUT_GRACE later the process ends. */
void io_arm(const struct io *io)
{
	arm(io);
}

static void arm_work(const struct io *io)
{
	arm(io);
}

int io_flush(struct io *io)
{
	size_t done = 0;

	if (io->failed)
		return -EIO;
	while (done < io->out_len) {
		ssize_t n;

		arm(io);
		n = io->t.write(io->t.ctx, io->out + done, io->out_len - done);
		if (n < 0 && errno == EINTR && !timed_out)
			continue;
		if (n <= 0) {
			io->failed = true;
			io->out_len = 0;
			return -EIO;
		}
		done += (size_t)n;
	}
	arm_work(io);
	io->out_len = 0;
	return 0;
}

int io_write(struct io *io, const void *buf, size_t len)
{
	const char *p = buf;

	if (io->failed)
		return -EIO;
	while (len > 0) {
		size_t room = sizeof(io->out) - io->out_len;
		size_t n = len < room ? len : room;

		memcpy(io->out + io->out_len, p, n);
		io->out_len += n;
		p += n;
		len -= n;
		if (io->out_len == sizeof(io->out) && io_flush(io) < 0)
			return -EIO;
	}
	return 0;
}

char *io_room(struct io *io, size_t min, size_t *ret_room)
{
	if (io->failed)
		return NULL;
	if (sizeof(io->out) - io->out_len < min && io_flush(io) < 0)
		return NULL;
	*ret_room = sizeof(io->out) - io->out_len;
	return io->out + io->out_len;
}

void io_commit(struct io *io, size_t n)
{
	io->out_len += n;
}

int io_write_crlf(struct io *io, const void *buf, size_t len)
{
	/* The message path's common case: the line and its CRLF fit. */
	if (!io->failed && len + 2 < sizeof(io->out) - io->out_len) {
		memcpy(io->out + io->out_len, buf, len);
		memcpy(io->out + io->out_len + len, "\r\n", 2);
		io->out_len += len + 2;
		return 0;
	}
	if (io_write(io, buf, len) < 0)
		return -EIO;
	return io_write(io, "\r\n", 2);
}

/* The attribute lets clang's -Wformat=2 see fmt is checked at the callers. */
__attribute__((format(printf, 3, 0)))
static int io_vline(struct io *io, const char *prefix, const char *fmt, va_list ap)
{
	char line[MAX_RESPONSE_LINE + 1];
	size_t plen = strlen(prefix);
	int n;

	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): vsnprintf ends it */
	memcpy(line, prefix, plen);
	n = vsnprintf(line + plen, sizeof(line) - plen - 2, fmt, ap);
	if (n < 0)
		return -EINVAL;
	/* Truncate rather than exceed RFC 2449's response-line limit. */
	if ((size_t)n > sizeof(line) - plen - 3)
		n = (int)(sizeof(line) - plen - 3);
	if (n == 0 && plen > 0 && prefix[plen - 1] == ' ')
		plen--;   /* "+OK", not "+OK " */
	n += (int)plen;
	if (io_reply_hook && plen)
		io_reply_hook(line);
	line[n++] = '\r';
	line[n++] = '\n';
	return io_write(io, line, (size_t)n);
}

int io_reply(struct io *io, bool ok, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = io_vline(io, ok ? "+OK " : "-ERR ", fmt, ap);
	va_end(ap);
	return r;
}

int io_line(struct io *io, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = io_vline(io, "", fmt, ap);
	va_end(ap);
	return r;
}

bool io_line_buffered(const struct io *io)
{
	return memchr(io->in + io->in_start, '\n', io->in_end - io->in_start) != NULL;
}

size_t io_pending_input(const struct io *io, const char **ret_buf)
{
	*ret_buf = io->in + io->in_start;
	return io->in_end - io->in_start;
}

void io_preload(struct io *io, const void *buf, size_t len)
{
	if (len > sizeof(io->in))
		len = sizeof(io->in);
	memcpy(io->in, buf, len);
	io->in_start = 0;
	io->in_end = len;
}

void io_discard_input(struct io *io)
{
	io->in_start = io->in_end = 0;
	io->discarding = false;
}

/* Take one line out of the buffer if a whole one is there. */
static bool take_line(struct io *io, enum io_status *ret, char **ret_line, size_t *ret_len)
{
	char *start = io->in + io->in_start;
	char *lf = memchr(start, '\n', io->in_end - io->in_start);
	size_t len;

	if (!lf)
		return false;
	len = (size_t)(lf - start);
	io->in_start += len + 1;
	if (io->discarding) {
		io->discarding = false;
		*ret = IO_TOO_LONG;
		return true;
	}
	/* RFC 2449 §4 counts the line with its terminator, CRLF or bare LF. */
	if (len + 1 > MAX_LINE) {
		*ret = IO_TOO_LONG;
		return true;
	}
	if (len > 0 && start[len - 1] == '\r')
		len--;
	if (memchr(start, '\0', len)) {
		*ret = IO_BAD_CHAR;
		return true;
	}
	start[len] = '\0';
	*ret_line = start;
	*ret_len = len;
	*ret = IO_LINE;
	return true;
}

enum io_status io_read_line(struct io *io, char **ret_line, size_t *ret_len)
{
	for (;;) {
		enum io_status st;
		ssize_t n;

		if (take_line(io, &st, ret_line, ret_len))
			return st;
		/* No LF buffered: an over-long partial line is dropped now so the
		 * buffer never has to grow; the rest is swallowed up to its LF. */
		if (io->in_end - io->in_start > MAX_LINE) {
			io->discarding = true;
			io->in_start = io->in_end = 0;
		} else if (io->in_start > 0) {
			memmove(io->in, io->in + io->in_start, io->in_end - io->in_start);
			io->in_end -= io->in_start;
			io->in_start = 0;
		}
		if (io_flush(io) < 0)
			return IO_ERROR;
		if (timed_out)
			return IO_TIMEOUT;
		arm(io);
		n = io->t.read(io->t.ctx, io->in + io->in_end, sizeof(io->in) - io->in_end);
		arm_work(io);
		if (n < 0 && errno == EINTR) {
			if (timed_out)
				return IO_TIMEOUT;
			continue;
		}
		if (n < 0)
			return IO_ERROR;
		if (n == 0)
			return IO_EOF;
		io->in_end += (size_t)n;
	}
}
