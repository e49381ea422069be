/* Shared definitions of the global function fixtures. */
#ifndef EBPFVM_GLOBALFUNC_H
#define EBPFVM_GLOBALFUNC_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* libbpf's argument tags (bpf_helpers.h of libbpf 1.4+). */
#define __arg_ctx __attribute__((btf_decl_tag("arg:ctx")))
#define __arg_nonnull __attribute__((btf_decl_tag("arg:nonnull")))

/*
 * clang propagates constants and returned arguments into callers even
 * across __noinline; OPAQUE(x) hides a value from it so that the call and
 * its argument stay as written.
 */
#define OPAQUE(x) asm volatile("" : "+r"(x))

struct pair {
	int a;
	int b;
};

#endif
