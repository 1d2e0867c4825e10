/* onepop: one POP3 session on stdin/stdout. Options, checks, exit codes. */
#include <errno.h>
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

static int config_error(const char *what, const char *detail)
{
	fprintf(stderr, "onepop: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	log_msg(LOG_ERR, "configuration error: %s%s%s", what, detail ? ": " : "",
	        detail ? detail : "");
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

int main(int argc, char **argv)
{
	const struct backend_ops *backend;
	struct backend_config bconfig;
	char names[128], msg[256];
	static struct options opt;   /* static: its strings live as long as the process */
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
	if (opt.help) {
		options_usage();
		return 0;
	}
	if (opt.version) {
		printf("onepop %s\n", ONEPOP_VERSION);
		return 0;
	}
	if (opt.list_backends) {
		for (size_t i = 0; backends[i]; i++)
			puts(backends[i]->name);
		return 0;
	}
	if (opt.check_config)
		return checkconfig_run(&opt);
	log_open(opt.debug);
	if (adopt_listen_fds() < 0)
		return config_error("LISTEN_FDS: expected one accepted stream socket (Accept=yes)", NULL);

	backend = opt.backend ? backend_find(opt.backend) : backends[0];
	if (!backend)
		return config_error("unknown backend", opt.backend);
	if ((opt.expire || opt.login_delay) && !(backend->flags & BACKEND_EXPIRY)) {
		backend_names(BACKEND_EXPIRY, names, sizeof(names));
		snprintf(msg, sizeof(msg), "--expire and --login-delay need a backend that enforces "
		         "them (%s)", names);
		return config_error(msg, backend->name);
	}
	options_backend_config(&opt, &bconfig);
	if (backend_uidl_format_check(backend, bconfig.uidl_format) < 0 ||
	    (backend->configure && backend->configure(&bconfig) < 0))
		return config_error("bad options for backend", backend->name);
	if (opt.faithful && !(backend->flags & BACKEND_FAITHFUL)) {
		backend_names(BACKEND_FAITHFUL, names, sizeof(names));
		snprintf(msg, sizeof(msg), "--faithful is for the %s backend only", names);
		return config_error(msg, NULL);
	}
	if (opt.mailbox && template_check(opt.mailbox) < 0)
		return config_error("bad --mailbox template", opt.mailbox);
	if (session_greeting_check(&opt) < 0)
		return config_error("--greeting is too long for RFC 2449's 512-octet line", NULL);
	if (opt.fail_state) {
		char err[512];

		if (failstate_check(opt.fail_state, err, sizeof(err)) < 0)
			return config_error(err, NULL);
	}
	if (opt.proxy_from && proxy_cidr_check(opt.proxy_from) < 0)
		return config_error("bad --proxy-protocol address list", opt.proxy_from);
	if (opt.tls != TLS_OFF) {
		char err[512];
		/* Certificates are read now, as root and before the greeting, so
		 * a bad path is a startup error, not a broken session. */
		r = tls_configure(&opt, err, sizeof(err));
		if (r == -ENOTSUP)
			return config_error("--tls: built without TLS support", NULL);
		if (r < 0)
			return config_error(err, NULL);
	}
	if (opt.auth) {
		auth_helper_set_timeout(opt.timeout);   /* checkpassword, PAM: auth_helper.h */
		r = auth_open(opt.auth, &auth);
		if (r < 0)
			return config_error(r == -EINVAL ? "bad --auth" : strerror(-r), opt.auth);
	}
	if (opt.scan) {
		r = scan_run(&opt, backend, auth);
		auth_close(auth);
		return r;
	}
	if (!auth && !opt.preauth)
		return config_error("nothing to authenticate with: give --auth or --preauth", NULL);
	/* Started as root: nothing that reads the connection before login
	 * keeps the privileges (privsep.h). Otherwise there are none to
	 * separate, and the session runs in this one process. */
	if (geteuid() == 0) {
		static struct sandbox sb;
		char err[512];

		r = sandbox_prepare(opt.privsep_user ? opt.privsep_user : DEFAULT_PRIVSEP_USER,
		                    opt.privsep_dir ? opt.privsep_dir : DEFAULT_PRIVSEP_DIR,
		                    &sb, err, sizeof(err));
		if (r < 0) {
			auth_close(auth);
			return config_error(err, NULL);
		}
		r = session_run(&opt, backend, auth, &sb);
	} else {
		r = session_run(&opt, backend, auth, NULL);
	}
	auth_close(auth);
	return r;
}
