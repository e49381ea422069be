// Global (non-static) functions that the kernel accepts: each is verified
// once, on its own, with arguments typed from its BTF prototype.
#include "globalfunc.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Scalar arguments: unknown values in the callee. */
__noinline int mix(int a, long b)
{
	OPAQUE(a);
	return a * 31 + (int)b;
}

SEC("xdp")
int scalars(struct xdp_md *ctx)
{
	return mix(ctx->rx_queue_index, 7) & 1 ? XDP_PASS : XDP_DROP;
}

/* A pointer to the program type's context is the context. */
__noinline int packet_len(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	return end - data;
}

SEC("xdp")
int ctx_arg(struct xdp_md *ctx)
{
	return packet_len(ctx) > 64 ? XDP_PASS : XDP_DROP;
}

/* Any other pointer may be NULL: the callee checks. */
__noinline int sum_pair(struct pair *p)
{
	OPAQUE(p);
	if (!p)
		return 0;
	return p->a + p->b;
}

SEC("xdp")
int struct_arg(struct xdp_md *ctx)
{
	struct pair p = {ctx->rx_queue_index, 2};

	return sum_pair(&p) & 1 ? XDP_PASS : XDP_DROP;
}

/* A packet pointer with its bounds checked is memory too. */
SEC("xdp")
int packet_arg(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	if (data + sizeof(struct pair) > end)
		return XDP_DROP;
	return sum_pair(data) & 1 ? XDP_PASS : XDP_DROP;
}

/* __arg_nonnull: no check needed. */
__noinline int first(struct pair *p __arg_nonnull)
{
	OPAQUE(p);
	return p->a;
}

SEC("xdp")
int nonnull_arg(struct xdp_md *ctx)
{
	struct pair p = {ctx->ingress_ifindex, 0};

	return first(&p) ? XDP_PASS : XDP_DROP;
}

/* __arg_ctx: a void * that is the context. */
__noinline int queue(void *ctx __arg_ctx)
{
	return ((struct xdp_md *)ctx)->rx_queue_index;
}

SEC("xdp")
int tagged_ctx(struct xdp_md *ctx)
{
	return queue(ctx) ? XDP_PASS : XDP_DROP;
}

/* A map lookup inside a global function, with a key from the caller. */
__noinline int bump(__u32 key)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &key);

	if (!v)
		return 0;
	__sync_fetch_and_add(v, 1);
	return 1;
}

SEC("xdp")
int map_lookup(struct xdp_md *ctx)
{
	return bump(ctx->rx_queue_index) ? XDP_PASS : XDP_DROP;
}

/* tc: struct __sk_buff * is the context. */
__noinline int skb_mark(struct __sk_buff *skb)
{
	return skb->mark;
}

SEC("tc")
int tc_skb(struct __sk_buff *skb)
{
	return skb_mark(skb) == 1 ? 2 : 0;
}

/* Global functions calling global functions: verified one after another. */
__noinline int inner(int x)
{
	OPAQUE(x);
	return x * 2;
}

__noinline int outer(int x)
{
	OPAQUE(x);
	return inner(x) + 1;
}

SEC("xdp")
int chain(struct xdp_md *ctx)
{
	return outer(ctx->rx_queue_index) & 1 ? XDP_PASS : XDP_DROP;
}

/* Unsafe for some arguments, but no verified path calls it. */
__noinline int never_called(int i)
{
	int buf[2] = {1, 2};

	OPAQUE(i);
	return buf[i];
}

SEC("xdp")
int dead_call(struct xdp_md *ctx)
{
	int zero;

	asm volatile("%0 = 0" : "=r"(zero));
	if (zero)
		return never_called(ctx->rx_queue_index);
	return XDP_PASS;
}
