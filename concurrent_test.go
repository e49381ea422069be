package ebpfvm_test

import (
	"sync"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
)

// TestConcurrentProgramsAndMaps runs a program on many goroutines that
// counts into a hash map while Go code updates, deletes and iterates the
// same map. Run it under -race (CI does).
func TestConcurrentProgramsAndMaps(t *testing.T) { engines.Run(t, testConcurrentProgramsAndMaps) }

func testConcurrentProgramsAndMaps(t *testing.T, e engines.Engine) {
	// key = CPU; value += 1 (atomically), inserting the key when absent.
	insns := asm.Instructions{
		asm.FnGetSmpProcessorId.Call(),
		asm.StoreMem(asm.R10, -4, asm.R0, asm.Word),
		asm.LoadMapPtr(asm.R1, 0).WithReference("counts"),
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, -4),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "insert"),
		asm.Mov.Imm(asm.R1, 1),
		asm.StoreXAdd(asm.R0, asm.R1, asm.DWord),
		asm.Mov.Imm(asm.R0, 2),
		asm.Return(),
		asm.Mov.Imm(asm.R1, 1).WithSymbol("insert"),
		asm.StoreMem(asm.R10, -16, asm.R1, asm.DWord),
		asm.LoadMapPtr(asm.R1, 0).WithReference("counts"),
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, -4),
		asm.Mov.Reg(asm.R3, asm.R10),
		asm.Add.Imm(asm.R3, -16),
		asm.Mov.Imm(asm.R4, 0),
		asm.FnMapUpdateElem.Call(),
		asm.Mov.Imm(asm.R0, 2),
		asm.Return(),
	}
	c, err := ebpfvm.NewCollection(&ebpf.CollectionSpec{
		Maps: map[string]*ebpf.MapSpec{"counts": {Type: ebpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 64}},
		Programs: map[string]*ebpf.ProgramSpec{
			"count": {Name: "count", Type: ebpf.XDP, License: "GPL", Instructions: insns},
		},
	}, e.Collection(&ebpfvm.CollectionOptions{Programs: ebpfvm.ProgramOptions{NumCPU: 8}}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	prog, m := c.Programs["count"], c.Maps["counts"]
	const workers, runs = 8, 300
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range runs {
				res, err := prog.Run(&ebpfvm.RunOptions{Data: testPacket(), CPU: w})
				if err != nil || res.ReturnValue != 2 {
					t.Errorf("run: r0 = %d, %v", res.ReturnValue, err)
					return
				}
			}
		})
	}
	stop := make(chan struct{})
	var churn sync.WaitGroup
	churn.Go(func() {
		for i := uint32(0); ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			k := 100 + i%16 // keys the program never uses
			m.Update(k, uint64(i), ebpfvm.UpdateAny)
			var key uint32
			var val uint64
			it := m.Iterate()
			for it.Next(&key, &val) {
			}
			m.Delete(k)
		}
	})
	wg.Wait()
	close(stop)
	churn.Wait()
	total := uint64(0)
	for w := range uint32(workers) {
		var v uint64
		if err := m.Lookup(w, &v); err != nil {
			t.Fatalf("CPU %d: %v", w, err)
		}
		total += v
	}
	if total != workers*runs {
		t.Fatalf("counted %d runs, want %d", total, workers*runs)
	}
}
