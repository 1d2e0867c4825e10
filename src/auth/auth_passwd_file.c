/* --auth=passwd-file:PATH, Dovecot's passwd-file format:
 *   user:{SCHEME}password:uid:gid:gecos:home:shell:extra
 * Schemes: {PLAIN}, and crypt(3) hashes ({CRYPT}, {SHA512-CRYPT},
 * {SHA256-CRYPT}, {BLF-CRYPT}, {MD5-CRYPT}, or a bare "$id$..." hash). */
#include <crypt.h>
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "onepop_limits.h"
#include "log.h"
#include "secret.h"
#include "numparse.h"

extern const struct auth_ops auth_passwd_file;

struct passwd_file {
	struct auth base;
	char *path;
};

/* One parsed line; pointers into the line buffer. */
struct entry {
	char *user, *pass, *uid, *gid, *home;
};

static const char *const crypt_schemes[] = {
	"{CRYPT}", "{SHA512-CRYPT}", "{SHA256-CRYPT}", "{BLF-CRYPT}",
	"{MD5-CRYPT}", "{DES-CRYPT}", NULL,
};

/* A hash in the default scheme, so unknown users cost what real ones do. */
static const char dummy_hash[] = "$6$onepopdummysalt$";

static void split(char *line, struct entry *e)
{
	char *f[7] = { 0 };
	int n = 0;

	f[n++] = line;
	for (char *p = line; *p && n < 7; p++)
		if (*p == ':') {
			*p = '\0';
			f[n++] = p + 1;
		}
	e->user = f[0];
	e->pass = f[1] ? f[1] : (char *)"";
	e->uid = f[2] ? f[2] : (char *)"";
	e->gid = f[3] ? f[3] : (char *)"";
	e->home = f[5] ? f[5] : (char *)"";
}

/* Calls stop() on each entry, in file order, until it returns true:
 * then 0, with that entry in *ret and its line in *ret_buf (wipe it).
 * -ENOENT when no entry stopped the walk, -errno when the file cannot
 * be read. Every other line is wiped as soon as it is passed. */
typedef bool entry_stop_fn(const struct entry *e, void *ctx);

static int walk(const struct passwd_file *pf, entry_stop_fn *stop, void *ctx,
                char **ret_buf, struct entry *ret)
{
	FILE *f = fopen(pf->path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int r = -ENOENT;

	if (!f)
		return -errno;
	while ((n = getline(&line, &cap, f)) >= 0) {
		struct entry e;

		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		split(line, &e);
		if (stop(&e, ctx)) {
			*ret = e;
			*ret_buf = line;
			line = NULL;
			r = 0;
			break;
		}
		explicit_bzero(line, (size_t)n);
	}
	if (r == -ENOENT && ferror(f))
		r = -EIO;
	if (line) {
		explicit_bzero(line, cap);
		free(line);
	}
	fclose(f);
	return r;
}

static bool is_user(const struct entry *e, void *ctx)
{
	const char *const *user = ctx;

	return strcmp(e->user, *user) == 0;
}

/* Find user's line; *ret_buf holds the line (free it, after wiping). */
static int find(const struct passwd_file *pf, const char *user,
                char **ret_buf, struct entry *ret)
{
	return walk(pf, is_user, &user, ret_buf, ret);
}

static void wipe(char *buf)
{
	if (buf) {
		explicit_bzero(buf, strlen(buf));
		free(buf);
	}
}

static int parse_id(const char *s, bool group, unsigned *ret)
{
	uint64_t v;

	if (num_parse(s, 0, UINT32_MAX - 1, &v) == 0) {
		*ret = (unsigned)v;
		return 0;
	}
	if (group) {
		struct group *g = getgrnam(s);
		if (g) {
			*ret = g->gr_gid;
			return 0;
		}
	} else {
		struct passwd *p = getpwnam(s);
		if (p) {
			*ret = p->pw_uid;
			return 0;
		}
	}
	return -EINVAL;
}

static int to_user(const struct entry *e, struct user_info *ret)
{
	struct user_info u = { 0 };
	unsigned uid, gid;

	if (*e->uid || *e->gid) {
		if (parse_id(e->uid, false, &uid) < 0 || parse_id(e->gid, true, &gid) < 0)
			return -EINVAL;
		u.uid = uid;
		u.gid = gid;
		u.has_ids = true;
	}
	u.name = strdup(e->user);
	u.home = strdup(e->home);
	if (!u.name || !u.home) {
		user_info_clear(&u);
		return -ENOMEM;
	}
	*ret = u;
	return 0;
}

/* The crypt(3) hash of a password field, or NULL if it is not one. */
static const char *crypt_hash(const char *pass)
{
	if (pass[0] != '{')
		return pass;
	for (int i = 0; crypt_schemes[i]; i++) {
		size_t n = strlen(crypt_schemes[i]);
		if (strncasecmp(pass, crypt_schemes[i], n) == 0)
			return pass + n;
	}
	return NULL;
}

/* libcrypt is loaded on the first hash check, not at start: a preauth or
 * {PLAIN} session then never maps it (~130 kB of its RSS) nor pays for
 * its relocation. libxcrypt's sonames: Debian's compat .so.1, then .so.2. */
typedef char *crypt_r_fn(const char *, const char *, struct crypt_data *);

static crypt_r_fn *crypt_r_loaded(void)
{
	static const char *const sonames[] = { "libcrypt.so.1", "libcrypt.so.2" };
	static crypt_r_fn *fn;
	void *h = NULL;

	for (size_t i = 0; !fn && i < sizeof(sonames) / sizeof(sonames[0]); i++) {
		h = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL);
		if (h)
			*(void **)&fn = dlsym(h, "crypt_r");
	}
	if (!fn)
		log_msg(LOG_ERR, "passwd-file: cannot load crypt_r from libcrypt: %s",
		        h ? "no crypt_r" : dlerror());
	return fn;
}

/* 1 for a match, 0 for none, negative errno when no check could run. */
static int check_crypt(const char *pass, const char *hash)
{
	crypt_r_fn *fn = crypt_r_loaded();
	struct crypt_data *cd;
	const char *out;
	int ok = 0;

	if (!fn)
		return -ENOSYS;
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return -ENOMEM;
	out = fn(pass, hash, cd);
	/* crypt_r returns "*0"-style failure tokens for bad hashes. */
	if (out && out[0] != '*')
		ok = secret_equal(out, strlen(out), hash, strlen(hash));
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

static bool check_plain(const char *pass, const char *secret)
{
	return secret_equal(pass, strlen(pass), secret, strlen(secret));
}

static int pf_verify(struct auth *a, const char *user, const char *pass,
                     struct user_info *ret)
{
	struct passwd_file *pf = (struct passwd_file *)a;
	struct entry e;
	char *buf = NULL;
	bool ok = false;
	int r;

	r = find(pf, user, &buf, &e);
	if (r == -ENOENT)
		return check_crypt(pass, dummy_hash) < 0 ? -EIO : -EACCES;
	if (r < 0)
		return r;
	if (strncasecmp(e.pass, "{PLAIN}", 7) == 0) {
		ok = check_plain(pass, e.pass + 7);
	} else {
		const char *h = crypt_hash(e.pass);
		int c = check_crypt(pass, h ? h : dummy_hash);
		if (c < 0) {
			wipe(buf);
			return -EIO;
		}
		ok = c > 0 && h;
	}
	r = ok ? to_user(&e, ret) : -EACCES;
	wipe(buf);
	return r;
}

static int pf_lookup(struct auth *a, const char *user, struct user_info *ret)
{
	struct entry e;
	char *buf = NULL;
	int r;

	r = find((struct passwd_file *)a, user, &buf, &e);
	if (r < 0)
		return r;
	r = to_user(&e, ret);
	wipe(buf);
	return r;
}

static int pf_secret(struct auth *a, const char *user, char **ret)
{
	struct entry e;
	char *buf = NULL, *s;
	int r;

	r = find((struct passwd_file *)a, user, &buf, &e);
	if (r < 0)
		return r;
	/* find() fills e whenever it returns 0 (fopen sets errno on failure,
	 * which clang 14's analyzer does not know). */
	// NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage)
	if (strncasecmp(e.pass, "{PLAIN}", 7) != 0) {
		wipe(buf);
		return -ENOTSUP;
	}
	s = strdup(e.pass + 7);
	wipe(buf);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

/* Stops at the first entry without a {PLAIN} secret; counts entries. */
static bool not_plain(const struct entry *e, void *ctx)
{
	(*(unsigned *)ctx)++;
	return strncmp(e->pass, "{PLAIN}", 7) != 0;
}

/* Whether every user has a {PLAIN} secret: only then can APOP and
 * CRAM-MD5 succeed for whoever chooses them (a client that picks the
 * strongest mechanism offered must not be offered one that fails). An
 * empty or unreadable file has none. */
static bool pf_has_secrets(struct auth *a)
{
	struct entry e;
	char *buf = NULL;
	unsigned entries = 0;
	int r = walk((const struct passwd_file *)a, not_plain, &entries, &buf, &e);

	wipe(buf);
	return r == -ENOENT && entries > 0;
}

static void pf_free(struct auth *a)
{
	struct passwd_file *pf = (struct passwd_file *)a;

	if (!pf)
		return;
	free(pf->path);
	free(pf);
}

static int pf_init(const char *arg, struct auth **ret)
{
	struct passwd_file *pf;
	FILE *f;

	if (!arg || !*arg)
		return -EINVAL;
	/* Fail at start-up (exit 2), not at the first login. */
	f = fopen(arg, "re");
	if (!f)
		return -errno;
	fclose(f);
	pf = calloc(1, sizeof(*pf));
	if (!pf)
		return -ENOMEM;
	pf->base.ops = &auth_passwd_file;
	pf->path = strdup(arg);
	if (!pf->path) {
		free(pf);
		return -ENOMEM;
	}
	*ret = &pf->base;
	return 0;
}

const struct auth_ops auth_passwd_file = {
	.name = "passwd-file",
	.init = pf_init,
	.lookup = pf_lookup,
	.verify = pf_verify,
	.secret = pf_secret,
	.has_secrets = pf_has_secrets,
	.free = pf_free,
};
