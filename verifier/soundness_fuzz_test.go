package verifier_test

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/isa"
	"github.com/ebpfvm/ebpfvm/verifier"
)

// FuzzPruning checks the soundness of state pruning (precision tracking,
// stack liveness, linked scalars, widening) with programs built to stress
// it: scalars get different values on different branches, are spilled,
// filled, copied, combined, passed to a subprogram and finally used as a
// variable offset into the stack, inside forward branches and a bounded
// loop. The fuzzer's bytes choose the statements. Whatever the verifier
// accepts runs unverified (checked mode) on several contexts; a single
// failed memory check means the verifier pruned a path it should have
// explored.
func FuzzPruning(f *testing.F) {
	for _, seed := range [][]byte{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
		{3, 17, 40, 9, 200, 33, 7, 91, 13, 5, 8, 250, 77, 1, 6, 42, 99, 12},
		{9, 9, 9, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17},
		{6, 0, 6, 1, 6, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15, 8},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 400 {
			return
		}
		insns := pruningProgram(data)
		opts := &verifier.Options{Type: verifier.Generic(pruningCtxSize), Kfuncs: fuzzKfuncs, GPL: true}
		opts.Type.Helpers = nil
		if _, err := verifier.Verify(insns, opts); err != nil {
			var ve *verifier.Error
			if !errors.As(err, &ve) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		prog, err := ebpfvm.NewProgram(insns, &ebpfvm.ProgramOptions{Verify: ebpfvm.VerifyNone})
		if err != nil {
			t.Fatalf("accepted program refused by ebpfvm: %v\n%s", err, isa.Disassemble(insns))
		}
		defer prog.Close()
		ctx := make([]byte, pruningCtxSize)
		for run := 0; run < 24; run++ {
			for i := range ctx {
				ctx[i] = byte(uint32(i*131+run*977) * 2654435761 >> 24)
			}
			switch run {
			case 0:
				clear(ctx)
			case 1:
				for i := range ctx {
					ctx[i] = 0xff
				}
			}
			_, err := prog.Run(&ebpfvm.RunOptions{Context: ctx, Budget: 1 << 20})
			if err != nil && !errors.Is(err, ebpfvm.ErrBudget) {
				t.Fatalf("accepted program failed at run time (ctx %x): %v\n%s", ctx, err, isa.Disassemble(insns))
			}
		}
	})
}

const (
	pruningCtxSize = 32
	pruningStack   = 64 // bytes of stack the statements use
)

// pruningProgram turns bytes into a program. Registers: r6 holds ctx, r9
// the loop counter, r0-r5 and r7-r8 scalars. The stack's 64 bytes are
// zeroed first, so every read is initialized.
func pruningProgram(data []byte) []isa.Instruction {
	g := &pruneGen{data: data}
	out := []isa.Instruction{isa.Mov64Reg(isa.R6, isa.R1)}
	for off := 8; off <= pruningStack; off += 8 {
		out = append(out, isa.StoreImm(isa.SizeDW, isa.R10, int16(-off), 0))
	}
	for _, r := range pruneRegs {
		out = append(out, isa.Mov64Imm(r, 0))
	}
	out = append(out, isa.Mov64Imm(isa.R9, 0))
	// The body: a list of statements, some of them forward branches over
	// the next ones, optionally wrapped in a bounded loop.
	var body [][]isa.Instruction
	var skips []int // statement index -> statements skipped (branches)
	for n := 0; n < 24 && g.more(); n++ {
		st, skip := g.statement()
		body = append(body, st)
		skips = append(skips, skip)
	}
	// Resolve forward branches: skip k statements.
	for i, st := range body {
		k := skips[i]
		if k == 0 {
			continue
		}
		n := 0
		for j := i + 1; j <= i+k && j < len(body); j++ {
			n += len(body[j])
		}
		st[len(st)-1].Offset = int16(n)
	}
	loop := g.byte()%3 == 0
	if len(data)%4 == 1 {
		// A quarter of the inputs (by length) loop with an iterator.
		out = iterLoop(out, body, int32(len(data)%5+1))
		body, loop = nil, false
	}
	start := len(out)
	for _, st := range body {
		out = append(out, st...)
	}
	if loop {
		// r9 counts iterations: for (r9 = 0; r9 < K; r9++) body
		k := int32(g.byte()%5 + 2)
		out = append(out, isa.ALU64Imm(isa.ALUAdd, isa.R9, 1))
		back := start - (len(out) + 1)
		out = append(out, isa.JumpImm(isa.JmpJLT, isa.R9, k, int16(back)))
	}
	out = append(out, isa.Mov64Imm(isa.R0, 0), isa.Exit())
	calls := false
	for _, in := range out {
		calls = calls || in.Opcode == isa.OpCall && uint8(in.Src) == isa.CallLocal
	}
	if !calls {
		return out
	}
	// The subprogram: r1 an offset, r2 a stack pointer of the caller.
	sub := len(out)
	out = append(out,
		isa.ALU64Reg(isa.ALUAdd, isa.R2, isa.R1),
		isa.LoadMem(isa.SizeB, isa.R0, isa.R2, 0),
		isa.Exit(),
	)
	// Patch local calls (marked with Imm -1) to the subprogram.
	for i := range out[:sub] {
		if out[i].Opcode == isa.OpCall && out[i].Src == isa.Register(isa.CallLocal) {
			out[i].Imm = int32(sub - i - 1)
		}
	}
	return out
}

var pruneRegs = []isa.Register{isa.R0, isa.R4, isa.R7, isa.R8}

// iterStack is the stack offset of iterLoop's iterator, below the
// statements' bytes.
const iterStack = -(pruningStack + 8)

// iterLoop appends body wrapped in an open-coded iterator loop over
// [0, k) (bpf_for): r9 is the loop value, r0 and r4 are zeroed at each
// iteration's start (the kfunc calls clobber them), r7, r8 and the stack
// carry values from one iteration to the next.
func iterLoop(out []isa.Instruction, body [][]isa.Instruction, k int32) []isa.Instruction {
	iterPtr := func() []isa.Instruction {
		return []isa.Instruction{isa.Mov64Reg(isa.R1, isa.R10), isa.ALU64Imm(isa.ALUAdd, isa.R1, iterStack)}
	}
	kfunc := func(id int32) isa.Instruction {
		return isa.Instruction{Opcode: isa.OpCall, Src: isa.Register(isa.CallKfunc), Imm: id}
	}
	out = append(out, iterPtr()...)
	out = append(out, isa.Mov64Imm(isa.R2, 0), isa.Mov64Imm(isa.R3, k), kfunc(ebpfvm.KfuncIterNumNew))
	head := len(out)
	out = append(out, iterPtr()...)
	out = append(out, kfunc(ebpfvm.KfuncIterNumNext))
	var inner []isa.Instruction
	inner = append(inner, isa.LoadMem(isa.SizeW, isa.R9, isa.R0, 0), isa.Mov64Imm(isa.R0, 0), isa.Mov64Imm(isa.R4, 0))
	for _, st := range body {
		inner = append(inner, st...)
	}
	// if r0 == 0 goto end; inner; goto head
	out = append(out, isa.JumpImm(isa.JmpJEQ, isa.R0, 0, int16(len(inner)+1)))
	out = append(out, inner...)
	out = append(out, isa.Ja(int16(head-(len(out)+1))))
	out = append(out, iterPtr()...)
	return append(out, kfunc(ebpfvm.KfuncIterNumDestroy))
}

type pruneGen struct {
	data []byte
	pos  int
}

func (g *pruneGen) more() bool { return g.pos < len(g.data) }

func (g *pruneGen) byte() byte {
	if g.pos >= len(g.data) {
		return 0
	}
	b := g.data[g.pos]
	g.pos++
	return b
}

func (g *pruneGen) reg() isa.Register { return pruneRegs[int(g.byte())%len(pruneRegs)] }

// small constants around the 64-byte stack bound.
func (g *pruneGen) konst() int32 {
	b := g.byte()
	switch b % 4 {
	case 0:
		return int32(b % 8)
	case 1:
		return int32(56 + b%16)
	case 2:
		return int32(b % 64)
	}
	return int32(b)
}

// slot picks a stack slot, mostly one of three so that spills, fills
// and atomics meet.
func (g *pruneGen) slot() int16 {
	b := int(g.byte())
	if b%4 != 0 {
		return -8 * int16(1+b%3)
	}
	return -8 * int16(1+b%(pruningStack/8))
}

var pruneALU = []uint8{isa.ALUAdd, isa.ALUSub, isa.ALUAnd, isa.ALUOr, isa.ALURsh, isa.ALULsh, isa.ALUMod, isa.ALUMov, isa.ALUXor, isa.ALUArsh}

var pruneJmp = []uint8{isa.JmpJEQ, isa.JmpJNE, isa.JmpJGT, isa.JmpJGE, isa.JmpJLT, isa.JmpJLE, isa.JmpJSGT, isa.JmpJSLT, isa.JmpJSET}

// statement returns one statement; skip > 0 makes its last instruction a
// forward branch over the next skip statements.
func (g *pruneGen) statement() ([]isa.Instruction, int) {
	r := g.reg()
	switch g.byte() % 14 {
	case 0:
		return []isa.Instruction{isa.Mov64Imm(r, g.konst())}, 0
	case 1: // an input byte or half word
		size := isa.SizeB
		if g.byte()%2 == 0 {
			size = isa.SizeH
		}
		return []isa.Instruction{isa.LoadMem(size, r, isa.R6, int16(2*(int(g.byte())%(pruningCtxSize/2))))}, 0
	case 2:
		op := pruneALU[int(g.byte())%len(pruneALU)]
		k := g.konst()
		if op == isa.ALUMod && k == 0 {
			k = 1
		}
		if op == isa.ALURsh || op == isa.ALULsh || op == isa.ALUArsh {
			k %= 64
		}
		if g.byte()%3 == 0 {
			return []isa.Instruction{isa.ALU32Imm(op, r, k%32)}, 0
		}
		return []isa.Instruction{isa.ALU64Imm(op, r, k)}, 0
	case 3:
		op := pruneALU[int(g.byte())%len(pruneALU)]
		if op == isa.ALULsh || op == isa.ALURsh || op == isa.ALUArsh || op == isa.ALUMod {
			op = isa.ALUAdd
		}
		s := g.reg()
		if g.byte()%3 == 0 {
			return []isa.Instruction{isa.ALU32Reg(op, r, s)}, 0
		}
		return []isa.Instruction{isa.ALU64Reg(op, r, s)}, 0
	case 4, 5: // branch on a constant over the next statements
		op := pruneJmp[int(g.byte())%len(pruneJmp)]
		skip := 1 + int(g.byte())%3
		if g.byte()%4 == 0 {
			in := isa.JumpImm(op, r, g.konst(), 0)
			in.Opcode = in.Opcode&^0x07 | isa.Opcode(isa.ClassJMP32)
			return []isa.Instruction{in}, skip
		}
		return []isa.Instruction{isa.JumpImm(op, r, g.konst(), 0)}, skip
	case 6: // branch on two registers
		op := pruneJmp[int(g.byte())%len(pruneJmp)]
		return []isa.Instruction{isa.JumpReg(op, r, g.reg(), 0)}, 1 + int(g.byte())%3
	case 7: // spill
		size := isa.SizeDW
		if g.byte()%3 == 0 {
			size = isa.SizeW
		}
		return []isa.Instruction{isa.StoreMem(size, isa.R10, r, g.slot())}, 0
	case 8: // fill
		size := isa.SizeDW
		if g.byte()%3 == 0 {
			size = isa.SizeW
		}
		return []isa.Instruction{isa.LoadMem(size, r, isa.R10, g.slot())}, 0
	case 9: // store a constant
		return []isa.Instruction{isa.StoreImm(isa.SizeDW, isa.R10, g.slot(), g.konst())}, 0
	case 10, 11: // the use: a load or store at stack + r
		p := isa.R2
		if r == isa.R2 {
			p = isa.R3
		}
		var ins []isa.Instruction
		if g.byte()%2 == 0 {
			// filled from the stack first
			ins = append(ins, isa.LoadMem(isa.SizeDW, r, isa.R10, g.slot()))
		}
		ins = append(ins,
			isa.Mov64Reg(p, isa.R10),
			isa.ALU64Imm(isa.ALUAdd, p, -pruningStack),
			isa.ALU64Reg(isa.ALUAdd, p, r),
		)
		if g.byte()%2 == 0 {
			return append(ins, isa.LoadMem(isa.SizeB, p, p, 0)), 0
		}
		return append(ins, isa.StoreImm(isa.SizeB, p, 0, 7)), 0
	case 12: // a subprogram uses it
		return []isa.Instruction{
			isa.Mov64Reg(isa.R1, r),
			isa.Mov64Reg(isa.R2, isa.R10),
			isa.ALU64Imm(isa.ALUAdd, isa.R2, -pruningStack),
			{Opcode: isa.OpCall, Src: isa.Register(isa.CallLocal), Imm: -1},
			// r1-r5 are gone after the call: give them values again.
			isa.Mov64Imm(isa.R1, g.konst()),
			isa.Mov64Imm(isa.R2, g.konst()),
			isa.Mov64Imm(isa.R3, g.konst()),
			isa.Mov64Imm(isa.R4, g.konst()),
			isa.Mov64Imm(isa.R5, g.konst()),
		}, 0
	default: // atomics on a stack slot
		ops := []int32{isa.AtomicAdd | isa.AtomicFetch, isa.AtomicXchg, isa.AtomicAdd, isa.AtomicCmpXchg}
		op := ops[int(g.byte())%len(ops)]
		if r == isa.R0 && op == isa.AtomicCmpXchg {
			op = isa.AtomicXchg
		}
		return []isa.Instruction{isa.Atomic(isa.SizeDW, op, isa.R10, r, g.slot())}, 0
	}
}

// TestPruningProgramsRun runs the generator over fixed inputs, so that CI
// exercises it without -fuzz: each program is verified and, when
// accepted, run in checked mode.
func TestPruningProgramsRun(t *testing.T) {
	accepted := 0
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := 0; i < n; i++ {
		data := make([]byte, 64)
		for j := 0; j < len(data); j += 8 {
			binary.LittleEndian.PutUint64(data[j:], uint64(i*7919+j)*0x9e3779b97f4a7c15)
		}
		insns := pruningProgram(data)
		opts := &verifier.Options{Type: verifier.Generic(pruningCtxSize), Kfuncs: fuzzKfuncs, GPL: true}
		opts.Type.Helpers = nil
		if _, err := verifier.Verify(insns, opts); err != nil {
			continue
		}
		accepted++
		prog, err := ebpfvm.NewProgram(insns, &ebpfvm.ProgramOptions{Verify: ebpfvm.VerifyNone})
		if err != nil {
			t.Fatalf("program %d: accepted program refused by ebpfvm: %v", i, err)
		}
		ctx := make([]byte, pruningCtxSize)
		for run := 0; run < 8; run++ {
			for k := range ctx {
				ctx[k] = byte(uint32(k*131+run*977+i) * 2654435761 >> 24)
			}
			if _, err := prog.Run(&ebpfvm.RunOptions{Context: ctx, Budget: 1 << 20}); err != nil && !errors.Is(err, ebpfvm.ErrBudget) {
				t.Fatalf("program %d: accepted program failed at run time (ctx %x): %v\n%s", i, ctx, err, isa.Disassemble(insns))
			}
		}
		prog.Close()
	}
	t.Logf("%d of %d generated programs accepted and run in checked mode without a failed check", accepted, n)
	if accepted < n/20 {
		t.Errorf("only %d of %d generated programs were accepted: the generator no longer exercises pruning", accepted, n)
	}
}
