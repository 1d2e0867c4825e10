/* Unit tests for the host name with its fallback (util/hostname.c). */
#include <string.h>
#include <unistd.h>

#include "hostname.h"
#include "unit.h"

int main(void)
{
	char host[HOSTNAME_SIZE + 8], sys[HOSTNAME_SIZE];

	/* POSIX's bound, the one Linux's uname has (64 + NUL). */
	CHECK(HOSTNAME_SIZE >= 65);
	memset(host, 'x', sizeof(host));
	hostname_get(host);
	CHECK(memchr(host, '\0', HOSTNAME_SIZE) != NULL);
	CHECK(host[0] != '\0');
	/* Nothing written past the size. */
	CHECK(host[HOSTNAME_SIZE] == 'x');
	if (gethostname(sys, sizeof(sys)) == 0 && sys[0])
		CHECK(strcmp(host, sys) == 0);
	else
		CHECK(strcmp(host, "localhost") == 0);
	return unit_done("hostname");
}
