// Package isa is the eBPF instruction set: the instruction format of RFC 9669
// with the Linux additions (ISA v4, atomics, load-acquire/store-release,
// may_goto, legacy packet loads, ld_imm64 pseudo sources, kfunc calls and
// callx), its binary encoding, structural validation, a disassembler and an
// assembler.
//
// A program is a []Instruction of 8-byte slots, exactly as the kernel sees
// it: a 64-bit immediate load occupies two slots, and jump offsets and
// instruction indexes count slots. Keeping the kernel's indexing everywhere
// means that an error at "instruction 17" names the same instruction in
// ebpfvm, in the kernel's verifier log and in llvm-objdump.
//
// # Text forms
//
// Disassemble and FormatInstruction print the syntax of the kernel's
// verifier log and bpftool (kernel/bpf/disasm.c), so that logs of ebpfvm and
// of the kernel can be compared line by line:
//
//	0: (b7) r0 = 0
//	1: (18) r1 = map[fd:3]
//	3: (85) call bpf_map_lookup_elem#1
//	4: (15) if r0 == 0x0 goto pc+1
//	5: (61) r0 = *(u32 *)(r0 +0)
//	6: (95) exit
//
// Assemble reads that syntax back, LLVM's variants of it, and the uBPF
// syntax of the bpf_conformance suite ("mov %r0, 0", "ldxw %r0, [%r0]",
// "jeq %r0, 0, label"), with labels in both. Every program that Decode
// returns, valid or not, survives Disassemble followed by Assemble:
// slots that are not valid instructions print as raw ".insn" lines.
//
// FromCilium and ToCilium convert to and from the instructions of
// github.com/cilium/ebpf/asm.
package isa
