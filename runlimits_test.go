package ebpfvm_test

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
	"github.com/ebpfvm/ebpfvm/internal/testing/kernel"
	"github.com/ebpfvm/ebpfvm/isa"
)

// TestRunInputLimits: Run takes inputs up to RunInputLimits and refuses
// one byte more, as BPF_PROG_TEST_RUN does where bpf() is available.
func TestRunInputLimits(t *testing.T) { engines.Run(t, testRunInputLimits) }

func testRunInputLimits(t *testing.T, e engines.Engine) {
	kernelErr := kernel.Available()
	if kernelErr != nil {
		t.Logf("kernel comparison skipped: %v", kernelErr)
	}
	insns := prog(isa.Mov64Imm(isa.R0, 1), isa.Exit())
	xdpMeta := func(n int) []byte { return xdpMD(32, uint32(n)) } // 32 bytes of metadata
	cases := []struct {
		typ   ebpf.ProgramType
		input string // which limit
		opts  func(n int) ebpfvm.RunOptions
	}{
		{ebpf.XDP, "data", func(n int) ebpfvm.RunOptions {
			return ebpfvm.RunOptions{Data: make([]byte, n), Context: xdpMeta(n)}
		}},
		{ebpf.XDP, "context", func(n int) ebpfvm.RunOptions {
			return ebpfvm.RunOptions{Data: make([]byte, 64), Context: append(xdpMD(0, 64), make([]byte, n-24)...)}
		}},
		{ebpf.SchedCLS, "data", func(n int) ebpfvm.RunOptions { return ebpfvm.RunOptions{Data: make([]byte, n)} }},
		{ebpf.SocketFilter, "context", func(n int) ebpfvm.RunOptions {
			return ebpfvm.RunOptions{Data: make([]byte, 64), Context: make([]byte, n)}
		}},
		{ebpf.Syscall, "context", func(n int) ebpfvm.RunOptions { return ebpfvm.RunOptions{Context: make([]byte, n)} }},
		{ebpf.RawTracepoint, "context", func(n int) ebpfvm.RunOptions { return ebpfvm.RunOptions{Context: make([]byte, n)} }},
	}
	for _, c := range cases {
		lim := ebpfvm.RunInputLimits(c.typ)
		max := lim.Data
		if c.input == "context" {
			max = lim.Context
		}
		t.Run(fmt.Sprintf("%s/%s", c.typ, c.input), func(t *testing.T) {
			if max <= 0 {
				t.Fatalf("limit %d", max)
			}
			p, err := ebpfvm.NewProgram(insns, e.Program(&ebpfvm.ProgramOptions{Type: c.typ}))
			if err != nil {
				t.Fatal(err)
			}
			var kp *kernel.Program
			if kernelErr == nil {
				if kp, err = kernel.Load(insns, kernel.LoadOptions{Type: kernel.ProgType(c.typ)}); err != nil {
					t.Fatalf("kernel load: %v", err)
				}
				defer kp.Close()
			}
			for _, n := range []int{max, max + 1} {
				o := c.opts(n)
				_, err := p.Run(&o)
				if ok := err == nil; ok != (n == max) {
					t.Errorf("%d bytes: %v", n, err)
				}
				if kp == nil || (c.typ == ebpf.XDP && c.input == "data" && n > max) {
					// The kernel puts a larger packet in fragments
					// (multi-buffer XDP), which ebpfvm does not do.
					continue
				}
				ko := kernel.TestRunOptions{Data: o.Data, Ctx: o.Context}
				if len(o.Data) > 0 {
					ko.DataOutSize = 4096
				}
				_, kerr := kp.TestRun(ko)
				if (kerr == nil) != (err == nil) {
					t.Errorf("%d bytes: ebpfvm %v, kernel %v", n, err, kerr)
				}
			}
		})
	}
	if l := ebpfvm.RunInputLimits(ebpf.UnspecifiedProgram); l.Data != ebpfvm.NoLimit || l.Context != ebpfvm.NoLimit {
		t.Errorf("generic type: %+v, want no limits", l)
	}
}

// TestRunRepeatLimit: Repeat is a u32 in BPF_PROG_TEST_RUN; more is
// refused before anything runs. Progress counts the runs.
func TestRunRepeatLimit(t *testing.T) { engines.Run(t, testRunRepeatLimit) }

func testRunRepeatLimit(t *testing.T, e engines.Engine) {
	p, err := ebpfvm.NewProgram(prog(isa.Mov64Imm(isa.R0, 1), isa.Exit()), e.Program(nil))
	if err != nil {
		t.Fatal(err)
	}
	var done []int
	if _, err := p.Run(&ebpfvm.RunOptions{Repeat: 4, Progress: func(n int) { done = append(done, n) }}); err != nil || !slices.Equal(done, []int{1, 2, 3, 4}) {
		t.Fatalf("progress %v, %v", done, err)
	}
	if strconv.IntSize < 64 {
		return // an int cannot hold more than MaxRepeat
	}
	tooMany := uint64(ebpfvm.MaxRepeat) + 1
	_, err = p.Run(&ebpfvm.RunOptions{Repeat: int(tooMany), Progress: func(n int) {
		if n > 1 {
			panic("ran past the repeat limit") // a run would take minutes otherwise
		}
	}})
	if !errors.Is(err, syscall.EINVAL) || !strings.Contains(err.Error(), "4294967296") {
		t.Errorf("repeat 2^32: %v, want EINVAL", err)
	}
}
