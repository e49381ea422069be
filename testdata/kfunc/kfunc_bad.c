// A kfunc call that the verifier refuses: ebpfvm_sum reads 16 bytes from
// an 8-byte buffer on the stack (kfunc_test.go at the repository root).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern __u32 ebpfvm_sum(const __u8 *buf, __u32 buf__sz) __ksym;

SEC("syscall")
int short_buffer(void *ctx)
{
	__u8 buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};

	return ebpfvm_sum(buf, 16);
}

char LICENSE[] SEC("license") = "GPL";
