// Kfuncs registered from Go, called by name: each extern __ksym names a
// kfunc that the test registers with Helpers.RegisterKfunc; the loader
// gives the call the kfunc's ID, the verifier checks it against the
// kfunc's prototype (kfunc_test.go at the repository root).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

// r0 = a*1000 + b (scalar arguments).
extern __u64 ebpfvm_mix(__u64 a, __u64 b) __ksym;
// The sum of the bytes of buf (memory and its size).
extern __u32 ebpfvm_sum(const __u8 *buf, __u32 buf__sz) __ksym;

SEC("syscall")
int call_kfuncs(void *ctx)
{
	__u8 buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};

	// 6*1000 + 7 + (1+...+8) = 6043
	return ebpfvm_mix(6, 7) + ebpfvm_sum(buf, sizeof(buf));
}

char LICENSE[] SEC("license") = "GPL";
