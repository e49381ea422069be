// bpf_loop in its two forms. The kernel's verifier inlines a bpf_loop call
// whose flags are a known 0 and whose callback is the same at every visit;
// other calls stay calls of the helper. The two forms differ in how they
// read nr_loops (64 bits inlined, a u32 in the helper) and in the -E2BIG
// they leave in r0 (32 bits inlined, 64 bits from the helper).
// loopforms_test.go at the repository root runs them in ebpfvm and in the
// kernel.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* Hides a value from clang so that the code keeps the shape written. */
#define OPAQUE(x) asm volatile("" : "+r"(x))

struct args {
	__u64 nr;    /* nr_loops */
	__u64 flags; /* flags, for flags_unknown */
	__u64 which; /* which callback, for two_callbacks */
	__s64 ret;   /* what bpf_loop returned */
	__u64 calls; /* callback invocations, weighted by callback */
};

/* The callbacks count in a counter on the caller's stack. */
static long count_one(__u64 index, void *ctx)
{
	*(__u64 *)ctx += 1;
	return 0;
}

static long count_two(__u64 index, void *ctx)
{
	*(__u64 *)ctx += 2;
	return 0;
}

/* Flags a known 0, one callback: inlined. */
SEC("syscall")
int flags_zero(struct args *a)
{
	__u64 calls = 0;

	a->ret = bpf_loop(a->nr, count_one, &calls, 0);
	a->calls = calls;
	return 0;
}

/* Flags from the context: the helper. */
SEC("syscall")
int flags_unknown(struct args *a)
{
	__u64 calls = 0;

	a->ret = bpf_loop(a->nr, count_one, &calls, a->flags);
	a->calls = calls;
	return 0;
}

/* Two callbacks reach the same call: the helper. */
SEC("syscall")
int two_callbacks(struct args *a)
{
	__u64 calls = 0;
	void *cb = count_one;

	if (a->which)
		cb = count_two;
	OPAQUE(cb);
	a->ret = bpf_loop(a->nr, cb, &calls, 0);
	a->calls = calls;
	return 0;
}
