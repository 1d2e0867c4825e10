/* EINTR-safe loops over read(2) and write(2) on a blocking descriptor. */
#ifndef ONEPOP_FDIO_H
#define ONEPOP_FDIO_H

#include <stddef.h>

/* Write all of buf[0..len) to fd, again after EINTR and short writes:
 * 0, or a negative errno (-EIO if write returned 0). A write that fails
 * midway has written an unknown prefix. */
int fd_write_all(int fd, const void *buf, size_t len);

/* Read into buf until len octets, end of file or an error, again after
 * EINTR: the number of octets read. Fewer than len means end of file or
 * an error; the callers (small files read whole) treat both as a short
 * file. */
size_t fd_read_full(int fd, void *buf, size_t len);

#endif
