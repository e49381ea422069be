package verifier_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/isa"
	"github.com/ebpfvm/ebpfvm/verifier"
)

const fuzzCtxSize = 64

// fuzzKfuncs are the kfuncs every ebpfvm program has (the numeric
// iterator's), under ebpfvm's IDs, so that accepted iterator loops run in
// checked mode.
var fuzzKfuncs = func() verifier.KfuncMap {
	n, next, destroy := verifier.IterNumKfuncs()
	return verifier.KfuncMap{ebpfvm.KfuncIterNumNew: n, ebpfvm.KfuncIterNumNext: next, ebpfvm.KfuncIterNumDestroy: destroy}
}()

// fuzzKfuncIDs gives the corpus files' kfunc calls (IDs 1-3, see
// corpusKfuncs) ebpfvm's IDs.
func fuzzKfuncIDs(insns []isa.Instruction) []isa.Instruction {
	ids := map[int32]int32{1: ebpfvm.KfuncIterNumNew, 2: ebpfvm.KfuncIterNumNext, 3: ebpfvm.KfuncIterNumDestroy}
	for i := range insns {
		if insns[i].Opcode == isa.OpCall && uint8(insns[i].Src) == isa.CallKfunc {
			if id, ok := ids[insns[i].Imm]; ok {
				insns[i].Imm = id
			}
		}
	}
	return insns
}

// FuzzVerify mutates programs and checks the verifier's soundness: it
// never panics, and whatever it accepts runs on ebpfvm's generic program
// type in checked mode (unverified, every access tested) without a single
// failed memory check.
func FuzzVerify(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "verifier", "*", "*.s"))
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil || strings.Contains(string(src), "# map:") {
			continue
		}
		insns, err := isa.Assemble(string(src))
		if err != nil {
			continue
		}
		f.Add(isa.Encode(nil, fuzzKfuncIDs(insns)))
	}
	for _, src := range []string{
		"r0 = *(u32 *)(r1 +0)\nr0 &= 15\nr1 += r0\nr0 = *(u8 *)(r1 +0)\nexit",
		"r2 = *(u64 *)(r1 +8)\nif r2 > 48 goto +3\nr1 += r2\nr0 = *(u64 *)(r1 +0)\nexit\nr0 = 0\nexit",
		"r3 = 0\n*(u64 *)(r10 -16) = r3\nr3 = *(u8 *)(r1 +3)\nr3 &= 7\nr4 = r10\nr4 += -16\nr4 += r3\nr0 = *(u8 *)(r4 +0)\nexit",
	} {
		insns, err := isa.Assemble(src)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(isa.Encode(nil, insns))
	}
	f.Fuzz(func(t *testing.T, code []byte) {
		code = code[:len(code)&^7]
		if len(code) == 0 || len(code) > 8*256 {
			return
		}
		insns, err := isa.Decode(code)
		if err != nil {
			return
		}
		opts := &verifier.Options{Type: verifier.Generic(fuzzCtxSize), MaxInstructions: 200_000}
		opts.Type.Helpers = nil // the generic runtime registers no helpers by default
		opts.Kfuncs, opts.GPL = fuzzKfuncs, true
		if _, err := verifier.Verify(insns, opts); err != nil {
			var ve *verifier.Error
			if !errors.As(err, &ve) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if isa.Validate(insns) != nil {
			// Like the kernel, the verifier does not look at dead code;
			// ebpfvm's loader refuses malformed slots anywhere.
			return
		}
		// The oracle is checked mode: the accepted program runs
		// unverified, so that an access the verifier should have refused
		// shows up as a run-time check failure, not as a crash.
		prog, err := ebpfvm.NewProgram(insns, &ebpfvm.ProgramOptions{Verify: ebpfvm.VerifyNone})
		if err != nil && (strings.Contains(err.Error(), "unknown helper") || strings.Contains(err.Error(), "unknown kfunc")) {
			// The generic type has no helpers (and ebpfvm no kfunc of
			// this ID), so the call is dead code (the verifier refuses
			// live ones), which the loader checks and the verifier does
			// not, as in the kernel.
			return
		}
		if err != nil {
			t.Fatalf("verified program refused by ebpfvm: %v\n%s", err, isa.Disassemble(insns))
		}
		defer prog.Close()
		ctx := make([]byte, fuzzCtxSize)
		for i := range ctx {
			ctx[i] = byte(i*7 + 3)
		}
		_, err = prog.Run(&ebpfvm.RunOptions{Context: ctx, Budget: 1 << 22})
		if err != nil && !errors.Is(err, ebpfvm.ErrBudget) {
			t.Fatalf("verified program failed at run time: %v\n%s", err, isa.Disassemble(insns))
		}
	})
}
