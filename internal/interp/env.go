package interp

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

func (h *Helpers) lookup(id int32, kfunc bool) (HelperFunc, string) {
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

// helperName names a helper ID for error messages.
func helperName(id int32) string {
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
	helpers *Helpers // for callx
	machine *Machine
	granted []uint64 // maps whose memory this run was granted
}

// GrantMap makes the memory of the map with handle h accessible to the
// program for the rest of the run (checked mode tests accesses against the
// region table). It does the work once per map and run, so helpers call it
// on every lookup; the maps a program references are granted before it
// starts.
func (e *Env) GrantMap(h uint64, regions []mem.Region) error {
	for _, g := range e.granted {
		if g == h {
			return nil
		}
	}
	n := e.Regions.Len()
	for _, r := range regions {
		if !e.Regions.Add(r) {
			e.Regions.Truncate(n)
			return fmt.Errorf("%w: too many memory regions in one run", ErrAccess)
		}
	}
	e.granted = append(e.granted, h)
	return nil
}

// TailCallResolver finds the program in slot index of the prog_array map
// whose handle a program passed to bpf_tail_call. It reports whether the
// index is inside the map; next is nil for an empty slot. checked asks for
// next to run in checked mode even if it was verified: the resolver knows
// whether the run's inputs are those next was verified for (its program
// type, the size of its context).
type TailCallResolver interface {
	TailCallTarget(mapHandle, index uint64) (next *Code, checked, inRange bool)
}

// MaxTailCalls is the kernel's MAX_TAIL_CALL_CNT: how many tail calls one
// invocation of an entry program may make.
const MaxTailCalls = 33

// tailCallTarget follows the kernel's order of checks: an index outside the
// map fails without counting; then the counter is checked and incremented,
// so that a tail call into an empty slot still counts. It also reports
// whether the target must run checked.
func (m *Machine) tailCallTarget(mapHandle, index uint64) (*Code, bool) {
	if m.TailCalls == nil {
		return nil, false
	}
	next, checked, inRange := m.TailCalls.TailCallTarget(mapHandle, index)
	if !inRange || m.tailCalls >= MaxTailCalls {
		return nil, false
	}
	m.tailCalls++
	return next, next != nil && (checked || next.checked)
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

// Run-time failures, wrapped in *Error.
var (
	ErrBudget     = errors.New("instruction budget exhausted")
	ErrCallDepth  = errors.New("call stack too deep")
	ErrMisaligned = errors.New("misaligned atomic access")
	ErrNoHelper   = errors.New("callx to an unknown helper")
)
