package vm

import (
	"errors"
	"fmt"

	"github.com/ebpfvm/ebpfvm/internal/mem"
	"github.com/ebpfvm/ebpfvm/isa"
	"github.com/ebpfvm/ebpfvm/verifier"
)

// HelperFunc implements a helper or kfunc. It receives the run's Env and the
// argument registers r1-r5 and returns the value for r0. Returning an error
// aborts the run with that error; Env.Stop ends it normally.
type HelperFunc func(env *Env, r1, r2, r3, r4, r5 uint64) (uint64, error)

// Helper describes one helper function.
type Helper struct {
	ID   int32  // Linux helper ID (BPF_FUNC_*), or a kfunc ID
	Name string // e.g. "bpf_map_lookup_elem"
	Func HelperFunc
	// Proto is the typed prototype (argument and return kinds) the
	// verifier checks calls against. Helpers without one can be called
	// only by programs that run unverified (checked mode).
	Proto *verifier.HelperProto
}

// Helpers is a set of helpers and kfuncs, keyed by ID. The zero value is
// empty and ready to use. A Helpers must not be modified while a program
// compiled against it is being compiled; compiled programs keep their own
// binding.
type Helpers struct {
	helpers map[int32]Helper
	kfuncs  map[int32]Helper
}

// Register adds or replaces a helper.
func (h *Helpers) Register(hp Helper) error {
	if hp.Func == nil {
		return fmt.Errorf("helper %d (%s) has no Func", hp.ID, hp.Name)
	}
	if h.helpers == nil {
		h.helpers = make(map[int32]Helper)
	}
	h.helpers[hp.ID] = hp
	return nil
}

// RegisterKfunc adds or replaces a kfunc.
func (h *Helpers) RegisterKfunc(hp Helper) error {
	if hp.Func == nil {
		return fmt.Errorf("kfunc %d (%s) has no Func", hp.ID, hp.Name)
	}
	if h.kfuncs == nil {
		h.kfuncs = make(map[int32]Helper)
	}
	h.kfuncs[hp.ID] = hp
	return nil
}

// Merge registers every helper and kfunc of o, replacing those with the
// same ID.
func (h *Helpers) Merge(o *Helpers) {
	for _, hp := range o.helpers {
		h.Register(hp)
	}
	for _, hp := range o.kfuncs {
		h.RegisterKfunc(hp)
	}
}

// Has reports whether a helper with this ID is registered.
func (h *Helpers) Has(id int32) bool {
	_, ok := h.helpers[id]
	return ok
}

// Lookup returns the helper registered under id.
func (h *Helpers) Lookup(id int32) (Helper, bool) {
	if h == nil {
		return Helper{}, false
	}
	hp, ok := h.helpers[id]
	return hp, ok
}

// Func returns the func and the name of the helper (or, with kfunc, the
// kfunc) registered under id; fn is nil when there is none. Engines bind
// calls with it.
func (h *Helpers) Func(id int32, kfunc bool) (fn HelperFunc, name string) {
	if h == nil {
		return nil, ""
	}
	m := h.helpers
	if kfunc {
		m = h.kfuncs
	}
	hp, ok := m[id]
	if !ok {
		return nil, ""
	}
	return hp.Func, hp.Name
}

// HelperName names a helper ID for error messages: "bpf_map_lookup_elem#1",
// or "#N" for an ID Linux does not name.
func HelperName(id int32) string {
	if name, ok := isa.HelperName(id); ok {
		return fmt.Sprintf("%s#%d", name, id)
	}
	return fmt.Sprintf("#%d", id)
}

// Env is the state of one run that helpers see: the memory regions the
// program may touch and the way to end the run early.
type Env struct {
	Regions mem.Regions
	// Packet is the data that the legacy packet loads (LD_ABS, LD_IND)
	// read: [PacketStart, PacketEnd).
	PacketStart, PacketEnd uint64
	// Value is free for the embedder: a Go object its helpers need.
	Value any
	// HelperState belongs to the standard helpers (internal/helpers): what
	// they keep between calls. It survives Reset; RunID tells runs apart.
	HelperState any
	// RunID counts the runs of this Env: Reset increments it.
	RunID uint64
	// Prog is the state of the program type (the packet of an XDP or tc
	// run, ...), for the helpers of that type.
	Prog any

	// TailCalls resolves bpf_tail_call targets; nil means every tail call
	// falls through.
	TailCalls TailCallResolver
	// CPU is the (virtual) CPU the run is on: per-CPU maps use its slot,
	// bpf_get_smp_processor_id returns it.
	CPU int

	stopped bool
	stopR0  uint64
	caller  Caller   // the engine's machine running this Env, for Call
	granted []uint64 // keys of the memory granted to this repeat (map handles)
	held    []Ref    // what the run keeps alive until it ends
	heldSet map[Ref]struct{}
}

// heldSetMin is the number of held references from which Holds looks them
// up in a map rather than scanning the list (a program that looks up many
// inner maps in one run).
const heldSetMin = 16

// Ref is something a run keeps alive while the program may still use it:
// a map whose handle or memory it got from a helper, a program it
// tail-called. It is mem.Ref, declared once for the maps and the runtime.
type Ref = mem.Ref

// MapRef is a map as a run sees it: a Ref with the handle a program holds
// and the memory its values live in. maps.Map implements it.
type MapRef interface {
	Ref
	Handle() uint64
	Regions() []mem.Region
}

// Hold keeps r alive until the run ends (Machine.RunRepeat returns, after
// all its repeats, however it ends). It takes one reference per run, however
// often it is called; it fails when r is already gone.
//
// The kernel frees a map or program only after an RCU grace period, so a
// program never sees one go while it runs; Hold is how the runtime gives
// the same promise: whatever a helper hands a program (an inner map's
// handle, a value pointer, a ring buffer record) is held by the run.
func (e *Env) Hold(r Ref) error {
	if e.Holds(r) {
		return nil
	}
	if err := r.Retain(); err != nil {
		return err
	}
	e.HoldRetained(r)
	return nil
}

// Holds reports whether the run holds r.
func (e *Env) Holds(r Ref) bool {
	if e.heldSet != nil {
		_, ok := e.heldSet[r]
		return ok
	}
	for _, h := range e.held {
		if h == r {
			return true
		}
	}
	return false
}

// HoldRetained hands the run a reference to r that the caller has taken
// (and that the run does not hold yet): the run releases it when it ends.
// For helpers that must take the reference before they know they will
// keep it (see lookups in maps of maps).
func (e *Env) HoldRetained(r Ref) {
	e.held = append(e.held, r)
	switch {
	case e.heldSet != nil:
		e.heldSet[r] = struct{}{}
	case len(e.held) >= heldSetMin:
		e.heldSet = make(map[Ref]struct{}, 2*len(e.held))
		for _, h := range e.held {
			e.heldSet[h] = struct{}{}
		}
	}
}

// ReleaseHeld drops what the run held. Engines call it when a run (all its
// repeats) ends, however it ends.
func (e *Env) ReleaseHeld() {
	for i, r := range e.held {
		e.held[i] = nil
		r.Release()
	}
	e.held = e.held[:0]
	e.heldSet = nil
}

// GrantMap makes the memory of map m accessible to the program for the
// rest of this repeat of the run (checked mode tests accesses against the
// region table, helpers the memory they are given), and keeps the map
// alive until the run ends (Hold). It does the work once per map and run,
// so helpers call it on every lookup; the maps a program references are
// granted before it starts (GrantMemory: the program holds them).
func (e *Env) GrantMap(m MapRef) error {
	h := m.Handle()
	if e.Granted(h) {
		return nil
	}
	if err := e.Hold(m); err != nil {
		return err
	}
	return e.GrantMemory(h, m.Regions())
}

// Granted reports whether the memory under key (a map's handle) is granted
// to this repeat of the run. Granted memory stays alive until the run
// ends: it is held by the run or by the running program.
func (e *Env) Granted(key uint64) bool {
	for _, g := range e.granted {
		if g == key {
			return true
		}
	}
	return false
}

// GrantMemory adds regions to the run for the rest of this repeat, once per
// key. Unlike GrantMap it takes no reference: the memory must stay alive
// until the run ends by other means (a program's own maps, which the
// program holds; the helpers' scratch memory).
func (e *Env) GrantMemory(key uint64, regions []mem.Region) error {
	if e.Granted(key) {
		return nil
	}
	n := e.Regions.Len()
	for _, r := range regions {
		if !e.Regions.Add(r) {
			e.Regions.Truncate(n)
			return fmt.Errorf("%w: too many memory regions in one run", ErrAccess)
		}
	}
	e.granted = append(e.granted, key)
	return nil
}

// TailCallResolver finds the program in slot index of the prog_array map
// whose handle a program passed to bpf_tail_call. It reports whether the
// index is inside the map; next is nil for an empty slot. checked asks for
// next to run in checked mode even if it was verified: the resolver knows
// whether the run's inputs are those next was verified for (its program
// type, the size of its context). The resolver keeps next (and the memory
// it uses) alive until the run ends, and grants it the memory next uses;
// an error makes the tail call fall through and the run fail when it ends.
type TailCallResolver interface {
	TailCallTarget(mapHandle, index uint64) (next Code, checked, inRange bool, err error)
}

// Stop ends the run after the current helper returns, with r0 = r0.
func (e *Env) Stop(r0 uint64) { e.stopped, e.stopR0 = true, r0 }

// ErrAccess is wrapped by the errors helpers return for memory they were
// not given.
var ErrAccess = mem.ErrAccessDenied

// Bytes returns the n bytes at addr, after checking that they lie in one
// region that allows the access. The slice aliases program memory: it is
// valid until the run ends.
func (e *Env) Bytes(addr, n uint64, write bool) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	if n > 1<<31 || !e.Regions.Check(addr, n, write) {
		return nil, fmt.Errorf("%w: %s", ErrAccess, e.Regions.Describe(addr, n, write))
	}
	return mem.Slice(addr, int(n)), nil
}

// Error is a run-time error: the instruction that failed and why.
type Error struct {
	Index int    // instruction slot
	Insn  string // its disassembly
	Err   error
}

func (e *Error) Error() string {
	return fmt.Sprintf("instruction %d (%s): %v", e.Index, e.Insn, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Run-time failures, wrapped in *Error. Every engine reports these.
var (
	ErrBudget     = errors.New("instruction budget exhausted")
	ErrCallDepth  = errors.New("call stack too deep")
	ErrMisaligned = errors.New("misaligned atomic access")
	ErrNoHelper   = errors.New("callx to an unknown helper")
	ErrCanceled   = errors.New("run canceled")
)
