// Package verifier is ebpfvm's static verifier: it proves, before a
// program runs, what the Linux kernel's verifier (kernel/bpf/verifier.c)
// proves, and accepts and rejects the same programs with the same messages.
//
// Verify runs two passes over a program of isa.Instruction slots:
//
//  1. The structural pass of the kernel's resolve_pseudo_ldimm64,
//     check_subprogs and check_cfg: map references resolved, subprogram
//     boundaries from local calls and ld_imm64 function references, no
//     jumps between subprograms, every subprogram ending in an exit or a
//     jump, no unreachable instructions, back-edges only for privileged
//     programs (bounded loops).
//  2. Abstract interpretation of every path: registers carry kernel types
//     (scalar, ctx, map_ptr, map_value, fp, pkt, pkt_end, mem, ringbuf
//     records, ...) and scalars carry a tnum plus signed and unsigned
//     64- and 32-bit ranges refined by every ALU operation and both sides
//     of every branch. Stack bytes are tracked one by one (invalid, misc,
//     zero, spilled register). Memory accesses are checked against map
//     value sizes, the context description of the program type, packet
//     ranges proven by comparisons with data_end, and the stack. Helper
//     calls are checked against prototypes, references (ring buffer
//     records) must be released, bpf-to-bpf calls nest up to 8 frames in
//     512 bytes of stack, and loops are explored until a state repeats
//     (state pruning), within the kernel's budget of 1,000,000
//     processed instructions. As in the kernel, a stored state is
//     compared only on what some check after it depended on: scalars
//     that precision backtracking (mark_chain_precision) traced a check
//     back to, and stack slots a later path read. Global functions are
//     verified once, on their own, from their BTF prototypes; kfuncs
//     registered from Go are checked like helpers.
//
// The places where the rest of ebpfvm plugs in are values and interfaces:
// a ProgramType (its Context, which says what each context offset allows,
// and its HelperSet of HelperProto prototypes), and the maps a program
// references (Options.Maps and Options.Loads, filled by the loader).
// KernelHelper gives the kernel's prototypes of the common helpers; XDP,
// SchedCLS, SocketFilter, Syscall, RawTracepoint and Generic describe the
// program types.
//
// Errors are *Error values carrying the instruction index and the kernel's
// message; Options.LogLevel 1 and 2 produce the kernel's log formats.
//
// Mode Privileged gives the kernel's verdicts for a root loader; Untrusted
// applies the kernel's rules for unprivileged programs (no pointer leaks,
// no uninitialized stack reads, no loops or bpf-to-bpf calls).
package verifier
