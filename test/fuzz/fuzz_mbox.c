/* libFuzzer target: the mbox parser (backends/mbox/mbox.c). The input is the
 * whole mailbox file; it is opened, scanned and every message read, as a
 * session would. Checks: each message reads back in exactly the octets
 * its scan size announced (wire_size over what msg_read returns), every
 * UIDL is 1-70 printable characters. One input in four is also committed with
 * every other message deleted, then scanned again: the kept messages
 * must read back byte for byte, and no temporary file or lock may stay.
 * Inputs whose size is 1 modulo 3 are scanned with --uidl-format=popa3d
 * (popa3d's header digest over the raw, still quoted lines). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onepop/backend.h"
#include "fuzz_util.h"

extern const struct backend_ops backend_mbox;

static char dir[64];
static char path[128];
/* A session as main would open it: no --expire, no --login-delay. */
static struct backend_config config;
static const struct backend_session session = { .config = &config, .remote = "fuzz" };
static struct backend_report report;

/* libFuzzer ends with exit(): leave nothing in /dev/shm. */
static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* tmpfs when there is one: the commit fsyncs. */
	snprintf(dir, sizeof(dir), "%s/onepop-fuzz-mbox-XXXXXX",
	         access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(dir))
		fuzz_die("mkdtemp");
	snprintf(path, sizeof(path), "%s/mbox", dir);
	atexit(cleanup);
	return 0;
}

struct msg_copy {
	char *data;
	size_t len;
};

/* Read message i whole; checks the size the scan gave it. */
static struct msg_copy read_msg(struct mailbox *mb, const struct msginfo *info, size_t i)
{
	struct msg_copy c = { 0 };
	struct wire_size ws;
	uint64_t octets;
	char buf[61];   /* odd-sized: lines cross the reads */
	ssize_t n;

	if (backend_mbox.msg_open(mb, i) < 0)
		fuzz_die("msg_open");
	wire_size_init(&ws);
	while ((n = backend_mbox.msg_read(mb, buf, sizeof(buf))) > 0) {
		char *p = realloc(c.data, c.len + (size_t)n);
		if (!p)
			fuzz_die("realloc");
		c.data = p;
		memcpy(c.data + c.len, buf, (size_t)n);
		c.len += (size_t)n;
		wire_size_feed(&ws, buf, (size_t)n);
	}
	if (n < 0)
		fuzz_die("msg_read");
	backend_mbox.msg_close(mb);
	if (wire_size_end(&ws, &octets) < 0 || octets != info[i].size) {
		fprintf(stderr, "message %zu: scan said %llu octets, read gives %llu\n", i,
		        (unsigned long long)info[i].size, (unsigned long long)octets);
		abort();
	}
	return c;
}

static void check_uidl(const char *u)
{
	size_t n = strlen(u);

	if (n < 1 || n > MAX_UIDL)
		abort();
	for (size_t i = 0; i < n; i++)
		if (u[i] < 0x21 || u[i] > 0x7e)
			abort();
}

/* Open, scan and read everything; the copies are returned. */
static size_t scan_all(struct mailbox **ret_mb, struct msg_copy **ret_copies)
{
	struct mailbox *mb;
	struct msginfo *info;
	struct msg_copy *copies;
	size_t count;

	report = (struct backend_report){ 0 };
	if (backend_mbox.open(path, &session, &report, &mb) < 0)
		fuzz_die("open");
	if (backend_mbox.scan(mb, &info, &count) < 0) {
		/* Not an mbox (no From_ line first): refused, fine. */
		backend_mbox.close(mb);
		*ret_mb = NULL;
		return 0;
	}
	copies = calloc(count + 1, sizeof(*copies));
	if (!copies)
		fuzz_die("calloc");
	for (size_t i = 0; i < count; i++) {
		check_uidl(info[i].uidl);
		copies[i] = read_msg(mb, info, i);
	}
	free(info);
	*ret_mb = mb;
	*ret_copies = copies;
	return count;
}

static void free_copies(struct msg_copy *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i].data);
	free(c);
}

/* Nothing but the mailbox may be left in the directory. */
static void check_dir_clean(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		fuzz_die(dir);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    strcmp(e->d_name, "mbox") != 0) {
			fprintf(stderr, "left behind: %s\n", e->d_name);
			abort();
		}
	closedir(d);
}

static void commit_and_compare(struct mailbox *mb, struct msg_copy *before, size_t count)
{
	struct msg_copy *after = NULL;
	bool *deleted = calloc(count + 1, sizeof(*deleted));
	size_t kept = 0, n, j = 0;

	if (!deleted)
		fuzz_die("calloc");
	for (size_t i = 0; i < count; i++) {
		deleted[i] = i % 2 == 1;
		kept += !deleted[i];
	}
	if (backend_mbox.commit(mb, deleted, count) < 0)
		fuzz_die("commit");
	backend_mbox.close(mb);
	check_dir_clean();
	n = scan_all(&mb, &after);
	if (!mb && kept == 0)
		goto out;   /* nothing kept: an empty file is no mbox, fine */
	if (!mb || n != kept) {
		fprintf(stderr, "kept %zu messages, the rewrite holds %zu\n", kept, n);
		abort();
	}
	for (size_t i = 0; i < count; i++) {
		if (deleted[i])
			continue;
		if (after[j].len != before[i].len ||
		    (before[i].len && memcmp(after[j].data, before[i].data, before[i].len) != 0)) {
			fprintf(stderr, "message %zu changed in the rewrite\n", i);
			abort();
		}
		j++;
	}
	free_copies(after, n);
	backend_mbox.close(mb);
out:
	free(deleted);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg_copy *copies = NULL;
	struct mailbox *mb;
	FILE *f = fopen(path, "w");
	size_t count;

	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
		fuzz_die(path);
	config.uidl_format = size % 3 == 1 ? "popa3d" : NULL;
	if (backend_uidl_format_check(&backend_mbox, config.uidl_format) < 0)
		fuzz_die("--uidl-format");
	count = scan_all(&mb, &copies);
	if (mb && count >= 2 && size % 4 == 0)
		commit_and_compare(mb, copies, count);
	else if (mb)
		backend_mbox.close(mb);
	free_copies(copies, count);
	return 0;
}
