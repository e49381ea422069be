package ebpfvm_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
	"github.com/ebpfvm/ebpfvm/internal/testing/progen"
	"github.com/ebpfvm/ebpfvm/isa"
	"github.com/ebpfvm/ebpfvm/verifier"
)

// fuzzEngineShapes are the program shapes FuzzEngines draws from: small
// straight-line code, the default, and deep nesting with loops.
var fuzzEngineShapes = []progen.Config{
	{Length: 24, MaxDepth: 1, StackSlots: 2, Inputs: 2, NoLoops: true},
	{},
	{Length: 150, MaxDepth: 3, MaxLoopIters: 8, StackSlots: 32},
}

// engineOutcome is what a run leaves that engines must agree on.
type engineOutcome struct {
	ret uint64
	ctx []byte
	err string // "" for a run that exited; else the RunError's instruction and cause
}

func (o engineOutcome) String() string {
	if o.err != "" {
		return "error " + o.err
	}
	return fmt.Sprintf("r0 = %#x, ctx % x", o.ret, o.ctx)
}

// runOn loads insns with opts and runs it once on ctx.
func runOn(insns []isa.Instruction, ctx []byte, opts *ebpfvm.ProgramOptions) (engineOutcome, error) {
	p, err := ebpfvm.NewProgram(insns, opts)
	if err != nil {
		return engineOutcome{}, err
	}
	defer p.Close()
	res, err := p.Run(&ebpfvm.RunOptions{Context: ctx})
	if err != nil {
		var re *ebpfvm.RunError
		if !errors.As(err, &re) {
			return engineOutcome{}, fmt.Errorf("run error is not a RunError: %w", err)
		}
		return engineOutcome{err: fmt.Sprintf("at %d: %v", re.Index, re.Err)}, nil
	}
	return engineOutcome{ret: res.ReturnValue, ctx: res.ContextOut}, nil
}

// FuzzEngines runs one verified program on every engine, verified (no
// per-access checks) and unverified (checked mode), and requires the same
// return value, context bytes (which hold r0-r8 and the stack at exit) and
// error from every run. The programs are internal/testing/progen's, which
// the kernel's verifier accepts, drawn from the fuzzer's seed and shape;
// the fuzzer's bytes overwrite the program's input words. It needs no
// kernel: the checked interpreter, which internal/testing/difftest
// compares with the kernel, is the reference, and with one engine the
// comparison is of its two modes; each new engine is compared with it and
// so with every other.
func FuzzEngines(f *testing.F) {
	for seed := range int64(12) {
		f.Add(seed, uint8(seed), []byte{})
	}
	f.Add(int64(7), uint8(1), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0x80})
	f.Fuzz(func(t *testing.T, seed int64, shape uint8, input []byte) {
		cfg := fuzzEngineShapes[int(shape)%len(fuzzEngineShapes)]
		insns := progen.Generate(seed, cfg)
		ctx := progen.Input(seed, cfg)
		copy(ctx[:progen.RegsOffset(cfg)], input)

		ref, err := runOn(insns, ctx, engines.Reference().Program(&ebpfvm.ProgramOptions{Verify: ebpfvm.VerifyNone}))
		if err != nil {
			t.Fatalf("checked %s: %v", engines.Reference().Name, err)
		}
		for _, e := range engines.All() {
			got, err := runOn(insns, ctx, e.Program(&ebpfvm.ProgramOptions{ContextSize: len(ctx)}))
			var verr *verifier.Error
			if errors.As(err, &verr) {
				// progen's programs pass the kernel's verifier; ours
				// refusing one is verifier/'s TestProgenAgreement's matter.
				t.Skipf("verifier refuses seed %d shape %d: %v", seed, shape, err)
			}
			if err != nil {
				t.Fatalf("verified %s: %v", e.Name, err)
			}
			requireSame(t, "verified "+e.Name, got, ref)
			if e.Checked {
				got, err := runOn(insns, ctx, e.Program(&ebpfvm.ProgramOptions{Verify: ebpfvm.VerifyNone}))
				if err != nil {
					t.Fatalf("checked %s: %v", e.Name, err)
				}
				requireSame(t, "checked "+e.Name, got, ref)
			}
		}
	})
}

// requireSame fails t when got differs from the checked reference run.
func requireSame(t *testing.T, what string, got, ref engineOutcome) {
	t.Helper()
	if got.ret != ref.ret || got.err != ref.err || !bytes.Equal(got.ctx, ref.ctx) {
		t.Fatalf("%s: %v\nchecked %s: %v", what, got, engines.Reference().Name, ref)
	}
}
