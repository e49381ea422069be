/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * spinlock.c: bpf_spin_lock around read-modify-write sequences.
 *
 * An array holds global statistics that must stay consistent with each
 * other (count, sum, min, max of frame lengths), so they are updated under
 * the element's lock rather than with independent atomics. A hash keyed by
 * IPv4 source address holds per-source state under a lock as well; new
 * sources are inserted with BPF_NOEXIST first.
 *
 * The map values need BTF (struct bpf_spin_lock is found through it), which
 * clang -g provides.
 */
#include "common.h"

struct len_stats {
	struct bpf_spin_lock lock;
	__u32 min_len;
	__u64 count;
	__u64 sum;
	__u32 max_len;
	__u32 last_len;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct len_stats);
} lock_stats SEC(".maps");

struct source_state {
	struct bpf_spin_lock lock;
	__u32 packets;
	__u64 bytes;
	__u16 last_id;   /* IPv4 identification of the last packet */
	__u16 reorders;  /* packets whose ID went backwards */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __be32);
	__type(value, struct source_state);
} lock_sources SEC(".maps");

SEC("xdp")
int xdp_spinlock(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 len = data_end - data;
	__u32 zero = 0;
	struct len_stats *st = bpf_map_lookup_elem(&lock_stats, &zero);

	if (!st)
		return XDP_ABORTED;
	bpf_spin_lock(&st->lock);
	if (st->count == 0 || len < st->min_len)
		st->min_len = len;
	if (len > st->max_len)
		st->max_len = len;
	st->count++;
	st->sum += len;
	st->last_len = len;
	bpf_spin_unlock(&st->lock);

	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);

	if ((void *)(iph + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;

	__be32 src = iph->saddr;
	__u16 id = bpf_ntohs(iph->id);
	struct source_state *ss = bpf_map_lookup_elem(&lock_sources, &src);
	if (!ss) {
		struct source_state init = {};

		bpf_map_update_elem(&lock_sources, &src, &init, BPF_NOEXIST);
		ss = bpf_map_lookup_elem(&lock_sources, &src);
		if (!ss)
			return XDP_ABORTED;
	}
	bpf_spin_lock(&ss->lock);
	if (ss->packets > 0 && (__s16)(id - ss->last_id) < 0)
		ss->reorders++;
	ss->packets++;
	ss->bytes += len;
	ss->last_id = id;
	bpf_spin_unlock(&ss->lock);
	return XDP_PASS;
}
