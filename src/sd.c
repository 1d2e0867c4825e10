/* Lazy binding of libsystemd (see sd.h). */
#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>

#include "sd.h"

const struct sd_api *sd_api(void)
{
	static struct sd_api api;
	static bool tried;
	void *h;

	if (tried)
		return api.listen_fds ? &api : NULL;
	tried = true;
	h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return NULL;
	*(void **)&api.listen_fds = dlsym(h, "sd_listen_fds");
	*(void **)&api.is_socket = dlsym(h, "sd_is_socket");
	*(void **)&api.journal_sendv = dlsym(h, "sd_journal_sendv");
	if (!api.listen_fds || !api.is_socket || !api.journal_sendv) {
		api = (struct sd_api){ 0 };
		return NULL;
	}
	return &api;
}
