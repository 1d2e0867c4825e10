/* The auth-source registry, system lookups and APOP. */
#include <ctype.h>
#include <errno.h>
#include <md5.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "hex.h"
#include "log.h"
#include "module.h"
#include "secret.h"

#include "config.h"

extern const struct auth_ops auth_passwd_file;
extern const struct auth_ops auth_checkpassword;

static const struct auth_ops *const sources[] = {
	&auth_passwd_file,
	&auth_checkpassword,
	NULL,
};

/* Sources built as modules (module.h), loaded when --auth names them. */
static const struct {
	const char *name, *file, *symbol;
} module_sources[] = {
#ifdef HAVE_PAM
	{ "pam", "onepop-pam.so", "auth_pam" },
#endif
	{ NULL, NULL, NULL },
};

void user_info_clear(struct user_info *u)
{
	if (!u)
		return;
	free(u->name);
	free(u->home);
	*u = (struct user_info){ 0 };
}

int auth_open(const char *spec, struct auth **ret)
{
	const char *colon = strchr(spec, ':');
	size_t len = colon ? (size_t)(colon - spec) : strlen(spec);

	for (size_t i = 0; sources[i]; i++)
		if (strlen(sources[i]->name) == len &&
		    strncmp(sources[i]->name, spec, len) == 0)
			return sources[i]->init(colon ? colon + 1 : NULL, ret);
	for (size_t i = 0; module_sources[i].name; i++)
		if (strlen(module_sources[i].name) == len &&
		    strncmp(module_sources[i].name, spec, len) == 0) {
			char err[256];
			const struct auth_ops *ops =
				module_symbol(module_sources[i].file, module_sources[i].symbol,
				              err, sizeof(err));
			if (!ops) {
				log_msg(LOG_ERR, "%s", err);
				return -ENOENT;
			}
			return ops->init(colon ? colon + 1 : NULL, ret);
		}
	return -EINVAL;
}

void auth_close(struct auth *a)
{
	if (a)
		a->ops->free(a);
}

int auth_system_lookup(const char *user, struct user_info *ret)
{
	struct passwd *pw = getpwnam(user);
	struct user_info u = { 0 };

	if (!pw)
		return -ENOENT;
	u.name = strdup(user);
	u.home = strdup(pw->pw_dir ? pw->pw_dir : "");
	u.uid = pw->pw_uid;
	u.gid = pw->pw_gid;
	u.has_ids = true;
	u.system_user = true;
	if (!u.name || !u.home) {
		user_info_clear(&u);
		return -ENOMEM;
	}
	*ret = u;
	return 0;
}

int auth_lookup_system(struct auth *a, const char *user, struct user_info *ret)
{
	(void)a;
	return auth_system_lookup(user, ret);
}

void auth_md5_hex(const char *a, const char *b, char out[33])
{
	unsigned char d[MD5_DIGEST_LENGTH];
	MD5_CTX ctx;

	MD5Init(&ctx);
	MD5Update(&ctx, (const unsigned char *)a, strlen(a));
	MD5Update(&ctx, (const unsigned char *)b, strlen(b));
	MD5Final(d, &ctx);
	hex_encode(d, sizeof(d), out);
	explicit_bzero(&ctx, sizeof(ctx));
}

int auth_apop(struct auth *a, const char *user, const char *timestamp,
              const char *digest, struct user_info *ret)
{
	char want[33], got[33];
	char *secret = NULL;
	int r, ok;
	size_t i;

	if (!a || !a->ops->secret)
		return -EACCES;
	r = a->ops->secret(a, user, &secret);
	/* Unknown users and users without a plain secret do the same work. */
	auth_md5_hex(timestamp, r == 0 ? secret : "", want);
	for (i = 0; i < 32 && digest[i]; i++)
		got[i] = (char)tolower((unsigned char)digest[i]);
	got[i] = '\0';
	ok = r == 0 && digest[i] == '\0' && i == 32 &&
	     secret_equal(want, 32, got, 32);
	if (secret) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
	explicit_bzero(want, sizeof(want));
	if (!ok)
		return r < 0 && r != -ENOENT && r != -ENOTSUP ? r : -EACCES;
	return a->ops->lookup(a, user, ret);
}
