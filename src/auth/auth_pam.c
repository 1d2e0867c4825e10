/* --auth=pam[:SERVICE]: system users through PAM (service "onepop" unless
 * named), then uid, gid and home from passwd for the name PAM settled on.
 * Runs pam_authenticate and pam_acct_mgmt (expired or locked accounts are
 * refused); no PAM session is opened: a POP3 session is not a login.
 * The conversation runs in a child process with a time limit. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "auth.h"
#include "auth_helper.h"
#include "onepop_limits.h"

extern const struct auth_ops auth_pam;

#define PAM_DEFAULT_SERVICE "onepop"

struct pam {
	struct auth base;
	char *service;
};

/* Answer every hidden prompt with the password; visible prompts (a
 * second factor, a new password) cannot be answered over POP3. */
static int conv(int n, const struct pam_message **msg, struct pam_response **ret,
                void *data)
{
	struct pam_response *resp;

	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	resp = calloc((size_t)n, sizeof(*resp));
	if (!resp)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
			resp[i].resp = strdup(data);
			if (resp[i].resp)
				break;
			/* fall through */
		case PAM_PROMPT_ECHO_ON:
			goto fail;
		default:        /* PAM_ERROR_MSG, PAM_TEXT_INFO: nothing to say */
			break;
		}
	}
	*ret = resp;
	return PAM_SUCCESS;
fail:
	for (int i = 0; i < n; i++)
		if (resp[i].resp) {
			explicit_bzero(resp[i].resp, strlen(resp[i].resp));
			free(resp[i].resp);
		}
	free(resp);
	return PAM_CONV_ERR;
}

/* In the child: run the PAM conversation and write the result (an int),
 * then the name PAM settled on (PAM_USER), to fd; never returns. */
/* PAM_FAIL_DELAY: modules (pam_unix, pam_faildelay) ask for a delay after
 * a failure; the verifier answers every failure at its own deadline
 * (login.c), the same for every user, so theirs is not slept. */
static void no_delay(int status, unsigned delay_us, void *appdata)
{
	(void)status;
	(void)delay_us;
	(void)appdata;
}

static void pam_child(const struct pam *p, const char *user, const char *pass, int fd)
{
	struct pam_conv c = { .conv = conv, .appdata_ptr = (void *)pass };
	pam_handle_t *h = NULL;
	const void *item = NULL;
	int pr;

	/* Its own process group: past the time limit, it and whatever its
	 * modules started (unix_chkpwd) are killed together. */
	setpgid(0, 0);
	pr = pam_start(p->service, user, &c, &h);
	/* Who is asking, for pam_access host rules, pam_unix's log line and
	 * fail2ban jails on PAM's messages (Dovecot sets the same). */
	if (pr == PAM_SUCCESS && p->base.rhost)
		pr = pam_set_item(h, PAM_RHOST, p->base.rhost);
	if (pr == PAM_SUCCESS)
		pr = pam_set_item(h, PAM_TTY, "onepop");
	if (pr == PAM_SUCCESS)
		pr = pam_set_item(h, PAM_FAIL_DELAY, (const void *)no_delay);
	if (pr == PAM_SUCCESS)
		pr = pam_authenticate(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	if (pr == PAM_SUCCESS)
		pr = pam_acct_mgmt(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	/* A module may map the name (PAM_USER); the session serves that account. */
	if (pr != PAM_SUCCESS || pam_get_item(h, PAM_USER, &item) != PAM_SUCCESS || !item)
		item = user;
	if (write(fd, &pr, sizeof(pr)) != (ssize_t)sizeof(pr) ||
	    write(fd, item, strlen(item)) != (ssize_t)strlen(item))
		_exit(111);
	if (h)
		pam_end(h, pr);
	_exit(0);
}

/* PAM runs its modules in this process, and a module may wait on the
 * network for as long as it likes: the conversation runs in a child that
 * is killed past the time limit (auth_helper.h), as Dovecot kills its
 * auth workers. */
static int pam_verify(struct auth *a, const char *user, const char *pass,
                      struct user_info *ret)
{
	struct pam *p = (struct pam *)a;
	char buf[sizeof(int) + MAX_USER + 2];   /* one more: a longer name is refused */
	int fds[2], pr, status, r;
	size_t have = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(fds[0]);
		close(fds[1]);
		return r;
	}
	if (pid == 0) {
		close(fds[0]);
		pam_child(p, user, pass, fds[1]);
	}
	close(fds[1]);
	r = auth_helper_collect(pid, fds[0], buf, sizeof(buf) - 1, &have, &status);
	close(fds[0]);
	if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || have <= sizeof(int) ||
	    have > sizeof(int) + MAX_USER)
		return -EIO;    /* killed, crashed or cut short: try again later */
	buf[have] = '\0';
	memcpy(&pr, buf, sizeof(pr));
	switch (pr) {
	case PAM_SUCCESS:
		r = auth_system_lookup(buf + sizeof(int), ret);
		if (r == -ENOENT)
			r = -EACCES;
		break;
	case PAM_AUTH_ERR: case PAM_USER_UNKNOWN: case PAM_MAXTRIES:
	case PAM_ACCT_EXPIRED: case PAM_NEW_AUTHTOK_REQD: case PAM_PERM_DENIED:
	case PAM_CRED_INSUFFICIENT:
		r = -EACCES;
		break;
	default:        /* PAM_AUTHINFO_UNAVAIL, PAM_SYSTEM_ERR, ...: try later */
		r = -EIO;
		break;
	}
	explicit_bzero(buf, sizeof(buf));
	return r;
}

static void pam_free(struct auth *a)
{
	struct pam *p = (struct pam *)a;

	if (!p)
		return;
	free(p->service);
	free(p);
}

static int pam_init(const char *arg, struct auth **ret)
{
	struct pam *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->base.ops = &auth_pam;
	p->service = strdup(arg && *arg ? arg : PAM_DEFAULT_SERVICE);
	if (!p->service || strchr(p->service, '/')) {
		int r = p->service ? -EINVAL : -ENOMEM;

		pam_free(&p->base);
		return r;
	}
	*ret = &p->base;
	return 0;
}

const struct auth_ops auth_pam = {
	.name = "pam",
	.init = pam_init,
	.lookup = auth_lookup_system,
	.verify = pam_verify,
	.free = pam_free,
};
