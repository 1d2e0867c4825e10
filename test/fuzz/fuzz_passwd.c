/* libFuzzer target: the passwd-file parser. The input is the whole file;
 * it is looked up (lookup, secret) for "alice" and for the name on its
 * first line, and now and then a password is checked, as a login would. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "onepop_limits.h"

static char path[64] = "/tmp/onepop-fuzz-passwd-XXXXXX";
static struct auth *auth;
static int fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char spec[128];

	(void)argc;
	(void)argv;
	fd = mkstemp(path);
	if (fd < 0)
		abort();
	snprintf(spec, sizeof(spec), "passwd-file:%s", path);
	if (auth_open(spec, &auth) < 0)
		abort();
	return 0;
}

static void try_user(const char *user, bool verify)
{
	struct user_info u = { 0 };
	char *secret = NULL;

	if (auth->ops->lookup(auth, user, &u) == 0) {
		/* What a login hands on must be usable strings. */
		if (!u.name || !u.home || strcmp(u.name, user) != 0)
			abort();
	}
	user_info_clear(&u);
	if (auth->ops->secret(auth, user, &secret) == 0) {
		if (!secret)
			abort();
		free(secret);
	}
	if (verify && auth->ops->verify(auth, user, "secret", &u) == 0)
		user_info_clear(&u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char user[MAX_USER + 1];
	size_t n = 0;
	bool verify;

	if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	while (n < size && n < MAX_USER && data[n] != ':' && data[n] != '\n' && data[n])
		n++;
	memcpy(user, data, n);
	user[n] = '\0';
	/* A crypt hash with a huge cost ("rounds=", "$2b$31$") is the
	 * administrator's choice, not an attack: verify only inputs without
	 * '$', and only one in eight, since a miss costs a dummy hash. */
	verify = size % 8 == 0 && !memchr(data, '$', size);
	try_user("alice", verify);
	if (n > 0)
		try_user(user, verify);
	return 0;
}
