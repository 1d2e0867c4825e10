/* Several MD5s in the lanes of a vector (md5_lanes.h). The algorithm
 * is RFC 1321's: 64 steps a 64-octet block, constants
 * floor(2^32 |sin(i + 1)|), the message padded with 0x80, zeros and its
 * bit length (64-bit little endian) to a multiple of 64 octets. A lane
 * whose message has fewer blocks than the longest keeps its state
 * (masked) while the others go on. One body, written as a macro, gives
 * the 4-lane (baseline) and the 8-lane (AVX2) functions. */
#include <endian.h>
#include <stdint.h>
#include <string.h>

#include "md5_lanes.h"

static const uint32_t K[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee,
	0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
	0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
	0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
	0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa,
	0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
	0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
	0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
	0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
	0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05,
	0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039,
	0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
	0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

/* Macros with a type (vec) or a function (f) as argument: they cannot
 * be parenthesised. */
/* NOLINTBEGIN(bugprone-macro-parentheses) */
#define ROTL(x, s) (((x) << (s)) | ((x) >> (32 - (s))))
#define F(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define G(x, y, z) ((y) ^ ((z) & ((x) ^ (y))))
#define H(x, y, z) ((x) ^ (y) ^ (z))
#define I(x, y, z) ((y) ^ ((x) | ~(z)))
#define STEP(f, a, b, c, d, i, k, s) \
	(a) = (b) + ROTL((a) + f((b), (c), (d)) + w[k] + K[i], s)

static uint32_t le32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

/* One block of every lane: st the state, w the 16 words. */
#define TRANSFORM(vec, st, w) do { \
	vec a = st[0], b = st[1], c = st[2], d = st[3]; \
	for (int i = 0; i < 16; i += 4) { \
		STEP(F, a, b, c, d, i, i, 7); \
		STEP(F, d, a, b, c, i + 1, i + 1, 12); \
		STEP(F, c, d, a, b, i + 2, i + 2, 17); \
		STEP(F, b, c, d, a, i + 3, i + 3, 22); \
	} \
	for (int i = 16; i < 32; i += 4) { \
		STEP(G, a, b, c, d, i, (5 * i + 1) & 15, 5); \
		STEP(G, d, a, b, c, i + 1, (5 * i + 6) & 15, 9); \
		STEP(G, c, d, a, b, i + 2, (5 * i + 11) & 15, 14); \
		STEP(G, b, c, d, a, i + 3, (5 * i + 16) & 15, 20); \
	} \
	for (int i = 32; i < 48; i += 4) { \
		STEP(H, a, b, c, d, i, (3 * i + 5) & 15, 4); \
		STEP(H, d, a, b, c, i + 1, (3 * i + 8) & 15, 11); \
		STEP(H, c, d, a, b, i + 2, (3 * i + 11) & 15, 16); \
		STEP(H, b, c, d, a, i + 3, (3 * i + 14) & 15, 23); \
	} \
	for (int i = 48; i < 64; i += 4) { \
		STEP(I, a, b, c, d, i, (7 * i) & 15, 6); \
		STEP(I, d, a, b, c, i + 1, (7 * i + 7) & 15, 10); \
		STEP(I, c, d, a, b, i + 2, (7 * i + 14) & 15, 15); \
		STEP(I, b, c, d, a, i + 3, (7 * i + 21) & 15, 21); \
	} \
	st[0] += a; \
	st[1] += b; \
	st[2] += c; \
	st[3] += d; \
} while (0)

/* The function hashing up to lanes messages in vectors of type vec. */
#define MD5_LANES_FN(name, vec, lanes, attr) \
static attr void name(size_t n, const unsigned char *const msg[], const size_t len[], \
                 unsigned char out[][16]) \
{ \
	static const unsigned char zero[64]; \
	unsigned char tail[lanes][128]; \
	size_t full[lanes] = { 0 }, blocks[lanes] = { 0 }, most = 0; \
	vec st[4]; \
	memset(st, 0, sizeof(st)); \
	for (size_t j = 0; j < lanes; j++) { \
		st[0][j] = 0x67452301; \
		st[1][j] = 0xefcdab89; \
		st[2][j] = 0x98badcfe; \
		st[3][j] = 0x10325476; \
	} \
	for (size_t j = 0; j < n && j < lanes; j++) { \
		size_t rest = len[j] % 64, padded = rest < 56 ? 64 : 128; \
		uint64_t bits = htole64((uint64_t)len[j] * 8); \
		full[j] = len[j] / 64; \
		blocks[j] = full[j] + padded / 64; \
		memset(tail[j], 0, padded); \
		if (rest) \
			memcpy(tail[j], msg[j] + full[j] * 64, rest); \
		tail[j][rest] = 0x80; \
		memcpy(tail[j] + padded - 8, &bits, sizeof(bits)); \
		if (blocks[j] > most) \
			most = blocks[j]; \
	} \
	for (size_t blk = 0; blk < most; blk++) { \
		const unsigned char *p[lanes]; \
		uint32_t word[16][lanes], done[lanes]; \
		vec w[16], keep, old[4]; \
		for (size_t j = 0; j < lanes; j++) { \
			p[j] = blk < full[j] ? msg[j] + blk * 64 : \
			       blk < blocks[j] ? tail[j] + (blk - full[j]) * 64 : zero; \
			done[j] = blk < blocks[j] ? 0 : ~0u; \
		} \
		for (size_t k = 0; k < 16; k++) \
			for (size_t j = 0; j < lanes; j++) \
				word[k][j] = le32(p[j] + 4 * k); \
		memcpy(w, word, sizeof(w)); \
		memcpy(&keep, done, sizeof(keep)); \
		memcpy(old, st, sizeof(old)); \
		TRANSFORM(vec, st, w); \
		for (int i = 0; i < 4; i++) \
			st[i] = (st[i] & ~keep) | (old[i] & keep); \
	} \
	for (size_t j = 0; j < n && j < lanes; j++) \
		for (size_t i = 0; i < 4; i++) { \
			uint32_t v = htole32(st[i][j]); \
			memcpy(out[j] + 4 * i, &v, sizeof(v)); \
		} \
}

/* NOLINTEND(bugprone-macro-parentheses) */

typedef uint32_t v4 __attribute__((vector_size(16)));
MD5_LANES_FN(md5_4, v4, 4, )

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_AVX2_LANES 1
typedef uint32_t v8 __attribute__((vector_size(32)));
MD5_LANES_FN(md5_8, v8, 8, __attribute__((target("avx2"))))
#endif

size_t md5_lanes_width(void)
{
#ifdef HAVE_AVX2_LANES
	static int avx2 = -1;

	if (avx2 < 0)
		avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
	return avx2 ? 8 : 4;
#else
	return 4;
#endif
}

void md5_lanes(size_t n, const unsigned char *const msg[], const size_t len[],
               unsigned char out[][16])
{
#ifdef HAVE_AVX2_LANES
	if (n > 4 && md5_lanes_width() == 8) {
		md5_8(n, msg, len, out);
		return;
	}
#endif
	for (size_t i = 0; i < n; i += 4)
		md5_4(n - i < 4 ? n - i : 4, msg + i, len + i, out + i);
}
