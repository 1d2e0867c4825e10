/* libFuzzer target: SASL decoding (util/base64.c, src/sasl.c). Byte 0
 * picks what the rest of the input is:
 *   0  base64 text for base64_decode, into an exact-size heap buffer
 *      (ASan sees any overrun) and a too-small one (-ENOBUFS). Decoding
 *      is strict, so text that decodes must be what base64_encode makes
 *      of the result, octet for octet.
 *   1  octets to base64_encode and decode back unchanged.
 *   2  a PLAIN response (authzid NUL authcid NUL passwd), sent base64'd
 *      as "AUTH PLAIN <initial-response>";
 *   3  the same, sent on its own line after "AUTH PLAIN" and "+ ";
 *   4  a CRAM-MD5 answer, after "AUTH CRAM-MD5".
 * 2-4 run a whole session (passwd-file: alice {PLAIN}secret, an empty
 * Maildir) and read its replies: the login succeeds exactly when the
 * PLAIN response is alice's with the right password, and never with
 * CRAM-MD5 (its challenge is random; no fixed answer can match it). */
#include <errno.h>
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
#include "base64.h"
#include "log.h"
#include "options.h"
#include "session.h"

extern const struct backend_ops backend_maildir;

static char top[64] = "/tmp/onepop-fuzz-sasl-XXXXXX";
static struct options opt;
static struct backend_config bconfig;   /* opt's part, as main derives it */
static struct auth *auth;
static int in_fd = -1, out_fd = -1;

static char maildir[128];

/* libFuzzer ends with exit(): leave nothing in /tmp. */
static void cleanup(void)
{
	char path[256];

	for (const char *const *sub = (const char *const[]){ "new", "cur", "tmp", NULL }; *sub; sub++) {
		snprintf(path, sizeof(path), "%s/%s", maildir, *sub);
		rmdir(path);
	}
	rmdir(maildir);
	snprintf(path, sizeof(path), "%s/passwd", top);
	unlink(path);
	rmdir(top);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[256], spec[256];
	FILE *f;

	(void)argc;
	(void)argv;
	fuzz_maildir(top, maildir, sizeof(maildir));
	snprintf(path, sizeof(path), "%s/passwd", top);
	f = fopen(path, "w");
	if (!f || fprintf(f, "alice:{PLAIN}secret::::%s::\n", top) < 0 || fclose(f) != 0)
		fuzz_die(path);
	snprintf(spec, sizeof(spec), "passwd-file:%s", path);
	if (auth_open(spec, &auth) < 0)
		fuzz_die("auth_open");
	atexit(cleanup);
	opt.mailbox = maildir;
	opt.greeting = "onepop ready";
	opt.goodbye = "goodbye";
	opt.allow_root = true;   /* the fuzzer may run as root */
	log_open(false);
	setlogmask(LOG_MASK(LOG_EMERG));
	in_fd = memfd_create("fuzz-input", 0);
	out_fd = memfd_create("fuzz-output", 0);
	if (in_fd < 0 || out_fd < 0)
		fuzz_die("memfd");
	return 0;
}

static void check_decode(const uint8_t *data, size_t size)
{
	size_t cap = size / 4 * 3, len = 0;
	unsigned char *out = malloc(cap + 1);
	char *again = malloc(size + 1);
	int r;

	if (!out || !again)
		fuzz_die("malloc");
	r = base64_decode((const char *)data, size, out, cap, &len);
	if (r == 0) {
		if (len > cap || base64_encode(out, len, again, size + 1) != (int)size ||
		    memcmp(again, data, size) != 0) {
			fprintf(stderr, "decoded %zu octets that do not encode back\n", len);
			abort();
		}
		/* One octet short: refused, never overrun. */
		if (len > 0 && base64_decode((const char *)data, size, out, len - 1, &len) != -ENOBUFS)
			abort();
	}
	free(again);
	free(out);
}

static void check_encode(const uint8_t *data, size_t size)
{
	size_t cap = (size + 2) / 3 * 4 + 1, len = 0;
	char *text = malloc(cap);
	unsigned char *back = malloc(size + 1);
	int n;

	if (!text || !back)
		fuzz_die("malloc");
	n = base64_encode(data, size, text, cap);
	if (n != (int)cap - 1 || base64_decode(text, (size_t)n, back, size, &len) != 0 ||
	    len != size || (size && memcmp(back, data, size) != 0))
		abort();
	/* One octet too small for the text and its NUL: refused. */
	if (base64_encode(data, size, text, cap - 1) != -ENOBUFS)
		abort();
	free(back);
	free(text);
}

/* The session's replies after the greeting: did a login succeed? */
static bool logged_in(void)
{
	char buf[8192];
	ssize_t n = pread(out_fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		fuzz_die("pread");
	buf[n] = '\0';
	/* The login's reply is "+OK N messages (M octets)". */
	return strstr(buf, " messages (") != NULL;
}

static bool is_alice(const uint8_t *d, size_t n)
{
	static const char a[] = "\0alice\0secret", b[] = "alice\0alice\0secret";

	return (n == sizeof(a) - 1 && memcmp(d, a, n) == 0) ||
	       (n == sizeof(b) - 1 && memcmp(d, b, n) == 0);
}

static void session(int mode, const uint8_t *data, size_t size)
{
	static const char *const lead[] = { "AUTH PLAIN ", "AUTH PLAIN\r\n", "AUTH CRAM-MD5\r\n" };
	char b64[4 * 200];
	struct fuzz_alarm alarm;
	bool in, want;
	int n;

	/* Longer answers only meet the line limit, tested elsewhere. */
	if (size > 180)
		return;
	n = base64_encode(data, size, b64, sizeof(b64));
	if (n < 0)
		abort();
	if (size == 0)
		strcpy(b64, "=");   /* the empty response (RFC 5034 §4) */
	if (ftruncate(in_fd, 0) < 0 || ftruncate(out_fd, 0) < 0 || lseek(out_fd, 0, SEEK_SET) < 0 ||
	    lseek(in_fd, 0, SEEK_SET) < 0 || dprintf(in_fd, "%s%s\r\n", lead[mode - 2], b64) < 0 || lseek(in_fd, 0, SEEK_SET) < 0 ||
	    dup2(in_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0)
		fuzz_die("fds");
	fuzz_alarm_hold(&alarm);
	options_backend_config(&opt, &bconfig);
	session_run(&opt, &bconfig, &backend_maildir, auth, NULL);
	fuzz_alarm_give_back(&alarm);
	in = logged_in();
	want = mode != 4 && is_alice(data, size);
	if (in != want) {
		fprintf(stderr, "mode %d: logged in %d, expected %d\n", mode, in, want);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int mode;

	if (size == 0)
		return 0;
	mode = data[0] % 5;
	data++;
	size--;
	if (mode == 0)
		check_decode(data, size);
	else if (mode == 1)
		check_encode(data, size);
	else
		session(mode, data, size);
	return 0;
}
