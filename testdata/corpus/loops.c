/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * loops.c: the three ways an eBPF program loops without may_goto.
 *
 * xdp_bounded_loops: plain C loops the verifier proves finite by walking
 *   them: a for loop with a constant bound (FNV-1a over the first bytes of
 *   the frame) and a while loop whose bound comes from the packet and is
 *   clamped before use (a TLV walk over the UDP payload).
 * xdp_bpf_loop: bpf_loop() with a callback and a context struct; the
 *   callback reads a table map and stops early on a sentinel.
 * xdp_for_each: bpf_for_each_map_elem() over an array (ordered: the
 *   callback stops at a key) and over a hash (unordered: only sums, counts
 *   and maxima, which do not depend on the iteration order), with the
 *   callback updating the values it visits.
 */
#include "common.h"

#define FNV_BYTES 32
#define MAX_TLVS  16
#define TABLE_LEN 64

struct loop_result {
	__u32 fnv;          /* FNV-1a of min(len, FNV_BYTES) bytes */
	__u32 fnv_bytes;
	__u32 tlv_count;    /* TLVs walked */
	__u32 tlv_sum;      /* sum of TLV types */
	__u32 loop_iters;   /* bpf_loop: callbacks run */
	__u32 loop_sum;     /* bpf_loop: sum of table values */
	__u32 array_visits; /* for_each over the array: elements visited */
	__u32 array_sum;
	__u64 hash_sum;     /* for_each over the hash */
	__u32 hash_count;
	__u32 hash_max_key;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct loop_result);
} loop_results SEC(".maps");

/* Table read by the bpf_loop callback; a value of 0xffffffff ends the walk. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TABLE_LEN);
	__type(key, __u32);
	__type(value, __u32);
} loop_table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} each_array SEC(".maps");

struct each_hash_value {
	__u64 amount;
	__u64 visits;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32);
	__type(key, __u32);
	__type(value, struct each_hash_value);
} each_hash SEC(".maps");

static __always_inline struct loop_result *result(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&loop_results, &zero);
}

SEC("xdp")
int xdp_bounded_loops(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct loop_result *r = result();
	__u32 h = 2166136261u;
	__u32 n = 0;

	if (!r)
		return XDP_ABORTED;

	/* Constant bound: the verifier walks all FNV_BYTES iterations. */
	for (int i = 0; i < FNV_BYTES; i++) {
		__u8 *p = data + i;

		if ((void *)(p + 1) > data_end)
			break;
		h ^= *p;
		h *= 16777619u;
		n++;
	}
	r->fnv = h;
	r->fnv_bytes = n;

	/*
	 * Data-dependent bound: the UDP payload of an untagged IPv4 frame
	 * without options is a count byte followed by (type, len, value...)
	 * records. The count comes from the packet; it is clamped, and each
	 * step re-checks the packet bounds.
	 */
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct udphdr *uh = (void *)(iph + 1);
	__u8 *payload = (void *)(uh + 1);

	if ((void *)(payload + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    iph->ihl != 5 || iph->protocol != IPPROTO_UDP)
		return XDP_PASS;

	__u32 want = payload[0];
	__u32 off = 1, i = 0, sum = 0;

	if (want > MAX_TLVS)
		want = MAX_TLVS;
	while (i < want) {
		__u8 *tlv;

		if (off > 256)
			break;
		tlv = payload + off;
		if ((void *)(tlv + 2) > data_end)
			break;
		sum += tlv[0];
		off += 2 + tlv[1];
		i++;
	}
	r->tlv_count = i;
	r->tlv_sum = sum;
	return i == want ? XDP_PASS : XDP_DROP;
}

struct table_walk {
	__u32 start;
	__u32 iters;
	__u32 sum;
	__u32 stopped;
};

static long table_step(__u32 index, void *vctx)
{
	struct table_walk *w = vctx;
	__u32 key = (w->start + index) % TABLE_LEN;
	__u32 *v = bpf_map_lookup_elem(&loop_table, &key);

	w->iters++;
	if (!v)
		return 1;
	if (*v == 0xffffffff) {
		w->stopped = 1;
		return 1; /* stop the loop */
	}
	w->sum += *v;
	return 0;
}

SEC("xdp")
int xdp_bpf_loop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct loop_result *r = result();
	struct table_walk w = {};
	__u8 *p = data;

	if (!r)
		return XDP_ABORTED;
	/* Start at table[frame[0] % 64] and walk frame length / 4 entries. */
	if ((void *)(p + 1) > data_end)
		return XDP_PASS;
	w.start = p[0];
	long ret = bpf_loop((__u32)(data_end - data) / 4, table_step, &w, 0);
	if (ret < 0)
		return XDP_ABORTED;
	r->loop_iters = ret;
	r->loop_sum = w.sum;
	return w.stopped ? XDP_DROP : XDP_PASS;
}

struct array_walk {
	__u32 stop_key;
	__u32 visits;
	__u32 sum;
	__u32 pad;
};

static long array_step(void *map, __u32 *key, __u64 *value, struct array_walk *w)
{
	w->visits++;
	w->sum += *value;
	*value += 1; /* the callback may write the element it visits */
	return *key == w->stop_key ? 1 : 0;
}

struct hash_walk {
	__u64 sum;
	__u32 count;
	__u32 max_key;
};

static long hash_step(void *map, __u32 *key, struct each_hash_value *v, struct hash_walk *w)
{
	w->sum += v->amount;
	w->count++;
	if (*key > w->max_key)
		w->max_key = *key;
	v->visits++;
	return 0;
}

SEC("xdp")
int xdp_for_each(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct loop_result *r = result();
	struct array_walk aw = {};
	struct hash_walk hw = {};
	__u8 *p = data;

	if (!r)
		return XDP_ABORTED;
	if ((void *)(p + 1) > data_end)
		return XDP_PASS;
	aw.stop_key = p[0];

	long n = bpf_for_each_map_elem(&each_array, array_step, &aw, 0);
	long m = bpf_for_each_map_elem(&each_hash, hash_step, &hw, 0);
	if (n < 0 || m < 0)
		return XDP_ABORTED;
	r->array_visits = n;
	r->array_sum = aw.sum;
	r->hash_sum = hw.sum;
	r->hash_count = m;
	r->hash_max_key = hw.max_key;
	return aw.visits == n && hw.count == m ? XDP_PASS : XDP_DROP;
}
