/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * maps_misc.c: the less common map types, one small program each.
 *
 * xdp_lru:        an LRU_HASH flow table (5-tuple -> counters).
 * xdp_queue_stack: a QUEUE and a STACK of frame lengths. A UDP payload
 *                 starting with 'P' pops one element from each (the popped
 *                 values are recorded); other frames push, and a full
 *                 queue/stack drops its oldest/bottom element (BPF_EXIST).
 * xdp_bloom:      a BLOOM_FILTER of IPv4 sources. UDP to port 1000 adds
 *                 the source; every other IPv4 frame asks whether its
 *                 source was seen.
 * xdp_map_in_map: a HASH_OF_MAPS from VLAN ID to a per-tenant counter array
 *                 and an ARRAY_OF_MAPS from IP protocol class to a
 *                 per-class hash of sources. The inner maps are created
 *                 and installed by user space.
 */
#include "common.h"

/* ---- LRU hash ---------------------------------------------------------- */

struct flow_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct flow_stats {
	__u64 packets;
	__u64 bytes;
	__u32 first_len;
	__u32 last_len;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct flow_key);
	__type(value, struct flow_stats);
} lru_flows SEC(".maps");

/* Fills k from an untagged IPv4 frame without options; 0 on success. */
static __always_inline int ipv4_flow(struct xdp_md *ctx, struct flow_key *k, __u8 **payload)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);

	__builtin_memset(k, 0, sizeof(*k));
	if ((void *)(iph + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || iph->ihl != 5)
		return -1;
	k->saddr = iph->saddr;
	k->daddr = iph->daddr;
	k->proto = iph->protocol;
	*payload = 0;
	if (iph->protocol == IPPROTO_TCP || iph->protocol == IPPROTO_UDP) {
		__be16 *ports = (void *)(iph + 1);

		if ((void *)(ports + 2) > data_end)
			return -1;
		k->sport = ports[0];
		k->dport = ports[1];
		if (iph->protocol == IPPROTO_UDP)
			*payload = (void *)(iph + 1) + sizeof(struct udphdr);
	}
	return 0;
}

SEC("xdp")
int xdp_lru(struct xdp_md *ctx)
{
	struct flow_key k;
	struct flow_stats *st;
	__u8 *payload;
	__u32 len = ctx->data_end - ctx->data;

	if (ipv4_flow(ctx, &k, &payload) < 0)
		return XDP_PASS;
	st = bpf_map_lookup_elem(&lru_flows, &k);
	if (!st) {
		struct flow_stats init = { .first_len = len };

		if (bpf_map_update_elem(&lru_flows, &k, &init, BPF_NOEXIST) < 0)
			return XDP_ABORTED;
		st = bpf_map_lookup_elem(&lru_flows, &k);
		if (!st)
			return XDP_ABORTED;
	}
	__sync_fetch_and_add(&st->packets, 1);
	__sync_fetch_and_add(&st->bytes, len);
	st->last_len = len;
	return XDP_PASS;
}

/* ---- queue and stack --------------------------------------------------- */

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 8);
	__type(value, __u32);
} len_queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 8);
	__type(value, __u32);
} len_stack SEC(".maps");

struct qs_result {
	__u32 pushes;
	__u32 pops;
	__u32 popped_queue; /* last value popped from the queue */
	__u32 popped_stack;
	__u32 peeked_queue; /* what peek saw after the pop */
	__u32 empty;        /* pops that found the container empty */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct qs_result);
} qs_results SEC(".maps");

SEC("xdp")
int xdp_queue_stack(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	__u32 zero = 0, len = ctx->data_end - ctx->data;
	struct qs_result *r = bpf_map_lookup_elem(&qs_results, &zero);
	struct flow_key k;
	__u8 *payload;

	if (!r)
		return XDP_ABORTED;
	if (ipv4_flow(ctx, &k, &payload) == 0 && payload && (void *)(payload + 1) <= data_end &&
	    payload[0] == 'P') {
		__u32 v;

		r->pops++;
		if (bpf_map_pop_elem(&len_queue, &v) == 0)
			r->popped_queue = v;
		else
			r->empty++;
		if (bpf_map_pop_elem(&len_stack, &v) == 0)
			r->popped_stack = v;
		else
			r->empty++;
		v = 0;
		if (bpf_map_peek_elem(&len_queue, &v) == 0)
			r->peeked_queue = v;
		else
			r->peeked_queue = 0;
		return XDP_DROP;
	}
	/* BPF_EXIST: when full, the queue drops its oldest element and the
	 * stack its bottom one to make room. */
	if (bpf_map_push_elem(&len_queue, &len, BPF_EXIST) < 0)
		return XDP_ABORTED;
	if (bpf_map_push_elem(&len_stack, &len, BPF_EXIST) < 0)
		return XDP_ABORTED;
	r->pushes++;
	return XDP_PASS;
}

/* ---- bloom filter ------------------------------------------------------ */

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 256);
	__uint(map_extra, 3); /* hash functions */
	__type(value, __be32);
} seen_sources SEC(".maps");

struct bloom_result {
	__u64 added;
	__u64 maybe_seen;
	__u64 not_seen;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bloom_result);
} bloom_results SEC(".maps");

SEC("xdp")
int xdp_bloom(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct bloom_result *r = bpf_map_lookup_elem(&bloom_results, &zero);
	struct flow_key k;
	__u8 *payload;

	if (!r)
		return XDP_ABORTED;
	if (ipv4_flow(ctx, &k, &payload) < 0)
		return XDP_PASS;
	if (k.proto == IPPROTO_UDP && k.dport == bpf_htons(1000)) {
		if (bpf_map_push_elem(&seen_sources, &k.saddr, BPF_ANY) < 0)
			return XDP_ABORTED;
		r->added++;
		return XDP_PASS;
	}
	if (bpf_map_peek_elem(&seen_sources, &k.saddr) == 0) {
		r->maybe_seen++;
		return XDP_PASS;
	}
	r->not_seen++;
	return XDP_DROP;
}

/* ---- maps of maps ------------------------------------------------------ */

struct tenant_counters {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
};

/* Two inner maps for user space to install; same shape as the template. */
struct tenant_counters tenant_a SEC(".maps");
struct tenant_counters tenant_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 16);
	__type(key, __u32); /* VLAN ID */
	__array(values, struct tenant_counters);
} tenants SEC(".maps");

struct class_sources {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32);
	__type(key, __be32);
	__type(value, __u64);
};

struct class_sources class_tcp SEC(".maps");
struct class_sources class_other SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32); /* 0: TCP, 1: everything else */
	__array(values, struct class_sources);
} classes SEC(".maps");

SEC("xdp")
int xdp_map_in_map(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct vlan_tag *tag = (void *)(eth + 1);
	struct iphdr *iph = (void *)(tag + 1);
	__u32 vlan, slot;
	void *inner;

	/* Only 802.1Q-tagged IPv4. */
	if ((void *)(iph + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_8021Q) ||
	    tag->inner_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	vlan = bpf_ntohs(tag->tci) & 0x0fff;

	inner = bpf_map_lookup_elem(&tenants, &vlan);
	if (!inner)
		return XDP_DROP; /* unknown tenant */
	slot = iph->protocol & 3;
	__u64 *c = bpf_map_lookup_elem(inner, &slot);
	if (c)
		__sync_fetch_and_add(c, 1);

	slot = iph->protocol == IPPROTO_TCP ? 0 : 1;
	inner = bpf_map_lookup_elem(&classes, &slot);
	if (!inner)
		return XDP_PASS;
	__be32 src = iph->saddr;
	c = bpf_map_lookup_elem(inner, &src);
	if (c) {
		__sync_fetch_and_add(c, 1);
	} else {
		__u64 one = 1;

		bpf_map_update_elem(inner, &src, &one, BPF_NOEXIST);
	}
	return XDP_PASS;
}
