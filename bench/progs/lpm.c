/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * lpm.c: longest-prefix-match lookups of IPv4 addresses in an LPM trie, as
 * a router or a firewall does.
 *
 * lpm_setup (run once, before the timed runs) inserts LPM_PREFIXES
 * prefixes of 8 to 32 bits; lpm looks up LPM_LOOKUPS addresses, each made
 * from one of the prefixes with its low 16 bits replaced by payload bytes:
 * with the suite's payload the longest matches are 9 to 20 bits long.
 */
#include "bench.h"

#define LPM_PREFIXES 256
#define LPM_LOOKUPS  768

struct lpm_v4 {
	__u32 prefixlen;
	__u32 addr; /* network byte order */
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, LPM_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v4);
	__type(value, __u32);
} routes SEC(".maps");

/* Prefix k: an address with its top bits in a few /8s, and a length. */
static __always_inline __u64 prefix_bits(__u32 k)
{
	return mix64(k + 0x5eed);
}

static __always_inline __u32 prefix_addr(__u64 x)
{
	return ((__u32)x & 0x03ffffff) | 0x0a000000; /* 10.0.0.0 - 13.255.255.255 */
}

SEC("xdp")
int lpm_setup(struct xdp_md *ctx)
{
	__u32 k, errors = 0;

	for (k = 0; k < LPM_PREFIXES; k++) {
		__u64 x = prefix_bits(k);
		struct lpm_v4 key;
		__u32 value = k + 1;

		key.prefixlen = 8 + (__u32)(x >> 40) % 25;
		key.addr = be32(prefix_addr(x));
		if (bpf_map_update_elem(&routes, &key, &value, BPF_ANY))
			errors++;
	}
	return errors;
}

SEC("xdp")
int lpm(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const __u16 *in = (const __u16 *)((__u8 *)data + HDR_LEN);
	__u32 i, sum = 0, misses = 0;

	if ((void *)(in + LPM_LOOKUPS) > data_end)
		return 0;
	for (i = 0; i < LPM_LOOKUPS; i++) {
		struct lpm_v4 key;
		__u32 *v;

		key.prefixlen = 32;
		key.addr = be32((prefix_addr(prefix_bits(i % LPM_PREFIXES)) & 0xffff0000) | in[i]);
		v = bpf_map_lookup_elem(&routes, &key);
		if (v)
			sum = sum * 31 + *v;
		else
			misses++;
	}
	return sum ^ (misses << 20);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
