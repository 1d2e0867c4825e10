/* onepop: one POP3 session on stdin/stdout. Options, checks, exit codes. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "auth_helper.h"
#include "onepop/backend.h"
#include "checkconfig.h"
#include "config.h"
#include "failstate.h"
#include "log.h"
#include "options.h"
#include "proxy.h"
#include "sandbox.h"
#include "scan.h"
#include "session.h"
#include "template.h"
#include "tls.h"

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>

#include "sd.h"
#endif

/* Exit statuses (SPEC): 0 after QUIT, 1 otherwise, 2 before serving. */
#define EXIT_USAGE 2

/* Say what is wrong on stderr and in the log; the exit status for it. */
static int config_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int config_error(const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	fprintf(stderr, "onepop: %s\n", msg ? msg : fmt);
	log_msg(LOG_ERR, "configuration error: %s", msg ? msg : fmt);
	free(msg);
	return EXIT_USAGE;
}

/* systemd with Accept=yes but without StandardInput=socket (or
 * systemd-socket-activate --accept) passes the connection as fd 3 with
 * LISTEN_FDS=1: serve it as stdin/stdout. 0, or -EINVAL when the fds
 * passed are not one connected socket. */
static int adopt_listen_fds(void)
{
#ifdef HAVE_LIBSYSTEMD
	const struct sd_api *sd;
	int n;

	if (!getenv("LISTEN_FDS"))
		return 0;   /* not socket-activated: do not load libsystemd */
	sd = sd_api();
	n = sd ? sd->listen_fds(1) : 0;
	if (n <= 0)
		return 0;
	/* A listening socket (Accept=no) cannot be served by one session. */
	if (n != 1 || sd->is_socket(SD_LISTEN_FDS_START, 0, SOCK_STREAM, 0) <= 0 ||
	    sd->is_socket(SD_LISTEN_FDS_START, 0, SOCK_STREAM, 1) > 0)
		return -EINVAL;
	if (dup2(SD_LISTEN_FDS_START, STDIN_FILENO) < 0 ||
	    dup2(SD_LISTEN_FDS_START, STDOUT_FILENO) < 0)
		return -errno;
	close(SD_LISTEN_FDS_START);
#endif
	return 0;
}

/* --help, --version, --list-backends: print, and the exit status. */
static int print_info(const struct options *opt)
{
	if (opt->help)
		options_usage();
	else if (opt->version)
		printf("onepop %s\n", ONEPOP_VERSION);
	else
		for (size_t i = 0; backends[i]; i++)
			puts(backends[i]->name);
	return 0;
}

/* The backend chosen, and whether it takes the options given; fills
 * *bconfig, its part of them. 0 or the exit status. */
static int check_backend(const struct options *opt, const struct backend_ops **ret_backend,
                         struct backend_config *bconfig)
{
	const struct backend_ops *backend = opt->backend ? backend_find(opt->backend) : backends[0];
	char *names;
	int r;

	if (!backend)
		return config_error("unknown backend: %s", opt->backend);
	if ((opt->expire || opt->login_delay) && !(backend->flags & BACKEND_EXPIRY)) {
		names = backend_names(BACKEND_EXPIRY);
		r = config_error("--expire and --login-delay need a backend that enforces them "
		                 "(%s): %s", names ? names : "?", backend->name);
		free(names);
		return r;
	}
	options_backend_config(opt, bconfig);
	if (backend_uidl_format_check(backend, bconfig->uidl_format) < 0 ||
	    (backend->configure && backend->configure(bconfig) < 0))
		return config_error("bad options for backend: %s", backend->name);
	if (opt->faithful && !(backend->flags & BACKEND_FAITHFUL)) {
		names = backend_names(BACKEND_FAITHFUL);
		r = config_error("--faithful is for the %s backend only", names ? names : "?");
		free(names);
		return r;
	}
	*ret_backend = backend;
	return 0;
}

/* The session's own options, and the files they name. 0 or the exit
 * status. */
static int check_session(const struct options *opt)
{
	char err[512];
	int r;

	if (opt->mailbox && template_check(opt->mailbox) < 0)
		return config_error("bad --mailbox template: %s", opt->mailbox);
	if (session_greeting_check(opt) < 0)
		return config_error("--greeting is too long for RFC 2449's 512-octet line");
	if (opt->fail_state && failstate_check(opt->fail_state, err, sizeof(err)) < 0)
		return config_error("%s", err);
	if (opt->proxy_from && proxy_cidr_check(opt->proxy_from) < 0)
		return config_error("bad --proxy-protocol address list: %s", opt->proxy_from);
	if (opt->tls != TLS_OFF) {
		/* Certificates are read now, as root and before the greeting, so
		 * a bad path is a startup error, not a broken session. */
		r = tls_configure(opt, err, sizeof(err));
		if (r == -ENOTSUP)
			return config_error("--tls: built without TLS support");
		if (r < 0)
			return config_error("%s", err);
	}
	return 0;
}

/* --auth, opened into *ret_auth (left NULL without it). 0 or the exit
 * status. */
static int open_auth(const struct options *opt, struct auth **ret_auth)
{
	int r;

	if (!opt->auth)
		return 0;
	auth_helper_set_timeout(opt->timeout);   /* checkpassword, PAM: auth_helper.h */
	r = auth_open(opt->auth, ret_auth);
	if (r < 0)
		return config_error("%s: %s", r == -EINVAL ? "bad --auth" : strerror(-r), opt->auth);
	return 0;
}

/* Started as root: nothing that reads the connection before login
 * keeps the privileges (privsep.h). Otherwise there are none to
 * separate, and the session runs in this one process. */
static int serve(const struct options *opt, const struct backend_config *bconfig,
                 const struct backend_ops *backend, struct auth *auth)
{
	static struct sandbox sb;
	char err[512];

	if (geteuid() != 0)
		return session_run(opt, bconfig, backend, auth, NULL);
	if (sandbox_prepare(opt->privsep_user ? opt->privsep_user : DEFAULT_PRIVSEP_USER,
	                    opt->privsep_dir ? opt->privsep_dir : DEFAULT_PRIVSEP_DIR,
	                    &sb, err, sizeof(err)) < 0)
		return config_error("%s", err);
	return session_run(opt, bconfig, backend, auth, &sb);
}

int main(int argc, char **argv)
{
	/* static: their strings live as long as the process, and the
	 * session keeps pointers into them */
	static struct options opt;
	static struct backend_config bconfig;
	const struct backend_ops *backend = NULL;
	struct auth *auth = NULL;
	int r;

	/* Run by a checkpassword program as its "next program". */
	if (argc == 2 && strcmp(argv[1], CHECKPASSWORD_REPLY_ARG) == 0)
		return checkpassword_reply_main();
	checkconfig_argv(argc, argv);
	if (options_parse(&opt, argc, argv) < 0) {
		fputs("Try 'onepop --help'.\n", stderr);
		return EXIT_USAGE;
	}
	if (opt.help || opt.version || opt.list_backends)
		return print_info(&opt);
	if (opt.check_config)
		return checkconfig_run(&opt);
	log_open(opt.debug);
	if (adopt_listen_fds() < 0)
		return config_error("LISTEN_FDS: expected one accepted stream socket (Accept=yes)");
	if ((r = check_backend(&opt, &backend, &bconfig)) != 0 || (r = check_session(&opt)) != 0 ||
	    (r = open_auth(&opt, &auth)) != 0)
		return r;
	if (opt.scan)
		r = scan_run(&opt, &bconfig, backend, auth);
	else if (!auth && !opt.preauth)
		r = config_error("nothing to authenticate with: give --auth or --preauth");
	else
		r = serve(&opt, &bconfig, backend, auth);
	auth_close(auth);
	return r;
}
