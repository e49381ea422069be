/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * strsearch.c: string compare and search over packet bytes, as a
 * signature scanner does. At every offset of an HTTP-like payload,
 * compares the next 8 bytes with six keywords of 4 to 8 bytes (one masked
 * 8-byte compare each) and keeps, per keyword, the number of occurrences
 * and the offset of the first. The compare is branch-free: a branch per
 * position and keyword is what a byte-by-byte memcmp costs, and the
 * kernel's verifier would have to walk both sides of each.
 */
#include "bench.h"

#define SEARCH_LEN 3000
#define NEEDLES    6

/* Little-endian 8-byte words of up to 8 characters. */
#define W(a, b, c, d, e, f, g, h)                                                         \
	((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16 | (__u64)(d) << 24 | (__u64)(e) << 32 | \
	 (__u64)(f) << 40 | (__u64)(g) << 48 | (__u64)(h) << 56)
#define MASK(n) ((n) == 8 ? ~0ULL : (1ULL << (8 * (n))) - 1)

struct found {
	__u32 count;
	__u32 first;
};

static __always_inline void probe(struct found *f, __u64 w, __u64 needle, __u64 mask, __u32 pos)
{
	__u64 miss = nonzero((w ^ needle) & mask);  /* 0 on a match */
	__u64 cand = pos | (miss << 16);            /* >= 65536 on a miss */
	__u64 first = f->first;

	f->count += 1 - miss;
	f->first = cand ^ ((first ^ cand) & lt_mask(first, cand)); /* min */
}

SEC("xdp")
int strsearch(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const __u8 *p = (const __u8 *)data + HDR_LEN;
	struct found f[NEEDLES];
	__u32 i, sum = 0;

	if ((void *)(p + SEARCH_LEN + 8) > data_end)
		return 0;
	for (i = 0; i < NEEDLES; i++) {
		f[i].count = 0;
		f[i].first = 0xffffffff;
	}
	for (i = 0; i < SEARCH_LEN; i++) {
		__u64 w = load64(p + i);

		probe(&f[0], w, W('G', 'E', 'T', ' ', 0, 0, 0, 0), MASK(4), i);
		probe(&f[1], w, W('H', 'o', 's', 't', ':', ' ', 0, 0), MASK(6), i);
		probe(&f[2], w, W('H', 'T', 'T', 'P', '/', '1', '.', '1'), MASK(8), i);
		probe(&f[3], w, W('\r', '\n', '\r', '\n', 0, 0, 0, 0), MASK(4), i);
		probe(&f[4], w, W('C', 'o', 'o', 'k', 'i', 'e', ':', ' '), MASK(8), i);
		probe(&f[5], w, W('g', 'z', 'i', 'p', 0, 0, 0, 0), MASK(4), i);
	}
	for (i = 0; i < NEEDLES; i++)
		sum = sum * 31 + (f[i].count << 16) + f[i].first;
	return sum;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
