/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * xdp_tail.c: an XDP program that moves the end of the frame.
 *
 * xdp_tail cuts the Ethernet padding after an IPv4 datagram
 * (bpf_xdp_adjust_tail < 0), or, for a frame without padding, grows the
 * frame and appends a 4-byte trailer (bpf_xdp_adjust_tail > 0, then
 * bpf_xdp_store_bytes). The lengths bpf_xdp_get_buff_len reports before
 * and after go to .bss.
 */
#include "common.h"

/* .bss */
__u64 len_before, len_after;
__u32 adjust_errors;

SEC("xdp")
int xdp_tail(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	__u32 frame, ip_end;

	if ((void *)(iph + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	frame = bpf_xdp_get_buff_len(ctx);
	len_before = frame;
	ip_end = sizeof(*eth) + bpf_ntohs(iph->tot_len);
	if (ip_end < sizeof(*eth) + sizeof(*iph))
		return XDP_DROP;

	if (frame > ip_end) {
		/* Cut the padding. */
		if (bpf_xdp_adjust_tail(ctx, -(int)(frame - ip_end)) < 0) {
			adjust_errors++;
			return XDP_ABORTED;
		}
	} else if (frame == ip_end) {
		/* Append a trailer after the datagram. */
		__be32 trailer = bpf_htonl(0xdeadbeef);

		if (bpf_xdp_adjust_tail(ctx, sizeof(trailer)) < 0) {
			adjust_errors++;
			return XDP_ABORTED;
		}
		if (bpf_xdp_store_bytes(ctx, frame, &trailer, sizeof(trailer)) < 0) {
			adjust_errors++;
			return XDP_ABORTED;
		}
	} else {
		return XDP_DROP; /* truncated datagram */
	}
	len_after = bpf_xdp_get_buff_len(ctx);
	return XDP_PASS;
}
