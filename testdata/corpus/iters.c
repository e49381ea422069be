/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * iters.c: loops over open-coded numeric iterators (bpf_iter_num_new,
 * _next, _destroy through the macros of iters.h). Each program stores
 * its result in iter_results[its index] and passes the frame.
 *
 * xdp_iter_sum:     ev_for over the frame's first bytes (at most 64),
 *                   summing them (packet bounds checked per byte)
 * xdp_iter_repeat:  ev_repeat(20) stepping a xorshift generator
 * xdp_iter_nested:  nested ev_for, sum of i*j over j < i < 12
 * xdp_iter_break:   ev_for over [0, 1000) leaving at the first i whose
 *                   running sum of i*i exceeds the frame length * 100
 * xdp_iter_index:   ev_for indexing a 16-element array in a map value by
 *                   the loop variable (bounds from the iterator), writing
 *                   then summing it
 * xdp_iter_each:    ev_for_each_num over [-3, 5) through the pointer
 * xdp_iter_edges:   bpf_iter_num_new's errors (start > end: -EINVAL;
 *                   more than 1<<23 iterations: -E2BIG), empty ranges,
 *                   the range at INT_MIN, next after the end
 */
#include "common.h"
#include "iters.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} iter_results SEC(".maps");

struct table {
	__u32 v[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct table);
} iter_table SEC(".maps");

static __always_inline void store(__u32 idx, __u64 val)
{
	bpf_map_update_elem(&iter_results, &idx, &val, BPF_ANY);
}

SEC("xdp")
int xdp_iter_sum(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;
	__u64 sum = 0;
	int i;

	ev_for(i, 0, 64) {
		if (data + i + 1 > end)
			break;
		sum += data[i];
	}
	store(0, sum);
	return XDP_PASS;
}

SEC("xdp")
int xdp_iter_repeat(struct xdp_md *ctx)
{
	__u32 x = ctx->data_end - ctx->data + 1;
	__u64 steps = 0;

	ev_repeat(20) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		steps++;
	}
	store(1, (steps << 32) | x);
	return XDP_PASS;
}

SEC("xdp")
int xdp_iter_nested(struct xdp_md *ctx)
{
	__u64 sum = 0;
	int i, j;

	ev_for(i, 0, 12) {
		ev_for(j, 0, i) {
			sum += (__u64)i * j;
		}
	}
	store(2, sum);
	return XDP_PASS;
}

SEC("xdp")
int xdp_iter_break(struct xdp_md *ctx)
{
	__u64 limit = (ctx->data_end - ctx->data) * 100;
	__u64 acc = 0;
	int i, stop = -1;

	ev_for(i, 0, 1000) {
		acc += (__u64)i * i;
		if (acc > limit) {
			stop = i;
			break;
		}
	}
	store(3, ((__u64)(__u32)stop << 32) | (__u32)acc);
	return XDP_PASS;
}

SEC("xdp")
int xdp_iter_index(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 len = end - data;
	__u32 zero = 0;
	struct table *t = bpf_map_lookup_elem(&iter_table, &zero);
	__u64 sum = 0;
	int i;

	if (!t)
		return XDP_ABORTED;
	ev_for(i, 0, 16) {
		t->v[i] = i * i + len;
	}
	ev_for(i, 0, 16) {
		sum += t->v[i];
	}
	store(4, sum);
	return XDP_PASS;
}

SEC("xdp")
int xdp_iter_each(struct xdp_md *ctx)
{
	__s64 sum = 0;
	__u64 count = 0;
	int *p;

	ev_for_each_num(p, -3, 5) {
		sum += *p * 10;
		count++;
	}
	store(5, (count << 32) | (__u32)sum);
	return XDP_PASS;
}

SEC("xdp")
int xdp_iter_edges(struct xdp_md *ctx)
{
	struct bpf_iter_num it;
	__u64 out = 0;
	int *p;
	int r;

	/* start > end: -EINVAL, and the iterator yields nothing */
	r = bpf_iter_num_new(&it, 5, 3);
	out = (__u64)(__u32)r;
	p = bpf_iter_num_next(&it);
	out = out * 3 + (p ? 1 : 2);
	bpf_iter_num_destroy(&it);
	store(6, out);

	/* more than 1<<23 iterations: -E2BIG */
	r = bpf_iter_num_new(&it, 0, (1 << 23) + 1);
	p = bpf_iter_num_next(&it);
	store(7, ((__u64)(__u32)r << 1) | (p ? 1 : 0));
	bpf_iter_num_destroy(&it);

	/* exactly 1<<23: fine; the first value is 0 */
	r = bpf_iter_num_new(&it, -(1 << 22), 1 << 22);
	p = bpf_iter_num_next(&it);
	store(8, ((__u64)(__u32)r << 32) | (p ? (__u32)*p : 0xdead));
	bpf_iter_num_destroy(&it);

	/* the range at INT_MIN: cur starts one below it */
	r = bpf_iter_num_new(&it, -2147483647 - 1, -2147483647 + 1);
	out = (__u64)(__u32)r;
	p = bpf_iter_num_next(&it);
	out = out << 32 | (p ? (__u32)*p : 0xdead);
	store(9, out);
	p = bpf_iter_num_next(&it);
	out = p ? (__u32)*p : 0xdead;
	p = bpf_iter_num_next(&it);
	out = out << 32 | (p ? (__u32)*p : 0xbeef);
	/* after the end, next keeps returning NULL */
	p = bpf_iter_num_next(&it);
	store(10, out + (p ? 1 : 0));
	bpf_iter_num_destroy(&it);

	/* empty range */
	r = bpf_iter_num_new(&it, 7, 7);
	p = bpf_iter_num_next(&it);
	store(11, ((__u64)(__u32)r << 1) | (p ? 1 : 0));
	bpf_iter_num_destroy(&it);
	return XDP_PASS;
}

