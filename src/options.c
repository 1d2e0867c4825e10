/* Option parsing: long options and "key = value" config files share one
 * table, so every option can live in either. */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "onepop/backend.h"
#include "log.h"
#include "onepop_limits.h"
#include "numparse.h"
#include "options.h"

enum { OPT_LIST_BACKENDS = 256, OPT_PREAUTH, OPT_GREETING, OPT_GOODBYE,
       OPT_FAIL_DELAY, OPT_ALLOW_ROOT, OPT_TLS, OPT_TLS_CERT, OPT_TLS_KEY,
       OPT_ALLOW_PLAINTEXT, OPT_PROXY_PROTOCOL, OPT_COMMANDS, OPT_APOP_ONLY, OPT_AUTODELETE,
       OPT_TEST_COMMANDS, OPT_TRANSMIT_ERRORS, OPT_EXEC, OPT_EXEC_ARG, OPT_FAITHFUL,
       OPT_MAIL_GROUP, OPT_SCAN, OPT_UIDL_GUARD, OPT_UIDL_FORMAT,
       OPT_FAIL_STATE, OPT_FAIL_LIMIT, OPT_FAIL_BAN, OPT_EXPIRE, OPT_LOGIN_DELAY,
       OPT_PRIVSEP_USER, OPT_PRIVSEP_DIR, OPT_AUTH_MECHANISMS, OPT_TLS_TICKET_KEY,
       OPT_CHECK_CONFIG, OPT_TLS_KTLS };

static const struct option longopts[] = {
	{ "backend", required_argument, NULL, 'b' },
	{ "list-backends", no_argument, NULL, OPT_LIST_BACKENDS },
	{ "mailbox", required_argument, NULL, 'm' },
	{ "auth", required_argument, NULL, 'a' },
	{ "preauth", required_argument, NULL, OPT_PREAUTH },
	{ "timeout", required_argument, NULL, 't' },
	{ "greeting", required_argument, NULL, OPT_GREETING },
	{ "goodbye", required_argument, NULL, OPT_GOODBYE },
	{ "fail-delay", required_argument, NULL, OPT_FAIL_DELAY },
	{ "allow-root", no_argument, NULL, OPT_ALLOW_ROOT },
	{ "mail-group", required_argument, NULL, OPT_MAIL_GROUP },
	{ "tls", required_argument, NULL, OPT_TLS },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "tls-ticket-key", required_argument, NULL, OPT_TLS_TICKET_KEY },
	{ "tls-ktls", required_argument, NULL, OPT_TLS_KTLS },
	{ "allow-plaintext", no_argument, NULL, OPT_ALLOW_PLAINTEXT },
	{ "proxy-protocol", optional_argument, NULL, OPT_PROXY_PROTOCOL },
	{ "commands", required_argument, NULL, OPT_COMMANDS },
	{ "apop-only", no_argument, NULL, OPT_APOP_ONLY },
	{ "autodelete", no_argument, NULL, OPT_AUTODELETE },
	{ "test-commands", no_argument, NULL, OPT_TEST_COMMANDS },
	{ "transmit-errors", no_argument, NULL, OPT_TRANSMIT_ERRORS },
	{ "exec", required_argument, NULL, OPT_EXEC },
	{ "exec-arg", required_argument, NULL, OPT_EXEC_ARG },
	{ "faithful", required_argument, NULL, OPT_FAITHFUL },
	{ "scan", required_argument, NULL, OPT_SCAN },
	{ "uidl-guard", required_argument, NULL, OPT_UIDL_GUARD },
	{ "uidl-format", required_argument, NULL, OPT_UIDL_FORMAT },
	{ "fail-state", required_argument, NULL, OPT_FAIL_STATE },
	{ "fail-limit", required_argument, NULL, OPT_FAIL_LIMIT },
	{ "fail-ban", required_argument, NULL, OPT_FAIL_BAN },
	{ "expire", required_argument, NULL, OPT_EXPIRE },
	{ "login-delay", required_argument, NULL, OPT_LOGIN_DELAY },
	{ "privsep-user", required_argument, NULL, OPT_PRIVSEP_USER },
	{ "auth-mechanisms", required_argument, NULL, OPT_AUTH_MECHANISMS },
	{ "privsep-dir", required_argument, NULL, OPT_PRIVSEP_DIR },
	{ "config", required_argument, NULL, 'c' },
	{ "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
	{ "debug", no_argument, NULL, 'd' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

void options_usage(void)
{
	fputs("Usage: onepop [OPTION]...\n"
	      "A POP3 session on stdin/stdout, for inetd, xinetd or systemd.\n\n"
	      "  -b, --backend=NAME      mailbox backend (see --list-backends)\n"
	      "      --list-backends     print the compiled-in backends and exit\n"
	      "  -m, --mailbox=TEMPLATE  mailbox path; %u user, %n local part,\n"
	      "                          %d domain, %h home, %% a percent\n"
	      "  -a, --auth=SPEC         passwd-file:PATH | pam[:SERVICE] (default\n"
	      "                          service onepop) | checkpassword:PROG\n"
	      "      --preauth=USER      start in TRANSACTION as USER\n"
	      "  -t, --timeout=SECONDS   idle autologout (default 600)\n"
	      "      --greeting=TEXT     greeting text (default \"onepop ready\")\n"
	      "      --goodbye=TEXT      QUIT reply text (default \"goodbye\")\n"
	      "      --fail-delay=MS     delay before a failed-login reply (default 1000)\n"
	      "      --fail-state=DIR    remember failed logins per address across\n"
	      "                          connections (a directory only root can write)\n"
	      "      --fail-limit=N      with --fail-state: refuse an address after N\n"
	      "                          failures (default 10) ...\n"
	      "      --fail-ban=SECONDS  ... within this time, and for it (default 900)\n"
	      "      --expire=DAYS       maildir, mbox, mh: at login, delete messages\n"
	      "                          retrieved in an earlier session and delivered\n"
	      "                          DAYS or more days ago (CAPA EXPIRE)\n"
	      "      --login-delay=SECONDS  maildir, mbox, mh: one login per SECONDS a\n"
	      "                          user (CAPA LOGIN-DELAY; 0: off)\n"
	      "      --allow-root        allow a session to run as uid 0\n"
	      "      --privsep-user=USER started as root: the unprivileged user that\n"
	      "                          talks to the client before login (default onepop)\n"
	      "      --privsep-dir=DIR   ... chrooted to this empty directory\n"
	      "                          (default " DEFAULT_PRIVSEP_DIR ")\n"
	      "      --mail-group=GROUP  group kept for the mbox dotlock and rewrite\n"
	      "                          in a shared spool (mbox default: mail;\n"
	      "                          empty: none)\n"
	      "      --tls=MODE          off (default), starttls (STLS) or implicit (995)\n"
	      "      --tls-cert=FILE     PEM certificate, chain allowed\n"
	      "      --tls-key=FILE      PEM private key (default: in --tls-cert)\n"
	      "      --tls-ticket-key=FILE  session tickets sealed with FILE's keys, so\n"
	      "                          a client resumes across sessions (see man)\n"
	      "      --tls-ktls=on|off   let the kernel encrypt TLS records where it\n"
	      "                          can (default off; see man)\n"
	      "      --allow-plaintext   allow USER/PASS, APOP, AUTH PLAIN before TLS\n"
	      "      --auth-mechanisms=LIST  offer these of plain, cram-md5, apop (default:\n"
	      "                          plain, and the other two when every user of\n"
	      "                          --auth has a plaintext secret)\n"
	      "      --proxy-protocol[=CIDR,...]  expect a PROXY v1/v2 header first\n"
	      "                          (only from those peers, if a list is given)\n"
	      "      --commands=SET      full (default) or minimal: only USER PASS STAT\n"
	      "                          LIST RETR DELE RSET NOOP QUIT\n"
	      "      --apop-only         refuse USER/PASS logins\n"
	      "      --autodelete        mark a message deleted once fully retrieved\n"
	      "      --transmit-errors   pass a backend's error text to the client\n"
	      "      --exec=PROG         exec backend: the helper program (absolute path)\n"
	      "      --exec-arg=ARG      exec backend: one more argument for PROG\n"
	      "      --faithful=extra|noextra  exec backend, test stand-in only: send\n"
	      "                          messages byte for byte (see onepop(8))\n"
	      "      --test-commands     accept BREAK and EXIT (test stand-in only)\n"
	      "      --uidl-format=FMT   UIDLs of the server mail comes from: maildir\n"
	      "                          (default), dovecot, courier, x-uidl, map:FILE;\n"
	      "                          mbox: x-uidl (default), popa3d; mh: x-uidl\n"
	      "      --uidl-guard=MODE   warn (default) or refuse ([SYS/TEMP]) a login\n"
	      "                          when messages seen before have new UIDLs\n"
	      "      --scan=USER         dry run: print the list USER's session would\n"
	      "                          see (number, size, UIDL), change nothing, exit\n"
	      "  -c, --config=FILE       read options from FILE (key = value)\n"
	      "  -t, --check-config      check the options and every file they name,\n"
	      "                          print the effective settings, exit 0 or 2\n"
	      "  -d, --debug             log commands and replies, also to stderr\n"
	      "  -V, --version           print the version and exit\n"
	      "  -h, --help              print this help and exit\n", stdout);
}

static int parse_uint(const char *name, const char *val, unsigned max, unsigned *ret)
{
	uint64_t v;

	if (num_parse(val, 0, max, &v) < 0) {
		fprintf(stderr, "onepop: --%s: not a number in 0..%u: %s\n", name, max, val);
		return -EINVAL;
	}
	*ret = (unsigned)v;
	return 0;
}

/* "plain,cram-md5,apop" (any order, any case) into MECHS_* bits. */
static int parse_mechanisms(const char *val, unsigned *ret)
{
	static const struct { const char *name; unsigned bit; } names[] = {
		{ "plain", MECHS_PLAIN }, { "cram-md5", MECHS_CRAM_MD5 }, { "apop", MECHS_APOP },
	};
	unsigned bits = 0;
	const char *p = val;

	if (!p)
		return -EINVAL;
	while (*p) {
		size_t n = strcspn(p, ", "), i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (n == strlen(names[i].name) && strncasecmp(p, names[i].name, n) == 0)
				break;
		if (n && i == sizeof(names) / sizeof(names[0])) {
			fprintf(stderr, "onepop: --auth-mechanisms: not plain, cram-md5 or apop: "
			        "%.*s\n", (int)n, p);
			return -EINVAL;
		}
		if (n)
			bits |= names[i].bit;
		p += n;
		p += strspn(p, ", ");
	}
	if (!bits) {
		fprintf(stderr, "onepop: --auth-mechanisms: name at least one\n");
		return -EINVAL;
	}
	*ret = bits;
	return 0;
}

static bool parse_bool(const char *val)
{
	return !val || !strcmp(val, "yes") || !strcmp(val, "true") || !strcmp(val, "1");
}

static int config_load(struct options *o, const char *path, int depth);

static const char default_greeting[] = "onepop ready";
static const char default_goodbye[] = "goodbye";

/* Give a string option a new value: a later --auth (or config line)
 * replaces an earlier one, and the earlier copy is freed unless it is
 * the built-in default. */
static void set_string(const char **slot, char *copy)
{
	if (*slot != default_greeting && *slot != default_goodbye)
		free((char *)*slot);
	*slot = copy;
}

/* What an option does with its value (NULL for a flag given without
 * one; options with required_argument always have one): its setter and,
 * for the generic setters, the field of struct options it sets and the
 * largest number it takes. One row an option, in the order of longopts. */
struct opt_rule;
typedef int opt_setter(struct options *o, const struct opt_rule *rule, const char *val);
struct opt_rule {
	int id;             /* its val in longopts */
	unsigned max;       /* set_uint */
	opt_setter *set;
	size_t field;       /* offsetof(struct options, ...): set_str, set_uint, set_bool, set_on */
};

/* The option's long name, for messages. */
static const char *rule_name(const struct opt_rule *rule)
{
	for (const struct option *opt = longopts; opt->name; opt++)
		if (opt->val == rule->id)
			return opt->name;
	return "?";
}

static void *rule_field(struct options *o, const struct opt_rule *rule)
{
	return (char *)o + rule->field;
}

/* The last value of an option lives for the whole process. */
static int set_str(struct options *o, const struct opt_rule *rule, const char *val)
{
	char *copy = val ? strdup(val) : NULL;

	if (val && !copy)
		return -ENOMEM;
	set_string(rule_field(o, rule), copy);
	return 0;
}

static int set_uint(struct options *o, const struct opt_rule *rule, const char *val)
{
	return parse_uint(rule_name(rule), val, rule->max, rule_field(o, rule));
}

static int set_bool(struct options *o, const struct opt_rule *rule, const char *val)
{
	*(bool *)rule_field(o, rule) = parse_bool(val);
	return 0;
}

/* --version and --help: on, whatever the value. */
static int set_on(struct options *o, const struct opt_rule *rule, const char *val)
{
	*(bool *)rule_field(o, rule) = true;
	return 0;
}

/* The index of val in names (NULL-terminated), or -EINVAL after saying
 * which values the option takes. */
static int choose(const struct opt_rule *rule, const char *val, const char *const *names)
{
	size_t i;

	for (i = 0; names[i]; i++)
		if (val && !strcmp(val, names[i]))
			return (int)i;
	fprintf(stderr, "onepop: --%s: ", rule_name(rule));
	for (i = 0; names[i]; i++)
		fprintf(stderr, "%s%s", i == 0 ? "" : names[i + 1] ? ", " : " or ", names[i]);
	fprintf(stderr, ", not %s\n", val ? val : "");
	return -EINVAL;
}

static int set_tls(struct options *o, const struct opt_rule *rule, const char *val)
{
	static const char *const names[] = { "off", "starttls", "implicit", NULL };
	static const enum tls_mode modes[] = { TLS_OFF, TLS_STARTTLS, TLS_IMPLICIT };
	int i = choose(rule, val, names);

	if (i < 0)
		return i;
	o->tls = modes[i];
	return 0;
}

static int set_commands(struct options *o, const struct opt_rule *rule, const char *val)
{
	static const char *const names[] = { "full", "minimal", NULL };
	int i = choose(rule, val, names);

	if (i < 0)
		return i;
	o->commands_minimal = i == 1;
	return 0;
}

/* --tls-ktls: off or on, nothing else (a typo must not pass for off). */
static int set_ktls(struct options *o, const struct opt_rule *rule, const char *val)
{
	static const char *const names[] = { "on", "off", NULL };
	int i = choose(rule, val, names);

	if (i < 0)
		return i;
	o->tls_ktls = i == 0;
	return 0;
}
static int set_uidl_guard(struct options *o, const struct opt_rule *rule, const char *val)
{
	static const char *const names[] = { "warn", "refuse", NULL };
	int i = choose(rule, val, names);

	if (i < 0)
		return i;
	o->uidl_guard = i == 0 ? UIDL_GUARD_WARN : UIDL_GUARD_REFUSE;
	return 0;
}

static int set_faithful(struct options *o, const struct opt_rule *rule, const char *val)
{
	static const char *const names[] = { "extra", "noextra", NULL };
	int i = choose(rule, val, names);

	if (i < 0)
		return i;
	o->faithful = i == 0 ? FAITHFUL_EXTRA : FAITHFUL_NOEXTRA;
	return 0;
}

static int set_mechanisms(struct options *o, const struct opt_rule *rule, const char *val)
{
	return parse_mechanisms(val, &o->auth_mechanisms);
}

static int set_fail_state(struct options *o, const struct opt_rule *rule, const char *val)
{
	if (!val || val[0] != '/') {
		fprintf(stderr, "onepop: --%s: an absolute path, not %s\n", rule_name(rule),
		        val ? val : "");
		return -EINVAL;
	}
	return set_str(o, rule, val);
}

/* --expire=DAYS: on, and after how many days. */
static int set_expire(struct options *o, const struct opt_rule *rule, const char *val)
{
	o->expire = true;
	return set_uint(o, rule, val);
}

/* --proxy-protocol[=CIDR,...]; a config line "proxy-protocol = yes" is
 * the bare flag, "no" turns it off. */
static int set_proxy_protocol(struct options *o, const struct opt_rule *rule, const char *val)
{
	o->proxy_protocol = !val || strcmp(val, "no") != 0;
	if (val && (!strcmp(val, "yes") || !strcmp(val, "no") || !*val))
		val = NULL;
	return set_str(o, rule, val);
}

/* --uidl-format: map:FILE names a plain file in the Maildir. */
static int set_uidl_format(struct options *o, const struct opt_rule *rule, const char *val)
{
	static const char *const names[] = { "maildir", "dovecot", "courier", "x-uidl", "popa3d",
	                                     NULL };
	bool known = false;

	for (size_t i = 0; val && names[i]; i++)
		known |= !strcmp(val, names[i]);
	if (!val || (!known && (strncmp(val, "map:", 4) != 0 || !val[4] ||
	                        strchr(val + 4, '/') || val[4] == '.'))) {
		fprintf(stderr, "onepop: --uidl-format: maildir, dovecot, courier, x-uidl, "
		        "popa3d or map:FILE (a name in the Maildir), not %s\n", val ? val : "");
		return -EINVAL;
	}
	return set_str(o, rule, val);
}

/* --exec-arg: one more, up to MAX_EXEC_ARGS. */
static int set_exec_arg(struct options *o, const struct opt_rule *rule, const char *val)
{
	char *copy;

	if (o->exec_argc == MAX_EXEC_ARGS) {
		fprintf(stderr, "onepop: --%s: at most %d\n", rule_name(rule), MAX_EXEC_ARGS);
		return -EINVAL;
	}
	if (!val || !(copy = strdup(val)))
		return -ENOMEM;
	o->exec_args[o->exec_argc++] = copy;
	return 0;
}

/* offsetof(struct options, f), which must have type t: a row with a
 * setter for another type does not compile (_Generic has no match).
 * f is a member name and t a type: neither can take parentheses. */
// NOLINTNEXTLINE(bugprone-macro-parentheses)
#define FIELD(f, t) (offsetof(struct options, f) + _Generic(((struct options *)0)->f, t: 0))
#define STR(id, f) { (id), 0, set_str, FIELD(f, const char *) }
#define UINT(id, f, max) { (id), (max), set_uint, FIELD(f, unsigned) }
#define BOOL(id, f) { (id), 0, set_bool, FIELD(f, bool) }
#define ON(id, f) { (id), 0, set_on, FIELD(f, bool) }
#define CUSTOM(id, fn) { (id), 0, (fn), 0 }

static const struct opt_rule rules[] = {
	STR('b', backend),
	BOOL(OPT_LIST_BACKENDS, list_backends),
	STR('m', mailbox),
	STR('a', auth),
	STR(OPT_PREAUTH, preauth),
	UINT('t', timeout, MAX_TIMEOUT),
	STR(OPT_GREETING, greeting),
	STR(OPT_GOODBYE, goodbye),
	UINT(OPT_FAIL_DELAY, fail_delay_ms, MAX_FAIL_DELAY_MS),
	BOOL(OPT_ALLOW_ROOT, allow_root),
	STR(OPT_MAIL_GROUP, mail_group),
	CUSTOM(OPT_TLS, set_tls),
	STR(OPT_TLS_CERT, tls_cert),
	STR(OPT_TLS_KEY, tls_key),
	STR(OPT_TLS_TICKET_KEY, tls_ticket_key),
	CUSTOM(OPT_TLS_KTLS, set_ktls),
	BOOL(OPT_ALLOW_PLAINTEXT, allow_plaintext),
	{ OPT_PROXY_PROTOCOL, 0, set_proxy_protocol, FIELD(proxy_from, const char *) },
	CUSTOM(OPT_COMMANDS, set_commands),
	BOOL(OPT_APOP_ONLY, apop_only),
	BOOL(OPT_AUTODELETE, autodelete),
	BOOL(OPT_TEST_COMMANDS, test_commands),
	BOOL(OPT_TRANSMIT_ERRORS, transmit_errors),
	STR(OPT_EXEC, exec_prog),
	CUSTOM(OPT_EXEC_ARG, set_exec_arg),
	CUSTOM(OPT_FAITHFUL, set_faithful),
	STR(OPT_SCAN, scan),
	CUSTOM(OPT_UIDL_GUARD, set_uidl_guard),
	{ OPT_UIDL_FORMAT, 0, set_uidl_format, FIELD(uidl_format, const char *) },
	{ OPT_FAIL_STATE, 0, set_fail_state, FIELD(fail_state, const char *) },
	UINT(OPT_FAIL_LIMIT, fail_limit, MAX_FAIL_LIMIT),
	UINT(OPT_FAIL_BAN, fail_ban, MAX_FAIL_BAN),
	{ OPT_EXPIRE, MAX_EXPIRE_DAYS, set_expire, FIELD(expire_days, unsigned) },
	UINT(OPT_LOGIN_DELAY, login_delay, MAX_LOGIN_DELAY),
	STR(OPT_PRIVSEP_USER, privsep_user),
	CUSTOM(OPT_AUTH_MECHANISMS, set_mechanisms),
	STR(OPT_PRIVSEP_DIR, privsep_dir),
	BOOL(OPT_CHECK_CONFIG, check_config),
	BOOL('d', debug),
	ON('V', version),
	ON('h', help),
};

/* Apply one option; val is NULL for flags given without a value.
 * --config is not a setting but more options, read in place. */
static int apply(struct options *o, int id, const char *val, int depth)
{
	if (id == 'c')
		return config_load(o, val, depth + 1);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].id == id)
			return rules[i].set(o, &rules[i], val);
	return -EINVAL;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && strchr(" \t\r\n", e[-1]))
		*--e = '\0';
	return s;
}

static int config_load(struct options *o, const char *path, int depth)
{
	char line[MAX_CONFIG_LINE];
	int lineno = 0, r = 0;
	FILE *f;

	if (depth > MAX_CONFIG_DEPTH) {
		fprintf(stderr, "onepop: %s: config files nested too deep\n", path);
		return -EINVAL;
	}
	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "onepop: %s: %s\n", path, strerror(errno));
		return -EINVAL;
	}
	/* Every bad line is reported (--check-config lists them all). */
	while (fgets(line, sizeof(line), f)) {
		char *key = trim(line), *eq, *val = NULL;
		const struct option *opt;

		lineno++;
		if (*key == '#' || *key == '\0')
			continue;
		eq = strchr(key, '=');
		if (eq) {
			*eq = '\0';
			val = trim(eq + 1);
			key = trim(key);
		}
		for (opt = longopts; opt->name; opt++)
			if (strcmp(opt->name, key) == 0)
				break;
		if (!opt->name || (opt->has_arg == required_argument && !val)) {
			fprintf(stderr, "onepop: %s:%d: unknown key or missing value: %s\n",
			        path, lineno, key);
			r = -EINVAL;
		} else if (apply(o, opt->val, val, depth) < 0) {
			r = -EINVAL;
		}
	}
	fclose(f);
	return r;
}

int options_parse(struct options *o, int argc, char **argv)
{
	int c;

	*o = (struct options){
		.greeting = default_greeting,
		.goodbye = default_goodbye,
		.timeout = DEFAULT_TIMEOUT,
		.fail_delay_ms = DEFAULT_FAIL_DELAY_MS,
		.fail_limit = DEFAULT_FAIL_LIMIT,
		.fail_ban = DEFAULT_FAIL_BAN,
	};
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":b:m:a:t:c:dVh", longopts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			fprintf(stderr, "onepop: %s: %s\n",
			        c == '?' ? "unknown option" : "missing argument",
			        argv[optind - 1]);
			return -EINVAL;
		}
		if (apply(o, c, optarg, 0) < 0)
			return -EINVAL;
	}
	if (optind < argc) {
		fprintf(stderr, "onepop: unexpected argument: %s\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

void options_backend_config(const struct options *o, struct backend_config *ret)
{
	*ret = (struct backend_config){
		.expire = o->expire,
		.expire_days = o->expire_days,
		.login_delay = o->login_delay,
		.uidl_format = o->uidl_format,
		.timeout = o->timeout,
		.helper_stderr = log_to_stderr(),
	};
	if (!o->exec_prog)
		return;
	ret->exec_argv[0] = o->exec_prog;
	for (unsigned i = 0; i < o->exec_argc; i++)
		ret->exec_argv[i + 1] = o->exec_args[i];
}
