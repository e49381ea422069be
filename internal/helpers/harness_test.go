package helpers

import (
	"encoding/binary"
	"testing"

	"github.com/ebpfvm/ebpfvm/internal/mem"
	"github.com/ebpfvm/ebpfvm/internal/testing/vmengines"
	"github.com/ebpfvm/ebpfvm/internal/vm"
	"github.com/ebpfvm/ebpfvm/isa"
)

// testVM is a machine of the reference engine with a 64 KiB writable
// buffer ("context") for calling helpers directly or running small
// programs.
type testVM struct {
	t   testing.TB
	e   vm.Engine
	m   vm.Machine
	buf *mem.Buffer
	n   int // bytes of buf in the region
}

const vmBufSize = 64 << 10

func newVM(t testing.TB) *testVM {
	t.Helper()
	e := vmengines.Reference()
	m, err := e.NewMachine()
	if err != nil {
		t.Fatal(err)
	}
	b, err := mem.Alloc(vmBufSize)
	if err != nil {
		t.Fatal(err)
	}
	v := &testVM{t: t, e: e, m: m, buf: b, n: vmBufSize}
	t.Cleanup(func() {
		EndRun(m.Env())
		m.Close()
		b.Free()
	})
	v.reset()
	return v
}

// reset starts a new run: the region table holds the stack and the
// first n bytes of the buffer.
func (v *testVM) reset() {
	v.m.Reset()
	v.m.Env().Regions.Add(mem.Region{Start: v.buf.Addr(), End: v.buf.Addr() + uint64(v.n), Writable: true, Kind: mem.KindContext})
}

func (v *testVM) env() *vm.Env        { return v.m.Env() }
func (v *testVM) addr(off int) uint64 { return v.buf.Addr() + uint64(off) }
func (v *testVM) mem() []byte         { return v.buf.Bytes() }

// put copies b to offset off and returns its address.
func (v *testVM) put(off int, b []byte) uint64 {
	copy(v.buf.Bytes()[off:], b)
	return v.addr(off)
}

func (v *testVM) u64s(off int, vals ...uint64) uint64 {
	for i, x := range vals {
		binary.LittleEndian.PutUint64(v.buf.Bytes()[off+8*i:], x)
	}
	return v.addr(off)
}

// call calls a helper directly.
func (v *testVM) call(fn vm.HelperFunc, args ...uint64) (uint64, error) {
	var a [5]uint64
	copy(a[:], args)
	return fn(v.env(), a[0], a[1], a[2], a[3], a[4])
}

// run assembles src and runs it with r1 = the buffer's address, r2 = its
// size, in checked mode, with the helpers hs.
func (v *testVM) run(src string, hs []vm.Helper) (uint64, error) {
	v.t.Helper()
	insns, err := isa.Assemble(src)
	if err != nil {
		v.t.Fatalf("assembling: %v", err)
	}
	var h vm.Helpers
	for _, hp := range hs {
		h.Register(hp)
	}
	code, err := v.e.Compile(insns, &h, true, vm.Facts{})
	if err != nil {
		v.t.Fatalf("compiling: %v", err)
	}
	v.reset()
	res, err := v.m.RunRepeat(code, [5]uint64{v.buf.Addr(), uint64(v.n)}, vm.RunOptions{Checked: true}, 1, nil)
	return res.R0, err
}
