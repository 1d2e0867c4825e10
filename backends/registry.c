/* The compiled-in backends, chosen by meson options. */
#include <string.h>

#include "backend.h"
#include "config.h"

extern const struct backend_ops backend_maildir;
extern const struct backend_ops backend_mbox;
extern const struct backend_ops backend_mh;
extern const struct backend_ops backend_exec;

const struct backend_ops *const backends[] = {
#ifdef HAVE_BACKEND_MAILDIR
	&backend_maildir,
#endif
#ifdef HAVE_BACKEND_MBOX
	&backend_mbox,
#endif
#ifdef HAVE_BACKEND_MH
	&backend_mh,
#endif
#ifdef HAVE_BACKEND_EXEC
	&backend_exec,
#endif
	NULL,
};

const struct backend_ops *backend_find(const char *name)
{
	for (size_t i = 0; backends[i]; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}
