/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * xdp_adjust.c: XDP programs that move the start of the frame.
 *
 * xdp_vlan_pop:  removes the outer 802.1Q tag (bpf_xdp_adjust_head +4,
 *                the MAC addresses are moved up).
 * xdp_vlan_push: adds an 802.1Q tag with the VLAN ID configured in .rodata
 *                (bpf_xdp_adjust_head -4).
 * xdp_meta:      reserves 8 bytes of metadata in front of the frame
 *                (bpf_xdp_adjust_meta) and fills them; BPF_PROG_TEST_RUN
 *                returns the metadata as the start of the data out.
 *
 * xdp_tail.c moves the end. After every adjustment the packet pointers are
 * reloaded from the context: the verifier invalidates the old ones.
 */
#include "common.h"

const volatile __u16 cfg_push_vlan = 42;

/* .bss */
__u32 adjust_errors;

SEC("xdp")
int xdp_vlan_pop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct vlan_tag *tag = (void *)(eth + 1);
	__u8 macs[2 * ETH_ALEN];
	__be16 inner;

	if ((void *)(tag + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_8021Q))
		return XDP_PASS;
	__builtin_memcpy(macs, eth, sizeof(macs));
	inner = tag->inner_proto;

	if (bpf_xdp_adjust_head(ctx, (int)sizeof(*tag)) < 0) {
		adjust_errors++;
		return XDP_ABORTED;
	}
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(eth, macs, sizeof(macs));
	eth->h_proto = inner;
	return XDP_PASS;
}

SEC("xdp")
int xdp_vlan_push(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct vlan_tag *tag;
	__u8 macs[2 * ETH_ALEN];
	__be16 proto;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	__builtin_memcpy(macs, eth, sizeof(macs));
	proto = eth->h_proto;

	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(*tag)) < 0) {
		adjust_errors++;
		return XDP_ABORTED;
	}
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	tag = (void *)(eth + 1);
	if ((void *)(tag + 1) > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(eth, macs, sizeof(macs));
	eth->h_proto = bpf_htons(ETH_P_8021Q);
	tag->tci = bpf_htons(cfg_push_vlan & 0x0fff);
	tag->inner_proto = proto;
	return XDP_PASS;
}

struct meta {
	__u32 magic;
	__u32 frame_len;
};

SEC("xdp")
int xdp_meta(struct xdp_md *ctx)
{
	struct meta *m;
	void *data;
	__u32 len = ctx->data_end - ctx->data;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*m)) < 0) {
		adjust_errors++;
		return XDP_ABORTED;
	}
	data = (void *)(long)ctx->data;
	m = (void *)(long)ctx->data_meta;
	if ((void *)(m + 1) > data)
		return XDP_ABORTED;
	m->magic = 0x4d455441; /* "ATEM" little-endian */
	m->frame_len = len;
	return XDP_PASS;
}
