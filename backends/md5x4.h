/* MD5 of up to four independent messages at once, one in each 32-bit
 * lane of a 128-bit vector (GCC/clang vector extensions: SSE2 on
 * x86-64, NEON on arm64). MD5 is a chain of dependent additions, so one
 * digest keeps a core's adders mostly idle: four side by side cost about
 * what one does. The mbox scan digests every message's header, which was
 * over half of a 100,000-message login. Same digests as RFC 1321. */
#ifndef ONEPOP_MD5X4_H
#define ONEPOP_MD5X4_H

#include <stddef.h>

/* out[i] = MD5(msg[i], len[i]) for i < n (n <= 4). */
void md5x4(size_t n, const unsigned char *const msg[], const size_t len[],
           unsigned char out[][16]);

#endif
