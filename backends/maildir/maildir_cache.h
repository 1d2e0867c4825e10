/* The Maildir size cache, DIR/onepop.cache (maildir_cache.c): the list
 * with every message's sizes, and the state of new/ and cur/ it was made
 * from. */
#ifndef ONEPOP_MAILDIR_CACHE_H
#define ONEPOP_MAILDIR_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "maildir_list.h"

/* Read the cache: 0 and *ret_list (in delivery order, every value checked)
 * with *ret_fresh true when stamps[0..1] (new/, cur/) match those it was
 * made with; -ENOENT when missing; -EBADMSG when it is not a valid cache.
 * What a hostile file can cost is bounded before anything is built: with
 * fresh_only, a cache whose stamps do not match is -ESTALE after its
 * first three lines; a cache bigger than max_count messages can take
 * (the count listed in the directories, or SIZE_MAX) is -EBADMSG unread. */
int maildir_cache_load(int dir_fd, const struct maildir_stamp stamps[2], size_t max_count,
                       bool fresh_only, struct maildir_list *ret_list, bool *ret_fresh);
/* Replace the cache atomically (temporary file, then rename). The stamps
 * are written only when trusted; failures are ignored: it is a cache. */
void maildir_cache_save(int dir_fd, const struct maildir_stamp stamps[2], bool trusted,
                        const struct maildir_list *l);

#endif
