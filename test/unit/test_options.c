/* options_parse: every option, on the command line and in a config
 * file, reaches its field through the table in options.c; bad values
 * are refused. The struct options filled stay reachable (static), as in
 * onepop, where they live for the whole process. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onepop/backend.h"
#include "options.h"
#include "unit.h"

/* Every struct options filled, kept reachable (one allocation each: an
 * array of them would be mostly padding). */
#define MAX_RUNS 128
static struct options *runs[MAX_RUNS];
static size_t nruns;

/* options_parse on "onepop" and args (NULL-terminated). */
static int parse(struct options **ret, char *const *args)
{
	char *argv[16] = { "onepop" };
	int argc = 1;

	while (argc < 15 && (argv[argc] = args[argc - 1]))
		argc++;
	argv[argc] = NULL;
	if (nruns == MAX_RUNS || !(runs[nruns] = calloc(1, sizeof(*runs[nruns]))))
		abort();
	*ret = runs[nruns++];
	optind = 0;         /* getopt_long starts again */
	return options_parse(*ret, argc, argv);
}
/* parse(&o, "--opt", ...): the arguments as an array. */
#define PARSE(ret, ...) parse((ret), (char *const[]){ __VA_ARGS__, NULL })

static char config_path[64];

/* A config file holding text, for --config. */
static void config(const char *text)
{
	FILE *f = fopen(config_path, "we");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

static void test_strings(void)
{
	struct options *o;

	CHECK(parse(&o, (char *const[]){ NULL }) == 0);
	CHECK(!strcmp(o->greeting, "onepop ready") && !strcmp(o->goodbye, "goodbye"));
	CHECK(o->timeout == DEFAULT_TIMEOUT && o->fail_delay_ms == DEFAULT_FAIL_DELAY_MS);
	CHECK(o->fail_limit == DEFAULT_FAIL_LIMIT && o->fail_ban == DEFAULT_FAIL_BAN);
	CHECK(!o->backend && !o->proxy_protocol && o->tls == TLS_OFF && !o->expire);

	CHECK(PARSE(&o, "-b", "mbox", "-m", "/var/mail/%u", "-a", "pam", "--preauth=alice",
	            "--greeting=hi", "--goodbye=bye", "--mail-group=", "--privsep-user=nobody",
	            "--privsep-dir=/run/x") == 0);
	CHECK(!strcmp(o->backend, "mbox") && !strcmp(o->mailbox, "/var/mail/%u"));
	CHECK(!strcmp(o->auth, "pam") && !strcmp(o->preauth, "alice"));
	CHECK(!strcmp(o->greeting, "hi") && !strcmp(o->goodbye, "bye"));
	CHECK(!strcmp(o->mail_group, "") && !strcmp(o->privsep_user, "nobody"));
	CHECK(!strcmp(o->privsep_dir, "/run/x"));
	CHECK(PARSE(&o, "--tls-cert=c.pem", "--tls-key=k.pem", "--tls-ticket-key=t",
	            "--exec=/bin/helper", "--scan=bob", "--fail-state=/var/lib/f") == 0);
	CHECK(!strcmp(o->tls_cert, "c.pem") && !strcmp(o->tls_key, "k.pem"));
	CHECK(!strcmp(o->tls_ticket_key, "t") && !strcmp(o->exec_prog, "/bin/helper"));
	CHECK(!strcmp(o->scan, "bob") && !strcmp(o->fail_state, "/var/lib/f"));
	/* The last value wins. */
	CHECK(PARSE(&o, "-b", "mbox", "--backend=mh", "--greeting=a", "--greeting=b") == 0);
	CHECK(!strcmp(o->backend, "mh") && !strcmp(o->greeting, "b"));
	CHECK(PARSE(&o, "--fail-state=relative") == -EINVAL);
}

static void test_numbers(void)
{
	struct options *o;

	CHECK(PARSE(&o, "-t", "30", "--fail-delay=0", "--fail-limit=3", "--fail-ban=60",
	            "--login-delay=300") == 0);
	CHECK(o->timeout == 30 && o->fail_delay_ms == 0 && o->fail_limit == 3);
	CHECK(o->fail_ban == 60 && o->login_delay == 300 && !o->expire);
	CHECK(PARSE(&o, "--expire=0") == 0 && o->expire && o->expire_days == 0);
	CHECK(PARSE(&o, "--expire=30") == 0 && o->expire && o->expire_days == 30);
	CHECK(PARSE(&o, "--timeout=x") == -EINVAL);
	CHECK(PARSE(&o, "--timeout=604801") == -EINVAL);
	CHECK(PARSE(&o, "--timeout=604800") == 0 && o->timeout == MAX_TIMEOUT);
	CHECK(PARSE(&o, "--fail-limit=-1") == -EINVAL);
	CHECK(PARSE(&o, "--expire=") == -EINVAL);
}

static void test_flags(void)
{
	struct options *o;

	CHECK(PARSE(&o, "--list-backends", "--allow-root", "--allow-plaintext", "--apop-only",
	            "--autodelete", "--test-commands", "--transmit-errors", "--check-config",
	            "-d", "-V", "-h") == 0);
	CHECK(o->list_backends && o->allow_root && o->allow_plaintext && o->apop_only);
	CHECK(o->autodelete && o->test_commands && o->transmit_errors && o->check_config);
	CHECK(o->debug && o->version && o->help);
	config("debug = no\nallow-root = yes\napop-only = 1\nautodelete = true\n"
	       "transmit-errors = off\nversion = no\n");
	CHECK(PARSE(&o, "-d", "-c", config_path) == 0);
	CHECK(!o->debug && o->allow_root && o->apop_only && o->autodelete);
	CHECK(!o->transmit_errors && o->version);   /* --version is on, whatever the value */
}

static void test_choices(void)
{
	struct options *o;

	CHECK(PARSE(&o, "--tls=starttls") == 0 && o->tls == TLS_STARTTLS);
	CHECK(PARSE(&o, "--tls=implicit") == 0 && o->tls == TLS_IMPLICIT);
	CHECK(PARSE(&o, "--tls=implicit", "--tls=off") == 0 && o->tls == TLS_OFF);
	CHECK(PARSE(&o, "--tls=sometimes") == -EINVAL);
	CHECK(PARSE(&o, "--tls-ktls=on") == 0 && o->tls_ktls);
	CHECK(PARSE(&o, "--tls-ktls=on", "--tls-ktls=off") == 0 && !o->tls_ktls);
	CHECK(PARSE(&o, "--tls-ktls=yes") == -EINVAL);
	CHECK(PARSE(&o, "--commands=minimal") == 0 && o->commands_minimal);
	CHECK(PARSE(&o, "--commands=full") == 0 && !o->commands_minimal);
	CHECK(PARSE(&o, "--commands=Full") == -EINVAL);
	CHECK(PARSE(&o, "--uidl-guard=refuse") == 0 && o->uidl_guard == UIDL_GUARD_REFUSE);
	CHECK(PARSE(&o, "--uidl-guard=warn") == 0 && o->uidl_guard == UIDL_GUARD_WARN);
	CHECK(PARSE(&o, "--uidl-guard=") == -EINVAL);
	CHECK(PARSE(&o, "--faithful=extra") == 0 && o->faithful == FAITHFUL_EXTRA);
	CHECK(PARSE(&o, "--faithful=noextra") == 0 && o->faithful == FAITHFUL_NOEXTRA);
	CHECK(PARSE(&o, "--faithful=yes") == -EINVAL);
	CHECK(PARSE(&o, "--auth-mechanisms=apop, PLAIN") == 0 &&
	      o->auth_mechanisms == (MECHS_APOP | MECHS_PLAIN));
	CHECK(PARSE(&o, "--auth-mechanisms=login") == -EINVAL);
	CHECK(PARSE(&o, "--auth-mechanisms=,") == -EINVAL);
}

static void test_special(void)
{
	struct options *o;
	char arg[96];

	CHECK(PARSE(&o, "--proxy-protocol") == 0 && o->proxy_protocol && !o->proxy_from);
	CHECK(PARSE(&o, "--proxy-protocol=10.0.0.0/8") == 0 && o->proxy_protocol &&
	      !strcmp(o->proxy_from, "10.0.0.0/8"));
	config("proxy-protocol = yes\n");
	CHECK(PARSE(&o, "-c", config_path) == 0 && o->proxy_protocol && !o->proxy_from);
	config("proxy-protocol = no\n");
	CHECK(PARSE(&o, "--proxy-protocol=::1/128", "-c", config_path) == 0 &&
	      !o->proxy_protocol && !o->proxy_from);

	CHECK(PARSE(&o, "--uidl-format=popa3d") == 0 && !strcmp(o->uidl_format, "popa3d"));
	CHECK(PARSE(&o, "--uidl-format=map:uidls") == 0 &&
	      !strcmp(o->uidl_format, "map:uidls"));
	CHECK(PARSE(&o, "--uidl-format=map:") == -EINVAL);
	CHECK(PARSE(&o, "--uidl-format=map:.x") == -EINVAL);
	CHECK(PARSE(&o, "--uidl-format=map:a/b") == -EINVAL);
	CHECK(PARSE(&o, "--uidl-format=qpopper") == -EINVAL);

	CHECK(PARSE(&o, "--exec-arg=a", "--exec-arg=b") == 0 && o->exec_argc == 2 &&
	      !strcmp(o->exec_args[0], "a") && !strcmp(o->exec_args[1], "b"));
	config("");
	for (int i = 0; i <= MAX_EXEC_ARGS; i++) {
		FILE *f = fopen(config_path, "ae");

		snprintf(arg, sizeof(arg), "exec-arg = %d\n", i);
		if (!f || fputs(arg, f) < 0 || fclose(f) != 0)
			abort();
	}
	CHECK(PARSE(&o, "-c", config_path) == -EINVAL && o->exec_argc == MAX_EXEC_ARGS);

	CHECK(PARSE(&o, "--no-such-option") == -EINVAL);
	CHECK(PARSE(&o, "stray") == -EINVAL);
	config("no-such-key = 1\n");
	CHECK(PARSE(&o, "-c", config_path) == -EINVAL);
	config("backend\n");    /* required value missing */
	CHECK(PARSE(&o, "-c", config_path) == -EINVAL);
	/* A file that includes itself stops at MAX_CONFIG_DEPTH. */
	snprintf(arg, sizeof(arg), "config = %s\n", config_path);
	config(arg);
	CHECK(PARSE(&o, "-c", config_path) == -EINVAL);
}

static void test_backend_config(void)
{
	struct backend_config c;
	struct options *o;

	CHECK(PARSE(&o, "--expire=7", "--login-delay=60", "--uidl-format=x-uidl", "-t", "20",
	            "--exec=/bin/h", "--exec-arg=-v") == 0);
	options_backend_config(o, &c);
	CHECK(c.expire && c.expire_days == 7 && c.login_delay == 60 && c.timeout == 20);
	CHECK(!strcmp(c.uidl_format, "x-uidl"));
	CHECK(!strcmp(c.exec_argv[0], "/bin/h") && !strcmp(c.exec_argv[1], "-v") && !c.exec_argv[2]);
}

int main(void)
{
	int fd;

	snprintf(config_path, sizeof(config_path), "/tmp/test_options.XXXXXX");
	if ((fd = mkstemp(config_path)) < 0)
		return 1;
	close(fd);
	test_strings();
	test_numbers();
	test_flags();
	test_choices();
	test_special();
	test_backend_config();
	unlink(config_path);
	return unit_done("options");
}
