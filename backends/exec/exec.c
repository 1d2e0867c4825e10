/* The exec backend: the mailbox is served by a helper program that
 * onepop starts once per session and talks to over a pipe pair, with the
 * line protocol of onepop-exec(7) (version 1). The helper is trusted to
 * run, never to be right: every reply is bounded, checked and timed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "onepop/backend.h"
#include "numparse.h"

extern const struct backend_ops backend_exec;

#define EXEC_PROTOCOL 1

static struct {
	const char *argv[MAX_EXEC_ARGS + 2];
	unsigned timeout;           /* seconds the helper may stay silent; 0 = none */
	bool keep_stderr;           /* --debug: the helper's stderr is ours */
} conf;

struct exec_mailbox {
	struct mailbox base;
	pid_t pid;
	int to_fd, from_fd;
	bool broken;                /* out of step with the helper: no more requests */
	bool committed;
	bool in_message;            /* a RETR reply is being read */
	uint64_t remaining;         /* its octets still to come */
	size_t start, end;          /* unread bytes in buf */
	char buf[EXEC_BUF_SIZE];
	char (*uidls)[MAX_UIDL + 1];    /* what scan's msginfo points to */
	struct backend_report *report;  /* its error: for the log and --transmit-errors */
};

static void set_error(struct exec_mailbox *xm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_error(struct exec_mailbox *xm, const char *fmt, ...)
{
	char *text = xm->report->error;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(xm->report->error), fmt, ap);
	va_end(ap);
	/* It may reach the client: printable ASCII only. */
	for (char *p = text; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready: 0, or -ETIMEDOUT when the helper stayed idle
 * for the whole timeout. The timeout is for idleness, counted afresh at
 * each wait, not for a whole reply: a big message to a slow client takes
 * as long as the client takes (the session's own alarm bounds a client
 * that stops reading), and data already waiting is never refused. */
static int wait_fd(int fd, short events)
{
	long long deadline = conf.timeout ? now_ms() + conf.timeout * 1000LL : -1;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		long long left = deadline < 0 ? -1 : deadline - now_ms();
		int r;

		r = poll(&p, 1, left < 0 ? -1 : left <= 0 ? 0 : left > EXEC_POLL_MAX_MS ? EXEC_POLL_MAX_MS : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (deadline >= 0 && now_ms() >= deadline)
			return -ETIMEDOUT;
	}
}

/* Any failure of the stream itself leaves the helper out of step. */
static int fail(struct exec_mailbox *xm, int err)
{
	xm->broken = true;
	switch (err) {
	case -ETIMEDOUT:
		set_error(xm, "helper did not answer in time");
		break;
	case -EPIPE:
		set_error(xm, "helper exited or closed its pipe");
		break;
	case -EPROTO:
		break;              /* the caller said what was wrong */
	default:
		set_error(xm, "helper I/O: %s", strerror(-err));
	}
	return err;
}

static int proto_error(struct exec_mailbox *xm, const char *what)
{
	set_error(xm, "helper protocol error: %s", what);
	return fail(xm, -EPROTO);
}

/* Read more from the helper into buf: 0, or a negative errno. */
static int fill(struct exec_mailbox *xm)
{
	ssize_t n;
	int r;

	if (xm->start > 0) {
		memmove(xm->buf, xm->buf + xm->start, xm->end - xm->start);
		xm->end -= xm->start;
		xm->start = 0;
	}
	for (;;) {
		r = wait_fd(xm->from_fd, POLLIN);
		if (r < 0)
			return fail(xm, r);
		n = read(xm->from_fd, xm->buf + xm->end, sizeof(xm->buf) - xm->end);
		if (n > 0) {
			xm->end += (size_t)n;
			return 0;
		}
		if (n == 0)
			return fail(xm, -EPIPE);
		if (errno != EAGAIN && errno != EINTR)
			return fail(xm, -errno);
	}
}

/* The next line from the helper, LF (and a CR before it) removed.
 * Valid until the next read. */
static int read_line(struct exec_mailbox *xm, char **ret_line)
{
	for (;;) {
		char *p = xm->buf + xm->start;
		char *lf = memchr(p, '\n', xm->end - xm->start);
		int r;

		if (lf) {
			if (memchr(p, '\0', (size_t)(lf - p)))
				return proto_error(xm, "NUL in a line");
			*lf = '\0';
			if (lf > p && lf[-1] == '\r')
				lf[-1] = '\0';
			xm->start = (size_t)(lf + 1 - xm->buf);
			*ret_line = p;
			return 0;
		}
		if (xm->end - xm->start >= MAX_EXEC_LINE)
			return proto_error(xm, "line too long");
		r = fill(xm);
		if (r < 0)
			return r;
	}
}

static int write_all(struct exec_mailbox *xm, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n;
		int r = wait_fd(xm->to_fd, POLLOUT);

		if (r < 0)
			return fail(xm, r);
		n = write(xm->to_fd, p, len);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return fail(xm, -errno);
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Send one request line; the helper may be silent for at most the idle
 * timeout at any point of its reply, so a silent one cannot hold the
 * session. */
static int request(struct exec_mailbox *xm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int request(struct exec_mailbox *xm, const char *fmt, ...)
{
	char line[MAX_EXEC_LINE];
	va_list ap;
	int n;

	if (xm->broken) {
		set_error(xm, "helper is out of step after an earlier error");
		return -EIO;
	}
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -EINVAL;
	xm->report->error[0] = '\0';
	return write_all(xm, line, (size_t)n);
}

/* A status line: "OK [rest]" → 0 with *ret_rest; "ERR CLASS text" → the
 * errno backend.h maps to CLASS's response code. */
static int read_status(struct exec_mailbox *xm, char **ret_rest)
{
	char *line;
	int r = read_line(xm, &line);

	if (r < 0)
		return r;
	if (strncmp(line, "OK", 2) == 0 && (line[2] == '\0' || line[2] == ' ')) {
		*ret_rest = line[2] ? line + 3 : line + 2;
		return 0;
	}
	if (strncmp(line, "ERR ", 4) == 0) {
		char *cls = line + 4, *text = strchr(cls, ' ');

		if (text)
			*text++ = '\0';
		set_error(xm, "%s", text ? text : "helper reported an error");
		if (strcmp(cls, "PERM") == 0)
			return -EACCES;
		if (strcmp(cls, "INUSE") == 0)
			return -EWOULDBLOCK;
		return -EIO;        /* TEMP, or a class we do not know */
	}
	return proto_error(xm, "expected OK or ERR");
}

static int exec_configure(const struct backend_config *config)
{
	const char *prog = config->exec_argv[0];

	if (!prog || prog[0] != '/') {
		fprintf(stderr, "onepop: --backend=exec needs --exec=PROG, an absolute path\n");
		return -EINVAL;
	}
	if (access(prog, X_OK) < 0) {
		fprintf(stderr, "onepop: --exec=%s: %s\n", prog, strerror(errno));
		return -EINVAL;
	}
	for (size_t i = 0; i < MAX_EXEC_ARGS + 2; i++)
		conf.argv[i] = config->exec_argv[i];
	conf.timeout = config->timeout;
	conf.keep_stderr = config->helper_stderr;
	return 0;
}

/* In the child: the pipes on 0 and 1, nothing else open, default
 * signals, a clean environment, no shell. Never returns. */
static void exec_child(int in_fd, int out_fd, char *const envp[])
{
	sigset_t none;
	int null_fd;

	if (dup2(in_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0)
		_exit(127);
	if (!conf.keep_stderr) {
		null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null_fd < 0 || dup2(null_fd, STDERR_FILENO) < 0)
			_exit(127);
	}
	closefrom(3);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(conf.argv[0], (char *const *)conf.argv, envp);
	_exit(127);
}

static void exec_close(struct mailbox *mb)
{
	struct exec_mailbox *xm = (struct exec_mailbox *)mb;
	long long give_up;
	int status;

	if (!xm)
		return;
	/* Best effort: a helper that does not read it sees EOF instead,
	 * which the protocol also treats as a rollback. */
	if (!xm->broken && xm->to_fd >= 0) {
		const char *bye = xm->committed ? "QUIT\n" : "ROLLBACK\n";
		if (write(xm->to_fd, bye, strlen(bye)) < 0)
			xm->broken = true;
	}
	if (xm->to_fd >= 0)
		close(xm->to_fd);
	if (xm->from_fd >= 0)
		close(xm->from_fd);
	if (xm->pid > 0) {
		give_up = now_ms() + EXEC_REAP_MS;
		while (waitpid(xm->pid, &status, WNOHANG) == 0) {
			if (now_ms() >= give_up) {
				kill(xm->pid, SIGKILL);
				while (waitpid(xm->pid, &status, 0) < 0 && errno == EINTR)
					;
				break;
			}
			nanosleep(&(struct timespec){ .tv_nsec = EXEC_REAP_STEP_MS * 1000000L }, NULL);
		}
	}
	free(xm->uidls);
	free(xm);
}

static int spawn(struct exec_mailbox *xm, const char *path)
{
	char mailbox_env[MAX_PATH + 32];
	char *envp[] = {
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"ONEPOP_EXEC_PROTOCOL=1",
		mailbox_env,
		NULL,
	};
	int to[2], from[2];

	snprintf(mailbox_env, sizeof(mailbox_env), "ONEPOP_MAILBOX=%s", path);
	if (pipe2(to, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(from, O_CLOEXEC) < 0) {
		int e = -errno;
		close(to[0]);
		close(to[1]);
		return e;
	}
	xm->pid = fork();
	if (xm->pid == 0)
		exec_child(to[0], from[1], envp);
	close(to[0]);
	close(from[1]);
	xm->to_fd = to[1];
	xm->from_fd = from[0];
	if (xm->pid < 0) {
		set_error(xm, "cannot start the helper");
		return -errno;
	}
	/* Our ends never block: every wait is a poll with the deadline. */
	fcntl(xm->to_fd, F_SETFL, O_NONBLOCK);
	fcntl(xm->from_fd, F_SETFL, O_NONBLOCK);
	return 0;
}

static int exec_open(const char *path, const struct backend_session *session,
                     struct backend_report *report, struct mailbox **ret_mb)
{
	struct exec_mailbox *xm;
	uint64_t version;
	char *rest;
	int r;

	/* The helper may change what it serves: no dry run (no
	 * BACKEND_READONLY, so the core never asks for one). */
	if (session->readonly)
		return -ENOTSUP;
	/* The mailbox travels on a request line. */
	if (strpbrk(path, "\r\n"))
		return -EINVAL;
	xm = calloc(1, sizeof(*xm));
	if (!xm)
		return -ENOMEM;
	xm->base.ops = &backend_exec;
	xm->report = report;
	xm->to_fd = xm->from_fd = -1;
	r = spawn(xm, path);
	if (r == 0)
		r = request(xm, "HELLO %d %s\n", EXEC_PROTOCOL, path);
	if (r == 0)
		r = read_status(xm, &rest);
	if (r == 0 && (num_parse(strtok(rest, " "), EXEC_PROTOCOL, EXEC_PROTOCOL, &version) < 0))
		r = proto_error(xm, "the helper speaks another protocol version");
	if (r < 0) {
		exec_close(&xm->base);
		return r;
	}
	*ret_mb = &xm->base;
	return 0;
}

static bool valid_uidl(const char *u)
{
	size_t n = strlen(u);

	if (n == 0 || n > MAX_UIDL)
		return false;
	for (; *u; u++)
		if (*u < 0x21 || *u > 0x7e)
			return false;
	return true;
}

static int by_uidl(const void *a, const void *b)
{
	return strcmp(((const struct msginfo *)a)->uidl, ((const struct msginfo *)b)->uidl);
}

/* RFC 1939 §7 wants unique UIDLs: check on a sorted copy. */
static int check_unique(const struct msginfo *msgs, size_t count)
{
	struct msginfo *sorted;
	int r = 0;

	if (count < 2)
		return 0;
	sorted = malloc(count * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, msgs, count * sizeof(*sorted));
	qsort(sorted, count, sizeof(*sorted), by_uidl);
	for (size_t i = 1; i < count && r == 0; i++)
		if (strcmp(sorted[i - 1].uidl, sorted[i].uidl) == 0)
			r = -EPROTO;
	free(sorted);
	return r;
}

static int exec_scan(struct mailbox *mb, struct msginfo **ret_msgs, size_t *ret_count)
{
	struct exec_mailbox *xm = (struct exec_mailbox *)mb;
	struct msginfo *msgs = NULL;
	uint64_t count, size;
	size_t cap = 0;
	char *line, *rest = NULL;   /* set whenever read_status returns 0 */
	int r;

	r = request(xm, "LIST\n");
	if (r == 0)
		r = read_status(xm, &rest);
	if (r < 0)
		return r;
	if (num_parse(rest, 0, MAX_EXEC_MESSAGES, &count) < 0)
		return proto_error(xm, "LIST: bad message count");
	for (size_t i = 0; i < count; i++) {
		char *sp;

		r = read_line(xm, &line);
		if (r < 0)
			goto fail;
		sp = strchr(line, ' ');
		if (sp)
			*sp = '\0';
		if (!sp || num_parse(line, 0, EXEC_MAX_SIZE, &size) < 0 || !valid_uidl(sp + 1)) {
			r = proto_error(xm, "LIST: an entry is not SIZE UIDL");
			goto fail;
		}
		/* Grow as entries arrive: the count alone costs no memory. */
		if (i == cap) {
			struct msginfo *m;
			void *u;
			cap = cap ? cap * 2 : 64;
			m = reallocarray(msgs, cap, sizeof(*msgs));
			if (m)
				msgs = m;
			u = m ? reallocarray(xm->uidls, cap, sizeof(*xm->uidls)) : NULL;
			if (!u) {
				r = -ENOMEM;
				goto fail;
			}
			xm->uidls = u;
		}
		msgs[i].size = size;
		strlcpy(xm->uidls[i], sp + 1, sizeof(xm->uidls[i]));   /* valid_uidl: it fits */
	}
	/* xm->uidls moved while it grew: point at the UIDLs only now. */
	for (size_t i = 0; i < count; i++)
		msgs[i].uidl = xm->uidls[i];
	r = read_line(xm, &line);
	if (r < 0)
		goto fail;
	if (strcmp(line, ".") != 0) {
		r = proto_error(xm, "LIST: more entries than announced");
		goto fail;
	}
	if (check_unique(msgs, count) < 0) {
		r = proto_error(xm, "LIST: two messages share a UIDL");
		goto fail;
	}
	*ret_msgs = msgs ? msgs : calloc(1, sizeof(*msgs));
	if (!*ret_msgs)
		return -ENOMEM;
	*ret_count = count;
	return 0;
fail:
	free(msgs);
	return r;
}

static int exec_msg_open(struct mailbox *mb, size_t idx)
{
	struct exec_mailbox *xm = (struct exec_mailbox *)mb;
	uint64_t len;
	char *rest = NULL;   /* set whenever read_status returns 0 */
	int r;

	r = request(xm, "RETR %zu\n", idx + 1);
	if (r == 0)
		r = read_status(xm, &rest);
	if (r < 0)
		return r;
	if (num_parse(rest, 0, EXEC_MAX_SIZE, &len) < 0)
		return proto_error(xm, "RETR: bad length");
	xm->remaining = len;
	xm->in_message = true;
	return 0;
}

static ssize_t exec_msg_read(struct mailbox *mb, void *buf, size_t len)
{
	struct exec_mailbox *xm = (struct exec_mailbox *)mb;
	size_t avail;
	char *line;
	int r;

	if (!xm->in_message)
		return 0;
	if (xm->remaining == 0) {
		/* The length said where the message ends; "END" proves the
		 * helper agrees, so a miscounting helper is caught here. */
		xm->in_message = false;
		r = read_line(xm, &line);
		if (r < 0)
			return r;
		if (strcmp(line, "END") != 0)
			return proto_error(xm, "RETR: no END after the message");
		return 0;
	}
	if (xm->start == xm->end) {
		r = fill(xm);
		if (r < 0)
			return r;
	}
	avail = xm->end - xm->start;
	if (avail > xm->remaining)
		avail = (size_t)xm->remaining;
	if (avail > len)
		avail = len;
	memcpy(buf, xm->buf + xm->start, avail);
	xm->start += avail;
	xm->remaining -= avail;
	return (ssize_t)avail;
}

static void exec_msg_close(struct mailbox *mb)
{
	struct exec_mailbox *xm = (struct exec_mailbox *)mb;

	/* Stopped before END: the rest of the reply is still in the pipe. */
	if (xm->in_message) {
		xm->in_message = false;
		xm->broken = true;
	}
}

static int exec_commit(struct mailbox *mb, const bool *deleted, size_t count)
{
	struct exec_mailbox *xm = (struct exec_mailbox *)mb;
	char chunk[EXEC_COMMIT_CHUNK];
	size_t k = 0, len = 0;
	char *rest;
	int r;

	for (size_t i = 0; i < count; i++)
		k += deleted[i];
	r = request(xm, "COMMIT %zu\n", k);
	for (size_t i = 0; r == 0 && i < count; i++) {
		if (!deleted[i])
			continue;
		len += (size_t)snprintf(chunk + len, sizeof(chunk) - len, "%zu\n", i + 1);
		if (len > sizeof(chunk) - 32) {
			r = write_all(xm, chunk, len);
			len = 0;
		}
	}
	if (r == 0 && len > 0)
		r = write_all(xm, chunk, len);
	if (r == 0)
		r = read_status(xm, &rest);
	if (r == 0)
		xm->committed = true;
	return r;
}

const struct backend_ops backend_exec = {
	.name = "exec",
	/* The helper decides what a mailbox is; by default it gets the user. */
	.default_mailbox = "%u",
	.flags = BACKEND_FAITHFUL,
	/* no .uidl_formats: */
	.uidl_format_refusal = ": the exec backend's program gives the UIDLs",
	.open = exec_open,
	.scan = exec_scan,
	.msg_open = exec_msg_open,
	.msg_read = exec_msg_read,
	.msg_close = exec_msg_close,
	.commit = exec_commit,
	.close = exec_close,
	.configure = exec_configure,
};
