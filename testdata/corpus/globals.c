/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * globals.c: global variables in every section libbpf knows.
 *
 * .rodata        const volatile configuration, set from user space in the
 *                CollectionSpec before the load and frozen afterwards
 * .rodata.limits a custom read-only section
 * .data          initialised, writable
 * .bss           zero-initialised, writable
 * .data.custom   a custom writable section
 *
 * The program classifies frames by length against the configured limits,
 * counts them in the writable sections and returns the configured
 * verdicts. A test sets the .rodata values, runs a few frames and dumps
 * the section maps.
 */
#include "common.h"

/* .rodata: defaults that user space may override before loading. */
const volatile __u32 cfg_verdict_small = XDP_PASS;
const volatile __u32 cfg_verdict_large = XDP_PASS;
const volatile __u8 cfg_magic[4] = { 'e', 'v', 'm', '0' };
const volatile __u64 cfg_scale = 1;

/* A custom read-only section. */
const volatile __u32 limit_small SEC(".rodata.limits") = 128;
const volatile __u32 limit_large SEC(".rodata.limits") = 1024;

/* .data */
__u64 data_total = 1000;
__u32 data_table[4] = { 10, 20, 30, 40 };

/* .bss */
__u64 bss_small, bss_medium, bss_large;
__u64 bss_bytes;
__u8 bss_last_magic[4];

/* A custom writable section. */
__u64 custom_calls SEC(".data.custom") = 7;
__u32 custom_last_len SEC(".data.custom") = 0xdeadbeef;

SEC("xdp")
int xdp_globals(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;
	__u32 verdict = XDP_PASS;

	custom_calls++;
	custom_last_len = len;
	data_total += len * cfg_scale;
	bss_bytes += len;
	for (int i = 0; i < 4; i++)
		bss_last_magic[i] = cfg_magic[i];

	if (len < limit_small) {
		bss_small++;
		data_table[0]++;
		verdict = cfg_verdict_small;
	} else if (len < limit_large) {
		bss_medium++;
		data_table[1]++;
	} else {
		bss_large++;
		data_table[2]++;
		verdict = cfg_verdict_large;
	}
	data_table[3] = verdict;
	return verdict;
}
