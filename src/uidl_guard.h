/* The UIDL guard (--uidl-guard=warn|refuse). */
#ifndef ONEPOP_UIDL_GUARD_H
#define ONEPOP_UIDL_GUARD_H

#include "onepop/backend.h"
#include "options.h"

/* Log what the backend's scan reported in report->uidl; -EAGAIN when the
 * login must be refused (UIDLs changed and --uidl-guard=refuse), else 0. */
int uidl_guard_check(const struct options *opt, const struct backend_report *report,
                     const char *who, const char *remote);

#endif
