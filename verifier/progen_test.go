package verifier

import (
	"errors"
	"flag"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ebpfvm/ebpfvm/internal/testing/kernel"
	"github.com/ebpfvm/ebpfvm/internal/testing/progen"
)

var (
	progenN    = flag.Int("progen.n", 2000, "number of random programs TestProgenAgreement verifies")
	progenGaps = flag.Bool("progen.gaps", false, "also verify the seeds of progenKnownGaps (slow: each runs the 1M-insn budget) and report those that now agree")
)

// progenKnownGaps are seeds whose programs ebpfvm and the kernel give
// different verdicts. It is empty since precision backtracking replaced the
// static precision analysis (the 25 gaps it had all ran out of the budget
// in 4-deep loop nests). TestProgenAgreement fails on any disagreement not
// listed here.
var progenKnownGaps = map[int64]bool{}

// progenConfigs are internal/difftest's program shapes: seed s uses
// progenConfigs[s % len(progenConfigs)].
var progenConfigs = []progen.Config{
	{},
	{Length: 150, MaxDepth: 3, MaxLoopIters: 8, StackSlots: 32},
	{Length: 24, MaxDepth: 1, StackSlots: 2, Inputs: 2, NoLoops: true},
	{Length: 300, MaxDepth: 4, MaxLoopIters: 16, StackSlots: 64, Inputs: 16},
}

// TestProgenAgreement verifies random programs of internal/progen
// (BPF_PROG_TYPE_SYSCALL, built to be accepted by the kernel: loops,
// every ALU, jump, memory and atomic opcode) and compares the verdict
// with the kernel's: the kernel's own where bpf() is available, else
// "accepted", which progen guarantees by construction.
func TestProgenAgreement(t *testing.T) {
	n := *progenN
	if testing.Short() {
		n = min(n, 300)
	}
	kerr := kernel.Available()
	if kerr != nil {
		t.Logf("kernel verdicts not checked (%v): progen's programs count as accepted", kerr)
	}
	var (
		next                             atomic.Int64
		agree, kernelChecked, kernelRejs atomic.Int64
		ourProcessed, skipped, gapsSeen  atomic.Int64
		mu                               sync.Mutex
		fails                            []string
		wg                               sync.WaitGroup
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				seed := next.Add(1) - 1
				if seed >= int64(n) {
					return
				}
				gap := progenKnownGaps[seed]
				if gap && !*progenGaps {
					skipped.Add(1)
					continue
				}
				cfg := progenConfigs[seed%int64(len(progenConfigs))]
				insns := progen.Generate(seed, cfg)
				res, err := Verify(insns, &Options{Type: Syscall(), GPL: true})
				ours := err == nil
				if ours {
					ourProcessed.Add(int64(res.InsnsProcessed))
				}
				kacc, klog := true, ""
				if kerr == nil {
					kacc, klog = true, ""
					p, lerr := kernel.Load(insns, kernel.LoadOptions{Type: kernel.Syscall})
					var ve *kernel.VerifierError
					switch {
					case lerr == nil:
						p.Close()
					case errors.As(lerr, &ve):
						kacc, klog = false, kernel.LastLines(ve.Log, 3)
						kernelRejs.Add(1)
					default:
						t.Errorf("seed %d: loading into the kernel: %v", seed, lerr)
						return
					}
					kernelChecked.Add(1)
				}
				if ours == kacc {
					agree.Add(1)
					if gap {
						mu.Lock()
						fails = append(fails, fmt.Sprintf("seed %d: now agrees with the kernel; remove it from progenKnownGaps", seed))
						mu.Unlock()
					}
					continue
				}
				if gap {
					gapsSeen.Add(1)
					continue
				}
				mu.Lock()
				if ours {
					fails = append(fails, fmt.Sprintf("seed %d (config %d): ebpfvm accepts, the kernel rejects:\n%s", seed, seed%4, klog))
				} else {
					fails = append(fails, fmt.Sprintf("seed %d (config %d): ebpfvm rejects, the kernel accepts: %v\n%s", seed, seed%4, err, lastLogLines(err, 8)))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for i, f := range fails {
		if i == 100 {
			t.Errorf("... and %d more", len(fails)-5)
			break
		}
		t.Error(f)
	}
	t.Logf("progen: %d programs, same verdict as the kernel for %d; %d known gaps (%d skipped, %d verified); %d loaded into the kernel, %d rejected by it; ebpfvm processed %d insns in all",
		n, agree.Load(), skipped.Load()+gapsSeen.Load(), skipped.Load(), gapsSeen.Load(), kernelChecked.Load(), kernelRejs.Load(), ourProcessed.Load())
}

func lastLogLines(err error, n int) string {
	var ve *Error
	if !errors.As(err, &ve) {
		return ""
	}
	return kernel.LastLines(ve.Log, n)
}
