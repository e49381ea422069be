/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * parser.c: a switch-heavy packet header parser. The payload holds
 * PARSE_SLOTS small packets in fixed 96-byte slots: Ethernet, up to two
 * VLAN tags, IPv4 (with options), IPv6 (with extension headers) or ARP,
 * then TCP, UDP, ICMP or ICMPv6. parse_one parses one of them the way an
 * XDP firewall does, with a bounds check before every header and a switch
 * at every layer, and returns a hash of what it found: the flow, the
 * class of service it would pick, the TCP state. The program parses the
 * batch PARSE_PASSES times.
 *
 * parse_one is a global function: the kernel's verifier checks it once,
 * for any slot offset.
 */
#include "bench.h"

#define PARSE_SLOT   96
#define PARSE_SLOTS  32
#define PARSE_PASSES 80

/* Our own header layouts (the UAPI ones pull in more than we need). */
struct eth_h {
	__u8 dst[6];
	__u8 src[6];
	__u16 proto;
};

struct vlan_h {
	__u16 tci;
	__u16 proto;
};

struct ipv4_h {
	__u8 ver_ihl;
	__u8 tos;
	__u16 len;
	__u16 id;
	__u16 frag;
	__u8 ttl;
	__u8 proto;
	__u16 csum;
	__u32 src;
	__u32 dst;
};

struct ipv6_h {
	__u32 ver_tc_flow;
	__u16 len;
	__u8 next;
	__u8 hop_limit;
	__u32 src[4];
	__u32 dst[4];
};

struct ext_h {
	__u8 next;
	__u8 len; /* in 8-byte units, not counting the first 8 bytes */
	__u8 pad[6];
};

struct arp_h {
	__u16 htype;
	__u16 ptype;
	__u8 hlen;
	__u8 plen;
	__u16 op;
	__u8 sha[6];
	__u16 spa[2]; /* 2-byte aligned in a real packet */
};

struct ports_h {
	__u16 src;
	__u16 dst;
};

struct tcp_h {
	__u16 src;
	__u16 dst;
	__u32 seq;
	__u32 ack;
	__u8 off;
	__u8 flags;
	__u16 win;
	__u16 csum;
	__u16 urg;
};

struct icmp_h {
	__u8 type;
	__u8 code;
	__u16 csum;
	__u32 rest;
};

#define ETH_IP   0x0800
#define ETH_ARP  0x0806
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8
#define ETH_IP6  0x86dd

enum { CLASS_BULK = 1, CLASS_WEB, CLASS_DNS, CLASS_TIME, CLASS_TUNNEL, CLASS_CONTROL, CLASS_MGMT, CLASS_OTHER };

static __always_inline __u32 port_class(__u16 port)
{
	switch (port) {
	case 80:
	case 443:
	case 8080:
		return CLASS_WEB;
	case 53:
	case 853:
		return CLASS_DNS;
	case 123:
		return CLASS_TIME;
	case 4789:
	case 6081:
		return CLASS_TUNNEL;
	case 22:
	case 161:
	case 179:
		return CLASS_MGMT;
	case 67:
	case 68:
		return CLASS_CONTROL;
	default:
		return port >= 49152 ? CLASS_BULK : CLASS_OTHER;
	}
}

static __always_inline __u32 tcp_state(__u8 flags)
{
	switch (flags & 0x3f) {
	case 0x02: /* SYN */
		return 1;
	case 0x12: /* SYN+ACK */
		return 2;
	case 0x10: /* ACK */
		return 3;
	case 0x18: /* PSH+ACK */
		return 4;
	case 0x11: /* FIN+ACK */
		return 5;
	case 0x04: /* RST */
	case 0x14: /* RST+ACK */
		return 6;
	default:
		return 7;
	}
}

__noinline __u32 parse_one(struct xdp_md *ctx, __u32 off)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct eth_h *eth;
	void *cur;
	__u32 h = 0x811c9dc5, proto, l4 = 0, i;
	__u16 eproto;

	if (off > PAYLOAD_MAX - PARSE_SLOT)
		return 0;
	eth = (struct eth_h *)((__u8 *)data + HDR_LEN + off);
	if ((void *)(eth + 1) > data_end)
		return 0;
	eproto = eth->proto;
	cur = eth + 1;
	for (i = 0; i < 2; i++) {
		struct vlan_h *v = cur;

		if (eproto != be16(ETH_VLAN) && eproto != be16(ETH_QINQ))
			break;
		if ((void *)(v + 1) > data_end)
			return h;
		h = (h ^ (be16(v->tci) & 0xfff)) * 0x01000193;
		eproto = v->proto;
		cur = v + 1;
	}

	switch (eproto) {
	case be16(ETH_IP): {
		struct ipv4_h *ip = cur;
		__u32 ihl;

		if ((void *)(ip + 1) > data_end)
			return h;
		ihl = ip->ver_ihl & 0xf;
		if ((ip->ver_ihl >> 4) != 4 || ihl < 5)
			return h ^ 0xbad4;
		h = (h ^ ip->src) * 0x01000193;
		h = (h ^ ip->dst) * 0x01000193;
		if (ip->frag & be16(0x3fff)) /* a fragment: no L4 header to read */
			return h ^ 0xf4a6;
		proto = ip->proto;
		switch (ip->tos >> 2) {
		case 46: /* EF */
			h ^= 0x46;
			break;
		case 34: /* AF41 */
		case 36:
		case 38:
			h ^= 0x34;
			break;
		case 0:
			break;
		default:
			h ^= 0x99;
		}
		cur = (__u8 *)ip + ihl * 4;
		break;
	}
	case be16(ETH_IP6): {
		struct ipv6_h *ip6 = cur;

		if ((void *)(ip6 + 1) > data_end)
			return h;
		h = (h ^ ip6->src[0] ^ ip6->src[3]) * 0x01000193;
		h = (h ^ ip6->dst[0] ^ ip6->dst[3]) * 0x01000193;
		proto = ip6->next;
		cur = ip6 + 1;
		for (i = 0; i < 2; i++) {
			struct ext_h *x = cur;

			switch (proto) {
			case 0:  /* hop-by-hop options */
			case 43: /* routing */
			case 60: /* destination options */
				if ((void *)(x + 1) > data_end)
					return h;
				proto = x->next;
				cur = (__u8 *)x + 8 + x->len * 8;
				continue;
			}
			break;
		}
		break;
	}
	case be16(ETH_ARP): {
		struct arp_h *arp = cur;

		if ((void *)(arp + 1) > data_end)
			return h;
		switch (be16(arp->op)) {
		case 1:
			return (h ^ 0xa1 ^ arp->spa[0]) * 0x01000193 ^ arp->spa[1];
		case 2:
			return (h ^ 0xa2 ^ arp->spa[0]) * 0x01000193 ^ arp->spa[1];
		default:
			return h ^ 0xa0;
		}
	}
	default:
		return h ^ eproto;
	}

	switch (proto) {
	case 6: {
		struct tcp_h *tcp = cur;

		if ((void *)(tcp + 1) > data_end)
			return h;
		l4 = be16(tcp->src) << 16 | be16(tcp->dst);
		h = (h ^ l4) * 0x01000193;
		h ^= tcp_state(tcp->flags) << 24;
		h ^= port_class(be16(tcp->dst)) << 28;
		break;
	}
	case 17: {
		struct ports_h *udp = cur;

		if ((void *)(udp + 1) > data_end)
			return h;
		l4 = be16(udp->src) << 16 | be16(udp->dst);
		h = (h ^ l4) * 0x01000193;
		h ^= port_class(be16(udp->dst)) << 28;
		break;
	}
	case 1:
	case 58: {
		struct icmp_h *icmp = cur;

		if ((void *)(icmp + 1) > data_end)
			return h;
		switch (icmp->type) {
		case 0:   /* echo reply */
		case 129:
			h ^= 0x100;
			break;
		case 8:   /* echo request */
		case 128:
			h ^= 0x200 ^ icmp->rest;
			break;
		case 3:   /* unreachable */
		case 1:
			h ^= 0x300 + icmp->code;
			break;
		case 11:  /* time exceeded */
		case 2:   /* ICMPv6 packet too big */
			h ^= 0x400;
			break;
		case 135: /* neighbour solicitation */
		case 136: /* neighbour advertisement */
			h ^= 0x500 + icmp->type;
			break;
		default:
			h ^= 0x600;
		}
		h *= 0x01000193;
		break;
	}
	default:
		h ^= proto << 8;
	}
	return h;
}

SEC("xdp")
int parser(struct xdp_md *ctx)
{
	__u32 pass, i, sum = 0;

	for (pass = 0; pass < PARSE_PASSES; pass++)
		for (i = 0; i < PARSE_SLOTS; i++)
			sum = sum * 31 + parse_one(ctx, i * PARSE_SLOT);
	return sum;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
