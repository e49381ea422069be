/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * bytemove.c: a byte mover, the memcpy/memset/memmove of a program that
 * builds or rewrites buffers. In a 32 KiB global buffer (the .bss array
 * map): copies the payload's first 2 KiB to eight places, fills 16 KiB with
 * a pattern, moves 32 KiB minus 24 bytes up by 24 bytes (overlapping, so
 * back to front), copies 2 KiB byte by byte to an unaligned destination,
 * and returns a checksum of the whole buffer.
 *
 * The loops are written out, word by word, and opaque() keeps both
 * compilers from turning them into calls to memcpy (which BPF cannot
 * make): every engine moves the same words.
 */
#include "bench.h"

#define MOVE_WORDS 4096 /* 32 KiB */
#define MOVE_IN    256  /* 2 KiB of payload */

static __u64 buf[MOVE_WORDS];

SEC("xdp")
int bytemove(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const __u8 *in = (const __u8 *)data + HDR_LEN;
	__u8 *bytes = (__u8 *)buf;
	__u64 h = 0;
	__u32 i, c;

	if ((void *)(in + 8 * MOVE_IN) > data_end)
		return 0;
	/* memcpy, 8 times */
	for (c = 0; c < 8; c++) {
		for (i = 0; i < MOVE_IN; i++) {
			__u32 j = c * MOVE_IN + i;

			opaque(j);
			buf[j] = load64(in + 8 * i);
		}
	}
	/* memset */
	for (i = MOVE_WORDS / 2; i < MOVE_WORDS; i++) {
		opaque(i);
		buf[i] = 0x5a5a5a5a5a5a5a5aULL;
	}
	/* memmove up by 3 words: overlapping, back to front */
	for (i = MOVE_WORDS - 1; i >= 3; i--) {
		opaque(i);
		buf[i] = buf[i - 3];
	}
	/* byte copy to an unaligned destination */
	for (i = 0; i < 8 * MOVE_IN; i++) {
		opaque(i);
		bytes[8 * MOVE_WORDS / 2 + 5 + i] = bytes[i];
	}
	for (i = 0; i < MOVE_WORDS; i++)
		h = rotl64(h, 7) ^ (buf[i] + i);
	return fold32(h);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
