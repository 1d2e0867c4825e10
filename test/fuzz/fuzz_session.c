/* libFuzzer target: a whole POP3 session. The input is what a client
 * sends; the server reads it from a memfd on fd 0 and writes to /dev/null,
 * against a small Maildir in a temporary directory. Built twice: plain
 * (USER/PASS/APOP against a passwd-file) and with FUZZ_PREAUTH (the
 * session starts in TRANSACTION). A QUIT that commits deletions marks the
 * Maildir dirty; it is rebuilt before the next input. */
#include <crypt.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "auth.h"
#include "onepop/backend.h"
#include "fuzz_util.h"
#include "log.h"
#include "options.h"
#include "session.h"

extern const struct backend_ops backend_maildir;

static char top[64] = "/tmp/onepop-fuzz-XXXXXX";
static char maildir[256];
static struct options opt;
static struct backend_config bconfig;   /* opt's part, as main derives it */
static struct auth *auth;
static struct backend_ops ops;
static int in_fd = -1;
static int dirty;

/* The fixture messages: the wire's corners (LF, CRLF, dots, no final
 * newline, a bare CR, an empty message, a long line). */
static const struct { const char *name, *text; } fixture[] = {
	{ "new/1700000001.M1P1.fuzz", "From: a@example.org\nSubject: lf\n\nHello\nworld\n" },
	{ "new/1700000002.M2P2.fuzz", "From: b@example.org\r\nSubject: crlf\r\n\r\nbody\r\n" },
	{ "new/1700000003.M3P3.fuzz", "Subject: dots\n\n.\n..\n.x\nend\n" },
	{ "new/1700000004.M4P4.fuzz", "Subject: noeol\n\nlast line" },
	{ "cur/1700000005.M5P5.fuzz:2,S", "Subject: cr\r\n\r\na\rb\r\n\r" },
	{ "cur/1700000006.M6P6.fuzz:2,", "" },
	{ "new/1700000007.M7P7.fuzz", NULL },   /* a 3000-octet line */
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		fuzz_die(path);
	if (text) {
		fputs(text, f);
	} else {
		fputs("Subject: long\n\n", f);
		for (int i = 0; i < 3000; i++)
			fputc('x', f);
		fputc('\n', f);
	}
	if (fclose(f) != 0)
		fuzz_die(path);
}

static void build_maildir(void)
{
	char path[512];

	for (size_t i = 0; i < sizeof(fixture) / sizeof(fixture[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", maildir, fixture[i].name);
		write_file(path, fixture[i].text);
	}
}

static int commit_and_mark(struct mailbox *mb, const bool *deleted, size_t count)
{
	for (size_t i = 0; i < count; i++)
		dirty |= deleted[i];
	return backend_maildir.commit(mb, deleted, count);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[512], passwd[512], line[512];
	const char *md5;
	int devnull;

	(void)argc;
	(void)argv;
	fuzz_maildir(top, maildir, sizeof(maildir));
	build_maildir();
	/* No uid/gid fields: the session keeps the fuzzer's identity. An MD5
	 * crypt hash keeps each failed login cheap. */
	md5 = crypt("hunter2", "$1$fuzzsalt$");
	if (!md5)
		fuzz_die("crypt");
	snprintf(passwd, sizeof(passwd), "%s/passwd", top);
	snprintf(line, sizeof(line), "alice:{PLAIN}secret::::%s::\nbob:{MD5-CRYPT}%s::::%s::\n",
	         top, md5, top);
	write_file(passwd, line);
	snprintf(path, sizeof(path), "passwd-file:%s", passwd);
	if (auth_open(path, &auth) < 0)
		fuzz_die("auth_open");

	opt.mailbox = maildir;
	opt.greeting = "onepop ready";
	opt.goodbye = "goodbye";
	opt.allow_root = true;
#ifdef FUZZ_PREAUTH
	opt.preauth = "alice";
#endif
	ops = backend_maildir;
	ops.commit = commit_and_mark;

	log_open(false);
	setlogmask(LOG_MASK(LOG_EMERG));   /* nothing onepop logs reaches syslog */
	in_fd = memfd_create("fuzz-input", 0);
	devnull = open("/dev/null", O_WRONLY);
	if (in_fd < 0 || devnull < 0 || dup2(devnull, STDOUT_FILENO) < 0)
		fuzz_die("fds");
	close(devnull);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_alarm alarm;

	if (ftruncate(in_fd, 0) < 0 || (size && pwrite(in_fd, data, size, 0) != (ssize_t)size) ||
	    lseek(in_fd, 0, SEEK_SET) < 0 || dup2(in_fd, STDIN_FILENO) < 0)
		fuzz_die("input");
	fuzz_alarm_hold(&alarm);
	options_backend_config(&opt, &bconfig);
	session_run(&opt, &bconfig, &ops, auth, NULL);
	fuzz_alarm_give_back(&alarm);
	if (dirty) {
		build_maildir();
		dirty = 0;
	}
	return 0;
}
