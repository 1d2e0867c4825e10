/* Client I/O: a bounded line reader that keeps pipelined input, and a
 * buffered reply writer flushed once per batch of commands. */
#ifndef ONEPOP_IO_H
#define ONEPOP_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "onepop_limits.h"

/* How bytes move: plain fds by default; TLS can replace these. */
struct io_transport {
	ssize_t (*read)(void *ctx, void *buf, size_t len);
	ssize_t (*write)(void *ctx, const void *buf, size_t len);
	void *ctx;
};

struct io {
	struct io_transport t;
	int in_fd, out_fd;
	unsigned timeout;           /* seconds; 0 = none */
	bool discarding;            /* swallowing an over-long line to its LF */
	bool failed;                /* a write failed: the client is gone */
	size_t in_start, in_end;
	size_t out_len;
	char in[IN_BUF_SIZE];
	char out[OUT_BUF_SIZE];
};

enum io_status {
	IO_LINE,        /* a line, NUL-terminated, CR/LF stripped */
	IO_TOO_LONG,    /* a line over MAX_LINE was swallowed */
	IO_BAD_CHAR,    /* a line holding a NUL was swallowed */
	IO_EOF,
	IO_TIMEOUT,
	IO_ERROR,
};

/* Set up plain-fd I/O and the SIGALRM handler for the idle timeout. */
void io_init(struct io *io, int in_fd, int out_fd, unsigned timeout);

/* Read the next command line. Flushes pending output before blocking.
 * *ret_line points into the buffer and is valid until the next call. */
enum io_status io_read_line(struct io *io, char **ret_line, size_t *ret_len);

/* True when a whole line is already buffered (pipelined). */
bool io_line_buffered(const struct io *io);

/* Input received but not yet taken as a line: *ret_buf and its length
 * (a login hands it on to the process that serves the mailbox). */
size_t io_pending_input(const struct io *io, const char **ret_buf);
/* Make buf the first input read from now on (what the process that read
 * it handed on); len <= IN_BUF_SIZE. */
void io_preload(struct io *io, const void *buf, size_t len);

/* Drop every byte already received (RFC 2595 §4: nothing after STLS). */
void io_discard_input(struct io *io);

/* Queue bytes for the client; returns 0 or -EIO once the client is gone. */
int io_write(struct io *io, const void *buf, size_t len);
/* io_write of buf, then of CRLF. */
int io_write_crlf(struct io *io, const void *buf, size_t len);
int io_flush(struct io *io);
/* Free space at the end of the output buffer, at least min octets (it
 * flushes first when there is less; min <= OUT_BUF_SIZE), for callers
 * that build output in place (the message path); NULL once the client is
 * gone. io_commit() then adds the n octets written there. */
char *io_room(struct io *io, size_t min, size_t *ret_room);
void io_commit(struct io *io, size_t n);

/* One status line: "+OK text" or "-ERR text", CRLF added. */
int io_reply(struct io *io, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A line of a multi-line reply, CRLF added (no dot-stuffing: for lists). */
int io_line(struct io *io, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Start the idle timer now: for the process that takes a session over
 * (privsep.h) and works on it before its first read or write. */
void io_arm(const struct io *io);

/* True once the idle timer fired. */
bool io_timed_out(void);

/* Hook called with each status line sent (for debug logging). */
extern void (*io_reply_hook)(const char *line);

#endif
