/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * calls.c: bpf-to-bpf calls.
 *
 * Non-inlined static functions (__noinline) several levels deep:
 *
 *   xdp_calls -> classify(ctx, &flow, &hist) -> parse_flow(data, end, &flow)
 *                                            -> hash_flow(&flow, seed)
 *                                                 -> mix5(a, b, c, d, e)
 *                                                      -> rotl(x, r)
 *                                            -> histogram(buckets, n, bytes, len, shift)
 *             -> global_score(hash, proto)   (a global function, which the
 *                                             verifier checks on its own)
 *
 * Pointers into the caller's stack are passed down (the flow, the histogram
 * buckets, a byte copy) and written by the callees; mix5 and histogram take
 * all five argument registers.
 */
#include "common.h"

struct flow {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 tos;
	__u16 len;
};

#define HIST_BUCKETS 8

struct call_result {
	struct flow flow;
	__u32 hash;
	__u32 score;
	__u32 class;
	__u32 hist[HIST_BUCKETS];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct call_result);
} call_results SEC(".maps");

static __noinline __u32 rotl(__u32 x, __u32 r)
{
	r &= 31;
	return (x << r) | (x >> ((32 - r) & 31));
}

static __noinline __u32 mix5(__u32 a, __u32 b, __u32 c, __u32 d, __u32 e)
{
	__u32 h = a * 0x9e3779b1;

	h = rotl(h ^ b, 7) * 0x85ebca77;
	h = rotl(h ^ c, 11) * 0xc2b2ae3d;
	h = rotl(h ^ d, 17) * 0x27d4eb2f;
	h ^= e;
	h ^= h >> 15;
	return h;
}

static __noinline __u32 hash_flow(const struct flow *f, __u32 seed)
{
	return mix5(f->saddr, f->daddr, (__u32)f->sport << 16 | f->dport, f->proto, seed);
}

/* Returns 0 when the frame is IPv4 with a parsable L4 header. */
static __noinline int parse_flow(void *data, void *data_end, struct flow *f)
{
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);

	if ((void *)(iph + 1) > data_end)
		return -1;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || iph->ihl != 5)
		return -1;
	f->saddr = iph->saddr;
	f->daddr = iph->daddr;
	f->proto = iph->protocol;
	f->tos = iph->tos;
	f->len = bpf_ntohs(iph->tot_len);
	if (iph->protocol == IPPROTO_TCP || iph->protocol == IPPROTO_UDP) {
		__be16 *ports = (void *)(iph + 1);

		if ((void *)(ports + 2) > data_end)
			return -1;
		f->sport = ports[0];
		f->dport = ports[1];
	}
	return 0;
}

/* Adds bytes[i] >> shift to buckets[i % n]; returns the number of bytes used. */
static __noinline int histogram(__u32 *buckets, __u32 n, const __u8 *bytes, __u32 len, __u32 shift)
{
	int used = 0;

	if (n > HIST_BUCKETS)
		n = HIST_BUCKETS;
	if (n == 0)
		return 0;
	for (__u32 i = 0; i < 16; i++) {
		if (i >= len)
			break;
		buckets[i & (HIST_BUCKETS - 1)] += bytes[i] >> (shift & 7);
		used++;
	}
	return used;
}

static __noinline int classify(struct xdp_md *ctx, struct flow *f, __u32 *hist, __u32 *hash)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 head[16];

	if (parse_flow(data, data_end, f) < 0)
		return 0;
	*hash = hash_flow(f, ctx->ingress_ifindex);

	/* A stack copy of the first 16 bytes, handed down by pointer. */
	__builtin_memset(head, 0, sizeof(head));
	if (data + sizeof(head) <= data_end)
		__builtin_memcpy(head, data, sizeof(head));
	histogram(hist, HIST_BUCKETS, head, sizeof(head), f->proto & 3);

	if (f->proto == IPPROTO_TCP)
		return 1;
	if (f->proto == IPPROTO_UDP)
		return 2;
	return 3;
}

/* A global function: verified once, independently of its callers. */
__noinline int global_score(__u32 hash, __u32 class)
{
	__u32 s = (hash >> 24) + class * 100;

	return s > 300 ? 300 : s;
}

SEC("xdp")
int xdp_calls(struct xdp_md *ctx)
{
	struct call_result res;
	__u32 zero = 0;

	__builtin_memset(&res, 0, sizeof(res));
	res.class = classify(ctx, &res.flow, res.hist, &res.hash);
	res.score = global_score(res.hash, res.class);
	bpf_map_update_elem(&call_results, &zero, &res, BPF_ANY);
	if (res.class == 0)
		return XDP_PASS;
	return res.score >= 250 ? XDP_DROP : XDP_PASS;
}
