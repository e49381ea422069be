/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * sort.c: bubble sort of an on-stack array.
 *
 * Loads SORT_N 32-bit words of the payload into a stack array, sorts them
 * with a bubble sort whose compare-and-swap is branch-free (BPF has no
 * conditional move; a branch per comparison would also make the kernel's
 * verifier walk both sides of every one), and folds the sorted array into
 * a checksum. Does this for SORT_ROUNDS consecutive slices of the payload.
 */
#include "bench.h"

#define SORT_N      64
#define SORT_ROUNDS 8

SEC("xdp")
int sort(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const __u32 *in = (const __u32 *)((__u8 *)data + HDR_LEN);
	__u32 a[SORT_N];
	__u32 sum = 0, r, i, j;

	if ((void *)(in + SORT_N * SORT_ROUNDS) > data_end)
		return 0;
	for (r = 0; r < SORT_ROUNDS; r++) {
		for (i = 0; i < SORT_N; i++)
			a[i] = in[r * SORT_N + i];
		for (i = 0; i < SORT_N - 1; i++) {
			__u64 x = a[0]; /* the largest so far, carried up */

			for (j = 0; j < SORT_N - 1 - i; j++) {
				__u64 y = a[j + 1];
				__u64 d = (x ^ y) & lt_mask(y, x); /* swap if y < x */

				a[j] = x ^ d;
				x = y ^ d;
			}
			a[SORT_N - 1 - i] = x;
		}
		for (i = 0; i < SORT_N; i++)
			sum = sum * 31 + (a[i] ^ i);
	}
	return sum;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
