// Global functions that the kernel refuses: unsafe on their own, or called
// with arguments that do not fit their prototype.
#include "globalfunc.h"

char LICENSE[] SEC("license") = "GPL";

struct locked_val {
	struct bpf_spin_lock lock;
	int n;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct locked_val);
} locked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} small SEC(".maps");

struct big {
	long x[4];
};

/*
 * Safe for the index the caller passes, not for every int: the kernel
 * verifies the function for any argument and refuses it.
 */
__noinline int pick(int i)
{
	int buf[4] = {1, 2, 3, 4};

	return buf[i];
}

SEC("xdp")
int unsafe_alone(struct xdp_md *ctx)
{
	return pick(2) & 1 ? XDP_PASS : XDP_DROP;
}

/* The pointer may be NULL. */
__noinline int sum_unchecked(struct pair *p)
{
	OPAQUE(p);
	return p->a + p->b;
}

SEC("xdp")
int null_deref(struct xdp_md *ctx)
{
	struct pair p = {1, 2};

	return sum_unchecked(&p) & 1 ? XDP_PASS : XDP_DROP;
}

__noinline int sum_pair(struct pair *p)
{
	OPAQUE(p);
	if (!p)
		return 0;
	return p->a + p->b;
}

/* The context is not memory the callee may use. */
SEC("xdp")
int ctx_for_struct(struct xdp_md *ctx)
{
	return sum_pair((struct pair *)ctx) & 1 ? XDP_PASS : XDP_DROP;
}

/* A packet pointer whose bounds were not checked. */
SEC("xdp")
int unchecked_packet(struct xdp_md *ctx)
{
	return sum_pair((struct pair *)(long)ctx->data) & 1 ? XDP_PASS : XDP_DROP;
}

/* A map value smaller than the struct. */
__noinline int big_first(struct big *p)
{
	OPAQUE(p);
	return p ? p->x[0] : 0;
}

SEC("xdp")
int small_value(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&small, &key);

	if (!v)
		return XDP_DROP;
	return big_first((struct big *)v) & 1 ? XDP_PASS : XDP_DROP;
}

/* A pointer where an int is expected. */
__noinline int is_big(long x)
{
	OPAQUE(x);
	return x > 5;
}

SEC("xdp")
int pointer_for_int(struct xdp_md *ctx)
{
	int x = 1;

	return is_big((long)&x) ? XDP_PASS : XDP_DROP;
}

/* A lookup result that may be NULL for an __arg_nonnull parameter. */
__noinline int first(struct pair *p __arg_nonnull)
{
	OPAQUE(p);
	return p->a;
}

SEC("xdp")
int maybe_null(struct xdp_md *ctx)
{
	__u32 key = ctx->rx_queue_index;
	__u64 *v = bpf_map_lookup_elem(&small, &key);

	return first((struct pair *)v) & 1 ? XDP_PASS : XDP_DROP;
}

/* Global functions must return a scalar type. */
__noinline void log_it(struct xdp_md *ctx)
{
	bpf_printk("%d", ctx->rx_queue_index);
}

SEC("xdp")
int void_return(struct xdp_md *ctx)
{
	log_it(ctx);
	return XDP_PASS;
}

/* void * has no size to check. */
__noinline int non_null(void *p)
{
	OPAQUE(p);
	return p != 0;
}

SEC("xdp")
int void_pointer(struct xdp_md *ctx)
{
	int x = 0;

	return non_null(&x) ? XDP_PASS : XDP_DROP;
}

/* r0 at exit holds a pointer. */
__noinline int frame_address(struct xdp_md *ctx)
{
	long r;

	asm volatile("%0 = r10" : "=r"(r));
	return r;
}

SEC("xdp")
int pointer_return(struct xdp_md *ctx)
{
	return frame_address(ctx) & 1 ? XDP_PASS : XDP_DROP;
}

/* The callee may move the packet: the caller's packet pointers die. */
__noinline int grow(struct xdp_md *ctx)
{
	return bpf_xdp_adjust_head(ctx, 0);
}

SEC("xdp")
int moved_packet(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	if (data + 1 > end)
		return XDP_DROP;
	OPAQUE(data);
	grow(ctx);
	return *(char *)data & 1 ? XDP_PASS : XDP_DROP;
}

/* No global function calls while a spin lock is held. */
__noinline int twice(int x)
{
	OPAQUE(x);
	return x * 2;
}

SEC("xdp")
int call_under_lock(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct locked_val *v = bpf_map_lookup_elem(&locked, &key);
	int r;

	if (!v)
		return XDP_DROP;
	bpf_spin_lock(&v->lock);
	r = twice(v->n);
	v->n = r;
	bpf_spin_unlock(&v->lock);
	return XDP_PASS;
}

/* A modified context pointer. */
__noinline int ifindex(struct xdp_md *ctx)
{
	return ctx->ingress_ifindex;
}

SEC("xdp")
int moved_ctx(struct xdp_md *ctx)
{
	return ifindex((struct xdp_md *)((char *)ctx + 4)) & 1 ? XDP_PASS : XDP_DROP;
}

/* Stack memory is not the context. */
SEC("xdp")
int stack_for_ctx(struct xdp_md *ctx)
{
	struct xdp_md copy = {};

	return ifindex(&copy) & 1 ? XDP_PASS : XDP_DROP;
}
