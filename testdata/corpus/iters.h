/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * iters.h: open-coded numeric iterators for the corpus.
 *
 * The kernel's bpf_iter_num kfuncs (kernel/bpf/bpf_iter.c) and loop macros
 * built on them, written for this project in the style of libbpf's
 * bpf_experimental.h:
 *
 *   ev_for(i, lo, hi)          i = lo, lo+1, ..., hi-1 (i an int); the
 *                              macro checks lo <= i < hi, so the verifier
 *                              knows the bounds of i inside the body
 *   ev_repeat(n)               the body n times
 *   ev_for_each_num(p, lo, hi) p = a pointer to lo, ..., hi-1
 *
 * The iterator lives in the loop's scope; the cleanup attribute calls
 * bpf_iter_num_destroy on every way out of the loop, break included.
 */
#ifndef EBPFVM_CORPUS_ITERS_H
#define EBPFVM_CORPUS_ITERS_H

#ifndef __ksym
#define __ksym __attribute__((section(".ksyms")))
#endif

/* The UAPI layout: 8 opaque bytes on the stack. */
struct bpf_iter_num {
	__u64 __opaque[1];
} __attribute__((aligned(8)));

extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym;

/* Starts the iterator. Naming bpf_iter_num_destroy here makes clang emit
 * the extern (a cleanup attribute alone does not). */
static __always_inline void *ev_iter_start(struct bpf_iter_num *it, int lo, int hi)
{
	(void)bpf_iter_num_destroy;
	bpf_iter_num_new(it, lo, hi);
	return (void *)0;
}

/* Advances the iterator; stores the value in *out and returns 1 while it
 * lies in [lo, hi). */
static __always_inline int ev_iter_step(struct bpf_iter_num *it, int *out, int lo, int hi)
{
	int *cur = bpf_iter_num_next(it);
	int v;

	if (!cur)
		return 0;
	v = *cur;
	if (v < lo || v >= hi)
		return 0;
	*out = v;
	return 1;
}

#define EV_ITER_VAR(n) ev_iter_##n
#define EV_ONCE_VAR(n) ev_once_##n

#define ev_for_n(i, lo, hi, n)                                                      \
	for (struct bpf_iter_num EV_ITER_VAR(n) __attribute__((cleanup(bpf_iter_num_destroy))), \
	     *EV_ONCE_VAR(n) __attribute__((unused)) = ev_iter_start(&EV_ITER_VAR(n), (lo), (hi)); \
	     ev_iter_step(&EV_ITER_VAR(n), &(i), (lo), (hi));)
#define ev_for_x(i, lo, hi, n) ev_for_n(i, lo, hi, n)
#define ev_for(i, lo, hi) ev_for_x(i, lo, hi, __COUNTER__)

#define ev_repeat_n(cnt, n)                                                         \
	for (struct bpf_iter_num EV_ITER_VAR(n) __attribute__((cleanup(bpf_iter_num_destroy))), \
	     *EV_ONCE_VAR(n) __attribute__((unused)) = ev_iter_start(&EV_ITER_VAR(n), 0, (cnt)); \
	     bpf_iter_num_next(&EV_ITER_VAR(n));)
#define ev_repeat_x(cnt, n) ev_repeat_n(cnt, n)
#define ev_repeat(cnt) ev_repeat_x(cnt, __COUNTER__)

#define ev_for_each_num_n(p, lo, hi, n)                                             \
	for (struct bpf_iter_num EV_ITER_VAR(n) __attribute__((cleanup(bpf_iter_num_destroy))), \
	     *EV_ONCE_VAR(n) __attribute__((unused)) = ev_iter_start(&EV_ITER_VAR(n), (lo), (hi)); \
	     ((p) = bpf_iter_num_next(&EV_ITER_VAR(n)));)
#define ev_for_each_num_x(p, lo, hi, n) ev_for_each_num_n(p, lo, hi, n)
#define ev_for_each_num(p, lo, hi) ev_for_each_num_x(p, lo, hi, __COUNTER__)

#endif
