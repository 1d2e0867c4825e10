/* Forwards to the TLS module, loaded only when --tls is on: libssl and
 * libcrypto cost a plaintext session about 3 M instructions of dynamic
 * linking, more than the whole POP3 session. */
#include <errno.h>
#include <stdio.h>

#include "module.h"
#include "tls.h"

static const struct tls_module *mod;
static bool ktls;

int tls_configure(const struct options *opt, char *err, size_t errlen)
{
	int r;

	if (!mod) {
		mod = module_symbol("onepop-tls.so", "onepop_tls_module", err, errlen);
		if (!mod)
			return -ENOENT;
		if (mod->version != TLS_MODULE_VERSION) {
			snprintf(err, errlen, "onepop-tls.so is not this version's");
			mod = NULL;
			return -ENOENT;
		}
	}
	r = mod->configure(opt, err, errlen);
	ktls = r == 0 && opt->tls_ktls;
	return r;
}

int tls_start(struct io *io)
{
	return mod ? mod->start(io) : -EINVAL;
}

bool tls_active(void)
{
	return mod && mod->active();
}

bool tls_ktls(void)
{
	return ktls;
}

void tls_end(void)
{
	if (mod)
		mod->end();
}

int tls_relay(struct io *io, int fd)
{
	return mod ? mod->relay(io, fd) : -EINVAL;
}
