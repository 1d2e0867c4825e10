/* Mailbox path templates. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "template.h"

static int valid_part(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr("._+-=@", c)))
			return 0;
	}
	return 1;
}

int template_check(const char *tpl)
{
	for (const char *p = tpl; *p; p++)
		if (*p == '%') {
			p++;
			if (!*p || !strchr("undh%", *p))
				return -EINVAL;
		}
	return 0;
}

int template_expand(const char *tpl, const char *user, const char *home,
                    char *out, size_t size)
{
	const char *at = strchr(user, '@');
	size_t o = 0, comp = 0;     /* where the current path component starts */
	bool from_name = false;     /* it holds an expansion of %u, %n or %d */

	if (!valid_part(user, strlen(user)))
		return -EINVAL;
	for (const char *p = tpl;; p++) {
		const char *s = p;
		size_t n = 1;

		/* A name part that expands to nothing must not collapse a
		 * component: "/srv/%d/%n" for "@home" is not "/srv/home//". */
		if (*p == '/' || !*p) {
			if (o == comp && from_name)
				return -EINVAL;
			comp = o + 1;
			from_name = false;
			if (!*p)
				break;
		}
		if (*p == '%') {
			switch (*++p) {
			case 'u': s = user; n = strlen(user); break;
			case 'n': s = user; n = at ? (size_t)(at - user) : strlen(user); break;
			case 'd': s = at ? at + 1 : ""; n = strlen(s); break;
			case 'h':
				if (!home || !*home)
					return -ENOENT;
				s = home; n = strlen(home);
				break;
			case '%': s = "%"; n = 1; break;
			default: return -EINVAL;
			}
			if (strchr("und", *p) && n > 0 && !valid_part(s, n))
				return -EINVAL;
			from_name = from_name || strchr("und", *p);
		}
		if (o + n >= size)
			return -ENAMETOOLONG;
		memcpy(out + o, s, n);
		o += n;
	}
	out[o] = '\0';
	return 0;
}
