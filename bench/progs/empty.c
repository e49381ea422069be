/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/* empty.c: r0 = 0; exit. What a run costs when the program does nothing. */
#include "bench.h"

SEC("xdp")
int empty(struct xdp_md *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
