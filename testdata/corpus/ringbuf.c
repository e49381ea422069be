/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * ringbuf.c: a packet event producer on a BPF ring buffer.
 *
 * Every IPv4/IPv6 packet produces a fixed-size struct flow_event with
 * bpf_ringbuf_reserve + bpf_ringbuf_submit. Other EtherTypes reserve an
 * event, find nothing to report and give it back with bpf_ringbuf_discard
 * (the consumer never sees it). UDP packets additionally copy up to
 * SAMPLE_MAX bytes of the frame (bpf_xdp_load_bytes) into a variable-length
 * record sent with bpf_ringbuf_output. Records start with a kind tag so
 * that the consumer can tell them apart; every byte of every record is
 * written (reserved ring memory is not zeroed).
 */
#include "common.h"

#define SAMPLE_MAX 64

enum rec_kind {
	REC_FLOW = 1,
	REC_SAMPLE = 2,
};

struct flow_event {
	__u32 kind;      /* REC_FLOW */
	__u32 seq;       /* per-program sequence number */
	__u32 len;       /* frame length */
	__u16 eth_proto; /* host order */
	__u8 ip_proto;
	__u8 ip_version;
	__u8 saddr[16];  /* IPv4 in the first 4 bytes, rest zero */
	__u8 daddr[16];
	__u16 sport;     /* host order */
	__u16 dport;
	__u32 reserved;
};

struct sample {
	__u32 kind; /* REC_SAMPLE */
	__u32 len;  /* bytes of data that follow */
	__u8 data[SAMPLE_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

/* .bss: the sequence counter and statistics the test can dump. */
__u32 next_seq;
__u64 submitted, discarded, sampled, reserve_failed;

SEC("xdp")
int xdp_ringbuf(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct flow_event *ev;
	__u8 l4 = 0;
	void *l4h = 0;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		__sync_fetch_and_add(&reserve_failed, 1);
		return XDP_PASS;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->kind = REC_FLOW;
	ev->len = data_end - data;
	ev->eth_proto = bpf_ntohs(eth->h_proto);

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);

		if ((void *)(iph + 1) > data_end || iph->ihl < 5)
			goto discard;
		ev->ip_version = 4;
		ev->ip_proto = iph->protocol;
		__builtin_memcpy(ev->saddr, &iph->saddr, 4);
		__builtin_memcpy(ev->daddr, &iph->daddr, 4);
		l4 = iph->protocol;
		l4h = (void *)iph + iph->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			goto discard;
		ev->ip_version = 6;
		ev->ip_proto = ip6->nexthdr;
		__builtin_memcpy(ev->saddr, &ip6->saddr, 16);
		__builtin_memcpy(ev->daddr, &ip6->daddr, 16);
		l4 = ip6->nexthdr;
		l4h = ip6 + 1;
	} else {
		goto discard;
	}

	if (l4 == IPPROTO_TCP || l4 == IPPROTO_UDP) {
		/* Source and destination ports are the first 4 bytes of both. */
		__be16 *ports = l4h;

		if ((void *)(ports + 2) <= data_end) {
			ev->sport = bpf_ntohs(ports[0]);
			ev->dport = bpf_ntohs(ports[1]);
		}
	}
	ev->seq = __sync_fetch_and_add(&next_seq, 1);
	bpf_ringbuf_submit(ev, 0);
	__sync_fetch_and_add(&submitted, 1);

	if (l4 == IPPROTO_UDP) {
		struct sample s;
		__u64 n = data_end - data;

		__builtin_memset(&s, 0, sizeof(s));
		if (n > SAMPLE_MAX)
			n = SAMPLE_MAX;
		/* Keep clang from merging the two range checks into one the
		 * verifier cannot follow. */
		asm volatile("" : "+r"(n));
		if (n < 1)
			return XDP_PASS;
		s.kind = REC_SAMPLE;
		s.len = n;
		if (bpf_xdp_load_bytes(ctx, 0, s.data, n) < 0)
			return XDP_ABORTED;
		if (bpf_ringbuf_output(&events, &s, 8 + n, 0) == 0)
			__sync_fetch_and_add(&sampled, 1);
	}
	return XDP_PASS;

discard:
	bpf_ringbuf_discard(ev, 0);
	__sync_fetch_and_add(&discarded, 1);
	return XDP_PASS;
}
