package ebpfvm_test

import (
	"bytes"
	"os"
	"runtime/debug"
	"testing"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
	"github.com/ebpfvm/ebpfvm/isa"
)

// TestManyShortLivedPrograms loads and runs many programs without closing
// them, as a host that builds a filter per request would, with the garbage
// collector held off: the memory a run needs (stack, scratch) is shared
// between programs, so the process's memory mappings do not grow with the
// number of programs (a pool per program once ran a fuzzer out of them).
func TestManyShortLivedPrograms(t *testing.T) { engines.Run(t, testManyShortLivedPrograms) }

func testManyShortLivedPrograms(t *testing.T, e engines.Engine) {
	insns, err := isa.Assemble("r0 = 7\n*(u64 *)(r10 -8) = r0\nr0 = *(u64 *)(r10 -8)\nexit")
	if err != nil {
		t.Fatal(err)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	before := mappings(t)
	for i := 0; i < 20_000; i++ {
		for _, mode := range e.Modes() {
			if mode == ebpfvm.VerifyPrivileged && i%100 != 0 {
				continue // verifying allocates; keep the heap small without a GC
			}
			p, err := ebpfvm.NewProgram(insns, e.Program(&ebpfvm.ProgramOptions{Verify: mode}))
			if err != nil {
				t.Fatalf("program %d: %v", i, err)
			}
			res, err := p.Run(nil)
			if err != nil {
				t.Fatalf("program %d: %v", i, err)
			}
			if res.ReturnValue != 7 {
				t.Fatalf("program %d returned %d", i, res.ReturnValue)
			}
		}
	}
	if after := mappings(t); after > before+64 {
		t.Errorf("memory mappings grew from %d to %d over 20,200 programs", before, after)
	}
}

func mappings(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Skipf("counting mappings: %v", err)
	}
	return bytes.Count(b, []byte("\n"))
}
