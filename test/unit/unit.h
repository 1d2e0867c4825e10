/* A minimal unit-test harness: CHECK records failures, unit_done reports. */
#ifndef ONEPOP_UNIT_H
#define ONEPOP_UNIT_H

#include <stdio.h>

static int unit_checks, unit_failures;

#define CHECK(cond) do { \
	unit_checks++; \
	if (!(cond)) { \
		unit_failures++; \
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
	} \
} while (0)

static inline int unit_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, unit_checks, unit_failures);
	return unit_failures ? 1 : 0;
}

#endif
