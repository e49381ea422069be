package ebpfvm_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
	"github.com/ebpfvm/ebpfvm/isa"
)

// TestRunContextLoop: a loop that would run for minutes ends when its
// context's deadline passes, with a *RunError wrapping the context's
// error (the loop's back-edges reach the check).
func TestRunContextLoop(t *testing.T) { engines.RunChecked(t, testRunContextLoop) }

func testRunContextLoop(t *testing.T, e engines.Engine) {
	insns, err := isa.Assemble("r0 = 0\nr0 += 1\nif r0 != 0 goto -2\nexit")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ebpfvm.NewProgram(insns, e.Program(&ebpfvm.ProgramOptions{Verify: ebpfvm.VerifyNone}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	res, err := p.RunContext(ctx, &ebpfvm.RunOptions{Budget: 1 << 62})
	var re *ebpfvm.RunError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &re) {
		t.Fatalf("got %+v, %v; want a RunError wrapping context.DeadlineExceeded", res, err)
	}
	if re.Index < 1 || re.Index > 2 {
		t.Errorf("stopped at instruction %d, want in the loop (1-2)", re.Index)
	}
}

// TestRunContextHelper: a helper that cancels the run's context ends the
// run when it returns: the instructions after the call do not run.
func TestRunContextHelper(t *testing.T) { engines.Run(t, testRunContextHelper) }

func testRunContextHelper(t *testing.T, e engines.Engine) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := &ebpfvm.Helpers{}
	h.Register(ebpfvm.Helper{ID: 1000, Name: "cancel", Func: func(*ebpfvm.Env, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
		cancel()
		return 0, nil
	}, Proto: &ebpfvm.HelperProto{Name: "cancel"}})
	insns, err := isa.Assemble("call 1000\nr0 = 7\nexit")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ebpfvm.NewProgram(insns, e.Program(&ebpfvm.ProgramOptions{Helpers: h}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	res, err := p.RunContext(ctx, nil)
	var re *ebpfvm.RunError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &re) || re.Index != 0 {
		t.Fatalf("got %+v, %v; want a RunError at instruction 0 wrapping context.Canceled", res, err)
	}
	// Done before it starts: the context's own error, nothing runs.
	if _, err := p.RunContext(ctx, nil); err != context.Canceled {
		t.Fatalf("canceled context: got %v, want context.Canceled", err)
	}
	// Without a context, the same program runs to the end.
	if res, err := p.RunContext(context.Background(), nil); err != nil || res.ReturnValue != 7 {
		t.Fatalf("background: got %d, %v", res.ReturnValue, err)
	}
}

// TestRunContextRepeat: canceling between repeats stops the next one.
func TestRunContextRepeat(t *testing.T) { engines.Run(t, testRunContextRepeat) }

func testRunContextRepeat(t *testing.T, e engines.Engine) {
	insns, _ := isa.Assemble("r0 = 1\nexit")
	p, err := ebpfvm.NewProgram(insns, e.Program(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := 0
	_, err = p.RunContext(ctx, &ebpfvm.RunOptions{Repeat: 1000, Progress: func(n int) {
		done = n
		if n == 3 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || done != 3 {
		t.Fatalf("got %v after %d repeats, want context.Canceled after 3", err, done)
	}
}

// TestRunContextSlices: a run that can be canceled but is not goes on
// across the slices it is checked at with its state whole (registers,
// stack, executed count): the same result as a run without a context.
func TestRunContextSlices(t *testing.T) { engines.RunChecked(t, testRunContextSlices) }

func testRunContextSlices(t *testing.T, e engines.Engine) {
	// 300,000 iterations of 5 instructions, the counter kept on the stack.
	insns, err := isa.Assemble(`
		r1 = 0
		*(u64 *)(r10 -8) = r1
		r6 = 7
		r1 = *(u64 *)(r10 -8)
		r1 += 1
		*(u64 *)(r10 -8) = r1
		r6 += r1
		if r1 < 300000 goto -5
		r0 = r6
		exit`)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ebpfvm.NewProgram(insns, e.Program(&ebpfvm.ProgramOptions{Verify: ebpfvm.VerifyNone}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	want, err := p.Run(nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got, err := p.RunContext(ctx, nil)
	if err != nil || got.ReturnValue != want.ReturnValue || got.Executed != want.Executed {
		t.Fatalf("cancelable run: %d (%d executed), %v; want %d (%d executed)", got.ReturnValue, got.Executed, err, want.ReturnValue, want.Executed)
	}
	const sum uint64 = 7 + 300000*300001/2
	if want.ReturnValue != sum {
		t.Fatalf("r0 = %d, want %d", want.ReturnValue, sum)
	}
	// The budget still counts across slices: one instruction short fails.
	_, err = p.RunContext(ctx, &ebpfvm.RunOptions{Budget: want.Executed - 1})
	if !errors.Is(err, ebpfvm.ErrBudget) {
		t.Fatalf("budget of %d: got %v, want ErrBudget", want.Executed-1, err)
	}
	if _, err := p.RunContext(ctx, &ebpfvm.RunOptions{Budget: want.Executed}); err != nil {
		t.Fatalf("budget of exactly %d: %v", want.Executed, err)
	}
}
