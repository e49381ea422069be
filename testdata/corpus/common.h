/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * common.h: shared definitions for the ebpfvm program corpus.
 *
 * Every program in this directory is ordinary libbpf-style C: it includes
 * the UAPI headers and libbpf's helper declarations and nothing else. No
 * vmlinux.h, no CO-RE: the corpus must run in a userspace runtime that has
 * no kernel BTF, so only UAPI structures (xdp_md, __sk_buff, packet headers)
 * are used.
 */
#ifndef EBPFVM_CORPUS_COMMON_H
#define EBPFVM_CORPUS_COMMON_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmpv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* 802.1Q and 802.1ad (QinQ) tag. The kernel's struct vlan_hdr is not UAPI. */
struct vlan_tag {
	__be16 tci;         /* priority (3 bits), DEI (1 bit), VLAN ID (12 bits) */
	__be16 inner_proto; /* EtherType of what follows the tag */
};

#ifndef ETH_P_8021Q
#define ETH_P_8021Q 0x8100
#endif
#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif

/*
 * ICMP header. <linux/icmp.h> pulls in glibc's socket headers, which do not
 * build for the BPF target, so the 8 bytes we need are declared here.
 */
struct icmp_hdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 id;       /* echo request/reply */
	__be16 sequence; /* echo request/reply */
};

#define ICMP_ECHOREPLY 0
#define ICMP_ECHO      8

/* IPv6 extension header numbers (include/net/ipv6.h is not UAPI). */
#define NEXTHDR_HOP      0
#define NEXTHDR_ROUTING  43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_AUTH     51
#define NEXTHDR_DEST     60
#define NEXTHDR_NONE     59

#define ICMPV6_REDIRECT 137

/* IPv4 fragment bits in iphdr.frag_off (host order after bpf_ntohs). */
#define IP_MF     0x2000
#define IP_OFFSET 0x1FFF

/* Fold a 32-bit one's-complement sum into 16 bits. */
static __always_inline __u16 csum_fold32(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/*
 * Incremental checksum update (RFC 1624, eqn. 3): HC' = ~(~HC + ~m + m').
 * All values are in network byte order as they sit in the packet; one's-
 * complement arithmetic is byte-order independent as long as everything is
 * consistently in one order.
 */
static __always_inline void csum_replace2(__u16 *check, __u16 from, __u16 to)
{
	__u32 sum = (__u16)~*check;

	sum += (__u16)~from;
	sum += to;
	*check = ~csum_fold32(sum);
}

static __always_inline void csum_replace4(__u16 *check, __u32 from, __u32 to)
{
	__u32 sum = (__u16)~*check;

	sum += (__u16)~(from & 0xffff);
	sum += (__u16)~(from >> 16);
	sum += to & 0xffff;
	sum += to >> 16;
	*check = ~csum_fold32(sum);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#endif
