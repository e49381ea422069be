package interp

import (
	"strings"
	"testing"

	"github.com/ebpfvm/ebpfvm/internal/vm"
	"github.com/ebpfvm/ebpfvm/isa"
)

// testHelpers are helpers 1 and 181 (bpf_loop) and kfunc 7, for the
// decoder's call binding.
func testHelpers(t *testing.T) *vm.Helpers {
	t.Helper()
	var h vm.Helpers
	fn := func(*vm.Env, uint64, uint64, uint64, uint64, uint64) (uint64, error) { return 0, nil }
	for _, id := range []int32{1, vm.LoopHelperID} {
		if err := h.Register(vm.Helper{ID: id, Name: "h", Func: fn}); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.RegisterKfunc(vm.Helper{ID: 7, Name: "k", Func: fn}); err != nil {
		t.Fatal(err)
	}
	return &h
}

// TestDecodeReachesEveryOp decodes every instruction form that
// isa.CheckInstruction accepts (each opcode byte with the offsets,
// immediates and source fields that select variants) and checks that the
// decoder's tables cover the dispatch switch: every internal opcode is the
// decoding of some instruction, and no accepted instruction decodes to
// opInvalid. A row missing from aluOps, jumpIndex, atomicOps, movsxOps or
// signedOps fails it.
func TestDecodeReachesEveryOp(t *testing.T) {
	h := testHelpers(t)
	offs := []int16{0, 1, 8, 16, 32}
	imms := []int32{0, 1, 7, 16, 32, 64, vm.LoopHelperID,
		isa.AtomicAdd, isa.AtomicOr, isa.AtomicAnd, isa.AtomicXor,
		isa.AtomicAdd | isa.AtomicFetch, isa.AtomicOr | isa.AtomicFetch, isa.AtomicAnd | isa.AtomicFetch, isa.AtomicXor | isa.AtomicFetch,
		isa.AtomicXchg, isa.AtomicCmpXchg, isa.AtomicLoadAcq, isa.AtomicStoreRel, vm.TailCallHelperID}
	seen := make([]bool, opCount)
	c := &Code{}
	for b := 0; b < 256; b++ {
		for _, dst := range []isa.Register{0, 1} {
			for _, src := range []isa.Register{0, 1, 2, 4} {
				for _, off := range offs {
					for _, imm := range imms {
						in := isa.Instruction{Opcode: isa.Opcode(b), Dst: dst, Src: src, Offset: off, Imm: imm}
						if isa.CheckInstruction(in) != nil || in.IsLoadImm64() {
							continue
						}
						if in.Opcode.Class() == isa.ClassJMP && in.Opcode.Op() == isa.JmpCall && uint8(src) == isa.CallKfunc && imm != 7 {
							continue // only kfunc 7 is registered
						}
						if in.Opcode.Class() == isa.ClassJMP && in.Opcode.Op() == isa.JmpCall && in.Opcode.Source() == isa.SourceK && src == 0 && imm != 1 && imm != vm.LoopHelperID && imm != vm.TailCallHelperID {
							continue
						}
						d, err := c.decode(in, 0, h)
						if err != nil {
							t.Fatalf("%#02x src %d off %d imm %#x (%s): %v", b, src, off, imm, isa.FormatInstruction([]isa.Instruction{in}, 0), err)
						}
						if d.op == opInvalid {
							t.Fatalf("%#02x src %d off %d imm %#x decodes to opInvalid", b, src, off, imm)
						}
						seen[d.op] = true
					}
				}
			}
		}
	}
	// ld_imm64: plain and BPF_PSEUDO_FUNC.
	for _, src := range []isa.Register{isa.Register(isa.PseudoNone), isa.Register(isa.PseudoFunc)} {
		in := isa.Instruction{Opcode: isa.Opcode(isa.ClassLD) | isa.Opcode(isa.ModeIMM) | isa.Opcode(isa.SizeDW), Dst: 1, Src: src}
		d, err := c.decode(in, 0, h)
		if err != nil {
			t.Fatal(err)
		}
		seen[d.op] = true
	}
	seen[opLoopInline] = true // CompileVerified's rewrite of a bpf_loop call (TestInlinedLoopSites)
	for op := 1; op < int(opCount); op++ {
		if !seen[op] {
			t.Errorf("internal opcode %d is the decoding of no instruction", op)
		}
	}
}

// TestDecode pins what the decoder stores beside the opcode: masked shift
// counts, absolute branch targets, 32-bit jump immediates as u32, access
// sizes, call binding.
func TestDecode(t *testing.T) {
	for _, c := range []struct {
		src  string
		slot int
		want inst
	}{
		{"r1 <<= 63\nexit", 0, inst{op: opLsh64K, dst: 1, imm: 63}},
		{"w1 s>>= 31\nexit", 0, inst{op: opArsh32K, dst: 1, imm: 31}},
		{"r2 s/= -3\nexit", 0, inst{op: opSdiv64K, dst: 2, off: 1, imm: -3}},
		{"r1 = (s16)r2\nexit", 0, inst{op: opMovsx64X16, dst: 1, src: 2, off: 16}},
		{"r1 = bswap32 r1\nexit", 0, inst{op: opBswap32, dst: 1, imm: 32}},
		{"r0 = 0\nif w1 > -1 goto +1\nr0 = 1\nexit", 1, inst{op: opJgt32K, dst: 1, off: 3, imm: 0xffffffff}},
		{"r0 = 0\nif r1 s< r2 goto -2\nexit", 1, inst{op: opJslt64X, dst: 1, src: 2, off: 0}},
		{"goto +1\nr0 = 1\nexit", 0, inst{op: opJa, off: 2}},
		{"r0 = *(u16 *)(r1 +6)\nexit", 0, inst{op: opLdxH, src: 1, off: 6}},
		{"r0 = *(s8 *)(r1 -1)\nexit", 0, inst{op: opLdxsB, src: 1, off: -1}},
		{"lock *(u32 *)(r1 +4) += w2\nexit", 0, inst{op: opAtomicAdd32, dst: 1, src: 2, off: 4, aux: 4}},
		{"r0 = load_acquire((u64 *)(r1 +0))\nexit", 0, inst{op: opLoadAcquire, src: 1, aux: 8, imm: int64(isa.AtomicLoadAcq)}},
		{"r0 = *(u8 *)skb[3]\nexit", 0, inst{op: opLdAbs, aux: 1, imm: 3}},
		{"call 1\nexit", 0, inst{op: opCallHelper, imm: 0}},
		{"call 12\nexit", 0, inst{op: opTailCall, imm: 12}},
		{"call 1\ncall 181\nexit", 1, inst{op: opCallHelper, imm: 1}},
		{"r0 = 0x100000002 ll\nexit", 0, inst{op: opLdImm64, imm: 0x100000002}},
	} {
		insns, err := isa.Assemble(c.src)
		if err != nil {
			t.Fatalf("%q: %v", c.src, err)
		}
		code, err := Compile(insns, testHelpers(t))
		if err != nil {
			t.Fatalf("%q: %v", c.src, err)
		}
		if got := code.insns[c.slot]; got != c.want {
			t.Errorf("%q slot %d: got %+v, want %+v", c.src, c.slot, got, c.want)
		}
	}
}

// TestCompileErrors: what the decoder refuses, with the slot named.
func TestCompileErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"call 2\nexit", "instruction 0 (call bpf_map_update_elem#2): unknown helper bpf_map_update_elem#2"},
		{"r0 = 0\ncall 99999\nexit", "unknown helper #99999"},
		{"r1 = map[fd:0]\nexit", "needs the loader to resolve it"},
	} {
		insns, err := isa.Assemble(c.src)
		if err != nil {
			t.Fatalf("%q: %v", c.src, err)
		}
		_, err = Compile(insns, testHelpers(t))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.src, err, c.want)
		}
	}
}

// TestInlinedLoopSites: CompileVerified rewrites the bpf_loop calls the
// verifier inlined and refuses a site that is not one.
func TestInlinedLoopSites(t *testing.T) {
	insns, err := isa.Assemble("call 1\ncall 181\nexit")
	if err != nil {
		t.Fatal(err)
	}
	c, err := CompileVerified(insns, testHelpers(t), vm.Facts{InlinedLoops: []int{1}})
	if err != nil || c.insns[1].op != opLoopInline || c.Checked() {
		t.Fatalf("got %v, op %d, checked %v", err, c.insns[1].op, c.Checked())
	}
	for _, site := range []int{0, 2, -1, 9} {
		if _, err := CompileVerified(insns, testHelpers(t), vm.Facts{InlinedLoops: []int{site}}); err == nil {
			t.Errorf("site %d accepted", site)
		}
	}
}
