package interp_test

import (
	"encoding/binary"
	"testing"

	"github.com/ebpfvm/ebpfvm/internal/engine/interp"
	"github.com/ebpfvm/ebpfvm/internal/mem"
	"github.com/ebpfvm/ebpfvm/internal/testing/kernel"
	"github.com/ebpfvm/ebpfvm/internal/vm"
	"github.com/ebpfvm/ebpfvm/isa"
)

// mayGotoUpTo loops until r0 reaches ctx[0] or may_goto stops it, and
// stores r0 in ctx[8].
const mayGotoUpTo = `
	r6 = r1
	r1 = *(u64 *)(r6 +0)
	r0 = 0
loop:
	if r0 >= r1 goto done
	may_goto done
	r0 += 1
	goto loop
done:
	*(u64 *)(r6 +8) = r0
	r0 = 0
	exit`

// TestMayGotoLikeTheKernel runs loops of more than BPF_MAX_LOOPS (8M)
// iterations in ebpfvm and in the kernel. How many iterations the kernel's
// time limit allows depends on the machine; what does not is checked: a
// loop of 20M iterations completes (it took at most 8M in the counted
// mode), and one of 2^40 is stopped after a whole number of 65535-iteration
// rounds, beyond 8M. ebpfvm runs with a fake clock: 0.1 ms per reading
// (65535 iterations) for the first, a machine a little slower than the
// kernel's JIT, and 1 ms for the second, where it stops after exactly
// 251 rounds.
func TestMayGotoLikeTheKernel(t *testing.T) {
	insns, err := isa.Assemble(mayGotoUpTo)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		n     uint64
		clock int64 // ns per reading, for ebpfvm
		want  uint64
	}{
		{20_000_000, 100_000, 20_000_000},
		{1 << 40, 1_000_000, 251 * 0xffff},
	}
	kerr := kernel.Available()
	if kerr != nil {
		t.Logf("not comparing with the kernel: %v", kerr)
	}
	for _, c := range cases {
		got := runWithContext(t, compile(t, mayGotoUpTo, true, vm.Facts{}), c.n, vm.RunOptions{Clock: fakeClock(c.clock)})
		if got != c.want {
			t.Errorf("ebpfvm, %d iterations wanted: %d ran, want %d", c.n, got, c.want)
		}
		if kerr != nil {
			continue
		}
		k := kernelLoop(t, insns, c.n)
		t.Logf("kernel, %d iterations wanted: %d ran", c.n, k)
		switch {
		case c.n < 1<<32 && k != c.n:
			t.Errorf("kernel, %d iterations wanted: %d ran", c.n, k)
		case c.n >= 1<<32 && (k%0xffff != 0 || k <= vm.MaxLoops || k >= c.n):
			t.Errorf("kernel, %d iterations wanted: %d ran, want a multiple of 65535 above %d", c.n, k, vm.MaxLoops)
		}
	}
}

// runWithContext runs c with r1 pointing to a 16-byte context holding n,
// and returns the context's second word.
func runWithContext(t *testing.T, c *interp.Code, n uint64, opts vm.RunOptions) uint64 {
	t.Helper()
	m, err := interp.NewMachine()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	b, err := mem.Alloc(16)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Free()
	binary.LittleEndian.PutUint64(b.Bytes(), n)
	m.Reset()
	m.Env().Regions.Add(mem.Region{Start: b.Addr(), End: b.Addr() + 16, Writable: true, Kind: mem.KindContext})
	if _, err := m.Run(c, [5]uint64{b.Addr()}, opts); err != nil {
		t.Fatal(err)
	}
	return binary.LittleEndian.Uint64(b.Bytes()[8:])
}

func kernelLoop(t *testing.T, insns []isa.Instruction, n uint64) uint64 {
	t.Helper()
	p, err := kernel.Load(insns, kernel.LoadOptions{Type: kernel.Syscall})
	if err != nil {
		t.Fatalf("kernel: %v", err)
	}
	defer p.Close()
	ctx := make([]byte, 16)
	binary.LittleEndian.PutUint64(ctx, n)
	res, err := p.TestRun(kernel.TestRunOptions{Ctx: ctx})
	if err != nil {
		t.Fatalf("kernel test run: %v", err)
	}
	return binary.LittleEndian.Uint64(res.CtxOut[8:])
}
