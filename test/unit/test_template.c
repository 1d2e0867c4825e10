/* template_expand: one pass, user parts allowlisted. */
#include <errno.h>
#include <string.h>

#include "template.h"
#include "unit.h"

static const char *ex(const char *tpl, const char *user, const char *home, int *ret)
{
	static char out[256];

	out[0] = '\0';
	*ret = template_expand(tpl, user, home, out, sizeof(out));
	return out;
}

int main(void)
{
	int r;

	CHECK(!strcmp(ex("%h/Maildir", "alice", "/home/alice", &r), "/home/alice/Maildir") && r == 0);
	CHECK(!strcmp(ex("/var/mail/%u", "alice", "", &r), "/var/mail/alice") && r == 0);
	CHECK(!strcmp(ex("/m/%d/%n", "bob@example.org", NULL, &r), "/m/example.org/bob") && r == 0);
	/* an empty %d or %n must not collapse a component (issue 15 #18) */
	ex("/m/%d/%n", "bob", NULL, &r);
	CHECK(r == -EINVAL);
	ex("/srv/%d/%n/Maildir", "@home", NULL, &r);
	CHECK(r == -EINVAL);
	ex("/m/%n", "bob@", NULL, &r);
	CHECK(r == 0);
	ex("/m/%d", "bob@", NULL, &r);
	CHECK(r == -EINVAL);
	CHECK(!strcmp(ex("/m/%n%d/x", "bob", NULL, &r), "/m/bob/x") && r == 0);
	CHECK(!strcmp(ex("/m/x%d/%u", "bob", NULL, &r), "/m/x/bob") && r == 0);
	/* the operator's own "//" is the operator's business */
	CHECK(!strcmp(ex("/m//%u", "bob", NULL, &r), "/m//bob") && r == 0);
	CHECK(!strcmp(ex("/m/100%%/%u", "bob", NULL, &r), "/m/100%/bob") && r == 0);
	/* a %u that came from the template text is never expanded again */
	CHECK(!strcmp(ex("/m/%u", "a%ub", NULL, &r), "") && r == -EINVAL);
	ex("%h/Maildir", "alice", "", &r);
	CHECK(r == -ENOENT);
	ex("/m/%u", "../etc", NULL, &r);
	CHECK(r == -EINVAL);
	ex("/m/%u", "a/b", NULL, &r);
	CHECK(r == -EINVAL);
	ex("/m/%u", ".hidden", NULL, &r);
	CHECK(r == -EINVAL);
	ex("/m/%d", "x@..", NULL, &r);
	CHECK(r == -EINVAL);
	ex("/m/%u", "", NULL, &r);
	CHECK(r == -EINVAL);
	ex("/m/%x", "bob", NULL, &r);
	CHECK(r == -EINVAL);
	CHECK(template_check("/m/%u/%n/%d/%h/%%") == 0);
	CHECK(template_check("/m/%x") == -EINVAL);
	CHECK(template_check("/m/%") == -EINVAL);
	{
		char small[8];
		CHECK(template_expand("/var/mail/%u", "alice", NULL, small, sizeof(small)) == -ENAMETOOLONG);
	}
	return unit_done("template");
}
