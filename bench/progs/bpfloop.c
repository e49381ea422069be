/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * bpfloop.c: bpf_loop with a callback. hdr.n iterations of a callback
 * that mixes a 16-word state (loaded from the payload) in the caller's
 * stack frame.
 */
#include "bench.h"

struct loop_state {
	__u64 h;
	__u64 w[16];
};

static long step(__u32 i, void *ctx)
{
	struct loop_state *s = ctx;
	__u64 h = rotl64(s->h ^ s->w[i & 15], 23) * 0x9e3779b97f4a7c15ULL;

	s->w[(i + 7) & 15] += h >> 7;
	s->h = h;
	return 0;
}

SEC("xdp")
int bpfloop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct bench_hdr *hdr = data;
	const __u8 *p = (const __u8 *)data + HDR_LEN;
	struct loop_state s;
	__u64 sum = 0;
	__u32 i, n;

	if ((void *)(p + 8 * 16) > data_end)
		return 0;
	n = hdr->n;
	s.h = hdr->seed;
	for (i = 0; i < 16; i++)
		s.w[i] = load64(p + 8 * i);
	n = bpf_loop(n, step, &s, 0);
	for (i = 0; i < 16; i++)
		sum ^= s.w[i];
	return fold32(s.h ^ sum) ^ n;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
