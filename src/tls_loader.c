/* Loads the TLS module only when --tls is on: libssl and libcrypto cost
 * a plaintext session about 3 M instructions of dynamic linking, which
 * is more than the whole POP3 session. */
#include <dlfcn.h>
#include <errno.h>
#include <linux/limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tls.h"

static const struct tls_module *mod;

/* The module beside the running binary (a build tree), else the
 * installed one. Both are as trusted as the binary itself. */
static void *load(char *err, size_t errlen)
{
	char exe[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	void *h = NULL;

	if (n > 0) {
		char *slash;
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(path, sizeof(path), "%s/onepop-tls.so", exe);
			if (access(path, R_OK) == 0)
				h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		}
	}
	if (!h)
		h = dlopen(TLS_MODULE_DIR "/onepop-tls.so", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		snprintf(err, errlen, "cannot load the TLS module: %s", dlerror());
	return h;
}

int tls_configure(const struct options *opt, char *err, size_t errlen)
{
	void *h;

	if (!mod) {
		h = load(err, errlen);
		if (!h)
			return -ENOENT;
		mod = dlsym(h, "onepop_tls_module");
		if (!mod || mod->version != TLS_MODULE_VERSION) {
			snprintf(err, errlen, "the TLS module is not this version's");
			mod = NULL;
			return -ENOENT;
		}
	}
	return mod->configure(opt, err, errlen);
}

int tls_start(struct io *io)
{
	return mod ? mod->start(io) : -EINVAL;
}

bool tls_active(void)
{
	return mod && mod->active();
}

void tls_end(void)
{
	if (mod)
		mod->end();
}
