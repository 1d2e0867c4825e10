/* onepop --check-config (-t): what a session would do with these options
 * up to the greeting, plus every file, directory, program and user they
 * name, checked once and reported all at once (as sshd -t, nginx -t). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "onepop/backend.h"
#include "checkconfig.h"
#include "config.h"
#include "onepop_limits.h"
#include "proxy.h"
#include "session.h"
#include "template.h"
#include "tls.h"

/* Exit status when a problem was found: the usage status (SPEC). */
#define CHECK_FAILED 2

static unsigned problems;

static void problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void problem(const char *fmt, ...)
{
	va_list ap;

	fputs("onepop: check: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	problems++;
}

void checkconfig_argv(int argc, char **argv)
{
	/* "-t" alone, or before another option, is the check; "-t N" and
	 * "-tN" stay --timeout (SPEC). */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return;
		if (!strcmp(argv[i], "-t") &&
		    (i + 1 == argc || !argv[i + 1][0] || strspn(argv[i + 1], "0123456789") != strlen(argv[i + 1])))
			argv[i] = (char *)"--check-config";
	}
}

/* A file an option names: present, a regular file, readable (as root,
 * who reads it before any session). */
static void check_file(const char *what, const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		problem("%s %s: not a regular file", what, path);
	else if (stat(path, &st) < 0 || access(path, R_OK) < 0)
		problem("%s %s: %s", what, path, strerror(errno));
}

static void check_program(const char *what, const char *path)
{
	struct stat st;

	if (path[0] != '/')
		problem("%s %s: not an absolute path", what, path);
	else if (stat(path, &st) < 0)
		problem("%s %s: %s", what, path, strerror(errno));
	else if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0)
		problem("%s %s: not an executable file", what, path);
}

static bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* A passwd-file, line by line as auth_passwd_file.c reads it:
 * user:{SCHEME}password:uid:gid:gecos:home:shell:extra. */
static void check_passwd_file(const char *path)
{
	static const char *const schemes[] = {
		"{PLAIN}", "{CRYPT}", "{SHA512-CRYPT}", "{SHA256-CRYPT}", "{BLF-CRYPT}",
		"{MD5-CRYPT}", "{DES-CRYPT}", NULL,
	};
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0, users = 0;
	FILE *f;

	check_file("passwd-file", path);
	f = fopen(path, "re");
	if (!f)
		return;
	while ((n = getline(&line, &cap, f)) >= 0) {
		char *field[8] = { 0 };
		int nf = 0;
		bool known = false;

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		field[nf++] = line;
		for (char *p = line; *p && nf < 8; p++)
			if (*p == ':') {
				*p = '\0';
				field[nf++] = p + 1;
			}
		if (!field[0][0] || nf < 2 || !field[1][0]) {
			problem("passwd-file %s:%u: want user:{SCHEME}password[:uid:gid:gecos:home...]",
			        path, lineno);
			continue;
		}
		for (size_t i = 0; schemes[i]; i++)
			if (!strncmp(field[1], schemes[i], strlen(schemes[i])))
				known = true;
		if (!known && field[1][0] != '$')
			problem("passwd-file %s:%u: %s: unknown password scheme (want {PLAIN}, "
			        "{SHA512-CRYPT}... or a $id$ crypt hash)", path, lineno, field[0]);
		if (nf > 2 && field[2][0] && !all_digits(field[2]))
			problem("passwd-file %s:%u: %s: uid is not a number", path, lineno, field[0]);
		if (nf > 3 && field[3][0] && !all_digits(field[3]))
			problem("passwd-file %s:%u: %s: gid is not a number", path, lineno, field[0]);
		if (nf > 2 && !strcmp(field[2], "0"))
			problem("passwd-file %s:%u: %s: uid 0 is refused at login", path, lineno, field[0]);
		users++;
	}
	free(line);
	fclose(f);
	if (users == 0)
		problem("passwd-file %s: no user in it", path);
}

/* The source --auth names, and what it in turn names. */
static void check_auth(const struct options *o, struct auth **ret)
{
	const char *colon;
	unsigned before = problems;
	int r;

	if (!o->auth) {
		if (!o->preauth)
			problem("nothing to authenticate with: give --auth or --preauth");
		return;
	}
	colon = strchr(o->auth, ':');
	if (!strncmp(o->auth, "passwd-file:", 12))
		check_passwd_file(o->auth + 12);
	else if (!strncmp(o->auth, "checkpassword:", 14))
		check_program("checkpassword program", o->auth + 14);
	else if (!strncmp(o->auth, "pam", 3) && (!o->auth[3] || o->auth[3] == ':')) {
		char path[4096];
		const char *service = colon ? colon + 1 : "onepop";

		/* Without its file PAM falls back to "other" (deny all). */
		snprintf(path, sizeof(path), "/etc/pam.d/%s", service);
		if (access(path, R_OK) < 0) {
			snprintf(path, sizeof(path), "/usr/lib/pam.d/%s", service);
			if (access(path, R_OK) < 0)
				problem("PAM service %s: no /etc/pam.d/%s", service, service);
		}
	}
	if (problems > before)
		return;   /* said already; auth_open would say it again */
	r = auth_open(o->auth, ret);
	if (r < 0)
		problem("--auth %s: %s", o->auth, r == -EINVAL ? "bad specification" : strerror(-r));
}

static void check_dirs(const struct options *o)
{
	struct stat st;

	if (o->fail_state) {
		if (stat(o->fail_state, &st) < 0)
			problem("--fail-state %s: %s", o->fail_state, strerror(errno));
		else if (!S_ISDIR(st.st_mode))
			problem("--fail-state %s: not a directory", o->fail_state);
		else if (access(o->fail_state, W_OK | X_OK) < 0)
			problem("--fail-state %s: not writable: %s", o->fail_state, strerror(errno));
		else if (st.st_uid != 0 || (st.st_mode & 022))
			problem("--fail-state %s: others may write it (want owner root, "
			        "mode 0700)", o->fail_state);
	}
}

static void check_users(const struct options *o, const struct backend_ops *backend,
                        struct auth *auth)
{
	const char *group = o->mail_group ? o->mail_group
	                  : backend ? backend->privileged_group : NULL;
	const char *psuser = o->privsep_user ? o->privsep_user : DEFAULT_PRIVSEP_USER;

	if (group && *group && !getgrnam(group))
		problem("--mail-group %s: no such group", group);
	if (o->preauth) {
		struct user_info u = { 0 };
		int r = auth && auth->ops->lookup ? auth->ops->lookup(auth, o->preauth, &u)
		                                  : auth_system_lookup(o->preauth, &u);

		if (r < 0)
			problem("--preauth %s: no such user", o->preauth);
		user_info_clear(&u);
	}
	/* As root the pre-auth dialogue runs as this user (SECURITY.md). */
	if (geteuid() == 0 && !getpwnam(psuser))
		problem("--privsep-user %s: no such user; make it with: useradd --system "
		        "--no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin %s",
		        psuser, psuser);
}

static const char *str(const char *s)
{
	return s ? s : "";
}

/* key = value, or nothing for an option left unset. */
static void kv(const char *key, const char *val)
{
	if (val)
		printf("%s = %s\n", key, val);
}

static const char *yes(bool b)
{
	return b ? "yes" : "no";
}

/* The effective settings, one "key = value" a line: a config file. */
static void print_settings(const struct options *o, const struct backend_ops *b)
{
	static const char *const tls[] = { "off", "starttls", "implicit" };

	printf("backend = %s\n", b ? b->name : str(o->backend));
	printf("mailbox = %s\n", o->mailbox ? o->mailbox : b ? str(b->default_mailbox) : "");
	kv("auth", o->auth);
	kv("preauth", o->preauth);
	printf("timeout = %u\n", o->timeout);
	printf("greeting = %s\n", str(o->greeting));
	printf("goodbye = %s\n", str(o->goodbye));
	printf("fail-delay = %u\n", o->fail_delay_ms);
	kv("fail-state", o->fail_state);
	printf("fail-limit = %u\n", o->fail_limit);
	printf("fail-ban = %u\n", o->fail_ban);
	if (o->expire)
		printf("expire = %u\n", o->expire_days);
	printf("login-delay = %u\n", o->login_delay);
	printf("mail-group = %s\n", o->mail_group ? o->mail_group
	                            : b ? str(b->privileged_group) : "");
	printf("tls = %s\n", tls[o->tls]);
	kv("tls-cert", o->tls_cert);
	kv("tls-key", o->tls_key ? o->tls_key : o->tls_cert);
	printf("tls-ktls = %s\n", o->tls_ktls ? "on" : "off");
	printf("allow-plaintext = %s\n", yes(o->allow_plaintext));
	printf("proxy-protocol = %s\n", o->proxy_protocol ? o->proxy_from ? o->proxy_from : "yes" : "no");
	printf("commands = %s\n", o->commands_minimal ? "minimal" : "full");
	printf("apop-only = %s\n", yes(o->apop_only));
	printf("autodelete = %s\n", yes(o->autodelete));
	printf("transmit-errors = %s\n", yes(o->transmit_errors));
	kv("exec", o->exec_prog);
	for (unsigned i = 0; i < o->exec_argc; i++)
		printf("exec-arg = %s\n", o->exec_args[i]);
	kv("uidl-format", o->uidl_format);
	printf("uidl-guard = %s\n", o->uidl_guard == UIDL_GUARD_REFUSE ? "refuse" : "warn");
	printf("privsep-user = %s\n", o->privsep_user ? o->privsep_user : DEFAULT_PRIVSEP_USER);
	printf("privsep-dir = %s\n", o->privsep_dir ? o->privsep_dir : DEFAULT_PRIVSEP_DIR);
	printf("allow-root = %s\n", yes(o->allow_root));
	printf("debug = %s\n", yes(o->debug));
}

int checkconfig_run(const struct options *o)
{
	const struct backend_ops *backend;
	struct backend_config bconfig;
	char *names;
	struct auth *auth = NULL;

	problems = 0;
	/* The checks main() makes before a session, in its order. */
	backend = o->backend ? backend_find(o->backend) : backends[0];
	if (!backend)
		problem("unknown backend %s (see --list-backends)", o->backend);
	if (backend && (o->expire || o->login_delay) && !(backend->flags & BACKEND_EXPIRY)) {
		names = backend_names(BACKEND_EXPIRY);
		problem("--expire and --login-delay need a backend that enforces them "
		        "(%s), not %s", names ? names : "?", backend->name);
		free(names);
	}
	options_backend_config(o, &bconfig);
	if (backend && (backend_uidl_format_check(backend, bconfig.uidl_format) < 0 ||
	                (backend->configure && backend->configure(&bconfig) < 0)))
		problem("bad options for backend %s (said above)", backend->name);
	if (o->faithful && (!backend || !(backend->flags & BACKEND_FAITHFUL))) {
		names = backend_names(BACKEND_FAITHFUL);
		problem("--faithful is for the %s backend only", names ? names : "?");
		free(names);
	}
	if (o->mailbox && template_check(o->mailbox) < 0)
		problem("--mailbox %s: a variable other than %%u %%n %%d %%h %%%%", o->mailbox);
	if (session_greeting_check(o) < 0)
		problem("--greeting is too long for RFC 2449's 512-octet line");
	if (o->proxy_from && proxy_cidr_check(o->proxy_from) < 0)
		problem("--proxy-protocol %s: bad address list", o->proxy_from);
	if (o->tls != TLS_OFF) {
		char err[512];
		int r;

		if (!o->tls_cert)
			problem("--tls needs --tls-cert");
		else {
			unsigned before = problems;

			check_file("--tls-cert", o->tls_cert);
			if (o->tls_key)
				check_file("--tls-key", o->tls_key);
			/* Loads both and checks that the key matches. */
			r = problems > before ? 0 : tls_configure(o, err, sizeof(err));
			if (r == -ENOTSUP)
				problem("--tls: built without TLS support");
			else if (r < 0)
				problem("%s", err);
		}
	}
	check_auth(o, &auth);
	check_dirs(o);
	check_users(o, backend, auth);
	auth_close(auth);

	print_settings(o, backend);
	fflush(stdout);
	if (problems) {
		fprintf(stderr, "onepop: check: %u problem%s\n", problems, problems == 1 ? "" : "s");
		return CHECK_FAILED;
	}
	return 0;
}
