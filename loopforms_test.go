package ebpfvm_test

import (
	"encoding/binary"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
	"github.com/ebpfvm/ebpfvm/internal/testing/kernel"
)

// loopArgs is struct args of testdata/loopforms/loopforms.c.
type loopArgs struct {
	nr, flags, which uint64
	ret              int64
	calls            uint64
}

func (a loopArgs) bytes() []byte {
	b := make([]byte, 40)
	for i, v := range []uint64{a.nr, a.flags, a.which, uint64(a.ret), a.calls} {
		binary.LittleEndian.PutUint64(b[8*i:], v)
	}
	return b
}

func parseLoopArgs(b []byte) loopArgs {
	u := func(i int) uint64 { return binary.LittleEndian.Uint64(b[8*i:]) }
	return loopArgs{u(0), u(1), u(2), int64(u(3)), u(4)}
}

// e2big32 is -E2BIG written by a 32-bit move, as the inlined bpf_loop
// leaves it; the helper returns -E2BIG in 64 bits.
const e2big32 = 0xfffffff9

// loopFormCases are the runs of testdata/loopforms and what each leaves
// in ret and calls: flags_zero's call is inlined (nr_loops compared as 64
// bits, -E2BIG in 32); flags_unknown's (flags not a known 0) and
// two_callbacks' (two callbacks reach it) stay helper calls (nr_loops a
// u32, -E2BIG in 64 bits).
var loopFormCases = []struct {
	prog      string
	nr, which uint64
	ret       int64
	calls     uint64
}{
	{"flags_zero", 5, 0, 5, 5},
	{"flags_unknown", 5, 0, 5, 5},
	{"two_callbacks", 5, 1, 5, 10},
	{"flags_zero", 0xffffffff, 0, e2big32, 0},
	{"flags_unknown", 0xffffffff, 0, -7, 0},
	{"two_callbacks", 0xffffffff, 0, -7, 0},
	{"flags_zero", 1<<23 + 1, 0, e2big32, 0},
	{"flags_unknown", 1<<23 + 1, 0, -7, 0},
	{"flags_zero", 1<<32 + 3, 0, e2big32, 0},
	{"flags_unknown", 1<<32 + 3, 0, 3, 3},
	{"two_callbacks", 1<<32 + 3, 1, 3, 6},
}

const loopFormsObject = "testdata/loopforms/loopforms.o"

// TestLoopForms runs bpf_loop's inlined and helper forms in ebpfvm and,
// where bpf() is available, in the kernel.
func TestLoopForms(t *testing.T) { engines.Run(t, testLoopForms) }

func testLoopForms(t *testing.T, e engines.Engine) {
	coll, err := ebpfvm.LoadCollection(loopFormsObject, e.Collection(&ebpfvm.CollectionOptions{Programs: ebpfvm.ProgramOptions{Verify: ebpfvm.VerifyPrivileged}}))
	if err != nil {
		t.Fatal(err)
	}
	defer coll.Close()
	kprogs := kernelLoopForms(t)
	for _, c := range loopFormCases {
		in := loopArgs{nr: c.nr, which: c.which}
		want := loopArgs{nr: c.nr, which: c.which, ret: c.ret, calls: c.calls}
		res, err := coll.Programs[c.prog].Run(&ebpfvm.RunOptions{Context: in.bytes()})
		if err != nil {
			t.Fatalf("%s(nr %#x): %v", c.prog, c.nr, err)
		}
		if got := parseLoopArgs(res.ContextOut); got != want {
			t.Errorf("%s(nr %#x): ret %#x, %d calls; want ret %#x, %d calls", c.prog, c.nr, got.ret, got.calls, want.ret, want.calls)
		}
		if kprogs == nil {
			continue
		}
		out := make([]byte, 40)
		if _, err := kprogs.Programs[c.prog].Run(&ebpf.RunOptions{Context: in.bytes(), ContextOut: out}); err != nil {
			t.Fatalf("kernel %s: %v", c.prog, err)
		}
		if got := parseLoopArgs(out); got != want {
			t.Errorf("kernel %s(nr %#x): ret %#x, %d calls; want ret %#x, %d calls", c.prog, c.nr, got.ret, got.calls, want.ret, want.calls)
		}
	}
}

// TestLoopFormsUnverified: without the verifier nothing says a call
// would be inlined, and every bpf_loop call is the helper's.
func TestLoopFormsUnverified(t *testing.T) { engines.RunChecked(t, testLoopFormsUnverified) }

func testLoopFormsUnverified(t *testing.T, e engines.Engine) {
	coll, err := ebpfvm.LoadCollection(loopFormsObject, e.Collection(&ebpfvm.CollectionOptions{Programs: ebpfvm.ProgramOptions{Verify: ebpfvm.VerifyNone}}))
	if err != nil {
		t.Fatal(err)
	}
	defer coll.Close()
	in := loopArgs{nr: 1<<32 + 3}
	res, err := coll.Programs["flags_zero"].Run(&ebpfvm.RunOptions{Context: in.bytes()})
	if err != nil {
		t.Fatal(err)
	}
	if got := parseLoopArgs(res.ContextOut); got.ret != 3 || got.calls != 3 {
		t.Errorf("unverified flags_zero(nr 1<<32+3): ret %d, %d calls; want the helper's 3, 3", got.ret, got.calls)
	}
}

// kernelLoopForms loads the object into the kernel, or returns nil (and
// says why) where bpf() is not available.
func kernelLoopForms(t *testing.T) *ebpf.Collection {
	t.Helper()
	if err := kernel.Available(); err != nil {
		t.Logf("not comparing with the kernel: %v", err)
		return nil
	}
	spec, err := ebpf.LoadCollectionSpec(loopFormsObject)
	if err != nil {
		t.Fatal(err)
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		t.Fatalf("kernel: %v", err)
	}
	t.Cleanup(func() { coll.Close() })
	return coll
}
