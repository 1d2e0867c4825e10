/* options_parse: every option, on the command line and in a config
 * file, reaches its field through the table in options.c; bad values
 * are refused. The struct options filled stay reachable (static), as in
 * onepop, where they live for the whole process. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "options.h"
#include "unit.h"

#define MAX_RUNS 128
static struct options runs[MAX_RUNS];
static size_t nruns;

/* options_parse on "onepop" and the given arguments (NULL-terminated). */
static int parse(struct options **ret, ...)
{
	char *argv[16] = { "onepop" };
	int argc = 1;
	va_list ap;
	int r;

	va_start(ap, ret);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	if (nruns == MAX_RUNS)
		abort();
	*ret = &runs[nruns++];
	optind = 0;         /* getopt_long starts again */
	r = options_parse(*ret, argc, argv);
	return r;
}

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

	CHECK(parse(&o, NULL) == 0);
	CHECK(!strcmp(o->greeting, "onepop ready") && !strcmp(o->goodbye, "goodbye"));
	CHECK(o->timeout == DEFAULT_TIMEOUT && o->fail_delay_ms == DEFAULT_FAIL_DELAY_MS);
	CHECK(o->fail_limit == DEFAULT_FAIL_LIMIT && o->fail_ban == DEFAULT_FAIL_BAN);
	CHECK(!o->backend && !o->proxy_protocol && o->tls == TLS_OFF && !o->expire);

	CHECK(parse(&o, "-b", "mbox", "-m", "/var/mail/%u", "-a", "pam", "--preauth=alice",
	            "--greeting=hi", "--goodbye=bye", "--mail-group=", "--privsep-user=nobody",
	            "--privsep-dir=/run/x", NULL) == 0);
	CHECK(!strcmp(o->backend, "mbox") && !strcmp(o->mailbox, "/var/mail/%u"));
	CHECK(!strcmp(o->auth, "pam") && !strcmp(o->preauth, "alice"));
	CHECK(!strcmp(o->greeting, "hi") && !strcmp(o->goodbye, "bye"));
	CHECK(!strcmp(o->mail_group, "") && !strcmp(o->privsep_user, "nobody"));
	CHECK(!strcmp(o->privsep_dir, "/run/x"));
	CHECK(parse(&o, "--tls-cert=c.pem", "--tls-key=k.pem", "--tls-ticket-key=t",
	            "--exec=/bin/helper", "--scan=bob", "--fail-state=/var/lib/f", NULL) == 0);
	CHECK(!strcmp(o->tls_cert, "c.pem") && !strcmp(o->tls_key, "k.pem"));
	CHECK(!strcmp(o->tls_ticket_key, "t") && !strcmp(o->exec_prog, "/bin/helper"));
	CHECK(!strcmp(o->scan, "bob") && !strcmp(o->fail_state, "/var/lib/f"));
	/* The last value wins. */
	CHECK(parse(&o, "-b", "mbox", "--backend=mh", "--greeting=a", "--greeting=b", NULL) == 0);
	CHECK(!strcmp(o->backend, "mh") && !strcmp(o->greeting, "b"));
	CHECK(parse(&o, "--fail-state=relative", NULL) == -EINVAL);
}

static void test_numbers(void)
{
	struct options *o;

	CHECK(parse(&o, "-t", "30", "--fail-delay=0", "--fail-limit=3", "--fail-ban=60",
	            "--login-delay=300", NULL) == 0);
	CHECK(o->timeout == 30 && o->fail_delay_ms == 0 && o->fail_limit == 3);
	CHECK(o->fail_ban == 60 && o->login_delay == 300 && !o->expire);
	CHECK(parse(&o, "--expire=0", NULL) == 0 && o->expire && o->expire_days == 0);
	CHECK(parse(&o, "--expire=30", NULL) == 0 && o->expire && o->expire_days == 30);
	CHECK(parse(&o, "--timeout=x", NULL) == -EINVAL);
	CHECK(parse(&o, "--timeout=604801", NULL) == -EINVAL);
	CHECK(parse(&o, "--timeout=604800", NULL) == 0 && o->timeout == MAX_TIMEOUT);
	CHECK(parse(&o, "--fail-limit=-1", NULL) == -EINVAL);
	CHECK(parse(&o, "--expire=", NULL) == -EINVAL);
}

static void test_flags(void)
{
	struct options *o;

	CHECK(parse(&o, "--list-backends", "--allow-root", "--allow-plaintext", "--apop-only",
	            "--autodelete", "--test-commands", "--transmit-errors", "--check-config",
	            "-d", "-V", "-h", NULL) == 0);
	CHECK(o->list_backends && o->allow_root && o->allow_plaintext && o->apop_only);
	CHECK(o->autodelete && o->test_commands && o->transmit_errors && o->check_config);
	CHECK(o->debug && o->version && o->help);
	config("debug = no\nallow-root = yes\napop-only = 1\nautodelete = true\n"
	       "transmit-errors = off\nversion = no\n");
	CHECK(parse(&o, "-d", "-c", config_path, NULL) == 0);
	CHECK(!o->debug && o->allow_root && o->apop_only && o->autodelete);
	CHECK(!o->transmit_errors && o->version);   /* --version is on, whatever the value */
}

static void test_choices(void)
{
	struct options *o;

	CHECK(parse(&o, "--tls=starttls", NULL) == 0 && o->tls == TLS_STARTTLS);
	CHECK(parse(&o, "--tls=implicit", NULL) == 0 && o->tls == TLS_IMPLICIT);
	CHECK(parse(&o, "--tls=implicit", "--tls=off", NULL) == 0 && o->tls == TLS_OFF);
	CHECK(parse(&o, "--tls=sometimes", NULL) == -EINVAL);
	CHECK(parse(&o, "--commands=minimal", NULL) == 0 && o->commands_minimal);
	CHECK(parse(&o, "--commands=full", NULL) == 0 && !o->commands_minimal);
	CHECK(parse(&o, "--commands=Full", NULL) == -EINVAL);
	CHECK(parse(&o, "--uidl-guard=refuse", NULL) == 0 && o->uidl_guard == UIDL_GUARD_REFUSE);
	CHECK(parse(&o, "--uidl-guard=warn", NULL) == 0 && o->uidl_guard == UIDL_GUARD_WARN);
	CHECK(parse(&o, "--uidl-guard=", NULL) == -EINVAL);
	CHECK(parse(&o, "--faithful=extra", NULL) == 0 && o->faithful == FAITHFUL_EXTRA);
	CHECK(parse(&o, "--faithful=noextra", NULL) == 0 && o->faithful == FAITHFUL_NOEXTRA);
	CHECK(parse(&o, "--faithful=yes", NULL) == -EINVAL);
	CHECK(parse(&o, "--auth-mechanisms=apop, PLAIN", NULL) == 0 &&
	      o->auth_mechanisms == (MECHS_APOP | MECHS_PLAIN));
	CHECK(parse(&o, "--auth-mechanisms=login", NULL) == -EINVAL);
	CHECK(parse(&o, "--auth-mechanisms=,", NULL) == -EINVAL);
}

static void test_special(void)
{
	struct options *o;
	char arg[96];

	CHECK(parse(&o, "--proxy-protocol", NULL) == 0 && o->proxy_protocol && !o->proxy_from);
	CHECK(parse(&o, "--proxy-protocol=10.0.0.0/8", NULL) == 0 && o->proxy_protocol &&
	      !strcmp(o->proxy_from, "10.0.0.0/8"));
	config("proxy-protocol = yes\n");
	CHECK(parse(&o, "-c", config_path, NULL) == 0 && o->proxy_protocol && !o->proxy_from);
	config("proxy-protocol = no\n");
	CHECK(parse(&o, "--proxy-protocol=::1/128", "-c", config_path, NULL) == 0 &&
	      !o->proxy_protocol && !o->proxy_from);

	CHECK(parse(&o, "--uidl-format=popa3d", NULL) == 0 && !strcmp(o->uidl_format, "popa3d"));
	CHECK(parse(&o, "--uidl-format=map:uidls", NULL) == 0 &&
	      !strcmp(o->uidl_format, "map:uidls"));
	CHECK(parse(&o, "--uidl-format=map:", NULL) == -EINVAL);
	CHECK(parse(&o, "--uidl-format=map:.x", NULL) == -EINVAL);
	CHECK(parse(&o, "--uidl-format=map:a/b", NULL) == -EINVAL);
	CHECK(parse(&o, "--uidl-format=qpopper", NULL) == -EINVAL);

	CHECK(parse(&o, "--exec-arg=a", "--exec-arg=b", NULL) == 0 && o->exec_argc == 2 &&
	      !strcmp(o->exec_args[0], "a") && !strcmp(o->exec_args[1], "b"));
	config("");
	for (int i = 0; i <= MAX_EXEC_ARGS; i++) {
		FILE *f = fopen(config_path, "ae");

		snprintf(arg, sizeof(arg), "exec-arg = %d\n", i);
		if (!f || fputs(arg, f) < 0 || fclose(f) != 0)
			abort();
	}
	CHECK(parse(&o, "-c", config_path, NULL) == -EINVAL && o->exec_argc == MAX_EXEC_ARGS);

	CHECK(parse(&o, "--no-such-option", NULL) == -EINVAL);
	CHECK(parse(&o, "stray", NULL) == -EINVAL);
	config("no-such-key = 1\n");
	CHECK(parse(&o, "-c", config_path, NULL) == -EINVAL);
	config("backend\n");    /* required value missing */
	CHECK(parse(&o, "-c", config_path, NULL) == -EINVAL);
	/* A file that includes itself stops at MAX_CONFIG_DEPTH. */
	snprintf(arg, sizeof(arg), "config = %s\n", config_path);
	config(arg);
	CHECK(parse(&o, "-c", config_path, NULL) == -EINVAL);
}

static void test_backend_config(void)
{
	struct backend_config c;
	struct options *o;

	CHECK(parse(&o, "--expire=7", "--login-delay=60", "--uidl-format=x-uidl", "-t", "20",
	            "--exec=/bin/h", "--exec-arg=-v", NULL) == 0);
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
