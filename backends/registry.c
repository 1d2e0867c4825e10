/* The compiled-in backends, chosen by meson options. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onepop/backend.h"
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

char *backend_names(unsigned flags)
{
	size_t size = 1, len = 0;
	char *buf;

	for (size_t i = 0; backends[i]; i++)
		if ((backends[i]->flags & flags) == flags)
			size += strlen(backends[i]->name) + 2;
	if (!(buf = malloc(size)))
		return NULL;
	for (size_t i = 0; backends[i]; i++) {
		size_t n = strlen(backends[i]->name);

		if ((backends[i]->flags & flags) != flags)
			continue;
		if (len) {
			memcpy(buf + len, ", ", 2);
			len += 2;
		}
		memcpy(buf + len, backends[i]->name, n);
		len += n;
	}
	buf[len] = '\0';
	return buf;
}

int backend_uidl_format_check(const struct backend_ops *b, const char *fmt)
{
	if (!fmt)
		return 0;
	for (const char *const *f = b->uidl_formats; f && *f; f++) {
		size_t n = strlen(*f);

		if (n && (*f)[n - 1] == ':' ? strncmp(fmt, *f, n) == 0 : strcmp(fmt, *f) == 0)
			return 0;
	}
	fprintf(stderr, "onepop: --uidl-format=%s%s\n", fmt,
	        b->uidl_format_refusal ? b->uidl_format_refusal : ": not for this backend");
	return -EINVAL;
}
