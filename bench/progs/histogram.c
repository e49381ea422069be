/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * histogram.c: a byte histogram in an array map.
 *
 * Clears the 256 counters, counts every byte of the payload and the xor of
 * every pair of neighbouring bytes, and their sum (crude bigram features), with one map
 * lookup per count, then folds the counters into a checksum. The counting
 * is done by count_chunk, a global function that the kernel's verifier
 * checks once, in HIST_CHUNK-byte chunks.
 */
#include "bench.h"

#define HIST_LEN   3200
#define HIST_CHUNK 640

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u32);
} hist SEC(".maps");

__noinline int count_chunk(struct xdp_md *ctx, __u32 off)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const __u8 *p;
	__u32 i;

	if (off > PAYLOAD_MAX)
		return 0;
	p = (const __u8 *)data + HDR_LEN + off;
	if ((void *)(p + HIST_CHUNK + 1) > data_end)
		return 0;
	for (i = 0; i < HIST_CHUNK; i++) {
		__u32 k = p[i];
		__u32 *v = bpf_map_lookup_elem(&hist, &k);

		if (v)
			*v += 1;
		k = p[i] ^ p[i + 1];
		v = bpf_map_lookup_elem(&hist, &k);
		if (v)
			*v += 1;
		k = (p[i] + p[i + 1]) & 0xff;
		v = bpf_map_lookup_elem(&hist, &k);
		if (v)
			*v += 1;
	}
	return HIST_CHUNK;
}

SEC("xdp")
int histogram(struct xdp_md *ctx)
{
	__u32 i, off, sum = 0, counted = 0;

	/* The keys are copies: a loop counter whose address goes to a
	 * helper would live on the stack, where the verifier no longer
	 * knows its value and cannot see the loop end. */
	for (i = 0; i < 256; i++) {
		__u32 k = i;
		__u32 *v = bpf_map_lookup_elem(&hist, &k);

		if (v)
			*v = 0;
	}
	for (off = 0; off < HIST_LEN; off += HIST_CHUNK)
		counted += count_chunk(ctx, off);
	for (i = 0; i < 256; i++) {
		__u32 k = i;
		__u32 *v = bpf_map_lookup_elem(&hist, &k);

		if (v)
			sum = sum * 31 + *v;
	}
	return sum ^ counted;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
