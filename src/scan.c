/* --scan USER: a dry run. Prints the message list a session of USER would
 * see (number, size, UIDL), with the same options, and changes nothing:
 * the backend is opened read-only (no lock, no cache or ledger written),
 * so an operator can diff it against the UIDL list of the old server
 * before moving users over. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "login.h"
#include "privs.h"
#include "scan.h"
#include "template.h"

int scan_run(const struct options *opt, const struct backend_config *bconfig,
             const struct backend_ops *backend, struct auth *auth)
{
	const char *tpl = opt->mailbox ? opt->mailbox : backend->default_mailbox;
	struct backend_session session = { .config = bconfig, .remote = "scan", .readonly = true };
	struct backend_report report = { 0 };
	struct user_info u = { 0 };
	struct login l;
	struct mailbox *mb = NULL;
	struct msginfo *msgs = NULL;
	char path[MAX_PATH];
	uint64_t total = 0;
	size_t count = 0;
	int r;

	login_init(&l, opt, auth, "scan");
	r = login_lookup(&l, opt->scan, &u);
	if (r < 0) {
		fprintf(stderr, "onepop: --scan: no such user\n");
		goto out;
	}
	/* Never read a mailbox as root: the same identity a session has. */
	if ((r = privs_drop(&u, opt->allow_root, (gid_t)-1)) < 0) {
		fprintf(stderr, "onepop: --scan: cannot become the user: %s\n", strerror(-r));
		goto out;
	}
	if ((r = template_expand(tpl, u.name, u.home, path, sizeof(path))) < 0) {
		fprintf(stderr, "onepop: --scan: mailbox template %s: %s\n", tpl, strerror(-r));
		goto out;
	}
	if (!(backend->flags & BACKEND_READONLY)) {
		/* Its open would lock or change things: no dry run possible. */
		fprintf(stderr, "onepop: --scan: the %s backend has no read-only open\n",
		        backend->name);
		r = -ENOTSUP;
		goto out;
	}
	if ((r = backend->open(path, &session, &report, &mb)) < 0 ||
	    (r = backend->scan(mb, &msgs, &count)) < 0) {
		fprintf(stderr, "onepop: --scan: mailbox %s: %s\n", path, strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < count; i++) {
		printf("%zu %llu %s\n", i + 1, (unsigned long long)msgs[i].size, msgs[i].uidl);
		total += msgs[i].size;
	}
	fprintf(stderr, "onepop: --scan: %zu messages (%llu octets) in %s\n", count,
	        (unsigned long long)total, path);
	if (report.uidl.known)
		fprintf(stderr, "onepop: --scan: UIDL ledger: %zu kept (%zu renamed), %zu gone, "
		        "%zu changed\n", report.uidl.kept, report.uidl.renamed, report.uidl.gone,
		        report.uidl.changed);
	if (fflush(stdout) != 0 || ferror(stdout))
		r = -EIO;
out:
	if (mb)
		backend->close(mb);
	privs_end();
	free(msgs);
	user_info_clear(&u);
	return r < 0 ? 1 : 0;
}
