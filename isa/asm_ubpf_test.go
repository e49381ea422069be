package isa

import (
	"encoding/hex"
	"strings"
	"testing"
)

// TestAssembleUBPF checks the encoding of every uBPF mnemonic against the
// rules of the bpf_conformance suite's assembler. Each want is the encoded
// instruction in hex, one 8-byte slot per word: opcode, dst|src<<4, offset
// (LE), imm (LE).
func TestAssembleUBPF(t *testing.T) {
	tests := []struct {
		src  string
		want string
	}{
		// ALU64 and ALU32, immediate and register forms.
		{"mov %r0, 1", "b7000000 01000000"},
		{"mov64 %r0, 1", "b7000000 01000000"},
		{"mov32 %r1, -3", "b4010000 fdffffff"},
		{"mov %r1, %r2", "bf210000 00000000"},
		{"mov32 %r1, %r10", "bca10000 00000000"},
		{"mov %r0, 0xffffffff", "b7000000 ffffffff"},
		{"mov %r0, -0x80000000", "b7000000 00000080"},
		{"add %r1, 2", "07010000 02000000"},
		{"add32 %r0, %r1", "0c100000 00000000"},
		{"sub %r1, %r2", "1f210000 00000000"},
		{"sub32 %r1, 1", "14010000 01000000"},
		{"mul %r1, 3", "27010000 03000000"},
		{"mul32 %r1, %r2", "2c210000 00000000"},
		{"div %r1, 3", "37010000 03000000"},
		{"div32 %r1, %r2", "3c210000 00000000"},
		{"sdiv %r1, 3", "37010100 03000000"},
		{"sdiv32 %r1, %r2", "3c210100 00000000"},
		{"or %r1, 1", "47010000 01000000"},
		{"or32 %r1, %r2", "4c210000 00000000"},
		{"and %r1, 1", "57010000 01000000"},
		{"and32 %r1, %r2", "5c210000 00000000"},
		{"lsh %r1, 1", "67010000 01000000"},
		{"lsh32 %r1, %r2", "6c210000 00000000"},
		{"rsh %r1, 1", "77010000 01000000"},
		{"rsh32 %r1, %r2", "7c210000 00000000"},
		{"neg %r1", "87010000 00000000"},
		{"neg32 %r1", "84010000 00000000"},
		{"mod %r1, 7", "97010000 07000000"},
		{"mod32 %r1, %r2", "9c210000 00000000"},
		{"smod %r1, 7", "97010100 07000000"},
		{"smod32 %r1, %r2", "9c210100 00000000"},
		{"xor %r1, 1", "a7010000 01000000"},
		{"xor32 %r1, %r2", "ac210000 00000000"},
		{"arsh %r1, 1", "c7010000 01000000"},
		{"arsh32 %r1, %r2", "cc210000 00000000"},
		// Sign-extending moves: the source width goes in the offset.
		{"movsx864 %r0, %r1", "bf100800 00000000"},
		{"movsx832 %r0, %r1", "bc100800 00000000"},
		{"movsx1664 %r0, %r1", "bf101000 00000000"},
		{"movsx1632 %r0, %r1", "bc101000 00000000"},
		{"movsx3264 %r0, %r1", "bf102000 00000000"},
		// Byte swaps: width in imm.
		{"be16 %r0", "dc000000 10000000"},
		{"be32 %r1", "dc010000 20000000"},
		{"be64 %r1", "dc010000 40000000"},
		{"le16 %r0", "d4000000 10000000"},
		{"le32 %r1", "d4010000 20000000"},
		{"le64 %r1", "d4010000 40000000"},
		{"swap16 %r0", "d7000000 10000000"},
		{"swap32 %r0", "d7000000 20000000"},
		{"swap64 %r0", "d7000000 40000000"},
		{"bswap16 %r0", "d7000000 10000000"},
		{"bswap64 %r2", "d7020000 40000000"},
		// Loads and stores.
		{"ldxb %r0, [%r1]", "71100000 00000000"},
		{"ldxh %r0, [%r1+2]", "69100200 00000000"},
		{"ldxw %r1, [%r1+16]", "61111000 00000000"},
		{"ldxdw %r0, [%r10-8]", "79a0f8ff 00000000"},
		{"ldxdw %r0, [%r10+0x10]", "79a01000 00000000"},
		{"ldxsb %r0, [%r1+1]", "91100100 00000000"},
		{"ldxsh %r0, [%r1+2]", "89100200 00000000"},
		{"ldxsw %r0, [%r1+4]", "81100400 00000000"},
		{"stb [%r1+1], 5", "72010100 05000000"},
		{"sth [%r1+2], -1", "6a010200 ffffffff"},
		{"stw [%r1+4], 5", "62010400 05000000"},
		{"stdw [%r10-8], 0x7fffffff", "7a0af8ff ffffff7f"},
		{"stxb [%r1+1], %r2", "73210100 00000000"},
		{"stxh [%r1+2], %r2", "6b210200 00000000"},
		{"stxw [%r1+4], %r2", "63210400 00000000"},
		{"stxdw [%r10-8], %r0", "7b0af8ff 00000000"},
		{"lddw %r0, 0x1122334455667788", "18000000 88776655 00000000 44332211"},
		{"lddw %r1, -1", "18010000 ffffffff 00000000 ffffffff"},
		{"lddw %r1, 1", "18010000 01000000 00000000 00000000"},
		{"ldabsb 4", "30000000 04000000"},
		{"ldabsh 4", "28000000 04000000"},
		{"ldabsw 4", "20000000 04000000"},
		{"ldindb %r1, 2", "50100000 02000000"},
		{"ldindh %r1, 2", "48100000 02000000"},
		{"ldindw %r1, -2", "40100000 feffffff"},
		// Jumps.
		{"ja +3", "05000300 00000000"},
		{"ja -1", "0500ffff 00000000"},
		{"ja32 -2", "06000000 feffffff"},
		{"jeq %r1, 5, +2", "15010200 05000000"},
		{"jeq %r1, %r2, +2", "1d210200 00000000"},
		{"jeq32 %r1, 5, +2", "16010200 05000000"},
		{"jgt %r1, 5, +2", "25010200 05000000"},
		{"jge %r1, 5, +2", "35010200 05000000"},
		{"jset %r1, 5, +2", "45010200 05000000"},
		{"jset32 %r1, 0x80000000, +1", "46010100 00000080"},
		{"jne %r1, 5, +2", "55010200 05000000"},
		{"jne32 %r1, %r2, -1", "5e21ffff 00000000"},
		{"jsgt %r1, 5, +2", "65010200 05000000"},
		{"jsge %r1, 5, +2", "75010200 05000000"},
		{"jlt %r1, 5, +2", "a5010200 05000000"},
		{"jle %r1, 5, +2", "b5010200 05000000"},
		{"jslt %r1, 5, +2", "c5010200 05000000"},
		{"jsle %r1, -1, +0", "d5010000 ffffffff"},
		{"jsle32 %r1, %r2, +1", "de210100 00000000"},
		// Calls and exit.
		{"call 5", "85000000 05000000"},
		{"call helper 1", "85000000 01000000"},
		{"call %r2", "8d020000 00000000"},
		{"call helper %r3", "8d030000 00000000"},
		{"call local +3", "85100000 03000000"},
		{"call runtime 7", "85200000 07000000"},
		{"exit", "95000000 00000000"},
		// Atomics.
		{"lock add [%r10-8], %r1", "db1af8ff 00000000"},
		{"lock add32 [%r10-4], %r1", "c31afcff 00000000"},
		{"lock fetch add [%r10-8], %r1", "db1af8ff 01000000"},
		{"lock fetch add32 [%r10-8], %r1", "c31af8ff 01000000"},
		{"lock and [%r10-8], %r1", "db1af8ff 50000000"},
		{"lock fetch and32 [%r10-4], %r3", "c33afcff 51000000"},
		{"lock or [%r10-8], %r1", "db1af8ff 40000000"},
		{"lock fetch or32 [%r10-4], %r3", "c33afcff 41000000"},
		{"lock xor [%r10-8], %r1", "db1af8ff a0000000"},
		{"lock fetch xor [%r10-8], %r3", "db3af8ff a1000000"},
		{"lock xchg [%r10-8], %r1", "db1af8ff e1000000"},
		{"lock xchg32 [%r10-8], %r1", "c31af8ff e1000000"},
		{"lock cmpxchg [%r10-8], %r1", "db1af8ff f1000000"},
		{"lock cmpxchg32 [%r10-8], %r1", "c31af8ff f1000000"},
		// The suite's fake registers for negative tests.
		{"mov %r11, 1", "b70b0000 01000000"},
		{"mov %r0, %r15", "bff00000 00000000"},
	}
	for _, tt := range tests {
		got, err := Assemble(tt.src)
		if err != nil {
			t.Errorf("Assemble(%q): %v", tt.src, err)
			continue
		}
		if h := hex.EncodeToString(Encode(nil, got)); h != strings.ReplaceAll(tt.want, " ", "") {
			t.Errorf("Assemble(%q) = %s, want %s", tt.src, h, tt.want)
		}
	}
}
