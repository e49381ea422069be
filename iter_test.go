package ebpfvm

import (
	"fmt"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm/isa"
)

// iterSumProgram sums the values of a bpf_iter_num over [lo, hi) through
// the built-in kfuncs, called by their reserved IDs.
func iterSumProgram(t *testing.T, lo, hi int32) []isa.Instruction {
	t.Helper()
	src := fmt.Sprintf(`
r6 = 0
r1 = r10
r1 += -8
w2 = %d
w3 = %d
call kernel-function#%d
loop:
r1 = r10
r1 += -8
call kernel-function#%d
if r0 == 0 goto done
r1 = *(u32 *)(r0 +0)
w6 += w1
goto loop
done:
r1 = r10
r1 += -8
call kernel-function#%d
r0 = r6
exit
`, lo, hi, KfuncIterNumNew, KfuncIterNumNext, KfuncIterNumDestroy)
	insns, err := isa.Assemble(src)
	if err != nil {
		t.Fatal(err)
	}
	return insns
}

// The numeric iterator's kfuncs are there for every program type without
// registration, verified and run, on every engine.
func TestIterNumBuiltin(t *testing.T) { forEachEngine(t, testIterNumBuiltin) }

func testIterNumBuiltin(t *testing.T, e Engine) {
	cases := []struct {
		typ    ebpf.ProgramType
		data   []byte
		ctx    []byte
		lo, hi int32
		want   uint64
	}{
		{ebpf.XDP, make([]byte, 64), nil, 0, 100, 4950},
		{ebpf.SchedCLS, make([]byte, 64), nil, -10, 11, 0},
		{ebpf.SocketFilter, make([]byte, 64), nil, 5, 5, 0},
		{ebpf.Syscall, nil, make([]byte, 8), 3, 1, 0}, // start > end: no values
		{ebpf.UnspecifiedProgram, nil, make([]byte, 8), 1, 4, 6},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v[%d,%d)", c.typ, c.lo, c.hi), func(t *testing.T) {
			opts := &ProgramOptions{Type: c.typ, Engine: e, Verify: VerifyPrivileged, License: "GPL", ContextSize: len(c.ctx)}
			p, err := NewProgram(iterSumProgram(t, c.lo, c.hi), opts)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			res, err := p.Run(&RunOptions{Data: c.data, Context: c.ctx})
			if err != nil {
				t.Fatal(err)
			}
			if uint64(uint32(res.ReturnValue)) != c.want {
				t.Fatalf("returned %d, want %d", res.ReturnValue, c.want)
			}
		})
	}
}

// An embedder's kfunc registered under a built-in kfunc's name takes
// precedence when ELF objects are linked.
func TestIterNumUserOverride(t *testing.T) {
	h := &Helpers{}
	if err := h.RegisterKfunc(Helper{ID: 77, Name: "bpf_iter_num_new", Func: func(*Env, uint64, uint64, uint64, uint64, uint64) (uint64, error) { return 0, nil }}); err != nil {
		t.Fatal(err)
	}
	id, err := kfuncResolver(h)("bpf_iter_num_new")
	if err != nil || id != 77 {
		t.Fatalf("user's kfunc: got %d, %v", id, err)
	}
	id, err = kfuncResolver(h)("bpf_iter_num_next")
	if err != nil || id != KfuncIterNumNext {
		t.Fatalf("built-in kfunc: got %d, %v", id, err)
	}
	if _, err := kfuncResolver(nil)("bpf_iter_num_missing"); err == nil {
		t.Fatal("an unknown name resolved")
	}
}
