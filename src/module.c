/* dlopen of onepop's own modules. */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "module.h"

static void *open_module(const char *file)
{
	char exe[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	/* Beside the binary first: a build tree is as trusted as its binary. */
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(path, sizeof(path), "%s/%s", exe, file);
			if (access(path, R_OK) == 0)
				return dlopen(path, RTLD_NOW | RTLD_LOCAL);
		}
	}
	snprintf(path, sizeof(path), "%s/%s", MODULE_DIR, file);
	return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

const void *module_symbol(const char *file, const char *sym, char *err, size_t errlen)
{
	void *h = open_module(file);
	const void *p;

	if (!h) {
		snprintf(err, errlen, "cannot load %s: %s", file, dlerror());
		return NULL;
	}
	p = dlsym(h, sym);
	if (!p)
		snprintf(err, errlen, "%s has no %s", file, sym);
	return p;
}
