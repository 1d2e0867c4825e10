/* MD5 of several independent messages at once, one in each 32-bit lane
 * of a vector (GCC/clang vector extensions: 4 lanes of SSE2 on x86-64
 * or NEON on arm64, 8 of AVX2 where the CPU has it). MD5 is a chain of
 * dependent additions, so one digest leaves a core's adders mostly
 * idle: four side by side cost about what one does. The mbox scan
 * digests every message's header, which was over half of a
 * 100,000-message login. The digests are RFC 1321's. */
#ifndef ONEPOP_MD5_LANES_H
#define ONEPOP_MD5_LANES_H

#include <stddef.h>

#define MD5_LANES_MAX 8

/* How many messages md5_lanes hashes best at once: 4 or 8. */
size_t md5_lanes_width(void);
/* out[i] = MD5(msg[i], len[i]) for i < n (n <= MD5_LANES_MAX). */
void md5_lanes(size_t n, const unsigned char *const msg[], const size_t len[],
               unsigned char out[][16]);

#endif
