/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * percpu.c: per-CPU counters.
 *
 * A PERCPU_ARRAY histogram of frame sizes (power-of-two buckets) and a
 * PERCPU_HASH of traffic per (EtherType, IP protocol). Per-CPU maps need no
 * atomics: each CPU owns its copy, and user space sums the copies. The
 * first packet of a class inserts its entry with BPF_NOEXIST, which may
 * race with another CPU: -EEXIST is fine, the lookup after it finds the
 * winner's entry.
 */
#include "common.h"

#define SIZE_BUCKETS 12

struct pcpu_counter {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SIZE_BUCKETS);
	__type(key, __u32);
	__type(value, struct pcpu_counter);
} pcpu_size_hist SEC(".maps");

struct class_key {
	__u16 eth_proto; /* host order */
	__u8 ip_proto;
	__u8 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 64);
	__type(key, struct class_key);
	__type(value, struct pcpu_counter);
} pcpu_by_class SEC(".maps");

/* Bucket b holds frames of 2^(b+5) .. 2^(b+6)-1 bytes; bucket 0 also the tiny ones. */
static __always_inline __u32 size_bucket(__u64 len)
{
	__u32 b = 0;

	len >>= 6;
	while (len && b < SIZE_BUCKETS - 1) {
		len >>= 1;
		b++;
	}
	return b;
}

SEC("xdp")
int xdp_percpu(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 len = data_end - data;
	struct ethhdr *eth = data;
	struct class_key key = {};
	struct pcpu_counter *c;
	__u32 bucket = size_bucket(len);

	c = bpf_map_lookup_elem(&pcpu_size_hist, &bucket);
	if (c) {
		c->packets++;
		c->bytes += len;
	}

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	key.eth_proto = bpf_ntohs(eth->h_proto);
	if (key.eth_proto == ETH_P_IP) {
		struct iphdr *iph = (void *)(eth + 1);

		if ((void *)(iph + 1) <= data_end)
			key.ip_proto = iph->protocol;
	} else if (key.eth_proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) <= data_end)
			key.ip_proto = ip6->nexthdr;
	}

	c = bpf_map_lookup_elem(&pcpu_by_class, &key);
	if (!c) {
		struct pcpu_counter zero = {};

		bpf_map_update_elem(&pcpu_by_class, &key, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&pcpu_by_class, &key);
		if (!c)
			return XDP_ABORTED;
	}
	c->packets++;
	c->bytes += len;
	return XDP_PASS;
}
