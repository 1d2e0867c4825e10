/* libFuzzer target: the old servers' UIDL lists that --uidl-format reads
 * (backends/maildir/maildir_migrate.c). Byte 0 picks the format (dovecot,
 * courier, or a map file); the rest is that file, written into a Maildir
 * of three messages whose UIDL ledger is removed first, so every message
 * is new and the list is consulted. The Maildir is opened and scanned as
 * a session would. Checks: every UIDL is 1-70 printable characters and
 * they are all different. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onepop/backend.h"
#include "fuzz_util.h"

extern const struct backend_ops backend_maildir;

static char top[64] = "/tmp/onepop-fuzz-uidlist-XXXXXX";
static char maildir[256];

static const char *const names[] = {
	"cur/1700000001.M1P1.fuzz:2,S", "cur/1700000002.M2P2.fuzz:2,", "new/1700000003.M3P3.fuzz",
};
static const char *const lists[] = { "dovecot-uidlist", "courierimapuiddb", "map" };
static const char *const formats[] = { "dovecot", "courier", "map:map" };

static void write_file(const char *name, const uint8_t *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", maildir, name);
	if (!(f = fopen(path, "w")) || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		fuzz_die(path);
}

/* libFuzzer ends with exit(): leave nothing in /tmp. */
static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", top);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_maildir(top, maildir, sizeof(maildir));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		write_file(names[i], (const uint8_t *)"Subject: x\n\nbody\n", 17);
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct backend_config config = { 0 };
	struct backend_session session = { .config = &config, .remote = "fuzz" };
	struct backend_report report = { 0 };
	struct mailbox *mb = NULL;
	struct msginfo *info = NULL;
	size_t count = 0, pick;
	char path[512];

	if (size < 1)
		return 0;
	pick = data[0] % 3;
	config.uidl_format = formats[pick];
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", maildir, lists[i]);
		unlink(path);
	}
	write_file(lists[pick], data + 1, size - 1);
	/* Every message new: no ledger, no cache from the last input. */
	snprintf(path, sizeof(path), "%s/onepop-uidl", maildir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/onepop.cache", maildir);
	unlink(path);
	if (backend_maildir.open(maildir, &session, &report, &mb) < 0)
		fuzz_die("open");
	if (backend_maildir.scan(mb, &info, &count) == 0) {
		for (size_t i = 0; i < count; i++) {
			size_t len = strlen(info[i].uidl);
			if (len < 1 || len > 70)
				fuzz_die("UIDL length");
			for (size_t k = 0; k < len; k++)
				if (info[i].uidl[k] < 0x21 || info[i].uidl[k] > 0x7e)
					fuzz_die("UIDL character");
			for (size_t j = 0; j < i; j++)
				if (!strcmp(info[i].uidl, info[j].uidl))
					fuzz_die("UIDL twice");
		}
		free(info);
	}
	backend_maildir.close(mb);
	return 0;
}
