package ebpfvm_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
	"github.com/ebpfvm/ebpfvm/verifier"
)

// A run keeps alive every map and program it can reach, until it ends:
// the kernel frees an inner map removed from a map of maps, or a program
// removed from a prog array, only after an RCU grace period, so a program
// that still holds a pointer into it never sees it go. These tests remove
// and close what a running program uses, from a helper (Go code running
// in the middle of the run), and check that the program still reads and
// writes it, and that it is freed once the run is over.

// dropHelper registers helper 1000, which calls fn.
func dropHelper(fn func() error) *ebpfvm.Helpers {
	h := &ebpfvm.Helpers{}
	h.Register(ebpfvm.Helper{ID: 1000, Name: "drop", Func: func(*ebpfvm.Env, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
		return 0, fn()
	}, Proto: &ebpfvm.HelperProto{Name: "drop", Ret: verifier.RetInteger}})
	return h
}

// mapInMap returns an array of maps whose slot 0 holds inner, an array of
// one u64 set to 41. The collection holding them is closed at the end of
// the test.
func mapInMap(t *testing.T) (outer, inner *ebpfvm.Map) {
	t.Helper()
	c := newCollection(t, &ebpf.CollectionSpec{Maps: map[string]*ebpf.MapSpec{
		"outer": {Type: ebpf.ArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 1,
			InnerMap: &ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1}},
		"inner": {Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1},
	}})
	outer, inner = c.Maps["outer"], c.Maps["inner"]
	if err := outer.Update(uint32(0), inner, ebpfvm.UpdateAny); err != nil {
		t.Fatal(err)
	}
	if err := inner.Update(uint32(0), uint64(41), ebpfvm.UpdateAny); err != nil {
		t.Fatal(err)
	}
	return outer, inner
}

// innerValue looks up the value of slot 0 of the inner map in slot 0 of
// map[fd:0] into r7, then calls helper 1000; END follows.
const innerValue = `
	*(u32 *)(r10 -4) = 0
	r1 = map[fd:0]
	r2 = r10
	r2 += -4
	call bpf_map_lookup_elem
	if r0 == 0 goto miss
	r1 = r0
	r2 = r10
	r2 += -4
	call bpf_map_lookup_elem
	if r0 == 0 goto miss
	r7 = r0
	call 1000
`

// TestInnerMapOutlivesRun: the program holds a pointer into an inner map
// when Go code removes that map from its map of maps and closes it. The
// program still reads and writes the value (verified: without checks;
// unverified: checked against the run's regions), and the map's memory
// is freed when the run ends.
func TestInnerMapOutlivesRun(t *testing.T) { engines.Run(t, testInnerMapOutlivesRun) }

func testInnerMapOutlivesRun(t *testing.T, e engines.Engine) {
	const src = innerValue + `
	r0 = *(u64 *)(r7 +0)
	r0 += 1
	*(u64 *)(r7 +0) = r0
	exit
miss:
	r0 = 0xdead
	exit`
	for _, mode := range e.Modes() {
		t.Run(mode.String(), func(t *testing.T) {
			outer, inner := mapInMap(t)
			id := ebpfvm.MapID(inner)
			aliveInRun := false
			h := dropHelper(func() error {
				if err := outer.Delete(uint32(0)); err != nil {
					return err
				}
				if err := inner.Close(); err != nil {
					return err
				}
				aliveInRun = ebpfvm.MapAlive(id)
				return nil
			})
			p := load(t, src, e.Program(&ebpfvm.ProgramOptions{Type: ebpf.Syscall, Helpers: h, Maps: []*ebpfvm.Map{outer}, Verify: mode}))
			res, err := p.Run(&ebpfvm.RunOptions{})
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if res.ReturnValue != 42 {
				t.Errorf("r0 = %#x, want 42", res.ReturnValue)
			}
			if !aliveInRun {
				t.Error("the inner map was freed while the program held a pointer into it")
			}
			if ebpfvm.MapAlive(id) {
				t.Error("the inner map is still alive after the run")
			}
		})
	}
}

// TestInnerMapReleasedOnError: what a run holds is released however the
// run ends, here by exhausting its instruction budget, and whatever
// number of repeats it had.
func TestInnerMapReleasedOnError(t *testing.T) { engines.RunChecked(t, testInnerMapReleasedOnError) }

func testInnerMapReleasedOnError(t *testing.T, e engines.Engine) {
	outer, inner := mapInMap(t)
	id := ebpfvm.MapID(inner)
	h := dropHelper(func() error {
		outer.Delete(uint32(0))
		return inner.Close()
	})
	p := load(t, innerValue+`
	r0 = *(u64 *)(r7 +0)
loop:
	goto loop
miss:
	r0 = 0
	exit`, e.Program(&ebpfvm.ProgramOptions{Type: ebpf.Syscall, Helpers: h, Maps: []*ebpfvm.Map{outer}, Verify: ebpfvm.VerifyNone}))
	_, err := p.Run(&ebpfvm.RunOptions{Budget: 1000, Repeat: 3})
	if !errors.Is(err, ebpfvm.ErrBudget) {
		t.Fatalf("err = %v, want the budget exhausted", err)
	}
	if ebpfvm.MapAlive(id) {
		t.Error("the inner map is still alive after the run")
	}
}

// TestInnerMapHeldOncePerRun: repeats and repeated lookups of the same
// inner map take one reference for the whole run, and a map the program
// looked up in an earlier repeat stays usable in later ones.
func TestInnerMapHeldOncePerRun(t *testing.T) { engines.Run(t, testInnerMapHeldOncePerRun) }

func testInnerMapHeldOncePerRun(t *testing.T, e engines.Engine) {
	outer, inner := mapInMap(t)
	id := ebpfvm.MapID(inner)
	calls := 0
	h := dropHelper(func() error {
		calls++
		if calls == 2 {
			// Second repeat: the map the first repeat looked up
			// goes from Go's view; this repeat has its value.
			outer.Delete(uint32(0))
			return inner.Close()
		}
		return nil
	})
	p := load(t, innerValue+`
	r0 = *(u64 *)(r7 +0)
	r0 += 1
	*(u64 *)(r7 +0) = r0
	exit
miss:
	r0 = 0xdead
	exit`, e.Program(&ebpfvm.ProgramOptions{Type: ebpf.Syscall, Helpers: h, Maps: []*ebpfvm.Map{outer}}))
	res, err := p.Run(&ebpfvm.RunOptions{Repeat: 3})
	if err != nil {
		t.Fatal(err)
	}
	// Repeat 1: 42, repeat 2: 43, repeat 3: the slot is empty.
	if res.ReturnValue != 0xdead || calls != 2 {
		t.Errorf("r0 = %#x after %d helper calls, want 0xdead after 2", res.ReturnValue, calls)
	}
	if ebpfvm.MapAlive(id) {
		t.Error("the inner map is still alive after the run")
	}
}

// progAndMap is a collection with a prog array and an array of one u64
// set to 7.
func progAndMap(t *testing.T) (jump, value *ebpfvm.Map) {
	t.Helper()
	c := newCollection(t, &ebpf.CollectionSpec{Maps: map[string]*ebpf.MapSpec{
		"jump":  {Type: ebpf.ProgramArray, KeySize: 4, ValueSize: 4, MaxEntries: 4},
		"value": {Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1},
	}})
	jump, value = c.Maps["jump"], c.Maps["value"]
	if err := value.Update(uint32(0), uint64(7), ebpfvm.UpdateAny); err != nil {
		t.Fatal(err)
	}
	return jump, value
}

// readGlobal reads the u64 of Maps[0] through its direct value address
// (as global data is read) before and after helper 1000, and passes it
// to a helper (bpf_map_update_elem of the same map, the value as key and
// value), which checks the memory against the run's regions.
const readGlobal = `
	r6 = map[fd:0][0]+0
	r7 = *(u64 *)(r6 +0)
	call 1000
	r0 = *(u64 *)(r6 +0)
	r0 += r7
	r1 = map[fd:0]
	r2 = map[fd:0][0]+0
	r3 = r2
	r4 = 0
	call bpf_map_update_elem
	r0 = *(u64 *)(r6 +0)
	r0 += r7
	exit`

// TestTailCalledProgramOutlivesClose: a tail-called program is removed
// from its prog array and closed, with the Go handle of the map it uses,
// while it runs; it still runs to the end, and its map is freed when the
// run ends. A prog array keeps the programs it holds, and their maps,
// alive after Close, as the kernel's holds a reference to them.
func TestTailCalledProgramOutlivesClose(t *testing.T) {
	engines.Run(t, testTailCalledProgramOutlivesClose)
}

func testTailCalledProgramOutlivesClose(t *testing.T, e engines.Engine) {
	for _, mode := range e.Modes() {
		t.Run(mode.String(), func(t *testing.T) {
			jump, value := progAndMap(t)
			id := ebpfvm.MapID(value)
			var callee *ebpfvm.Program
			h := dropHelper(func() error {
				if err := jump.Delete(uint32(0)); err != nil {
					return err
				}
				callee.Close()
				return value.Close()
			})
			callee, err := ebpfvm.NewProgram(assemble(t, readGlobal), e.Program(&ebpfvm.ProgramOptions{Type: ebpf.SocketFilter, Helpers: h, Maps: []*ebpfvm.Map{value}}))
			if err != nil {
				t.Fatal(err)
			}
			caller := load(t, tailCallTo(0), e.Program(&ebpfvm.ProgramOptions{Type: ebpf.SocketFilter, Maps: []*ebpfvm.Map{jump}, Verify: mode}))
			if err := jump.Update(uint32(0), callee, ebpfvm.UpdateAny); err != nil {
				t.Fatal(err)
			}
			res, err := caller.Run(&ebpfvm.RunOptions{Data: testPacket()})
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if res.ReturnValue != 14 {
				t.Errorf("r0 = %d, want 14", res.ReturnValue)
			}
			if ebpfvm.MapAlive(id) {
				t.Error("the callee's map is still alive after the run")
			}
			if _, err := callee.Run(&ebpfvm.RunOptions{Data: testPacket()}); err == nil {
				t.Error("a closed program ran")
			}
		})
	}
}

// TestProgArrayHoldsPrograms: closing a program that is in a prog array
// (and the Go handle of its map) leaves it runnable through tail calls
// until the slot is emptied; then its map is freed.
func TestProgArrayHoldsPrograms(t *testing.T) { engines.Run(t, testProgArrayHoldsPrograms) }

func testProgArrayHoldsPrograms(t *testing.T, e engines.Engine) {
	for _, mode := range e.Modes() {
		t.Run(mode.String(), func(t *testing.T) {
			jump, value := progAndMap(t)
			id := ebpfvm.MapID(value)
			h := dropHelper(func() error { return nil })
			callee, err := ebpfvm.NewProgram(assemble(t, readGlobal), e.Program(&ebpfvm.ProgramOptions{Type: ebpf.SocketFilter, Helpers: h, Maps: []*ebpfvm.Map{value}}))
			if err != nil {
				t.Fatal(err)
			}
			caller := load(t, tailCallTo(0), e.Program(&ebpfvm.ProgramOptions{Type: ebpf.SocketFilter, Maps: []*ebpfvm.Map{jump}, Verify: mode}))
			if err := jump.Update(uint32(0), callee, ebpfvm.UpdateAny); err != nil {
				t.Fatal(err)
			}
			callee.Close()
			value.Close()
			if !ebpfvm.MapAlive(id) {
				t.Fatal("the map of a program in a prog array was freed")
			}
			res, err := caller.Run(&ebpfvm.RunOptions{Data: testPacket()})
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if res.ReturnValue != 14 {
				t.Errorf("r0 = %d, want 14", res.ReturnValue)
			}
			if err := jump.Delete(uint32(0)); err != nil {
				t.Fatal(err)
			}
			if ebpfvm.MapAlive(id) {
				t.Error("the map is still alive after its program left the prog array")
			}
			// The slot is empty now: the tail call falls through.
			if res, err := caller.Run(&ebpfvm.RunOptions{Data: testPacket()}); err != nil || res.ReturnValue != 1 {
				t.Errorf("after the slot was emptied: r0 = %d, %v; want 1", res.ReturnValue, err)
			}
		})
	}
}

// TestRunningProgramClosed: a program closed (with its map's Go handle)
// by a helper in the middle of its own run finishes the run.
func TestRunningProgramClosed(t *testing.T) { engines.Run(t, testRunningProgramClosed) }

func testRunningProgramClosed(t *testing.T, e engines.Engine) {
	_, value := progAndMap(t)
	id := ebpfvm.MapID(value)
	var p *ebpfvm.Program
	h := dropHelper(func() error {
		p.Close()
		return value.Close()
	})
	p, err := ebpfvm.NewProgram(assemble(t, readGlobal), e.Program(&ebpfvm.ProgramOptions{Type: ebpf.SocketFilter, Helpers: h, Maps: []*ebpfvm.Map{value}}))
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(&ebpfvm.RunOptions{Data: testPacket()})
	if err != nil || res.ReturnValue != 14 {
		t.Fatalf("r0 = %d, %v; want 14", res.ReturnValue, err)
	}
	if ebpfvm.MapAlive(id) {
		t.Error("the map is still alive after the run")
	}
}

// TestInnerMapsReplacedConcurrently: programs look up, read and write
// inner maps on two goroutines while a third keeps replacing the inner
// map and closing the one it replaced. No run fails, every result comes
// from a live map, and every inner map is freed in the end.
func TestInnerMapsReplacedConcurrently(t *testing.T) {
	engines.Run(t, testInnerMapsReplacedConcurrently)
}

func testInnerMapsReplacedConcurrently(t *testing.T, e engines.Engine) {
	const n = 64
	specs := map[string]*ebpf.MapSpec{
		"outer": {Type: ebpf.ArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 1,
			InnerMap: &ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1}},
	}
	for i := range n {
		specs[fmt.Sprintf("inner%02d", i)] = &ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1}
	}
	c := newCollection(t, &ebpf.CollectionSpec{Maps: specs})
	outer := c.Maps["outer"]
	var ids []uint32
	for i := range n {
		inner := c.Maps[fmt.Sprintf("inner%02d", i)]
		ids = append(ids, ebpfvm.MapID(inner))
		if err := inner.Update(uint32(0), uint64(1000*(i+1)), ebpfvm.UpdateAny); err != nil {
			t.Fatal(err)
		}
	}
	h := dropHelper(func() error { return nil })
	for _, mode := range e.Modes() {
		p := load(t, innerValue+`
	r0 = *(u64 *)(r7 +0)
	r1 = r0
	r1 += 1
	*(u64 *)(r7 +0) = r1
	exit
miss:
	r0 = 0
	exit`, e.Program(&ebpfvm.ProgramOptions{Type: ebpf.Syscall, Helpers: h, Maps: []*ebpfvm.Map{outer}, Verify: mode}))
		var wg sync.WaitGroup
		stop := make(chan struct{})
		errs := make(chan error, 2)
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					res, err := p.Run(&ebpfvm.RunOptions{Repeat: 4})
					if err == nil && res.ReturnValue != 0 && res.ReturnValue < 1000 {
						err = fmt.Errorf("r0 = %d", res.ReturnValue)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		for i := range n / 2 {
			k := i
			if mode == ebpfvm.VerifyNone {
				k += n / 2
			}
			inner := c.Maps[fmt.Sprintf("inner%02d", k)]
			if err := outer.Update(uint32(0), inner, ebpfvm.UpdateAny); err != nil {
				t.Fatal(err)
			}
			inner.Close()
			time.Sleep(200 * time.Microsecond)
		}
		close(stop)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("%v: %v", mode, err)
		}
	}
	if err := outer.Delete(uint32(0)); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if ebpfvm.MapAlive(id) {
			t.Errorf("inner map %d is still alive", i)
		}
	}
}

// TestManyInnerMapsHeld: a run that looks up more inner maps than the
// run's short list of references holds (it switches to a set) holds each
// once and releases them all.
func TestManyInnerMapsHeld(t *testing.T) { engines.Run(t, testManyInnerMapsHeld) }

func testManyInnerMapsHeld(t *testing.T, e engines.Engine) {
	const n = 40
	specs := map[string]*ebpf.MapSpec{
		"outer": {Type: ebpf.ArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: n,
			InnerMap: &ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1}},
	}
	for i := range n {
		specs[fmt.Sprintf("inner%02d", i)] = &ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1}
	}
	c := newCollection(t, &ebpf.CollectionSpec{Maps: specs})
	outer := c.Maps["outer"]
	var ids []uint32
	want := uint64(0)
	for i := range n {
		inner := c.Maps[fmt.Sprintf("inner%02d", i)]
		ids = append(ids, ebpfvm.MapID(inner))
		if err := inner.Update(uint32(0), uint64(i+1), ebpfvm.UpdateAny); err != nil {
			t.Fatal(err)
		}
		if err := outer.Update(uint32(i), inner, ebpfvm.UpdateAny); err != nil {
			t.Fatal(err)
		}
		inner.Close()
		want += uint64(i + 1)
	}
	src := fmt.Sprintf(`
	r6 = 0
	r7 = 0
loop:
	*(u32 *)(r10 -4) = r6
	*(u32 *)(r10 -8) = 0
	r1 = map[fd:0]
	r2 = r10
	r2 += -4
	call bpf_map_lookup_elem
	if r0 == 0 goto next
	r1 = r0
	r2 = r10
	r2 += -8
	call bpf_map_lookup_elem
	if r0 == 0 goto next
	r1 = *(u64 *)(r0 +0)
	r7 += r1
next:
	r6 += 1
	if r6 < %d goto loop
	r0 = r7
	exit`, n)
	for _, mode := range e.Modes() {
		p := load(t, src, e.Program(&ebpfvm.ProgramOptions{Type: ebpf.Syscall, Maps: []*ebpfvm.Map{outer}, Verify: mode}))
		res, err := p.Run(&ebpfvm.RunOptions{Repeat: 3})
		if err != nil || res.ReturnValue != want {
			t.Fatalf("%v: r0 = %d, %v; want %d", mode, res.ReturnValue, err, want)
		}
	}
	for i := range n {
		if err := outer.Delete(uint32(i)); err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range ids {
		if ebpfvm.MapAlive(id) {
			t.Errorf("inner map %d is still alive", i)
		}
	}
}

// TestTailCallTooManyRegions: a tail call into a program whose maps do not
// fit in the run's region table fails the run (the tail call itself falls
// through, so the caller's code goes on safely until the run ends).
func TestTailCallTooManyRegions(t *testing.T) { engines.Run(t, testTailCallTooManyRegions) }

func testTailCallTooManyRegions(t *testing.T, e engines.Engine) {
	const n = 62
	specs := map[string]*ebpf.MapSpec{
		"jump": {Type: ebpf.ProgramArray, KeySize: 4, ValueSize: 4, MaxEntries: 1},
	}
	for i := range n {
		specs[fmt.Sprintf("m%02d", i)] = &ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1}
	}
	c := newCollection(t, &ebpf.CollectionSpec{Maps: specs})
	var ms []*ebpfvm.Map
	src := "r0 = 0\n"
	for i := range n {
		ms = append(ms, c.Maps[fmt.Sprintf("m%02d", i)])
		src += fmt.Sprintf("r1 = map[fd:%d][0]+0\nr1 = *(u64 *)(r1 +0)\nr0 += r1\n", i)
	}
	callee := load(t, src+"exit", e.Program(&ebpfvm.ProgramOptions{Type: ebpf.SocketFilter, Maps: ms}))
	jump := c.Maps["jump"]
	if err := jump.Update(uint32(0), callee, ebpfvm.UpdateAny); err != nil {
		t.Fatal(err)
	}
	caller := load(t, tailCallTo(0), e.Program(&ebpfvm.ProgramOptions{Type: ebpf.SocketFilter, Maps: []*ebpfvm.Map{jump}}))
	_, err := caller.Run(&ebpfvm.RunOptions{Data: testPacket()})
	if !errors.Is(err, ebpfvm.ErrAccessDenied) || !strings.Contains(err.Error(), "too many memory regions") {
		t.Fatalf("err = %v, want too many memory regions", err)
	}
}
