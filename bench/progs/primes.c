/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * primes.c: prime counting by trial division (nested loops, modulo).
 *
 * Tests PRIMES_N odd numbers from a start the packet gives (below 2^20, so
 * that divisors up to 1023 suffice) and returns a checksum of the primes
 * found. is_prime is a global function: the kernel's verifier checks it
 * once, for any argument, instead of once per call.
 */
#include "bench.h"

#define PRIMES_N 400

__noinline int is_prime(__u32 x)
{
	__u32 d;

	if (x < 2)
		return 0;
	if (x % 2 == 0)
		return x == 2;
	for (d = 3; d < 1024; d += 2) {
		if (d * d > x)
			break;
		if (x % d == 0)
			return 0;
	}
	return 1;
}

SEC("xdp")
int primes(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct bench_hdr *h = data;
	__u32 start, i, count = 0, sum = 0;

	if ((void *)(h + 1) > data_end)
		return 0;
	start = (h->seed & 0xfffff) | 1;
	for (i = 0; i < PRIMES_N; i++) {
		__u32 x = start + 2 * i;
		if (is_prime(x)) {
			count++;
			sum = sum * 31 + x;
		}
	}
	return sum ^ (count << 20);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
