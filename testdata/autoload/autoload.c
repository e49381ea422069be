/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * autoload.c: an object with a program the verifier accepts and one it
 * rejects, for loading only what was asked for (CollectionOptions.Programs,
 * `ebpfvm run OBJ PROG`).
 *
 * xdp_good counts its runs in good_runs and tail-calls xdp_target through
 * the prog array jumps, whose slot 0 the object initialises: loading
 * xdp_good loads good_runs, jumps and xdp_target too. xdp_bad reads the
 * packet without a bounds check, which the verifier rejects; it alone uses
 * bad_seen.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} good_runs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} bad_seen SEC(".maps");

SEC("xdp")
int xdp_target(struct xdp_md *ctx)
{
	return XDP_TX;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, int(void *));
} jumps SEC(".maps") = {
	.values = { [0] = (void *)&xdp_target },
};

SEC("xdp")
int xdp_good(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *runs = bpf_map_lookup_elem(&good_runs, &key);

	if (runs)
		__sync_fetch_and_add(runs, 1);
	bpf_tail_call(ctx, &jumps, 0);
	return XDP_PASS;
}

SEC("xdp")
int xdp_bad(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	__u32 key = 0;
	__u64 *seen = bpf_map_lookup_elem(&bad_seen, &key);

	if (seen)
		*seen = data[0]; /* no check against data_end */
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
