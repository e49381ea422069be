package isa

import (
	"reflect"
	"testing"
)

// fuzzSeeds returns the conformance programs (when the suite is present)
// and the table-test programs as assembly.
func fuzzSeeds() []string {
	var seeds []string
	files, _ := readConformance()
	for _, f := range files {
		seeds = append(seeds, f.asm)
	}
	for _, tt := range insnTexts {
		seeds = append(seeds, tt.text)
	}
	return seeds
}

// FuzzDecode checks that no bytecode makes Decode, Validate, Disassemble
// or FormatInstruction panic, and that every decoded program survives
// Disassemble and Assemble.
func FuzzDecode(f *testing.F) {
	for _, src := range fuzzSeeds() {
		if p, err := Assemble(src); err == nil {
			f.Add(Encode(nil, p))
		}
	}
	f.Add([]byte{0x18, 0x01, 0, 0, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Decode(b)
		if err != nil {
			return
		}
		_ = Validate(p)
		for i := range p {
			_ = FormatInstruction(p, i)
			_ = p[i].String()
		}
		text := Disassemble(p)
		got, err := Assemble(text)
		if err != nil {
			t.Fatalf("Assemble(Disassemble(p)): %v\n%s", err, text)
		}
		if !reflect.DeepEqual(got, p) && !(len(got) == 0 && len(p) == 0) {
			t.Fatalf("round trip differs:\n%s\nre-assembled:\n%s", text, Disassemble(got))
		}
	})
}

// FuzzAssemble checks that no source makes Assemble panic, and that
// whatever assembles disassembles and re-assembles to the same program.
func FuzzAssemble(f *testing.F) {
	for _, src := range fuzzSeeds() {
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Assemble(src)
		if err != nil {
			return
		}
		_ = Validate(p)
		text := Disassemble(p)
		got, err := Assemble(text)
		if err != nil {
			t.Fatalf("Assemble(Disassemble(Assemble(%q))): %v\n%s", src, err, text)
		}
		if !reflect.DeepEqual(got, p) {
			t.Fatalf("Assemble(%q) does not round-trip:\n%s\nre-assembled:\n%s", src, text, Disassemble(got))
		}
	})
}
