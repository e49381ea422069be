package verifier

import (
	"strings"
	"testing"

	"github.com/ebpfvm/ebpfvm/internal/testing/kernel"
)

// TestPrecisionLog compares the level-2 log's precision backtracking lines
// ("mark_precise: ...") with the kernel's for programs where a decided
// branch, a spill and fill, or a call makes a scalar precise. The parent
// state lines are left out: they print liveness marks ebpfvm does not
// keep.
func TestPrecisionLog(t *testing.T) {
	for _, tc := range []struct{ name, src string }{
		{"decided branch", `r0 = 5
r1 = r0
if r1 > 3 goto +1
r0 = 0
exit`},
		{"through the stack", `r2 = 6
*(u64 *)(r10 -8) = r2
r3 = *(u64 *)(r10 -8)
r3 += 1
if r3 != 7 goto +1
r0 = 0
r0 = 0
exit`},
		{"through a call", `r1 = 4
call sub
if r0 == 5 goto +1
r0 = 0
r0 = 0
exit
sub:
r0 = r1
r0 += 1
exit`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			insns := mustAsm(t, tc.src)
			res, err := Verify(insns, &Options{Type: SocketFilter(), LogLevel: 2, GPL: true})
			if err != nil {
				t.Fatal(err)
			}
			ours := precisionLines(res.Log)
			if len(ours) == 0 {
				t.Fatalf("no mark_precise lines:\n%s", res.Log)
			}
			if err := kernel.Available(); err != nil {
				t.Skipf("kernel log not compared: %v", err)
			}
			p, err := kernel.Load(insns, kernel.LoadOptions{Type: kernel.SocketFilter, LogLevel: kernel.LogLevelInsn})
			if err != nil {
				t.Fatalf("kernel: %v", err)
			}
			theirs := precisionLines(p.Log)
			p.Close()
			if strings.Join(ours, "\n") != strings.Join(theirs, "\n") {
				t.Errorf("ebpfvm:\n%s\nkernel:\n%s", strings.Join(ours, "\n"), strings.Join(theirs, "\n"))
			}
		})
	}
}

func precisionLines(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if strings.HasPrefix(l, "mark_precise:") && !strings.Contains(l, "parent state") {
			out = append(out, l)
		}
	}
	return out
}
