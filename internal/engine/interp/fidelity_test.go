package interp_test

import (
	"errors"
	"testing"

	"github.com/ebpfvm/ebpfvm/internal/engine/interp"
	"github.com/ebpfvm/ebpfvm/internal/helpers"
	"github.com/ebpfvm/ebpfvm/internal/vm"
	"github.com/ebpfvm/ebpfvm/isa"
)

// compile assembles src with the standard helpers.
func compile(t *testing.T, src string, verified bool, facts vm.Facts) *interp.Code {
	t.Helper()
	insns, err := isa.Assemble(src)
	if err != nil {
		t.Fatal(err)
	}
	var h vm.Helpers
	for _, hp := range helpers.Standard(nil) {
		h.Register(hp)
	}
	var c *interp.Code
	if verified {
		c, err = interp.CompileVerified(insns, &h, facts)
	} else {
		c, err = interp.Compile(insns, &h)
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func run(t *testing.T, c *interp.Code, opts vm.RunOptions) (vm.Result, error) {
	t.Helper()
	m, err := interp.NewMachine()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { helpers.EndRun(m.Env()); m.Close() })
	m.Reset()
	return m.Run(c, [5]uint64{}, opts)
}

// fakeClock advances step nanoseconds at every reading.
func fakeClock(step int64) func() int64 {
	var now int64
	return func() int64 { now += step; return now }
}

// mayGotoLoops counts in r0 how often may_goto falls through, first in
// the entry function, then (added) in a function it calls: each function
// invocation has a budget of its own.
const mayGotoLoops = `
	r0 = 0
	r6 = 0
loop:
	may_goto done
	r0 += 1
	goto loop
done:
	r6 = r0
	call count
	r0 += r6
	exit
count:
	r0 = 0
again:
	may_goto out
	r0 += 1
	goto again
out:
	exit`

func TestMayGotoModes(t *testing.T) {
	c := compile(t, mayGotoLoops, true, vm.Facts{})
	const timeout = int64(vm.MayGotoTimeout)
	cases := []struct {
		name string
		opts vm.RunOptions
		want uint64 // per invocation
	}{
		// 65535 iterations, then a clock reading every 65535: with
		// 1 ms per reading, the 251st is 250 ms after the first.
		{"timed, 1 ms per clock reading", vm.RunOptions{Clock: fakeClock(1e6)}, 251 * 0xffff},
		// The first reading starts the time; the second is past it.
		{"timed, timeout per clock reading", vm.RunOptions{Clock: fakeClock(timeout)}, 2 * 0xffff},
		{"timed, just under the timeout per reading", vm.RunOptions{Clock: fakeClock(timeout - 1)}, 3 * 0xffff},
		{"counted", vm.RunOptions{MayGoto: vm.MayGotoCounted, Clock: fakeClock(timeout)}, 8 << 20},
	}
	for _, tc := range cases {
		res, err := run(t, c, tc.opts)
		if err != nil || res.R0 != 2*tc.want {
			t.Errorf("%s: r0 = %d, %v; want 2 x %d", tc.name, res.R0, err, tc.want)
		}
	}
}

// nestedLoops runs three levels of bpf_loop, 1<<23 iterations each: 2^69
// callbacks that do almost nothing.
const nestedLoops = `
	r1 = 0x800000
	r2 = subprog[outer]
	r3 = 0
	r4 = 0
	call bpf_loop
	exit
outer:
	r1 = 0x800000
	r2 = subprog[middle]
	r3 = 0
	r4 = 0
	call bpf_loop
	r0 = 0
	exit
middle:
	r1 = 0x800000
	r2 = subprog[inner]
	r3 = 0
	r4 = 0
	call bpf_loop
	r0 = 0
	exit
inner:
	r0 = 0
	exit`

// TestCallbacksTakeFromTheBudget: each callback invocation costs
// vm.CallbackCost on top of its instructions, so a budget runs out after far
// fewer instructions when most of the work is entering callbacks. Without
// the charge the run would end after budget+1 instructions.
func TestCallbacksTakeFromTheBudget(t *testing.T) {
	const budget = 1 << 22
	for _, tc := range []struct {
		name  string
		facts vm.Facts
	}{
		{"helper", vm.Facts{}},
		{"inlined", vm.Facts{InlinedLoops: []int{5, 12, 20}}},
	} {
		c := compile(t, nestedLoops, true, tc.facts)
		res, err := run(t, c, vm.RunOptions{Budget: budget})
		if !errors.Is(err, vm.ErrBudget) {
			t.Fatalf("%s: err = %v, want vm.ErrBudget", tc.name, err)
		}
		// Nearly every callback is the 2-instruction inner one.
		if want := uint64(budget) * 2 / (2 + vm.CallbackCost); res.Steps > want+100 || res.Steps < want-100 {
			t.Errorf("%s: %d instructions ran, want about %d", tc.name, res.Steps, want)
		}
	}
}

// loopE2big calls bpf_loop with nr_loops
// 1<<32 + 3: a u32 3 for the helper, too many for the inlined
// loop, which compares all 64 bits.
const loopE2big = `
	r1 = 0x100000003 ll
	r2 = subprog[cb]
	r3 = 0
	r4 = 0
	call bpf_loop
	exit
cb:
	r0 = 0
	exit`

func TestInlinedLoop(t *testing.T) {
	for _, tc := range []struct {
		name     string
		verified bool
		facts    vm.Facts
		want     uint64
	}{
		{"helper", true, vm.Facts{}, 3},
		{"inlined", true, vm.Facts{InlinedLoops: []int{6}}, 0xfffffff9},
		{"unverified", false, vm.Facts{}, 3},
	} {
		res, err := run(t, compile(t, loopE2big, tc.verified, tc.facts), vm.RunOptions{})
		if err != nil || res.R0 != tc.want {
			t.Errorf("%s: r0 = %#x, %v; want %#x", tc.name, res.R0, err, tc.want)
		}
	}
	// A fact that names anything but a bpf_loop call is refused.
	insns, _ := isa.Assemble(loopE2big)
	var h vm.Helpers
	for _, hp := range helpers.Standard(nil) {
		h.Register(hp)
	}
	if _, err := interp.CompileVerified(insns, &h, vm.Facts{InlinedLoops: []int{0}}); err == nil {
		t.Error("CompileVerified accepted an inlined loop at a ld_imm64")
	}
}
