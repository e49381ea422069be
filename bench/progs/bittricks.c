/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * bittricks.c: bit manipulation on every 8-byte word of the payload:
 * population count, integer log2, count of trailing zeros, byte swap and
 * bit reversal, all branch-free (SWAR and shift cascades), folded into a
 * checksum. BITS_PASSES passes, each on the words xored with a new
 * constant.
 */
#include "bench.h"

#define BITS_WORDS  400
#define BITS_PASSES 4

static __always_inline __u64 popcount64(__u64 x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (x * 0x0101010101010101ULL) >> 56;
}

/* floor(log2(x)) for x > 0; 0 for x == 0. */
static __always_inline __u64 log2_64(__u64 x)
{
	__u64 r, s;

	r = nonzero(x >> 32) << 5;
	x >>= r;
	s = nonzero(x >> 16) << 4;
	x >>= s;
	r |= s;
	s = nonzero(x >> 8) << 3;
	x >>= s;
	r |= s;
	s = nonzero(x >> 4) << 2;
	x >>= s;
	r |= s;
	s = nonzero(x >> 2) << 1;
	x >>= s;
	r |= s;
	return r | (x >> 1);
}

static __always_inline __u64 ctz64(__u64 x)
{
	return popcount64((x & -x) - 1); /* 64 for x == 0 */
}

static __always_inline __u64 reverse64(__u64 x)
{
	x = ((x >> 1) & 0x5555555555555555ULL) | ((x & 0x5555555555555555ULL) << 1);
	x = ((x >> 2) & 0x3333333333333333ULL) | ((x & 0x3333333333333333ULL) << 2);
	x = ((x >> 4) & 0x0f0f0f0f0f0f0f0fULL) | ((x & 0x0f0f0f0f0f0f0f0fULL) << 4);
	return __builtin_bswap64(x);
}

SEC("xdp")
int bittricks(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const __u8 *p = (const __u8 *)data + HDR_LEN;
	__u64 h = 0, k = 0x9e3779b97f4a7c15ULL;
	__u32 pass, i;

	if ((void *)(p + 8 * BITS_WORDS) > data_end)
		return 0;
	for (pass = 0; pass < BITS_PASSES; pass++) {
		k = k * 0x5851f42d4c957f2dULL + 1;
		for (i = 0; i < BITS_WORDS; i++) {
			__u64 x = load64(p + 8 * i) ^ k;
			__u64 v = popcount64(x) | log2_64(x) << 8 | ctz64(x) << 16;

			h = rotl64(h, 5) ^ v ^ __builtin_bswap64(x) ^ reverse64(x >> (i & 7));
		}
	}
	return fold32(h);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
