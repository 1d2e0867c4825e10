/* This host's name with the one fallback every caller uses. */
#include <string.h>
#include <unistd.h>

#include "hostname.h"

void hostname_get(char out[HOSTNAME_SIZE])
{
	if (gethostname(out, HOSTNAME_SIZE) < 0 || !out[0])
		strlcpy(out, "localhost", HOSTNAME_SIZE);
	out[HOSTNAME_SIZE - 1] = '\0';
}
