package ebpfvm_test

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
	"github.com/ebpfvm/ebpfvm/isa"
)

// TestDroppedCollectionsReclaimed loads collections and drops them without
// Close, as a host that loads a filter per request and forgets it would.
// Their programs and maps are closed by the garbage collector and their
// memory freed: the number of maps and of memory mappings returns to
// where it was. Before, a global table kept every map, and the process
// ran out of memory mappings after about 3,600 collections ("mprotect:
// cannot allocate memory"). The collector runs only when the test says,
// every 500 collections, so the figures do not depend on its pacing.
// tailcall.o has prog arrays that hold the programs that use them (a
// cycle, broken when the prog array's Map is collected, as the kernel
// empties a prog array when its last file descriptor is closed).
func TestDroppedCollectionsReclaimed(t *testing.T) { engines.Run(t, testDroppedCollectionsReclaimed) }

func testDroppedCollectionsReclaimed(t *testing.T, e engines.Engine) {
	objects := []struct {
		file string
		n    int
	}{{"percpu", 10_000}, {"globals", 3_000}, {"tailcall", 1_000}}
	if testing.Short() || raceEnabled {
		for i := range objects {
			objects[i].n /= 10
		}
	}
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	collectUntil(func() bool { return false }) // earlier tests' leftovers
	baseMaps, baseMappings := ebpfvm.OpenMaps(), mappings(t)
	loaded := 0
	for _, o := range objects {
		spec, err := ebpf.LoadCollectionSpec("testdata/corpus/" + o.file + ".o")
		if err != nil {
			t.Fatal(err)
		}
		for i := range o.n {
			c, err := ebpfvm.NewCollection(spec, e.Collection(nil))
			if err != nil {
				t.Fatalf("%s: collection %d (%d loaded, %d maps open): %v", o.file, i, loaded, ebpfvm.OpenMaps()-baseMaps, err)
			}
			if i%100 == 0 {
				for _, p := range c.Programs {
					if _, err := p.Run(&ebpfvm.RunOptions{Data: make([]byte, 64)}); err != nil {
						t.Fatalf("%s: run %s: %v", o.file, p.Name(), err)
					}
					break
				}
			}
			loaded++
			if loaded%500 == 0 {
				runtime.GC()
			}
		}
	}
	peak := ebpfvm.OpenMaps() - baseMaps
	if !collectUntil(func() bool { return ebpfvm.OpenMaps() <= baseMaps }) {
		t.Errorf("%d collections dropped: %d maps still open (%d before the last collection)", loaded, ebpfvm.OpenMaps()-baseMaps, peak)
	}
	if after := mappings(t); after > baseMappings+64 && !raceEnabled { // the race detector maps shadow memory
		t.Errorf("%d collections dropped: memory mappings grew from %d to %d", loaded, baseMappings, after)
	}
	t.Logf("%d collections dropped; maps open before the last collection %d, after %d; mappings %d before, %d after",
		loaded, peak, ebpfvm.OpenMaps()-baseMaps, baseMappings, mappings(t))
}

// TestRunKeepsDroppedObjects: a program whose Map was dropped keeps the
// map; a run keeps its program while the collector runs in the middle of
// it; both go once unreachable.
func TestRunKeepsDroppedObjects(t *testing.T) { engines.Run(t, testRunKeepsDroppedObjects) }

func testRunKeepsDroppedObjects(t *testing.T, e engines.Engine) {
	m, err := ebpfvm.NewMap(&ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1,
		Contents: []ebpf.MapKV{{Key: uint32(0), Value: uint64(41)}}})
	if err != nil {
		t.Fatal(err)
	}
	id := ebpfvm.MapID(m)
	insns, err := isa.Assemble(`
		call 1000
		r1 = map[fd:0][0]+0
		r0 = *(u64 *)(r1 +0)
		r0 += 1
		exit`)
	if err != nil {
		t.Fatal(err)
	}
	collected := 0
	gc := dropHelper(func() error {
		for range 3 {
			runtime.GC()
		}
		collected++
		return nil
	})
	p, err := ebpfvm.NewProgram(insns, e.Program(&ebpfvm.ProgramOptions{Maps: []*ebpfvm.Map{m}, Helpers: gc}))
	if err != nil {
		t.Fatal(err)
	}
	m = nil
	res, err := p.Run(nil)
	if err != nil || res.ReturnValue != 42 || collected != 1 {
		t.Fatalf("run: %d, %v (collected %d times); want 42", res.ReturnValue, err, collected)
	}
	if !ebpfvm.MapAlive(id) {
		t.Fatal("the program's map was freed while the program lives")
	}
	// A run in flight holds its program: drop it from inside the run.
	var held *ebpfvm.Program
	held, p = p, nil
	done := make(chan ebpfvm.RunResult)
	go func(q *ebpfvm.Program) {
		r, _ := q.Run(nil)
		done <- r
	}(held)
	held = nil
	if r := <-done; r.ReturnValue != 42 {
		t.Errorf("run of a dropped program: %d, want 42", r.ReturnValue)
	}
	if !collectUntil(func() bool { return !ebpfvm.MapAlive(id) }) {
		t.Error("the map was not freed after its program and Map were dropped")
	}
}
