/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * callbacks.c: the everyday callback and loop idioms, which a verifier must
 * accept quickly (the kernel processes a few dozen to a few hundred
 * instructions for each).
 *
 * xdp_loop_ctx_count:   bpf_loop() whose callback increments a counter in
 *                       the caller's stack through a context struct.
 * xdp_loop_u64_inc:     bpf_loop() over a constant count, the callback does
 *                       (*(u64 *)data)++.
 * xdp_loop_index_sum:   the callback adds its index to the context (s.c += i)
 *                       and stops early.
 * xdp_loop_nested:      a bpf_loop() callback that runs bpf_loop() itself.
 * xdp_each_array_sum:   bpf_for_each_map_elem() summing an ARRAY's values
 *                       into a counter on the caller's stack.
 * xdp_each_hash_count:  bpf_for_each_map_elem() counting a HASH's elements
 *                       and keeping the largest value.
 * xdp_may_goto_sum:     an open loop bounded by may_goto (the kernel's
 *                       can_loop), summing bytes.
 * xdp_may_goto_break:   a while (1) loop ended by may_goto (cond_break).
 *
 * Each program writes its result to cb_results[its number] and returns
 * XDP_PASS.
 */
#include "common.h"


struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} cb_results SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} cb_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32);
	__type(key, __u32);
	__type(value, __u64);
} cb_hash SEC(".maps");

/* may_goto, as the kernel's bpf_experimental.h can_loop and cond_break
 * spell it: the jump is taken once the loop budget is spent. */
#define loop_budget_left                                               \
	({                                                             \
		__label__ l_break, l_continue;                         \
		int ok = 1;                                            \
		asm volatile goto("may_goto %l[l_break]" :::: l_break); \
		goto l_continue;                                       \
	l_break:                                                       \
		ok = 0;                                                \
	l_continue:;                                                   \
		ok;                                                    \
	})

static void put_result(__u32 slot, __u64 v)
{
	bpf_map_update_elem(&cb_results, &slot, &v, BPF_ANY);
}

struct counter {
	__u64 c;
};

static long count_step(__u32 index, void *data)
{
	((struct counter *)data)->c += 1;
	return 0;
}

SEC("xdp")
int xdp_loop_ctx_count(struct xdp_md *ctx)
{
	struct counter s = {};
	__u32 n = ctx->data_end - ctx->data;

	bpf_loop(n, count_step, &s, 0);
	put_result(0, s.c);
	return XDP_PASS;
}

static long inc_step(__u32 index, void *data)
{
	(*(__u64 *)data)++;
	return 0;
}

SEC("xdp")
int xdp_loop_u64_inc(struct xdp_md *ctx)
{
	__u64 c = 0;

	bpf_loop(1000, inc_step, &c, 0);
	put_result(1, c);
	return XDP_PASS;
}

struct index_sum {
	__u64 c;
	__u32 stop;
};

static long sum_step(__u32 i, void *data)
{
	struct index_sum *s = data;

	if (i >= s->stop)
		return 1;
	s->c += i;
	return 0;
}

SEC("xdp")
int xdp_loop_index_sum(struct xdp_md *ctx)
{
	struct index_sum s = {.stop = ctx->data_end - ctx->data};

	bpf_loop(100, sum_step, &s, 0);
	put_result(2, s.c);
	return XDP_PASS;
}

static long inner_step(__u32 i, void *data)
{
	*(__u64 *)data += i;
	return 0;
}

static long outer_step(__u32 i, void *data)
{
	__u64 inner = 0;

	bpf_loop(i, inner_step, &inner, 0);
	*(__u64 *)data += inner;
	return 0;
}

SEC("xdp")
int xdp_loop_nested(struct xdp_md *ctx)
{
	__u64 total = 0;
	__u32 n = ctx->data_end - ctx->data;

	bpf_loop(n & 63, outer_step, &total, 0);
	put_result(3, total);
	return XDP_PASS;
}

static long array_sum_step(void *map, __u32 *key, __u64 *value, void *data)
{
	*(__u64 *)data += *value;
	return 0;
}

SEC("xdp")
int xdp_each_array_sum(struct xdp_md *ctx)
{
	__u64 sum = 0;

	bpf_for_each_map_elem(&cb_array, array_sum_step, &sum, 0);
	put_result(4, sum);
	return XDP_PASS;
}

struct hash_stats {
	__u64 count;
	__u64 max;
};

static long hash_count_step(void *map, __u32 *key, __u64 *value, void *data)
{
	struct hash_stats *s = data;

	s->count++;
	if (*value > s->max)
		s->max = *value;
	return 0;
}

SEC("xdp")
int xdp_each_hash_count(struct xdp_md *ctx)
{
	struct hash_stats s = {};

	bpf_for_each_map_elem(&cb_hash, hash_count_step, &s, 0);
	put_result(5, s.count << 32 | s.max);
	return XDP_PASS;
}

SEC("xdp")
int xdp_may_goto_sum(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 sum = 0;

	for (__u32 i = 0; i < 256 && loop_budget_left; i++) {
		__u8 *p = data + i;

		if ((void *)(p + 1) > data_end)
			break;
		sum += *p;
	}
	put_result(6, sum);
	return XDP_PASS;
}

SEC("xdp")
int xdp_may_goto_break(struct xdp_md *ctx)
{
	__u64 x = ctx->data_end - ctx->data, steps = 0;

	while (x > 1) {
		if (!loop_budget_left)
			break;
		x = x & 1 ? 3 * x + 1 : x / 2;
		steps++;
	}
	put_result(7, steps);
	return XDP_PASS;
}
