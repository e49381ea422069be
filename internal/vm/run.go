package vm

import (
	"fmt"

	"github.com/ebpfvm/ebpfvm/internal/mem"
)

// Caller is how Env.Call reaches the engine running the Env: the engine's
// machine implements it and registers itself with SetCaller. The Env keeps
// no engine type, so helpers and program types depend on this package
// only.
type Caller interface {
	// Callback runs the callback at function handle fn with r1-r5 =
	// args in a frame of its own and returns its r0.
	Callback(fn uint64, args [5]uint64) (uint64, error)
}

// SetCaller makes c the engine that Env.Call reaches.
func (e *Env) SetCaller(c Caller) { e.caller = c }

// Call runs the subprogram (a callback) at the function handle fn with
// r1-r5 = args, from inside a helper, and returns its r0. It is how
// bpf_loop and bpf_for_each_map_elem call back into the program. The
// callback gets a frame of its own, which counts against MaxFrames.
func (e *Env) Call(fn uint64, args [5]uint64) (uint64, error) {
	if e.caller == nil {
		return 0, fmt.Errorf("%#x: no program is running", fn)
	}
	return e.caller.Callback(fn, args)
}

// Stopped reports whether a helper called Stop during the current run,
// and the r0 it asked for. Engines check it after each helper call.
func (e *Env) Stopped() (r0 uint64, stopped bool) { return e.stopR0, e.stopped }

// GrantedLen is how many memory grants the current repeat has: RunRepeat
// keeps the first GrantedLen (made before the first run) across repeats.
func (e *Env) GrantedLen() int { return len(e.granted) }

// Reset prepares the Env for a new run on a machine whose stack is the
// region stack: what it still held is released, the region table holds
// only the stack, the packet, program-type state and grants are cleared,
// and RunID moves on.
func (e *Env) Reset(stack mem.Region) {
	e.ReleaseHeld()
	e.RunID++
	e.Regions.Reset()
	e.Regions.Add(stack)
	e.PacketStart, e.PacketEnd = 0, 0
	e.Prog = nil
	e.stopped = false
	e.granted = e.granted[:0]
}

// Rerun prepares another repeat of a run on the same memory: the first
// keepRegions regions and keepGranted grants stay, the rest (granted by
// helpers during the last repeat) go, and RunID moves on.
func (e *Env) Rerun(keepRegions, keepGranted int) {
	e.RunID++
	e.Regions.Truncate(keepRegions)
	e.granted = e.granted[:keepGranted]
	e.stopped = false
}
