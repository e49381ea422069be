package difftest

import (
	"errors"
	"flag"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
	"github.com/ebpfvm/ebpfvm/internal/testing/kernel"
	"github.com/ebpfvm/ebpfvm/internal/testing/progen"
	"github.com/ebpfvm/ebpfvm/isa"
)

var (
	flagN        = flag.Int("difftest.n", 10000, "number of programs TestDifferential compares")
	flagSeed     = flag.Int64("difftest.seed", 0, "first seed of TestDifferential")
	flagWorkers  = flag.Int("difftest.workers", 0, "parallel workers (0: GOMAXPROCS)")
	flagMinimize = flag.Duration("difftest.minimize", 30*time.Second, "time spent minimizing each of the first mismatches")
)

// Configs are the program shapes TestDifferential cycles through: seed s
// uses Configs[s % len(Configs)].
var Configs = []progen.Config{
	{},
	{Length: 150, MaxDepth: 3, MaxLoopIters: 8, StackSlots: 32},
	{Length: 24, MaxDepth: 1, StackSlots: 2, Inputs: 2, NoLoops: true},
	{Length: 300, MaxDepth: 4, MaxLoopIters: 16, StackSlots: 64, Inputs: 16},
}

// maxReported is how many mismatches are reported (and minimized) in full.
const maxReported = 3

func TestDifferential(t *testing.T) {
	if err := kernel.Available(); err != nil {
		t.Skip(err.Error())
	}
	n := *flagN
	if testing.Short() {
		n = min(n, 1000)
	}
	workers := *flagWorkers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var (
		next       atomic.Int64
		rejected   atomic.Int64
		compared   atomic.Int64
		mismatched atomic.Int64
		mu         sync.Mutex
		firstRej   []string
		reports    []*Mismatch
		wg         sync.WaitGroup
	)
	var vms []VM
	for _, e := range engines.All() {
		if e.Checked {
			vms = append(vms, VM{Name: e.Name, Options: e.Program(nil)})
		} else {
			t.Logf("engine %s runs only verified programs: not compared here (FuzzEngines compares it with the checked interpreter)", e.Name)
		}
	}
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) || t.Failed() && mismatched.Load() >= maxReported {
					return
				}
				seed := *flagSeed + i
				c := Generate(seed, Configs[uint64(seed)%uint64(len(Configs))])
				m, err := Check(c, vms...)
				if err != nil {
					if errors.Is(err, ErrRejected) {
						rejected.Add(1)
						mu.Lock()
						if len(firstRej) < 3 {
							firstRej = append(firstRej, fmt.Sprintf("seed %d: %v", seed, err))
						}
						mu.Unlock()
						continue
					}
					t.Errorf("seed %d: %v", seed, err)
					return
				}
				compared.Add(1)
				if m == nil {
					continue
				}
				if mismatched.Add(1) <= maxReported {
					m.Minimize(*flagMinimize)
					mu.Lock()
					reports = append(reports, m)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for _, m := range reports {
		t.Error(m.Report())
	}
	nrej := rejected.Load()
	t.Logf("%d programs compared on %d engines in %v (%d workers), %d mismatches; kernel rejected %d of %d generated (%.3f%%)",
		compared.Load(), len(vms), time.Since(start).Round(time.Millisecond), workers, mismatched.Load(),
		nrej, compared.Load()+nrej, 100*float64(nrej)/float64(max(compared.Load()+nrej, 1)))
	if nrej > 0 {
		t.Logf("first rejections:\n%s", strings.Join(firstRej, "\n"))
	}
	if nrej*1000 > compared.Load()+nrej {
		t.Errorf("the kernel rejected %d programs: more than 0.1%%, fix the generator", nrej)
	}
	if m := mismatched.Load(); m > 0 {
		t.Errorf("%d of %d programs disagree", m, compared.Load())
	}
}

func TestRemoveInstructions(t *testing.T) {
	ld := isa.LoadImm64(isa.R1, 0x1122334455667788)
	prog := []isa.Instruction{
		isa.Mov64Imm(isa.R0, 0),               // 0
		isa.JumpImm(isa.JmpJEQ, isa.R0, 0, 3), // 1 -> 5
		ld[0], ld[1],                          // 2, 3
		isa.Mov64Imm(isa.R0, 1),                // 4
		isa.ALU64Imm(isa.ALUAdd, isa.R0, 1),    // 5
		{Opcode: isa.OpGotoL, Imm: 1},          // 6 -> 8
		isa.Mov64Imm(isa.R0, 7),                // 7
		isa.JumpImm(isa.JmpJNE, isa.R0, 9, -4), // 8 -> 5
		isa.Exit(),                             // 9
	}
	drop := make([]bool, len(prog))
	drop[3] = true // takes the whole ld_imm64
	drop[5] = true // a jump target: jumps to it go to the next slot kept
	drop[7] = true
	got, ok := RemoveInstructions(prog, drop)
	if !ok {
		t.Fatal("RemoveInstructions failed")
	}
	want := []isa.Instruction{
		isa.Mov64Imm(isa.R0, 0),
		isa.JumpImm(isa.JmpJEQ, isa.R0, 0, 1), // -> gotol
		isa.Mov64Imm(isa.R0, 1),
		{Opcode: isa.OpGotoL, Imm: 0},
		isa.JumpImm(isa.JmpJNE, isa.R0, 9, -2), // -> gotol
		isa.Exit(),
	}
	if len(got) != len(want) {
		t.Fatalf("got\n%swant\n%s", isa.Disassemble(got), isa.Disassemble(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("slot %d: got\n%swant\n%s", i, isa.Disassemble(got), isa.Disassemble(want))
		}
	}
	if err := isa.Validate(got); err != nil {
		t.Error(err)
	}
}

// TestMinimizeAgreeing checks that minimization finds nothing to remove
// from a program the engines agree on (it would if removing the prologue
// let kernel pointers or uninitialised stack reach the output).
func TestMinimizeAgreeing(t *testing.T) {
	if err := kernel.Available(); err != nil {
		t.Skip(err.Error())
	}
	c := Generate(1, progen.Config{Length: 40, NoLoops: true})
	if m, err := Check(c); err != nil || m != nil {
		t.Skipf("seed 1 does not agree: %v %v", err, m)
	}
	m := &Mismatch{Case: c}
	m.Minimize(20 * time.Second)
	if m.Minimized != nil {
		t.Errorf("minimized a program the engines agree on:\n%s", isa.Disassemble(m.Minimized))
	}
}
