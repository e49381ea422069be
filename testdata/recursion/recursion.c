/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * recursion.c: programs that recurse, which the kernel's verifier explores
 * until the call stack is 9 frames deep and then rejects ("the call stack
 * of 9 frames is too deep").
 *
 * xdp_loop_recursion: a bpf_loop() callback that passes itself to
 *                     bpf_loop() (the function reference's offset is
 *                     backward: a negative ld_imm64 immediate).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

static long again(__u32 i, void *data)
{
	(*(__u64 *)data)++;
	bpf_loop(2, again, data, 0);
	return 0;
}

SEC("xdp")
int xdp_loop_recursion(struct xdp_md *ctx)
{
	__u64 c = 0;

	bpf_loop(2, again, &c, 0);
	return c & 1;
}
