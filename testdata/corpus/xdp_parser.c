/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * xdp_parser.c: a defensive XDP header parser.
 *
 * Walks Ethernet, up to two VLAN tags (802.1Q and 802.1ad/QinQ), IPv4 with
 * options (the options are walked and counted), IPv6 with up to
 * MAX_IPV6_EXT extension headers, and TCP/UDP/ICMP/ICMPv6. Every header is
 * counted (packets and bytes) in an array map indexed by enum stat_idx, and
 * the result of the last parse is written to a one-element array so that a
 * test can see exactly what the parser found.
 *
 * Verdicts: truncated or malformed packets are dropped, telnet (TCP port 23)
 * is dropped, ICMPv6 redirects are dropped, everything else passes.
 *
 * Offsets are kept as bounded scalars and every access re-derives a pointer
 * from data + offset and checks it against data_end, the pattern the
 * verifier understands best.
 */
#include "common.h"

#define MAX_VLAN_DEPTH 2
#define MAX_IPV6_EXT   6
#define MAX_IPV4_OPTS  12
#define MAX_L3_OFF     (ETH_HLEN + MAX_VLAN_DEPTH * 4)

enum stat_idx {
	ST_TOTAL,
	ST_VLAN,
	ST_QINQ,
	ST_ARP,
	ST_IPV4,
	ST_IPV4_OPTIONS,
	ST_IPV4_FRAGMENT,
	ST_IPV6,
	ST_IPV6_EXT,
	ST_IPV6_FRAGMENT,
	ST_TCP,
	ST_UDP,
	ST_ICMP,
	ST_ICMPV6,
	ST_OTHER_L3,
	ST_OTHER_L4,
	ST_MALFORMED,
	ST_DROPPED,
	ST_MAX,
};

struct counter {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ST_MAX);
	__type(key, __u32);
	__type(value, struct counter);
} parser_stats SEC(".maps");

/* What the parser found in the last packet. No padding: every byte is set. */
struct parse_result {
	__u16 l2_proto;    /* innermost EtherType, host order */
	__u16 l3_off;      /* offset of the IP header */
	__u16 l4_off;      /* offset of the transport header */
	__u16 vlan_ids[MAX_VLAN_DEPTH];
	__u16 sport;       /* host order; ICMP: id */
	__u16 dport;       /* host order; ICMP: type << 8 | code */
	__u8 vlan_depth;
	__u8 l4_proto;     /* IPPROTO_*, 0 if none */
	__u8 ip_options;   /* IPv4 options seen */
	__u8 ext_headers;  /* IPv6 extension headers walked */
	__u8 tcp_flags;
	__u8 ttl;          /* IPv4 TTL or IPv6 hop limit */
	__u8 fragment;     /* 1 if a non-first or first fragment */
	__u8 verdict;
	__u32 payload_len; /* bytes after the transport header */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct parse_result);
} parser_last SEC(".maps");

static __always_inline void count(__u32 idx, __u64 len)
{
	struct counter *c = bpf_map_lookup_elem(&parser_stats, &idx);

	if (!c)
		return;
	/* Atomic adds: XDP runs concurrently on every CPU. */
	__sync_fetch_and_add(&c->packets, 1);
	__sync_fetch_and_add(&c->bytes, len);
}

/* Walk IPv4 options; returns the number seen or -1 when malformed. */
static __always_inline int walk_ipv4_options(void *data, void *data_end, __u32 off, __u32 end)
{
	int n = 0;

	for (int i = 0; i < MAX_IPV4_OPTS; i++) {
		__u8 *p;

		if (off >= end || off > MAX_L3_OFF + 60)
			break;
		p = data + off;
		if ((void *)(p + 1) > data_end)
			return -1;
		if (p[0] == IPOPT_END)
			break;
		n++;
		if (p[0] == IPOPT_NOOP) {
			off++;
			continue;
		}
		if ((void *)(p + 2) > data_end)
			return -1;
		if (p[1] < 2)
			return -1;
		off += p[1];
	}
	if (off > end)
		return -1;
	return n;
}

static __always_inline int parse(struct xdp_md *ctx, struct parse_result *r)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 len = data_end - data;
	struct ethhdr *eth = data;
	__u32 off = sizeof(*eth);
	__u16 proto;
	__u8 l4;

	count(ST_TOTAL, len);
	if ((void *)(eth + 1) > data_end)
		return -1;
	proto = bpf_ntohs(eth->h_proto);

	/* VLAN tags, outermost first. */
	for (int i = 0; i < MAX_VLAN_DEPTH; i++) {
		struct vlan_tag *tag;

		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		tag = data + off;
		if ((void *)(tag + 1) > data_end)
			return -1;
		count(proto == ETH_P_8021AD ? ST_QINQ : ST_VLAN, len);
		r->vlan_ids[i] = bpf_ntohs(tag->tci) & 0x0fff;
		r->vlan_depth++;
		proto = bpf_ntohs(tag->inner_proto);
		off += sizeof(*tag);
	}
	r->l2_proto = proto;
	r->l3_off = off;

	if (proto == ETH_P_IP) {
		struct iphdr *iph = data + off;
		__u32 hlen;
		int opts;

		if ((void *)(iph + 1) > data_end)
			return -1;
		count(ST_IPV4, len);
		if (iph->version != 4 || iph->ihl < 5)
			return -1;
		hlen = iph->ihl * 4;
		if (hlen > sizeof(*iph)) {
			opts = walk_ipv4_options(data, data_end, off + sizeof(*iph), off + hlen);
			if (opts < 0)
				return -1;
			r->ip_options = opts;
			count(ST_IPV4_OPTIONS, len);
		}
		r->ttl = iph->ttl;
		if (bpf_ntohs(iph->frag_off) & (IP_MF | IP_OFFSET)) {
			r->fragment = 1;
			count(ST_IPV4_FRAGMENT, len);
			/* Only the first fragment carries the L4 header. */
			if (bpf_ntohs(iph->frag_off) & IP_OFFSET)
				return 0;
		}
		l4 = iph->protocol;
		off += hlen;
	} else if (proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = data + off;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		count(ST_IPV6, len);
		if (ip6->version != 6)
			return -1;
		r->ttl = ip6->hop_limit;
		l4 = ip6->nexthdr;
		off += sizeof(*ip6);

		/* Extension headers: a bounded walk; give up after MAX_IPV6_EXT. */
		for (int i = 0; i < MAX_IPV6_EXT; i++) {
			__u8 *ext;
			__u32 elen;

			if (l4 != NEXTHDR_HOP && l4 != NEXTHDR_ROUTING && l4 != NEXTHDR_DEST &&
			    l4 != NEXTHDR_FRAGMENT && l4 != NEXTHDR_AUTH)
				break;
			if (off > 512)
				return -1;
			ext = data + off;
			if ((void *)(ext + 8) > data_end)
				return -1;
			count(ST_IPV6_EXT, len);
			r->ext_headers++;
			if (l4 == NEXTHDR_FRAGMENT) {
				r->fragment = 1;
				count(ST_IPV6_FRAGMENT, len);
				elen = 8;
				/* Fragment offset is the top 13 bits of bytes 2-3. */
				if ((((__u16)ext[2] << 8 | ext[3]) & 0xfff8) != 0) {
					r->l4_proto = ext[0];
					return 0;
				}
			} else if (l4 == NEXTHDR_AUTH) {
				elen = ((__u32)ext[1] + 2) * 4;
			} else {
				elen = ((__u32)ext[1] + 1) * 8;
			}
			l4 = ext[0];
			off += elen;
		}
		if (l4 == NEXTHDR_HOP || l4 == NEXTHDR_ROUTING || l4 == NEXTHDR_DEST ||
		    l4 == NEXTHDR_FRAGMENT || l4 == NEXTHDR_AUTH)
			return -1; /* too many extension headers: treat as malformed */
	} else if (proto == ETH_P_ARP) {
		count(ST_ARP, len);
		return 0;
	} else {
		count(ST_OTHER_L3, len);
		return 0;
	}

	if (off > 1024)
		return -1;
	r->l4_proto = l4;
	r->l4_off = off;

	switch (l4) {
	case IPPROTO_TCP: {
		struct tcphdr *th = data + off;
		__u32 thlen;

		if ((void *)(th + 1) > data_end)
			return -1;
		count(ST_TCP, len);
		thlen = th->doff * 4;
		if (thlen < sizeof(*th))
			return -1;
		r->sport = bpf_ntohs(th->source);
		r->dport = bpf_ntohs(th->dest);
		/* Byte 13 of the TCP header holds CWR..FIN. */
		r->tcp_flags = ((__u8 *)th)[13];
		off += thlen;
		break;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = data + off;

		if ((void *)(uh + 1) > data_end)
			return -1;
		count(ST_UDP, len);
		if (bpf_ntohs(uh->len) < sizeof(*uh))
			return -1;
		r->sport = bpf_ntohs(uh->source);
		r->dport = bpf_ntohs(uh->dest);
		off += sizeof(*uh);
		break;
	}
	case IPPROTO_ICMP: {
		struct icmp_hdr *ih = data + off;

		if ((void *)(ih + 1) > data_end)
			return -1;
		count(ST_ICMP, len);
		r->sport = bpf_ntohs(ih->id);
		r->dport = (__u16)ih->type << 8 | ih->code;
		off += sizeof(*ih);
		break;
	}
	case IPPROTO_ICMPV6: {
		struct icmp6hdr *ih6 = data + off;

		if ((void *)(ih6 + 1) > data_end)
			return -1;
		count(ST_ICMPV6, len);
		r->dport = (__u16)ih6->icmp6_type << 8 | ih6->icmp6_code;
		off += sizeof(*ih6);
		break;
	}
	default:
		count(ST_OTHER_L4, len);
		return 0;
	}
	if (data + off > data_end)
		return -1;
	r->payload_len = (data_end - data) - off;
	return 0;
}

SEC("xdp")
int xdp_parse(struct xdp_md *ctx)
{
	struct parse_result r;
	__u32 zero = 0;
	int verdict = XDP_PASS;
	__u64 len = ctx->data_end - ctx->data;

	__builtin_memset(&r, 0, sizeof(r));
	if (parse(ctx, &r) < 0) {
		count(ST_MALFORMED, len);
		verdict = XDP_DROP;
	} else if (r.l4_proto == IPPROTO_TCP && r.dport == 23) {
		verdict = XDP_DROP;
	} else if (r.l4_proto == IPPROTO_ICMPV6 && (r.dport >> 8) == ICMPV6_REDIRECT) {
		verdict = XDP_DROP;
	}
	if (verdict == XDP_DROP)
		count(ST_DROPPED, len);
	r.verdict = verdict;
	bpf_map_update_elem(&parser_last, &zero, &r, BPF_ANY);
	return verdict;
}
