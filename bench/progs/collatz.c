/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * collatz.c: a tight ALU loop. Sums the Collatz sequence lengths of the
 * hdr.n numbers that follow the packet's seed.
 *
 * The outer loop's trip count is an input, so it tests can_loop (may_goto)
 * rather than a bound the verifier could unroll: the same object serves
 * for the cost-growth measurement at 10x, 100x and 1000x the work.
 * collatz_len is a global function, verified once for any argument.
 */
#include "bench.h"

#define COLLATZ_MAX_STEPS 1000

__noinline __u32 collatz_len(__u64 x)
{
	__u32 s;

	for (s = 0; s < COLLATZ_MAX_STEPS; s++) {
		if (x <= 1)
			break;
		if (x & 1)
			x = 3 * x + 1;
		else
			x >>= 1;
	}
	return s;
}

SEC("xdp")
int collatz(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct bench_hdr *h = data;
	__u64 start;
	__u32 n, sum = 0, longest = 0;

	if ((void *)(h + 1) > data_end)
		return 0;
	n = h->n;
	start = (h->seed & 0xfffff) + 1;
	while (n > 0 && can_loop) {
		__u32 len;

		n--;
		len = collatz_len(start + n);
		sum += len;
		longest ^= len << (n & 7);
	}
	return sum ^ (longest << 16);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
