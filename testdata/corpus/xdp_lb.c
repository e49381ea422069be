/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * xdp_lb.c: an XDP firewall in front of a layer-4 load balancer.
 *
 * 1. Firewall: the source address is looked up in an LPM trie of blocked
 *    prefixes (one trie for IPv4, one for IPv6); a match drops the packet
 *    and counts it against the rule ID stored in the trie.
 * 2. Load balancer (IPv4 only): (daddr, dport, proto) is looked up in a hash
 *    of virtual IPs. A VIP owns a contiguous range of backends in an array;
 *    the flow hash picks one. The packet is rewritten in place: destination
 *    MAC and IP and port to the backend's, source MAC to the old
 *    destination MAC, TTL decremented. The IPv4 header checksum is fixed
 *    with bpf_csum_diff (daddr) and by hand (TTL); the TCP/UDP checksum is
 *    fixed by hand (pseudo-header daddr and the port). The packet goes back
 *    out of the same interface: XDP_TX.
 * 3. Anything else passes to the stack.
 */
#include "common.h"

#include <stddef.h>

#define MAX_BACKENDS_PER_VIP 16

struct lpm_v4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct lpm_v6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v4_key);
	__type(value, __u32); /* rule ID */
} fw_blocked_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v6_key);
	__type(value, __u32);
} fw_blocked_v6 SEC(".maps");

/* Per-rule drop counters, indexed by rule ID. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} fw_rule_hits SEC(".maps");

struct vip_key {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 pad;
};

struct vip_info {
	__u32 first_backend; /* index into lb_backends */
	__u32 num_backends;  /* 1..MAX_BACKENDS_PER_VIP */
	__u32 vip_id;        /* index into lb_vip_stats */
	__u32 flags;
};

struct backend {
	__be32 addr;
	__be16 port;
	__u8 mac[6];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct vip_key);
	__type(value, struct vip_info);
} lb_vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct backend);
} lb_backends SEC(".maps");

struct vip_stats {
	__u64 packets;
	__u64 bytes;
	__u64 per_backend[MAX_BACKENDS_PER_VIP];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct vip_stats);
} lb_vip_stats SEC(".maps");

enum lb_counter {
	LB_PASS,
	LB_DROP_FW,
	LB_TX,
	LB_NO_BACKEND,
	LB_TTL_EXCEEDED,
	LB_MAX,
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_MAX);
	__type(key, __u32);
	__type(value, __u64);
} lb_counters SEC(".maps");

static __always_inline int bump(__u32 idx, int verdict)
{
	__u64 *c = bpf_map_lookup_elem(&lb_counters, &idx);

	if (c)
		__sync_fetch_and_add(c, 1);
	return verdict;
}

/* A small avalanche hash of the flow (our own mixing, not jhash). */
static __always_inline __u32 flow_hash(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport, __u8 proto)
{
	__u32 h = 0x9e3779b9;

	h ^= saddr;
	h *= 0x85ebca6b;
	h ^= daddr + proto;
	h = (h << 13) | (h >> 19);
	h *= 0xc2b2ae35;
	h ^= ((__u32)sport << 16) | dport;
	h ^= h >> 16;
	h *= 0x7feb352d;
	h ^= h >> 15;
	return h;
}

static __always_inline int firewall_v4(__be32 saddr)
{
	struct lpm_v4_key key = { .prefixlen = 32 };
	__u32 *rule;

	__builtin_memcpy(key.addr, &saddr, 4);
	rule = bpf_map_lookup_elem(&fw_blocked_v4, &key);
	if (!rule)
		return 0;
	__u32 id = *rule;
	__u64 *hits = bpf_map_lookup_elem(&fw_rule_hits, &id);
	if (hits)
		__sync_fetch_and_add(hits, 1);
	return 1;
}

static __always_inline int firewall_v6(struct ipv6hdr *ip6)
{
	struct lpm_v6_key key = { .prefixlen = 128 };
	__u32 *rule;

	__builtin_memcpy(key.addr, &ip6->saddr, 16);
	rule = bpf_map_lookup_elem(&fw_blocked_v6, &key);
	if (!rule)
		return 0;
	__u32 id = *rule;
	__u64 *hits = bpf_map_lookup_elem(&fw_rule_hits, &id);
	if (hits)
		__sync_fetch_and_add(hits, 1);
	return 1;
}

SEC("xdp")
int xdp_lb(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph;
	__u16 *l4_check;
	__be16 *dport_p;
	__be16 sport;
	__u32 hlen;

	if ((void *)(eth + 1) > data_end)
		return bump(LB_PASS, XDP_PASS);

	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return bump(LB_PASS, XDP_PASS);
		if (firewall_v6(ip6))
			return bump(LB_DROP_FW, XDP_DROP);
		return bump(LB_PASS, XDP_PASS);
	}
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return bump(LB_PASS, XDP_PASS);

	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end)
		return bump(LB_PASS, XDP_PASS);
	if (firewall_v4(iph->saddr))
		return bump(LB_DROP_FW, XDP_DROP);

	/* Only unfragmented TCP and UDP are balanced. */
	if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return bump(LB_PASS, XDP_PASS);
	hlen = iph->ihl * 4;
	if (hlen < sizeof(*iph))
		return bump(LB_PASS, XDP_PASS);

	/*
	 * TCP and UDP both start with the two ports; the checksum is at byte 16
	 * of a TCP header and byte 6 of a UDP header. One bounds check per
	 * header size keeps a single packet pointer for the verifier to track.
	 */
	void *l4h = (void *)iph + hlen;
	if (iph->protocol == IPPROTO_TCP) {
		if (l4h + sizeof(struct tcphdr) > data_end)
			return bump(LB_PASS, XDP_PASS);
		l4_check = l4h + offsetof(struct tcphdr, check);
	} else if (iph->protocol == IPPROTO_UDP) {
		if (l4h + sizeof(struct udphdr) > data_end)
			return bump(LB_PASS, XDP_PASS);
		l4_check = l4h + offsetof(struct udphdr, check);
	} else {
		return bump(LB_PASS, XDP_PASS);
	}
	if (l4h + 4 > data_end) /* always true here; restated for the verifier */
		return bump(LB_PASS, XDP_PASS);
	sport = *(__be16 *)l4h;
	dport_p = l4h + 2;

	struct vip_key vk = {
		.addr = iph->daddr,
		.port = *dport_p,
		.proto = iph->protocol,
	};
	struct vip_info *vip = bpf_map_lookup_elem(&lb_vips, &vk);
	if (!vip)
		return bump(LB_PASS, XDP_PASS);
	if (iph->ttl <= 1)
		return bump(LB_TTL_EXCEEDED, XDP_PASS);

	__u32 n = vip->num_backends;
	if (n == 0 || n > MAX_BACKENDS_PER_VIP)
		return bump(LB_NO_BACKEND, XDP_DROP);
	__u32 slot = flow_hash(iph->saddr, iph->daddr, sport, *dport_p, iph->protocol) % n;
	__u32 idx = vip->first_backend + slot;
	struct backend *be = bpf_map_lookup_elem(&lb_backends, &idx);
	if (!be || be->addr == 0)
		return bump(LB_NO_BACKEND, XDP_DROP);

	__u32 vip_id = vip->vip_id;
	struct vip_stats *vs = bpf_map_lookup_elem(&lb_vip_stats, &vip_id);
	if (vs) {
		__sync_fetch_and_add(&vs->packets, 1);
		__sync_fetch_and_add(&vs->bytes, data_end - data);
		/*
		 * slot < n <= 16, but the verifier does not bound the result of a
		 * modulo by a variable. Clang knows the mask is a no-op and would
		 * drop it; the empty asm hides the value so that the mask stays.
		 */
		__u32 s = slot;
		asm volatile("" : "+r"(s));
		__sync_fetch_and_add(&vs->per_backend[s & (MAX_BACKENDS_PER_VIP - 1)], 1);
	}

	/* L2: the frame goes from us (the old destination) to the backend. */
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, be->mac, ETH_ALEN);

	/* L4 checksum: the pseudo-header's daddr and the port (by hand). */
	__be32 old_daddr = iph->daddr;
	__be32 new_daddr = be->addr;
	__be16 new_port = be->port ? be->port : *dport_p;
	/* A UDP checksum of zero means "none" and must stay zero. */
	if (iph->protocol == IPPROTO_TCP || *l4_check != 0) {
		csum_replace4(l4_check, old_daddr, new_daddr);
		csum_replace2(l4_check, *dport_p, new_port);
		if (iph->protocol == IPPROTO_UDP && *l4_check == 0)
			*l4_check = 0xffff;
	}
	*dport_p = new_port;

	/* IPv4 header checksum: daddr with bpf_csum_diff, TTL by hand. */
	__s64 sum = bpf_csum_diff(&old_daddr, 4, &new_daddr, 4, (__u16)~iph->check);
	if (sum < 0)
		return bump(LB_NO_BACKEND, XDP_ABORTED);
	iph->daddr = new_daddr;
	iph->check = ~csum_fold32((__u32)sum);

	/* TTL shares a 16-bit checksum word with the protocol. */
	__u16 old_word = *(__u16 *)&iph->ttl;
	iph->ttl--;
	csum_replace2(&iph->check, old_word, *(__u16 *)&iph->ttl);

	return bump(LB_TX, XDP_TX);
}
