/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * strings.c: the string helpers, in a BPF_PROG_TYPE_SYSCALL program.
 *
 * Syscall programs are run with BPF_PROG_TEST_RUN on a context blob of any
 * size that user space chooses; the program may read and write it, and
 * the kernel copies it back. That makes them the simplest type that may
 * call bpf_strtol, bpf_strtoul, bpf_strncmp and bpf_snprintf (all four are
 * in the kernel's base helper set; bpf_snprintf needs CAP_PERFMON).
 *
 * The context, struct str_args, carries the inputs (strings, a base, two
 * addresses) and receives every result. Formats and the comparison
 * strings live in .rodata, as these helpers require.
 */
#include "common.h"

struct str_args {
	/* inputs */
	char number[32];   /* parsed by bpf_strtol */
	char unumber[32];  /* parsed by bpf_strtoul */
	char word[16];     /* compared by bpf_strncmp, printed with %s */
	__u64 base;        /* flags of strtol/strtoul: 0, 8, 10 or 16 */
	__u8 ip4[4];       /* printed with %pI4 */
	__u8 ip6[16];      /* printed with %pI6 */
	__u32 pad0;
	/* outputs */
	__s64 l_value;
	__s64 l_ret;       /* bytes consumed or -errno */
	__u64 ul_value;
	__s64 ul_ret;
	__s32 cmp_exact;   /* bpf_strncmp(word, 16, "ebpfvm") */
	__s32 cmp_prefix;  /* bpf_strncmp(word, 4, "ebpf") */
	__s32 fmt1_ret;    /* bpf_snprintf return values */
	__s32 fmt2_ret;
	__s32 small_ret;
	__u32 pad1;
	char out1[96];
	char out2[96];
	char small[8];     /* a too-small buffer: truncated, NUL-terminated */
};

static const char word_exact[] = "ebpfvm";
static const char word_prefix[] = "ebpf";
static const char fmt1[] = "l=%ld ul=%lu x=%x X=%llX w=%s";
static const char fmt2[] = "ip4=%pI4 ip6=%pI6 c=%c|%5d|%-5d|%05u|%+d|%%";
static const char fmt_small[] = "value=%d";

SEC("syscall")
int sys_strings(struct str_args *args)
{
	char number[32], unumber[32], word[16];
	__u8 ip4[4], ip6[16];
	char out[96];
	__u64 data[8];
	long lv = 0;
	unsigned long ulv = 0;

	/* Syscall context memory is copied to the stack before the helpers
	 * see it: helpers take pointers to stack or map memory. */
	__builtin_memcpy(number, args->number, sizeof(number));
	__builtin_memcpy(unumber, args->unumber, sizeof(unumber));
	__builtin_memcpy(word, args->word, sizeof(word));
	__builtin_memcpy(ip4, args->ip4, sizeof(ip4));
	__builtin_memcpy(ip6, args->ip6, sizeof(ip6));
	/* The %s argument must be NUL-terminated within the buffer. */
	word[sizeof(word) - 1] = 0;

	args->l_ret = bpf_strtol(number, sizeof(number), args->base, &lv);
	args->l_value = lv;
	args->ul_ret = bpf_strtoul(unumber, sizeof(unumber), args->base, &ulv);
	args->ul_value = ulv;

	args->cmp_exact = bpf_strncmp(word, sizeof(word), word_exact);
	args->cmp_prefix = bpf_strncmp(word, 4, word_prefix);

	data[0] = lv;
	data[1] = ulv;
	data[2] = (__u32)lv;
	data[3] = ulv;
	data[4] = (__u64)(long)word;
	__builtin_memset(out, 0, sizeof(out));
	args->fmt1_ret = bpf_snprintf(out, sizeof(out), fmt1, data, 5 * 8);
	__builtin_memcpy(args->out1, out, sizeof(out));

	data[0] = (__u64)(long)ip4;
	data[1] = (__u64)(long)ip6;
	data[2] = word[0];
	data[3] = (__u32)lv;
	data[4] = (__u32)-lv;
	data[5] = (__u32)ulv;
	data[6] = (__u32)lv;
	__builtin_memset(out, 0, sizeof(out));
	args->fmt2_ret = bpf_snprintf(out, sizeof(out), fmt2, data, 7 * 8);
	__builtin_memcpy(args->out2, out, sizeof(out));

	char small[8] = {};
	data[0] = (__u32)lv;
	args->small_ret = bpf_snprintf(small, sizeof(small), fmt_small, data, 8);
	__builtin_memcpy(args->small, small, sizeof(small));

	return args->cmp_exact == 0 ? 1 : 0;
}
