/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * hashmap.c: hash map churn. Inserts hdr.n keys, looks up 2 * hdr.n keys
 * (half of them present), deletes the n keys again, and returns a checksum
 * of the values found and of the helpers' results. The map is empty again
 * after every run.
 *
 * The three phases are bpf_loop callbacks, so the number of keys is an
 * input: the same object serves for the cost-growth measurement.
 */
#include "bench.h"

#define HASH_MAX 16384

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HASH_MAX);
	__type(key, __u64);
	__type(value, __u64);
} churn SEC(".maps");

struct churn_state {
	__u64 seed;
	__u64 sum;
	__u32 found;
	__u32 errors;
};

static __always_inline __u64 churn_key(struct churn_state *st, __u32 i)
{
	return mix64(st->seed + i); /* a bijection: distinct i, distinct keys */
}

static long insert_one(__u32 i, void *ctx)
{
	struct churn_state *st = ctx;
	__u64 key = churn_key(st, i);
	__u64 value = key ^ i;

	if (bpf_map_update_elem(&churn, &key, &value, BPF_NOEXIST))
		st->errors++;
	return 0;
}

static long lookup_one(__u32 i, void *ctx)
{
	struct churn_state *st = ctx;
	__u64 key = churn_key(st, i >> 1) ^ (i & 1); /* odd i: a key that is absent (almost surely) */
	__u64 *v = bpf_map_lookup_elem(&churn, &key);

	if (v) {
		st->sum += *v;
		st->found++;
	}
	return 0;
}

static long delete_one(__u32 i, void *ctx)
{
	struct churn_state *st = ctx;
	__u64 key = churn_key(st, i);

	if (bpf_map_delete_elem(&churn, &key))
		st->errors++;
	return 0;
}

SEC("xdp")
int hashmap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct bench_hdr *h = data;
	struct churn_state st = {};
	__u32 n;

	if ((void *)(h + 1) > data_end)
		return 0;
	n = h->n;
	if (n > HASH_MAX)
		n = HASH_MAX;
	st.seed = h->seed;
	bpf_loop(n, insert_one, &st, 0);
	bpf_loop(2 * n, lookup_one, &st, 0);
	bpf_loop(n, delete_one, &st, 0);
	return fold32(st.sum) ^ (st.found << 8) ^ (st.errors << 24);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
