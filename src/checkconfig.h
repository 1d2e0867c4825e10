/* onepop --check-config (-t): check a configuration before a restart. */
#ifndef ONEPOP_CHECKCONFIG_H
#define ONEPOP_CHECKCONFIG_H

#include "options.h"

/* Rewrite a bare "-t" (alone, or followed by something not a number) to
 * "--check-config" in argv, before options_parse; "-t 600" stays
 * --timeout. */
void checkconfig_argv(int argc, char **argv);

/* Check o as a session would before its greeting, and every file,
 * directory, program and user it names; print the effective settings
 * one "key = value" a line on stdout and each problem on stderr. Returns
 * the exit status: 0, or 2 when anything is wrong. */
int checkconfig_run(const struct options *o);

#endif
