/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * tailcall.c: a tail-call chain. tailcall starts the chain; four stage
 * programs take turns, each hashing 320 bytes of the payload (FNV-1a) into
 * the running state and tail-calling the next, TAIL_STAGES times in all
 * (the kernel allows 33 tail calls per run). The state lives in a global
 * (the .bss array map): a tail call keeps the context, not the stack.
 */
#include "bench.h"

#define TAIL_STAGES 32

int tail_stage0(struct xdp_md *ctx);
int tail_stage1(struct xdp_md *ctx);
int tail_stage2(struct xdp_md *ctx);
int tail_stage3(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, int (void *));
} chain SEC(".maps") = {
	.values = {
		[0] = (void *)&tail_stage0,
		[1] = (void *)&tail_stage1,
		[2] = (void *)&tail_stage2,
		[3] = (void *)&tail_stage3,
	},
};


static struct {
	__u32 depth;
	__u32 pad;
	__u64 acc;
} st;

static __always_inline int stage(struct xdp_md *ctx, __u32 k)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 d = st.depth, i;
	const __u8 *p = (const __u8 *)data + HDR_LEN + (d & 7) * 256;
	__u64 h = 0xcbf29ce484222325ULL;

	if ((void *)(p + 320) > data_end)
		return 0;
	for (i = 0; i < 320; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	st.acc = mix64(st.acc ^ h ^ k);
	st.depth = d + 1;
	if (d + 1 < TAIL_STAGES)
		tail_call(ctx, &chain, (k + 1) & 3);
	return fold32(st.acc) ^ st.depth;
}

SEC("xdp")
int tail_stage0(struct xdp_md *ctx) { return stage(ctx, 0); }
SEC("xdp")
int tail_stage1(struct xdp_md *ctx) { return stage(ctx, 1); }
SEC("xdp")
int tail_stage2(struct xdp_md *ctx) { return stage(ctx, 2); }
SEC("xdp")
int tail_stage3(struct xdp_md *ctx) { return stage(ctx, 3); }

SEC("xdp")
int tailcall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct bench_hdr *h = data;

	if ((void *)(h + 1) > data_end)
		return 0;
	st.depth = 0;
	st.acc = h->seed;
	tail_call(ctx, &chain, 0);
	return 0xdead;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
