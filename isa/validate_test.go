package isa

import (
	"errors"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		src  string
		want string // "" for a valid program
	}{
		{"r0 = 0\nexit", ""},
		{"r1 = 1 ll\nr0 = map[fd:3]\nr2 = map[idx:1]+4\nexit", ""},
		{"call f\nexit\nf: r0 = 0\nexit", ""},
		{"r0 = subprog[f]\nexit\nf: exit", ""},
		{"gotol end\nr0 = 0\nend: exit", ""},
		{"", "empty program"},
		{"r0 = 0", "control falls off the end"},
		{"r0 = 1 ll", "control falls off the end"},
		{".insn op=0xff\nexit", "instruction 0 (.insn op=0xff dst=0 src=0 off=0 imm=0): unknown opcode 0xff"},
		{"mov %r11, 0\nexit", "invalid destination register r11"},
		{"mov %r0, %r12\nexit", "invalid source register r12"},
		{".insn op=0x07 dst=1 src=2 imm=1\nexit", "src_reg must be 0 with an immediate"},
		{".insn op=0x18 dst=1", "ld_imm64 is missing its second slot"},
		{".insn op=0x18 dst=1\n.insn op=0x07\nexit", "instruction 1 (r0 += 0): invalid second slot of ld_imm64"},
		{".insn op=0x18 dst=1 src=1\n.insn imm=1\nexit", "second slot of a map reference ld_imm64 must have imm 0"},
		// cilium/ebpf sign-extends a backward function offset into the
		// second imm; the kernel reads only the first.
		{"f: r0 = 0\n.insn op=0x18 dst=1 src=4 imm=-2\n.insn imm=-1\nexit", ""},
		{"goto +5\nexit", "jump out of range to 6"},
		{"goto -2\nexit", "jump out of range to -1"},
		{"goto +1\nr0 = 1 ll\nexit", "jump into the middle of ld_imm64 at 2"},
		{"call pc+3\nexit", "jump out of range to 4"},
		{"r0 = subprog[-5]\nexit", "jump out of range to -4"},
		{".insn op=0x85 src=3\nexit", "BPF_CALL uses reserved fields (src_reg 3)"},
		{".insn op=0xd4 dst=1 imm=8\nexit", "BPF_END uses invalid width 8"},
		{".insn op=0xbf dst=1 src=2 off=4\nexit", "sign-extension offset 4"},
		{".insn op=0xbc dst=1 src=2 off=32\nexit", "32-bit movsx from 32 bits"},
		{".insn op=0xd3 dst=1 src=2\nexit", "read-modify-write atomics take 4 or 8 bytes"},
		{".insn op=0xdb dst=1 src=2 imm=2\nexit", "invalid atomic opcode"},
		{".insn op=0x99 dst=1 src=2\nexit", "no sign-extending 8-byte load"},
		{".insn op=0x38 imm=1\nexit", "no 8-byte legacy packet load"},
		{".insn op=0xe5 dst=1\nexit", "invalid may_goto"},
		{".insn op=0x06 off=1\nexit", "gotol takes its offset in imm"},
	}
	for _, tt := range tests {
		p, err := Assemble(tt.src)
		if err != nil {
			t.Fatalf("Assemble(%q): %v", tt.src, err)
		}
		err = Validate(p)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Validate(%q) = %v, want nil", tt.src, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("Validate(%q) = %v, want an error containing %q", tt.src, err, tt.want)
		}
	}
}

func TestValidateErrorType(t *testing.T) {
	err := Validate([]Instruction{Mov64Imm(R0, 0), {Opcode: 0xff}, Exit()})
	var e *Error
	if !errors.As(err, &e) || e.Index != 1 || e.Insn.Opcode != 0xff {
		t.Errorf("Validate error = %#v, want *Error at index 1", err)
	}
}

func TestValidateTooLong(t *testing.T) {
	p := make([]Instruction, MaxInstructions+1)
	if err := Validate(p); err == nil || !strings.Contains(err.Error(), "more than the limit") {
		t.Errorf("Validate(%d instructions) = %v", len(p), err)
	}
}
