package ebpfvm_test

import (
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
	"github.com/ebpfvm/ebpfvm/isa"
)

// Compute-heavy programs for the interpreter benchmarks. The verifier
// accepts them all (it follows each loop to its end: their trip counts are
// kept low enough for its 1,000,000-instruction budget).
var benchPrograms = []struct {
	name  string
	insns []isa.Instruction
}{
	{"alu-loop", prog( // an xorshift-multiply hash over 10k iterations
		isa.Mov64Imm(isa.R0, 1),
		isa.Mov64Imm(isa.R6, 10000),
		isa.Mov64Reg(isa.R1, isa.R0),
		isa.ALU64Imm(isa.ALULsh, isa.R1, 13),
		isa.ALU64Reg(isa.ALUXor, isa.R0, isa.R1),
		isa.Mov64Reg(isa.R1, isa.R0),
		isa.ALU64Imm(isa.ALURsh, isa.R1, 7),
		isa.ALU64Reg(isa.ALUXor, isa.R0, isa.R1),
		isa.ALU64Imm(isa.ALUMul, isa.R0, 0x2545F491),
		isa.ALU32Imm(isa.ALUAdd, isa.R2, 3),
		isa.ALU64Imm(isa.ALUSub, isa.R6, 1),
		isa.JumpImm(isa.JmpJNE, isa.R6, 0, -10),
		isa.Exit())},
	{"memory-loop", prog( // stack stores and loads of all sizes
		isa.Mov64Imm(isa.R0, 0),
		isa.Mov64Imm(isa.R6, 10000),
		isa.StoreMem(isa.SizeDW, isa.R10, isa.R6, -8),
		isa.StoreMem(isa.SizeW, isa.R10, isa.R0, -16),
		isa.LoadMem(isa.SizeDW, isa.R1, isa.R10, -8),
		isa.LoadMem(isa.SizeW, isa.R2, isa.R10, -16),
		isa.StoreMem(isa.SizeB, isa.R10, isa.R1, -17),
		isa.LoadMem(isa.SizeB, isa.R3, isa.R10, -17),
		isa.ALU64Reg(isa.ALUAdd, isa.R0, isa.R3),
		isa.ALU64Reg(isa.ALUAdd, isa.R0, isa.R2),
		isa.ALU64Imm(isa.ALUSub, isa.R6, 1),
		isa.JumpImm(isa.JmpJNE, isa.R6, 0, -10),
		isa.Exit())},
	{"prime-count", prog( // count primes below 2000 by trial division
		isa.Mov64Imm(isa.R0, 0),
		isa.Mov64Imm(isa.R1, 2), // n
		// outer: if n >= 2000 exit
		isa.JumpImm(isa.JmpJGE, isa.R1, 2000, 12),
		isa.Mov64Imm(isa.R2, 2), // d
		// inner: if d*d > n -> prime
		isa.Mov64Reg(isa.R3, isa.R2),
		isa.ALU64Reg(isa.ALUMul, isa.R3, isa.R2),
		isa.JumpReg(isa.JmpJGT, isa.R3, isa.R1, 5),
		isa.Mov64Reg(isa.R4, isa.R1),
		isa.ALU64Reg(isa.ALUMod, isa.R4, isa.R2),
		isa.JumpImm(isa.JmpJEQ, isa.R4, 0, 3), // composite
		isa.ALU64Imm(isa.ALUAdd, isa.R2, 1),
		isa.Ja(-8),
		isa.ALU64Imm(isa.ALUAdd, isa.R0, 1), // prime
		isa.ALU64Imm(isa.ALUAdd, isa.R1, 1),
		isa.Ja(-13),
		isa.Exit())},
}

// BenchmarkInterpreter reports the interpreter's cost per executed
// instruction (ns/insn), for each program verified (run without
// per-access checks) and unverified (checked mode). The target is 2 ns or
// less on the project's 2-core CI machines.
func BenchmarkInterpreter(b *testing.B) {
	for _, bp := range benchPrograms {
		for _, mode := range []ebpfvm.VerifyMode{ebpfvm.VerifyPrivileged, ebpfvm.VerifyNone} {
			b.Run(bp.name+"/"+modeName(mode), func(b *testing.B) { benchInterpreter(b, bp.insns, mode) })
		}
	}
}

// modeName names a benchmark's mode: "verified" or "checked".
func modeName(mode ebpfvm.VerifyMode) string {
	if mode == ebpfvm.VerifyNone {
		return "checked"
	}
	return "verified"
}

func benchInterpreter(b *testing.B, insns []isa.Instruction, mode ebpfvm.VerifyMode) {
	p, err := ebpfvm.NewProgram(insns, &ebpfvm.ProgramOptions{Verify: mode})
	if err != nil {
		b.Fatal(err)
	}
	res, err := p.Run(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p.Run(nil)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(res.Executed), "ns/insn")
	b.ReportMetric(float64(res.Executed), "insns/run")
}

func TestBenchProgramsRun(t *testing.T) { engines.Run(t, testBenchProgramsRun) }

func testBenchProgramsRun(t *testing.T, e engines.Engine) {
	want := map[string]uint64{"prime-count": 303}
	for _, bp := range benchPrograms {
		verified, err := run(t, e, bp.insns, nil)
		if err != nil {
			t.Fatalf("%s: %v", bp.name, err)
		}
		checked, err := runUnverified(t, engines.Reference(), bp.insns, nil)
		if err != nil {
			t.Fatalf("%s, unverified: %v", bp.name, err)
		}
		if verified.ReturnValue != checked.ReturnValue || verified.Executed != checked.Executed {
			t.Errorf("%s: verified %+v, unverified %+v", bp.name, verified, checked)
		}
		if w, ok := want[bp.name]; ok && verified.ReturnValue != w {
			t.Errorf("%s: r0 = %d, want %d", bp.name, verified.ReturnValue, w)
		}
	}
}

// BenchmarkRunOverhead is the fixed cost of one Run of an empty program
// ("r0 = 0; exit"), per program type.
func BenchmarkRunOverhead(b *testing.B) {
	for _, c := range []struct {
		name string
		typ  ebpf.ProgramType
		opts *ebpfvm.RunOptions
	}{
		{"generic", ebpf.UnspecifiedProgram, &ebpfvm.RunOptions{}},
		{"xdp", ebpf.XDP, &ebpfvm.RunOptions{Data: testPacket()}},
		{"xdp-repeat", ebpf.XDP, &ebpfvm.RunOptions{Data: testPacket(), Repeat: 1000}},
	} {
		b.Run(c.name, func(b *testing.B) {
			p, err := ebpfvm.NewProgram(prog(isa.Mov64Imm(isa.R0, 0), isa.Exit()), &ebpfvm.ProgramOptions{Type: c.typ})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Run(c.opts); err != nil {
					b.Fatal(err)
				}
			}
			if c.opts.Repeat > 1 {
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(c.opts.Repeat), "ns/run")
			}
		})
	}
}
