package ebpfvm_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/mem"
	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
	"github.com/ebpfvm/ebpfvm/isa"
	"github.com/ebpfvm/ebpfvm/verifier"
)

func prog(insns ...any) []isa.Instruction {
	var out []isa.Instruction
	for _, x := range insns {
		switch v := x.(type) {
		case isa.Instruction:
			out = append(out, v)
		case [2]isa.Instruction:
			out = append(out, v[:]...)
		}
	}
	return out
}

// run loads a generic program, verified with a context of len(ctx) bytes,
// and runs it.
func run(t *testing.T, e engines.Engine, insns []isa.Instruction, ctx []byte) (ebpfvm.RunResult, error) {
	t.Helper()
	return runMode(t, e, insns, ctx, ebpfvm.VerifyPrivileged)
}

// runUnverified loads a generic program unverified (checked mode) and runs
// it: for programs that test the run-time checks, which the verifier would
// refuse.
func runUnverified(t *testing.T, e engines.Engine, insns []isa.Instruction, ctx []byte) (ebpfvm.RunResult, error) {
	t.Helper()
	return runMode(t, e, insns, ctx, ebpfvm.VerifyNone)
}

// runMode loads a generic program on engine e in mode and runs it.
func runMode(t *testing.T, e engines.Engine, insns []isa.Instruction, ctx []byte, mode ebpfvm.VerifyMode) (ebpfvm.RunResult, error) {
	t.Helper()
	p, err := ebpfvm.NewProgram(insns, e.Program(&ebpfvm.ProgramOptions{Verify: mode, ContextSize: len(ctx)}))
	if err != nil {
		t.Fatalf("NewProgram: %v", err)
	}
	if p.Verified() != (mode != ebpfvm.VerifyNone) {
		t.Fatalf("Verified() = %v with %v", p.Verified(), mode)
	}
	return p.Run(&ebpfvm.RunOptions{Context: ctx})
}

// wantRejected checks that the verifier refuses the program at load, at
// instruction insn.
func wantRejected(t *testing.T, insns []isa.Instruction, ctxSize, insn int) {
	t.Helper()
	_, err := ebpfvm.NewProgram(insns, &ebpfvm.ProgramOptions{ContextSize: ctxSize})
	var ve *verifier.Error
	if !errors.As(err, &ve) || ve.Insn != insn {
		t.Errorf("want the verifier to reject instruction %d at load, got %v", insn, err)
	}
}

func TestArithmeticSemantics(t *testing.T) { engines.Run(t, testArithmeticSemantics) }

func testArithmeticSemantics(t *testing.T, e engines.Engine) {
	const min64 = uint64(1) << 63
	cases := []struct {
		name string
		a, b uint64
		op   func(dst, src isa.Register) isa.Instruction
		want uint64
	}{
		{"div64 by zero", 7, 0, func(d, s isa.Register) isa.Instruction { return isa.ALU64Reg(isa.ALUDiv, d, s) }, 0},
		{"mod64 by zero", 7, 0, func(d, s isa.Register) isa.Instruction { return isa.ALU64Reg(isa.ALUMod, d, s) }, 7},
		{"mod32 by zero zero-extends", 0xffffffff_00000007, 0, func(d, s isa.Register) isa.Instruction { return isa.ALU32Reg(isa.ALUMod, d, s) }, 7},
		{"div32 by zero", 0xffffffff_00000007, 0, func(d, s isa.Register) isa.Instruction { return isa.ALU32Reg(isa.ALUDiv, d, s) }, 0},
		{"sdiv64 min by -1", min64, ^uint64(0), func(d, s isa.Register) isa.Instruction { return sdiv(isa.ALU64Reg(isa.ALUDiv, d, s)) }, min64},
		{"smod64 min by -1", min64, ^uint64(0), func(d, s isa.Register) isa.Instruction { return sdiv(isa.ALU64Reg(isa.ALUMod, d, s)) }, 0},
		{"sdiv32 min by -1", 0x80000000, 0xffffffff, func(d, s isa.Register) isa.Instruction { return sdiv(isa.ALU32Reg(isa.ALUDiv, d, s)) }, 0x80000000},
		{"smod64 negative", uint64(^uint64(6)), 3, func(d, s isa.Register) isa.Instruction { return sdiv(isa.ALU64Reg(isa.ALUMod, d, s)) }, ^uint64(0)}, // -7 % 3 = -1
		{"add32 wraps and zero-extends", 0xffffffff_ffffffff, 1, func(d, s isa.Register) isa.Instruction { return isa.ALU32Reg(isa.ALUAdd, d, s) }, 0},
		{"lsh64 masks count", 1, 65, func(d, s isa.Register) isa.Instruction { return isa.ALU64Reg(isa.ALULsh, d, s) }, 2},
		{"rsh32 masks count", 0x80000000, 33, func(d, s isa.Register) isa.Instruction { return isa.ALU32Reg(isa.ALURsh, d, s) }, 0x40000000},
		{"arsh64", min64, 63, func(d, s isa.Register) isa.Instruction { return isa.ALU64Reg(isa.ALUArsh, d, s) }, ^uint64(0)},
		{"arsh32", 0x80000000, 31, func(d, s isa.Register) isa.Instruction { return isa.ALU32Reg(isa.ALUArsh, d, s) }, 0xffffffff},
		{"movsx8", 0, 0x80, func(d, s isa.Register) isa.Instruction { return movsx(isa.ALU64Reg(isa.ALUMov, d, s), 8) }, 0xffffffff_ffffff80},
		{"movsx32 to 32 bits", 0, 0x8000, func(d, s isa.Register) isa.Instruction { return movsx(isa.ALU32Reg(isa.ALUMov, d, s), 16) }, 0xffff8000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, b := isa.LoadImm64(isa.R0, c.a), isa.LoadImm64(isa.R1, c.b)
			res, err := run(t, e, prog(a, b, c.op(isa.R0, isa.R1), isa.Exit()), nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.ReturnValue != c.want {
				t.Fatalf("r0 = %#x, want %#x", res.ReturnValue, c.want)
			}
		})
	}
}

func sdiv(in isa.Instruction) isa.Instruction { in.Offset = 1; return in }
func movsx(in isa.Instruction, bits int16) isa.Instruction {
	in.Offset = bits
	return in
}

func TestOutOfBoundsIsAnError(t *testing.T) { engines.RunChecked(t, testOutOfBoundsIsAnError) }

func testOutOfBoundsIsAnError(t *testing.T, e engines.Engine) {
	cases := []struct {
		name  string
		insns []isa.Instruction
		index int
		want  string
	}{
		{"read past context", prog(isa.LoadMem(isa.SizeDW, isa.R0, isa.R1, 4), isa.Exit()), 0, "past the end of context"},
		{"null read", prog(isa.Mov64Imm(isa.R1, 0), isa.LoadMem(isa.SizeB, isa.R0, isa.R1, 0), isa.Exit()), 1, "null"},
		{"below stack", prog(isa.StoreImm(isa.SizeDW, isa.R10, -4104, 1), isa.Mov64Imm(isa.R0, 0), isa.Exit()), 0, "3592 bytes before the start of stack"},
		{"below the frame", prog(isa.StoreMem(isa.SizeDW, isa.R10, isa.R1, -520), isa.Mov64Imm(isa.R0, 0), isa.Exit()), 0, "8 bytes before the start of stack"},
		{"above stack", prog(isa.StoreImm(isa.SizeW, isa.R10, -2, 1), isa.Mov64Imm(isa.R0, 0), isa.Exit()), 0, "stack"},
		{"wild pointer", prog(isa.LoadImm64(isa.R1, 0xdeadbeef000), isa.LoadMem(isa.SizeW, isa.R0, isa.R1, 0), isa.Exit()), 2, "outside every region"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The verifier refuses each at load; unverified, the
			// run-time checks catch it.
			wantRejected(t, c.insns, 8, c.index)
			_, err := runUnverified(t, e, c.insns, make([]byte, 8))
			var re *ebpfvm.RunError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want a RunError", err)
			}
			if re.Index != c.index || !errors.Is(err, ebpfvm.ErrAccessDenied) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v (index %d), want index %d mentioning %q", err, re.Index, c.index, c.want)
			}
		})
	}
}

// TestBudgetAndCallDepth runs what the verifier refuses (an infinite loop,
// recursion) unverified: the budget and the frame limit stop them.
func TestBudgetAndCallDepth(t *testing.T) { engines.RunChecked(t, testBudgetAndCallDepth) }

func testBudgetAndCallDepth(t *testing.T, e engines.Engine) {
	loop := prog(isa.Mov64Imm(isa.R0, 0), isa.Ja(-1))
	wantRejected(t, loop, 0, 1)
	p, err := ebpfvm.NewProgram(loop, e.Program(&ebpfvm.ProgramOptions{Verify: ebpfvm.VerifyNone}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Run(&ebpfvm.RunOptions{Budget: 1000})
	if !errors.Is(err, ebpfvm.ErrBudget) {
		t.Fatalf("infinite loop: err = %v, want ErrBudget", err)
	}
	// A function that calls itself.
	rec := prog(isa.Instruction{Opcode: isa.OpCall, Src: 1, Imm: -1}, isa.Exit())
	wantRejected(t, rec, 0, 0)
	if _, err := runUnverified(t, e, rec, nil); !errors.Is(err, ebpfvm.ErrCallDepth) {
		t.Fatalf("recursion: err = %v, want ErrCallDepth", err)
	}
}

// mayGotoCounter counts the iterations of "may_goto +2; r0 += 1; goto -3"
// in r0: how many times may_goto falls through before it jumps.
var mayGotoCounter = prog(isa.Mov64Imm(isa.R0, 0),
	isa.Instruction{Opcode: isa.OpMayGoto, Offset: 2},
	isa.ALU64Imm(isa.ALUAdd, isa.R0, 1),
	isa.Ja(-3),
	isa.Exit())

func TestMayGotoCounted(t *testing.T) { engines.Run(t, testMayGotoCounted) }

func testMayGotoCounted(t *testing.T, e engines.Engine) {
	p, err := ebpfvm.NewProgram(mayGotoCounter, e.Program(nil))
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(&ebpfvm.RunOptions{CountedMayGoto: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.ReturnValue != 8*1024*1024 {
		t.Fatalf("r0 = %d, want %d", res.ReturnValue, 8*1024*1024)
	}
}

// TestMayGotoTimed checks the default mode's structure, which does not
// depend on the machine's speed: the loop falls through a whole number of
// 65535-iteration rounds (the clock is read at the end of each) and stops
// (internal/engine/interp tests the timing with a fake clock).
func TestMayGotoTimed(t *testing.T) { engines.Run(t, testMayGotoTimed) }

func testMayGotoTimed(t *testing.T, e engines.Engine) {
	res, err := run(t, e, mayGotoCounter, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := res.ReturnValue; n == 0 || n%0xffff != 0 {
		t.Fatalf("r0 = %d, want a positive multiple of 65535", n)
	}
}

func TestStackIsZeroedBetweenRuns(t *testing.T) { engines.Run(t, testStackIsZeroedBetweenRuns) }

func testStackIsZeroedBetweenRuns(t *testing.T, e engines.Engine) {
	// Read a stack slot, then write to it: the second run must still read 0.
	p, err := ebpfvm.NewProgram(prog(
		isa.LoadMem(isa.SizeDW, isa.R0, isa.R10, -8),
		isa.StoreImm(isa.SizeDW, isa.R10, -8, 77),
		isa.Exit()), e.Program(nil))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		res, err := p.Run(nil)
		if err != nil || res.ReturnValue != 0 {
			t.Fatalf("run %d: r0 = %d, err = %v", i, res.ReturnValue, err)
		}
	}
}

// TestAtomicsAcrossGoroutines runs programs on many goroutines that update
// one shared counter with atomic instructions, verified (unchecked) and
// not (checked).
func TestAtomicsAcrossGoroutines(t *testing.T) {
	engines.Run(t, func(t *testing.T, e engines.Engine) {
		for _, mode := range e.Modes() {
			t.Run(mode.String(), func(t *testing.T) { testAtomicsAcrossGoroutines(t, e, mode) })
		}
	})
}

func testAtomicsAcrossGoroutines(t *testing.T, e engines.Engine, mode ebpfvm.VerifyMode) {
	shared, err := mem.Alloc(16)
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Free()
	h := &ebpfvm.Helpers{}
	h.Register(ebpfvm.Helper{ID: 1000, Name: "shared", Func: func(env *ebpfvm.Env, _, _, _, _, _ uint64) (uint64, error) {
		ebpfvm.GrantForTest(env, shared.Addr(), shared.Addr()+16)
		return shared.Addr(), nil
	}, Proto: &ebpfvm.HelperProto{Name: "shared", Ret: verifier.RetPtrToMemOrNull, RetSize: 16}})
	const iters = 2000
	code := prog(
		isa.Call(1000),
		isa.JumpImm(isa.JmpJEQ, isa.R0, 0, 8), // to the exit
		isa.Mov64Reg(isa.R6, isa.R0),
		isa.Mov64Imm(isa.R7, iters),
		isa.Mov64Imm(isa.R1, 1),
		isa.Atomic(isa.SizeDW, isa.AtomicAdd, isa.R6, isa.R1, 0),
		isa.Atomic(isa.SizeW, isa.AtomicAdd|isa.AtomicFetch, isa.R6, isa.R1, 8),
		isa.ALU64Imm(isa.ALUSub, isa.R7, 1),
		isa.JumpImm(isa.JmpJNE, isa.R7, 0, -5),
		isa.Mov64Imm(isa.R0, 0),
		isa.Exit())
	p, err := ebpfvm.NewProgram(code, e.Program(&ebpfvm.ProgramOptions{Helpers: h, Verify: mode}))
	if err != nil {
		t.Fatal(err)
	}
	const workers = 8
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			if _, err := p.Run(nil); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	b := shared.Bytes()
	if got := *(*uint64)(unsafe.Pointer(&b[0])); got != workers*iters {
		t.Errorf("64-bit counter = %d, want %d", got, workers*iters)
	}
	if got := *(*uint32)(unsafe.Pointer(&b[8])); got != workers*iters {
		t.Errorf("32-bit counter = %d, want %d", got, workers*iters)
	}
}

func TestUnknownHelperRefusedAtLoad(t *testing.T) { engines.Run(t, testUnknownHelperRefusedAtLoad) }

func testUnknownHelperRefusedAtLoad(t *testing.T, e engines.Engine) {
	// The generic type has no helpers but the embedder's: the verifier
	// refuses the call, and so does the loader of unverified programs.
	code := prog(isa.Call(1), isa.Exit())
	_, err := ebpfvm.NewProgram(code, e.Program(nil))
	if err == nil || !strings.Contains(err.Error(), "cannot use helper") || !strings.Contains(err.Error(), "instruction 0") {
		t.Errorf("verified: err = %v", err)
	}
	_, err = ebpfvm.NewProgram(code, e.Program(&ebpfvm.ProgramOptions{Verify: ebpfvm.VerifyNone}))
	if err == nil || !strings.Contains(err.Error(), "unknown helper") || !strings.Contains(err.Error(), "instruction 0") {
		t.Errorf("unverified: err = %v", err)
	}
}

func TestRunDoesNotAllocate(t *testing.T) { engines.Run(t, testRunDoesNotAllocate) }

func testRunDoesNotAllocate(t *testing.T, e engines.Engine) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	p, err := ebpfvm.NewProgram(prog(isa.Mov64Imm(isa.R0, 1), isa.Exit()), e.Program(nil))
	if err != nil {
		t.Fatal(err)
	}
	opts := &ebpfvm.RunOptions{Repeat: 100}
	p.Run(opts)
	// One run allocates only its result's ContextOut (empty here).
	if n := testing.AllocsPerRun(20, func() { p.Run(opts) }); n > 1 {
		t.Errorf("Run allocates %.0f times per call", n)
	}
}
