/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * tc.c: a tc (sched_cls) classifier that rewrites packets.
 *
 * Reads the __sk_buff fields a classifier commonly uses and records them
 * in tc_seen. For IPv4 it then
 *   - re-marks the DSCP (keeping ECN) with bpf_skb_store_bytes, fixing the
 *     header checksum with bpf_l3_csum_replace;
 *   - rewrites a matching TCP/UDP destination port with
 *     bpf_skb_store_bytes, fixing the transport checksum with
 *     bpf_l4_csum_replace (BPF_F_MARK_MANGLED_0 for UDP, where a zero
 *     checksum means "none");
 *   - sets skb->mark, skb->priority, skb->tc_index and skb->cb[0].
 * Headers are read with bpf_skb_load_bytes and with direct packet access
 * (after every store the direct pointers are invalid and are re-derived).
 * Packets to the blocked port are shot.
 */
#include "common.h"

#include <stddef.h>

struct tc_config {
	__u8 dscp;        /* new DSCP, 0..63; 0xff = leave alone */
	__u8 pad;
	__u16 match_port; /* host order; 0 = no port rewrite */
	__u16 new_port;   /* host order */
	__u16 block_port; /* host order; 0 = none */
	__u32 mark;
	__u32 priority;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tc_config);
} tc_cfg SEC(".maps");

/* What the classifier saw of the skb on its last run. */
struct tc_seen {
	__u32 len;
	__u32 pkt_type;
	__u32 mark;
	__u32 priority;
	__u32 ingress_ifindex;
	__u32 ifindex;
	__u32 protocol;   /* as in skb->protocol: network order */
	__u32 vlan_present;
	__u32 cb0;
	__u32 data_len;   /* data_end - data */
	__u32 old_tos;
	__u32 new_tos;
	__u32 old_port;
	__u32 rewrites;   /* bit 0: DSCP, bit 1: port */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tc_seen);
} tc_seen SEC(".maps");

#define IP_OFF    ETH_HLEN
#define TOS_OFF   (IP_OFF + offsetof(struct iphdr, tos))
#define CHECK_OFF (IP_OFF + offsetof(struct iphdr, check))

SEC("tc")
int tc_rewrite(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct tc_config *cfg = bpf_map_lookup_elem(&tc_cfg, &zero);
	struct tc_seen seen;
	struct iphdr iph;
	int action = TC_ACT_OK;

	if (!cfg)
		return TC_ACT_SHOT;

	__builtin_memset(&seen, 0, sizeof(seen));
	seen.len = skb->len;
	seen.pkt_type = skb->pkt_type;
	seen.mark = skb->mark;
	seen.priority = skb->priority;
	seen.ingress_ifindex = skb->ingress_ifindex;
	seen.ifindex = skb->ifindex;
	seen.protocol = skb->protocol;
	seen.vlan_present = skb->vlan_present;
	seen.cb0 = skb->cb[0];
	seen.data_len = skb->data_end - skb->data;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		goto out;
	if (bpf_skb_load_bytes(skb, IP_OFF, &iph, sizeof(iph)) < 0)
		goto out;
	if (iph.ihl != 5)
		goto out;
	seen.old_tos = iph.tos;
	seen.new_tos = iph.tos;

	if (cfg->dscp != 0xff) {
		__u8 tos = (cfg->dscp << 2) | (iph.tos & 3);

		if (tos != iph.tos) {
			/* The checksum is over 16-bit words: TOS shares one with
			 * version/IHL, which does not change. */
			__u16 vihl = *(__u8 *)&iph;
			__be16 old_word = bpf_htons(vihl << 8 | iph.tos);
			__be16 new_word = bpf_htons(vihl << 8 | tos);

			if (bpf_l3_csum_replace(skb, CHECK_OFF, old_word, new_word, 2) < 0)
				return TC_ACT_SHOT;
			if (bpf_skb_store_bytes(skb, TOS_OFF, &tos, 1, 0) < 0)
				return TC_ACT_SHOT;
			seen.new_tos = tos;
			seen.rewrites |= 1;
		}
	}

	if (iph.protocol == IPPROTO_TCP || iph.protocol == IPPROTO_UDP) {
		/* Direct packet access for the ports, re-derived after the store. */
		void *data = (void *)(long)skb->data;
		void *data_end = (void *)(long)skb->data_end;
		__be16 *ports = data + IP_OFF + sizeof(struct iphdr);

		if ((void *)(ports + 2) > data_end)
			goto out;
		__u16 dport = bpf_ntohs(ports[1]);

		seen.old_port = dport;
		if (cfg->block_port && dport == cfg->block_port)
			action = TC_ACT_SHOT;
		if (cfg->match_port && dport == cfg->match_port) {
			__be16 old_port = ports[1];
			__be16 new_port = bpf_htons(cfg->new_port);
			__u32 l4 = IP_OFF + sizeof(struct iphdr);
			__u32 check_off, flags = sizeof(__be16);

			if (iph.protocol == IPPROTO_TCP) {
				check_off = l4 + offsetof(struct tcphdr, check);
			} else {
				check_off = l4 + offsetof(struct udphdr, check);
				flags |= BPF_F_MARK_MANGLED_0;
			}
			if (bpf_l4_csum_replace(skb, check_off, old_port, new_port, flags) < 0)
				return TC_ACT_SHOT;
			if (bpf_skb_store_bytes(skb, l4 + offsetof(struct udphdr, dest), &new_port,
						sizeof(new_port), 0) < 0)
				return TC_ACT_SHOT;
			seen.rewrites |= 2;
		}
	}

	skb->mark = cfg->mark ? cfg->mark : skb->mark;
	skb->priority = cfg->priority;
	skb->tc_index = seen.rewrites;
	skb->cb[0] = seen.old_tos << 8 | seen.new_tos;
out:
	bpf_map_update_elem(&tc_seen, &zero, &seen, BPF_ANY);
	return action;
}
