/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * tailcall.c: a tail-call dispatcher.
 *
 * xdp_dispatch parses Ethernet and tail-calls the L3 handler for the
 * EtherType through the PROG_ARRAY tail_progs; the L3 handlers tail-call
 * an L4 handler, and the L4 handlers tail-call xdp_account, which ends the
 * chain: up to four programs per packet. State travels between the
 * programs in a per-CPU scratch map (a tail call keeps the context but not
 * the stack). Each program records itself in scratch.path, one nibble per
 * hop, and xdp_account publishes the path in tail_last.
 *
 * An empty slot makes bpf_tail_call return; every caller then falls back
 * to a verdict of its own and counts a miss.
 *
 * xdp_tail_self tail-calls itself through self_progs until the kernel's
 * limit of 33 tail calls per run stops it; its run count shows where the
 * limit is.
 */
#include "common.h"

enum slot {
	SLOT_IPV4 = 0,
	SLOT_IPV6 = 1,
	SLOT_TCP = 2,
	SLOT_UDP = 3,
	SLOT_ICMP = 4,
	SLOT_ACCOUNT = 5,
	SLOT_MAX = 8,
};

/* Path nibbles. */
enum hop {
	HOP_DISPATCH = 1,
	HOP_IPV4 = 2,
	HOP_IPV6 = 3,
	HOP_TCP = 4,
	HOP_UDP = 5,
	HOP_ICMP = 6,
	HOP_ACCOUNT = 7,
};

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SLOT_MAX);
	__type(key, __u32);
	__type(value, __u32);
} tail_progs SEC(".maps");

struct scratch {
	__u32 path;     /* hops, one nibble each, first hop lowest */
	__u16 l3_off;
	__u16 l4_off;
	__u16 eth_proto;
	__u8 l4_proto;
	__u8 hops;
	__u32 verdict;  /* proposed by the L4 handler */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} tail_scratch SEC(".maps");

struct tail_summary {
	__u32 path;
	__u32 hops;
	__u32 verdict;
	__u32 l4_proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tail_summary);
} tail_last SEC(".maps");

/* Per-hop visit counters plus misses, indexed by enum hop (0 = misses). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} tail_hits SEC(".maps");

static __always_inline struct scratch *scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&tail_scratch, &zero);
}

static __always_inline void hit(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&tail_hits, &idx);

	if (c)
		__sync_fetch_and_add(c, 1);
}

static __always_inline void visit(struct scratch *s, __u32 hop)
{
	s->path |= hop << ((s->hops & 7) * 4);
	s->hops++;
	hit(hop);
}

/* Tail-calls slot; returns only if the slot is empty. */
static __always_inline int chain(struct xdp_md *ctx, __u32 slot, int fallback)
{
	bpf_tail_call(ctx, &tail_progs, slot);
	hit(0);
	return fallback;
}

SEC("xdp")
int xdp_dispatch(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct scratch *s = scratch();

	if (!s)
		return XDP_ABORTED;
	__builtin_memset(s, 0, sizeof(*s));
	s->verdict = XDP_PASS;
	visit(s, HOP_DISPATCH);
	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	s->eth_proto = bpf_ntohs(eth->h_proto);
	s->l3_off = sizeof(*eth);
	if (s->eth_proto == ETH_P_IP)
		return chain(ctx, SLOT_IPV4, XDP_PASS);
	if (s->eth_proto == ETH_P_IPV6)
		return chain(ctx, SLOT_IPV6, XDP_PASS);
	return XDP_PASS;
}

static __always_inline int to_l4(struct xdp_md *ctx, struct scratch *s)
{
	switch (s->l4_proto) {
	case IPPROTO_TCP:
		return chain(ctx, SLOT_TCP, XDP_PASS);
	case IPPROTO_UDP:
		return chain(ctx, SLOT_UDP, XDP_PASS);
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return chain(ctx, SLOT_ICMP, XDP_PASS);
	}
	return chain(ctx, SLOT_ACCOUNT, XDP_PASS);
}

SEC("xdp")
int xdp_ipv4(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct scratch *s = scratch();
	struct iphdr *iph;

	if (!s)
		return XDP_ABORTED;
	visit(s, HOP_IPV4);
	iph = data + sizeof(struct ethhdr);
	if ((void *)(iph + 1) > data_end || iph->ihl < 5)
		return XDP_DROP;
	s->l4_proto = iph->protocol;
	s->l4_off = sizeof(struct ethhdr) + iph->ihl * 4;
	return to_l4(ctx, s);
}

SEC("xdp")
int xdp_ipv6(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct scratch *s = scratch();
	struct ipv6hdr *ip6;

	if (!s)
		return XDP_ABORTED;
	visit(s, HOP_IPV6);
	ip6 = data + sizeof(struct ethhdr);
	if ((void *)(ip6 + 1) > data_end)
		return XDP_DROP;
	s->l4_proto = ip6->nexthdr;
	s->l4_off = sizeof(struct ethhdr) + sizeof(*ip6);
	return to_l4(ctx, s);
}

/* Loads the 16-bit port pair word at l4_off + idx*2, or -1 if out of bounds. */
static __always_inline int l4_port(struct xdp_md *ctx, struct scratch *s, int idx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = s->l4_off;
	__be16 *p;

	if (off > 128)
		return -1;
	p = data + off;
	if ((void *)(p + 2) > data_end)
		return -1;
	return bpf_ntohs(p[idx & 1]);
}

SEC("xdp")
int xdp_tcp(struct xdp_md *ctx)
{
	struct scratch *s = scratch();

	if (!s)
		return XDP_ABORTED;
	visit(s, HOP_TCP);
	/* Drop anything to port 23 once the chain is done. */
	s->verdict = l4_port(ctx, s, 1) == 23 ? XDP_DROP : XDP_PASS;
	return chain(ctx, SLOT_ACCOUNT, s->verdict);
}

SEC("xdp")
int xdp_udp(struct xdp_md *ctx)
{
	struct scratch *s = scratch();
	int dport;

	if (!s)
		return XDP_ABORTED;
	visit(s, HOP_UDP);
	dport = l4_port(ctx, s, 1);
	s->verdict = dport < 0 ? XDP_DROP : XDP_PASS;
	return chain(ctx, SLOT_ACCOUNT, s->verdict);
}

SEC("xdp")
int xdp_icmp(struct xdp_md *ctx)
{
	struct scratch *s = scratch();

	if (!s)
		return XDP_ABORTED;
	visit(s, HOP_ICMP);
	s->verdict = XDP_PASS;
	return chain(ctx, SLOT_ACCOUNT, s->verdict);
}

SEC("xdp")
int xdp_account(struct xdp_md *ctx)
{
	struct scratch *s = scratch();
	struct tail_summary sum;
	__u32 zero = 0;

	if (!s)
		return XDP_ABORTED;
	visit(s, HOP_ACCOUNT);
	sum.path = s->path;
	sum.hops = s->hops;
	sum.verdict = s->verdict;
	sum.l4_proto = s->l4_proto;
	bpf_map_update_elem(&tail_last, &zero, &sum, BPF_ANY);
	return s->verdict;
}

/* Self-recursion through a tail call, until the kernel says stop. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} self_progs SEC(".maps");

/* .bss: runs of xdp_tail_self in the current and all invocations. */
__u32 self_depth;
__u64 self_total;

SEC("xdp")
int xdp_tail_self(struct xdp_md *ctx)
{
	__u32 d = ++self_depth;

	self_total++;
	bpf_tail_call(ctx, &self_progs, 0);
	/* Reached when the limit is hit (or the slot is empty). */
	self_depth = 0;
	return d;
}
