/* The UIDL guard: what to do when the backend reports that messages seen
 * in the last session now have other UIDLs (every "leave mail on server"
 * client would download them again). Logs the counts; with
 * --uidl-guard=refuse the login is refused until an operator looks. */
#include <errno.h>

#include "log.h"
#include "uidl_guard.h"

int uidl_guard_check(const struct options *opt, const struct backend_report *report,
                     const char *who, const char *remote)
{
	if (report->uidl.lost)
		log_msg(LOG_WARNING, "uidl ledger: user=%s: unreadable, rebuilt from the file names",
		        who);
	if (report->uidl.renamed)
		log_msg(LOG_NOTICE, "uidl ledger: user=%s: %zu renamed messages kept their UIDL",
		        who, report->uidl.renamed);
	if (!report->uidl.known || !report->uidl.changed)
		return 0;
	/* One fixed format, so monitoring can match it. */
	log_msg(LOG_WARNING, "uidl guard: user=%s rhost=%s changed=%zu kept=%zu renamed=%zu "
	        "gone=%zu action=%s", who, remote, report->uidl.changed, report->uidl.kept,
	        report->uidl.renamed, report->uidl.gone,
	        opt->uidl_guard == UIDL_GUARD_REFUSE ? "refuse" : "warn");
	return opt->uidl_guard == UIDL_GUARD_REFUSE ? -EAGAIN : 0;
}
