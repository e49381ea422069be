/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * calltree.c: bpf-to-bpf calls, no recursion. t1 calls t2 twice, t2 calls
 * t3 twice, and so on down to the leaf t7: 127 calls per tree, 8 frames
 * deep with the program's own (the kernel's limit). The program walks
 * CALL_TREES trees, one per seed.
 */
#include "bench.h"

#define CALL_TREES 64

static __noinline __u64 t7(__u64 x, __u64 y)
{
	return (x ^ (y >> 3)) * 0x9e3779b97f4a7c15ULL + y;
}

#define NODE(name, child, r)                                                  \
	static __noinline __u64 name(__u64 x, __u64 y)                        \
	{                                                                     \
		__u64 a = child(x + 1, y ^ x);                                \
		return child(rotl64(a, r), y + a) ^ x;                        \
	}

NODE(t6, t7, 7)
NODE(t5, t6, 13)
NODE(t4, t5, 19)
NODE(t3, t4, 29)
NODE(t2, t3, 37)
NODE(t1, t2, 43)

SEC("xdp")
int calltree(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct bench_hdr *h = data;
	__u64 acc = 0, seed;
	__u32 i;

	if ((void *)(h + 1) > data_end)
		return 0;
	seed = h->seed;
	for (i = 0; i < CALL_TREES; i++)
		acc += t1(seed + i, acc);
	return fold32(acc);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
