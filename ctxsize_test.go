package ebpfvm_test

import (
	"errors"
	"syscall"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
	"github.com/ebpfvm/ebpfvm/internal/testing/kernel"
)

// BPF_PROG_TEST_RUN of syscall and raw tracepoint programs refuses a
// context shorter than the furthest context access the verifier saw
// (prog->aux->max_ctx_offset), or longer than the type takes (U16_MAX
// bytes for syscall programs, 12 u64 arguments for raw tracepoints),
// with EINVAL. ebpfvm applies the same rules, with the verifier's
// MaxCtxOffset, and the kernel confirms them where bpf() is available.

var ctxSizeCases = []struct {
	name string
	typ  ebpf.ProgramType
	src  string
	need int // max_ctx_offset
	max  int
}{
	{"syscall", ebpf.Syscall, `
		r2 = *(u32 *)(r1 +8)
		*(u64 *)(r10 -8) = r2
		r0 = *(u32 *)(r10 -8)
		r0 += 1
		exit`, 12, 0xffff},
	{"syscall without context", ebpf.Syscall, "r0 = 1\nexit", 0, 0xffff},
	{"raw tracepoint", ebpf.RawTracepoint, `
		r2 = *(u64 *)(r1 +16)
		r0 = r2
		r0 += 1
		exit`, 24, 96},
	{"raw tracepoint without context", ebpf.RawTracepoint, "r0 = 1\nexit", 0, 96},
}

func TestContextSizeRules(t *testing.T) { engines.Run(t, testContextSizeRules) }

func testContextSizeRules(t *testing.T, e engines.Engine) {
	kernelErr := kernel.Available()
	if kernelErr != nil {
		t.Logf("kernel comparison skipped: %v", kernelErr)
	}
	for _, c := range ctxSizeCases {
		t.Run(c.name, func(t *testing.T) {
			insns := assemble(t, c.src)
			p := load(t, c.src, e.Program(&ebpfvm.ProgramOptions{Type: c.typ}))
			var kp *kernel.Program
			if kernelErr == nil {
				var err error
				if kp, err = kernel.Load(insns, kernel.LoadOptions{Type: kernel.ProgType(c.typ)}); err != nil {
					t.Fatalf("kernel load: %v", err)
				}
				defer kp.Close()
			}
			sizes := []int{0, c.need, c.max, c.max + 1, c.max + 8}
			if c.need > 0 {
				sizes = append(sizes, c.need-1, c.need-4)
			}
			for _, n := range sizes {
				if n < 0 {
					continue
				}
				ctx := make([]byte, n)
				for i := range ctx {
					ctx[i] = byte(i)
				}
				res, err := p.Run(&ebpfvm.RunOptions{Context: ctx})
				ok := n >= c.need && n <= c.max
				switch {
				case ok && err != nil:
					t.Errorf("context of %d bytes: %v", n, err)
				case !ok && !errors.Is(err, syscall.EINVAL):
					t.Errorf("context of %d bytes: err = %v, want EINVAL", n, err)
				}
				if kp == nil || (c.typ == ebpf.Syscall && n > c.max) {
					// internal/kernel refuses syscall contexts
					// over U16_MAX before the kernel sees them.
					continue
				}
				kr, kerr := kp.TestRun(kernel.TestRunOptions{Ctx: ctx})
				switch {
				case ok && kerr != nil:
					t.Errorf("context of %d bytes: kernel: %v", n, kerr)
				case !ok && !errors.Is(kerr, syscall.EINVAL):
					t.Errorf("context of %d bytes: kernel: err = %v, want EINVAL", n, kerr)
				case ok && uint64(kr.Retval) != res.ReturnValue:
					t.Errorf("context of %d bytes: r0 = %#x, kernel %#x", n, res.ReturnValue, kr.Retval)
				}
			}
		})
	}
}

// TestContextBoundIsExact: the bound is the verifier's max_ctx_offset,
// not a scan of the program's loads and stores: accesses to other memory
// at larger offsets (here a map value) do not raise it.
func TestContextBoundIsExact(t *testing.T) { engines.Run(t, testContextBoundIsExact) }

func testContextBoundIsExact(t *testing.T, e engines.Engine) {
	c := newCollection(t, &ebpf.CollectionSpec{Maps: map[string]*ebpf.MapSpec{
		"big": {Type: ebpf.Array, KeySize: 4, ValueSize: 256, MaxEntries: 1},
	}})
	const src = `
		r6 = *(u32 *)(r1 +0)
		*(u32 *)(r10 -4) = 0
		r1 = map[fd:0]
		r2 = r10
		r2 += -4
		call bpf_map_lookup_elem
		if r0 == 0 goto out
		*(u64 *)(r0 +240) = r6
		r6 = *(u64 *)(r0 +240)
	out:
		r0 = r6
		exit`
	for _, typ := range []ebpf.ProgramType{ebpf.Syscall, ebpf.RawTracepoint} {
		p := load(t, src, e.Program(&ebpfvm.ProgramOptions{Type: typ, Maps: []*ebpfvm.Map{c.Maps["big"]}}))
		res, err := p.Run(&ebpfvm.RunOptions{Context: []byte{7, 0, 0, 0}})
		if err != nil || res.ReturnValue != 7 {
			t.Errorf("%v: r0 = %d, %v; want 7", typ, res.ReturnValue, err)
		}
		if _, err := p.Run(&ebpfvm.RunOptions{Context: []byte{7, 0, 0}}); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("%v: context of 3 bytes: err = %v, want EINVAL", typ, err)
		}
	}
}
