/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * bench.h: what every program of the benchmark suite includes.
 *
 * One source, two builds. With clang -target bpf (__bpf__ is defined) the
 * programs are ordinary libbpf-style XDP programs: SEC(), BTF map
 * definitions, the kernel's helpers. Built by gcc for the host, the same
 * text becomes plain C functions: ../native/shim.h supplies struct xdp_md
 * with real pointers, the map definitions' layout, and user-space
 * implementations of the few helpers the suite uses (map lookup, update and
 * delete for array, hash and LPM trie maps, bpf_loop, tail calls).
 *
 * The input of every program is one packet (see struct bench_hdr): an
 * Ethernet header, the work parameters, then the payload the program works
 * on. Every program returns a 32-bit checksum of what it computed, which
 * every engine must reproduce exactly.
 */
#ifndef EBPFVM_BENCH_H
#define EBPFVM_BENCH_H

#ifdef __bpf__
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#else
#include "../native/shim.h"
#endif

/* Offsets into the packet. */
#define HDR_LEN     32   /* struct bench_hdr */
#define PAYLOAD_MAX 3488 /* an XDP test-run frame holds 3520 bytes of data */

struct bench_hdr {
	__u8 eth[14];  /* destination, source, EtherType 0x88b5 */
	__u16 pad;
	__u32 n;       /* work size, for the programs whose size is an input */
	__u32 seed;    /* a value the program starts from */
	__u32 arg;     /* program-specific */
	__u32 pad2;
};

/*
 * opaque(x) hides a value from the optimizer without costing an
 * instruction, so that clang and gcc cannot turn a branch-free expression
 * back into a branch (BPF has no conditional move) or a copy loop into a
 * call to memcpy.
 */
#define opaque(x) asm volatile("" : "+r"(x))

/* Branch-free helpers: BPF has no setcc and no cmov. */

/* 1 if x != 0, else 0. */
static __always_inline __u64 nonzero(__u64 x)
{
	__u64 n = -x;

	opaque(n); /* else the compilers see x != 0 and emit a branch */
	return (x | n) >> 63;
}

/* All ones if a < b (unsigned, both < 2^63), else 0. */
static __always_inline __u64 lt_mask(__u64 a, __u64 b)
{
	__s64 d = (__s64)(a - b);
	__u64 m;

	opaque(d); /* else the compilers see a < b, */
	m = (__u64)(d >> 63);
	opaque(m); /* or (m & y) as (d < 0 ? y : 0), and emit a branch */
	return m;
}

static __always_inline __u64 rotl64(__u64 x, int r)
{
	return (x << r) | (x >> (64 - r));
}

/* The finalizer of MurmurHash3: a good 64-bit mix. */
static __always_inline __u64 mix64(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static __always_inline __u32 fold32(__u64 x)
{
	return (__u32)(x ^ (x >> 32));
}

/* Unaligned 8-byte load (packets are read at any offset). BPF on x86-64
 * allows unaligned packet loads; in C a plain dereference would be
 * undefined behaviour, so the native build copies. */
static __always_inline __u64 load64(const void *p)
{
#ifdef __bpf__
	return *(const __u64 *)p;
#else
	__u64 v;
	__builtin_memcpy(&v, p, 8);
	return v;
#endif
}

/* Byte order: packets are big-endian, the machines little-endian. */
#define be16(x) __builtin_bswap16(x)
#define be32(x) __builtin_bswap32(x)

/*
 * can_loop is true until the kernel's loop budget runs out (the may_goto
 * instruction, Linux 6.9+): a loop that tests it needs no bound the
 * verifier can see, and the verifier checks its body only until its state
 * converges, whatever the trip count. Natively there is no budget.
 */
#ifdef __bpf__
#define can_loop                                                       \
	({                                                             \
		__label__ l_break, l_continue;                         \
		int ok = 1;                                            \
		asm volatile goto("may_goto %l[l_break]" :::: l_break); \
		goto l_continue;                                       \
	l_break:                                                       \
		ok = 0;                                                \
	l_continue:;                                                   \
		ok;                                                    \
	})
#else
#define can_loop 1
#endif

#ifdef __bpf__
/* tail_call(ctx, map, index): jump to the program in the slot; returns
 * (falls through) only when the slot is empty. */
#define tail_call(ctx, m, idx) bpf_tail_call(ctx, m, idx)
#endif

#endif
