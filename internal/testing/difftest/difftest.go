// Package difftest runs the same program in the Linux kernel and in ebpfvm
// and compares the results: the return value (its low 32 bits, all the
// kernel reports) and the complete ctx buffer after the run.
//
// The programs come from internal/progen: BPF_PROG_TYPE_SYSCALL programs
// whose epilogue stores every register and the used stack into ctx, so that
// comparing ctx compares the whole final machine state. On a mismatch,
// Minimize shrinks the program while the kernel still accepts it and the
// two still disagree.
package difftest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/testing/kernel"
	"github.com/ebpfvm/ebpfvm/internal/testing/progen"
	"github.com/ebpfvm/ebpfvm/isa"
)

// Case is one program with its input.
type Case struct {
	Seed   int64
	Config progen.Config
	Insns  []isa.Instruction
	Ctx    []byte
	// Keep is the number of leading slots Minimize must not remove
	// (progen's prologue).
	Keep int
}

// Generate builds the case for seed.
func Generate(seed int64, cfg progen.Config) Case {
	p := progen.GenerateProgram(seed, cfg)
	return Case{Seed: seed, Config: cfg, Insns: p.Insns, Ctx: progen.Input(seed, cfg), Keep: p.Body}
}

// Outcome is what one engine made of a case.
type Outcome struct {
	Retval uint64 // the kernel's is 32 bits wide
	Ctx    []byte
	Err    error // a run-time error (ebpfvm) or a failed test run (kernel)
}

func (o Outcome) equal(p Outcome) bool {
	if (o.Err != nil) != (p.Err != nil) {
		return false
	}
	if o.Err != nil {
		return true
	}
	return uint32(o.Retval) == uint32(p.Retval) && bytes.Equal(o.Ctx, p.Ctx)
}

// ErrRejected wraps the kernel's verdict on a program it did not accept.
var ErrRejected = errors.New("verifier")

// RunKernel loads the program as a syscall program and runs it once. A
// program the verifier rejects yields an error wrapping ErrRejected (and the
// *kernel.VerifierError).
func RunKernel(insns []isa.Instruction, ctx []byte) (Outcome, error) {
	p, err := kernel.Load(insns, kernel.LoadOptions{Type: kernel.Syscall})
	if err != nil {
		var verr *kernel.VerifierError
		if errors.As(err, &verr) {
			return Outcome{}, fmt.Errorf("%w: %w", ErrRejected, err)
		}
		return Outcome{}, err
	}
	defer p.Close()
	res, err := p.TestRun(kernel.TestRunOptions{Ctx: ctx})
	if err != nil {
		return Outcome{Err: err}, nil
	}
	return Outcome{Retval: uint64(res.Retval), Ctx: res.CtxOut}, nil
}

// VM is the ebpfvm side of a comparison: an engine, named, with the
// program options that select it.
type VM struct {
	// Name names the engine in reports ("interp").
	Name string
	// Options select the engine; nil is the default engine. The suite
	// sets Verify (see RunVM).
	Options *ebpfvm.ProgramOptions
}

// DefaultVM is ebpfvm's default engine.
var DefaultVM = VM{Name: "default engine"}

// RunVM runs the program on vm. A program ebpfvm refuses to load is an
// error; a run-time error is part of the Outcome. The program runs
// unverified, in checked mode: the comparison is of the instructions'
// semantics (verifier verdicts are compared in verifier/, and the
// verified runs with the checked ones in the root's FuzzEngines).
func RunVM(vm VM, insns []isa.Instruction, ctx []byte) (Outcome, error) {
	var opts ebpfvm.ProgramOptions
	if vm.Options != nil {
		opts = *vm.Options
	}
	opts.Verify = ebpfvm.VerifyNone
	p, err := ebpfvm.NewProgram(insns, &opts)
	if err != nil {
		return Outcome{}, fmt.Errorf("ebpfvm refused the program: %w", err)
	}
	res, err := p.Run(&ebpfvm.RunOptions{Context: ctx})
	if err != nil {
		return Outcome{Err: err}, nil
	}
	return Outcome{Retval: res.ReturnValue, Ctx: res.ContextOut}, nil
}

// Mismatch is a case on which the kernel and ebpfvm disagree.
type Mismatch struct {
	Case
	Kernel, VM Outcome
	VMLoadErr  error // ebpfvm refused a program the kernel accepted
	// Engine is the ebpfvm side that disagrees.
	Engine VM
	// Minimized is a smaller program that still disagrees (nil if
	// minimization was not asked for or found nothing smaller).
	Minimized          []isa.Instruction
	MinKernel, MinVM   Outcome
	MinimizeIterations int
}

// Check runs c in the kernel once and on each of vms (DefaultVM when there
// are none). It returns (nil, nil) when they all agree, a Mismatch for the
// first that does not, and an error wrapping ErrRejected when the kernel
// rejects the program.
func Check(c Case, vms ...VM) (*Mismatch, error) {
	k, err := RunKernel(c.Insns, c.Ctx)
	if err != nil {
		return nil, err
	}
	if len(vms) == 0 {
		vms = []VM{DefaultVM}
	}
	for _, vm := range vms {
		v, verr := RunVM(vm, c.Insns, c.Ctx)
		if verr != nil {
			return &Mismatch{Case: c, Kernel: k, VMLoadErr: verr, Engine: vm}, nil
		}
		if !k.equal(v) {
			return &Mismatch{Case: c, Kernel: k, VM: v, Engine: vm}, nil
		}
	}
	return nil, nil
}

// disagree reports whether the kernel accepts insns and the engines
// disagree on it.
func disagree(vm VM, insns []isa.Instruction, ctx []byte) (k, v Outcome, yes bool) {
	if isa.Validate(insns) != nil {
		return k, v, false
	}
	k, err := RunKernel(insns, ctx)
	if err != nil {
		return k, v, false
	}
	v, err = RunVM(vm, insns, ctx)
	if err != nil {
		return k, Outcome{Err: err}, true
	}
	return k, v, !k.equal(v)
}

// Minimize shrinks m's program: it removes runs of instructions after the
// first m.Keep (fixing up the jumps around them) as long as the kernel
// accepts the result and the engines still disagree, within the given time.
func (m *Mismatch) Minimize(budget time.Duration) {
	deadline := time.Now().Add(budget)
	cur := m.Insns
	for chunk := 32; chunk >= 1; chunk /= 2 {
		for i := len(cur) - 1; i >= m.Keep; i-- {
			if time.Now().After(deadline) {
				break
			}
			drop := make([]bool, len(cur))
			for j := i; j < min(i+chunk, len(cur)); j++ {
				drop[j] = true
			}
			cand, ok := RemoveInstructions(cur, drop)
			if !ok {
				continue
			}
			m.MinimizeIterations++
			if k, v, yes := disagree(m.Engine, cand, m.Ctx); yes {
				cur = cand
				m.MinKernel, m.MinVM = k, v
				i = min(i, len(cur))
			}
		}
	}
	if len(cur) < len(m.Insns) {
		m.Minimized = cur
	}
}

// RemoveInstructions deletes the slots marked in drop and retargets every
// jump: a jump to a deleted slot goes to the next slot kept. Both slots of a
// ld_imm64 go if either is marked. It fails when a jump no longer fits its
// field or nothing would be left.
func RemoveInstructions(insns []isa.Instruction, drop []bool) ([]isa.Instruction, bool) {
	drop = append([]bool(nil), drop...)
	for i := 0; i+1 < len(insns); i++ {
		if insns[i].IsLoadImm64() {
			if drop[i] || drop[i+1] {
				drop[i], drop[i+1] = true, true
			}
			i++
		}
	}
	// newIndex[i] is the new index of slot i, or of the next slot kept.
	newIndex := make([]int, len(insns)+1)
	n := 0
	for i := range insns {
		newIndex[i] = n
		if !drop[i] {
			n++
		}
	}
	newIndex[len(insns)] = n
	if n == 0 || n == len(insns) {
		return nil, false
	}
	out := make([]isa.Instruction, 0, n)
	for i := 0; i < len(insns); i++ {
		in := insns[i]
		if drop[i] {
			continue
		}
		if t, ok := isa.BranchTarget(in, i); ok {
			if t < 0 || t > len(insns) {
				return nil, false
			}
			off := newIndex[t] - (newIndex[i] + 1)
			switch {
			case in.Opcode == isa.OpGotoL, in.Opcode == isa.OpCall, in.IsLoadImm64():
				in.Imm = int32(off)
			default:
				if off != int(int16(off)) {
					return nil, false
				}
				in.Offset = int16(off)
			}
		}
		if in.IsLoadImm64() && i+1 < len(insns) {
			out = append(out, in, insns[i+1])
			i++
			continue
		}
		out = append(out, in)
	}
	return out, true
}

// Report describes the mismatch for a test log: the seed, the program, both
// results and where they differ, and the minimized program.
func (m *Mismatch) Report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "MISMATCH seed %d, config %+v (%d instructions), ebpfvm on %s\n", m.Seed, m.Config, len(m.Insns), m.Engine.Name)
	fmt.Fprintf(&b, "reproduce: go test ./internal/testing/difftest -run TestDifferential -difftest.seed=%d -difftest.n=1\n", m.Seed)
	if m.VMLoadErr != nil {
		fmt.Fprintf(&b, "ebpfvm refused a program the kernel accepted: %v\n", m.VMLoadErr)
	} else {
		b.WriteString(describe(m.Config, m.Ctx, m.Kernel, m.VM))
	}
	if m.Minimized != nil {
		fmt.Fprintf(&b, "minimized to %d instructions (%d tries):\n%s", len(m.Minimized), m.MinimizeIterations, isa.Disassemble(m.Minimized))
		b.WriteString(describe(m.Config, m.Ctx, m.MinKernel, m.MinVM))
	}
	fmt.Fprintf(&b, "input ctx: %x\n", m.Ctx)
	fmt.Fprintf(&b, "program:\n%s", isa.Disassemble(m.Insns))
	return b.String()
}

// describe prints both outcomes and the 8-byte ctx words that differ, named
// after progen's layout.
func describe(cfg progen.Config, in []byte, k, v Outcome) string {
	var b strings.Builder
	fmt.Fprintf(&b, "kernel: retval %#x", uint32(k.Retval))
	if k.Err != nil {
		fmt.Fprintf(&b, " error %v", k.Err)
	}
	fmt.Fprintf(&b, "\nebpfvm: retval %#x (r0 %#x)", uint32(v.Retval), v.Retval)
	if v.Err != nil {
		fmt.Fprintf(&b, " error %v", v.Err)
	}
	b.WriteString("\n")
	regs, stack := progen.RegsOffset(cfg), progen.StackOffset(cfg)
	for off := 0; off+8 <= len(in); off += 8 {
		if off+8 > len(k.Ctx) || off+8 > len(v.Ctx) {
			break
		}
		kw := binary.LittleEndian.Uint64(k.Ctx[off:])
		vw := binary.LittleEndian.Uint64(v.Ctx[off:])
		if kw == vw {
			continue
		}
		var name string
		switch {
		case off < regs:
			name = fmt.Sprintf("input word %d (ctx+%d)", off/8, off)
		case off < stack:
			name = fmt.Sprintf("r%d", (off-regs)/8)
		default:
			name = fmt.Sprintf("stack r10%+d", off-stack-8*stackSlots(cfg, len(in)))
		}
		fmt.Fprintf(&b, "  %-26s kernel %#016x ebpfvm %#016x\n", name, kw, vw)
	}
	if len(k.Ctx) != len(v.Ctx) {
		fmt.Fprintf(&b, "  ctx lengths differ: kernel %d, ebpfvm %d\n", len(k.Ctx), len(v.Ctx))
	}
	return b.String()
}

func stackSlots(cfg progen.Config, ctxLen int) int {
	return (ctxLen - progen.StackOffset(cfg)) / 8
}
