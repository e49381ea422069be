package ebpfvm

import (
	"unsafe"

	"github.com/ebpfvm/ebpfvm/internal/vm"
)

// HelperFunc implements a helper or kfunc. It receives the run's Env and
// the argument registers r1-r5 and returns the value for r0. Returning an
// error aborts the run with that error; Env.Stop ends it normally.
type HelperFunc func(env *Env, r1, r2, r3, r4, r5 uint64) (uint64, error)

// Helper describes one helper function or kfunc.
type Helper struct {
	ID   int32  // Linux helper ID (BPF_FUNC_*), or a kfunc ID
	Name string // e.g. "bpf_map_lookup_elem"; a kfunc's name is what ELF objects call it by
	Func HelperFunc
	// Proto is the typed prototype (argument and return kinds) the
	// verifier checks calls against. Helpers without one can be called
	// only by programs that run unverified (checked mode).
	Proto *HelperProto
}

// Helpers is a set of helpers and kfuncs, keyed by ID. The zero value is
// empty and ready to use. A Helpers must not be modified while a program
// is being loaded with it; loaded programs keep their own binding.
type Helpers struct{ set vm.Helpers }

// Register adds or replaces a helper.
func (h *Helpers) Register(hp Helper) error { return h.set.Register(hp.bind()) }

// RegisterKfunc adds or replaces a kfunc.
func (h *Helpers) RegisterKfunc(hp Helper) error { return h.set.RegisterKfunc(hp.bind()) }

// vm returns the runtime's set (nil for a nil h).
func (h *Helpers) vm() *vm.Helpers {
	if h == nil {
		return nil
	}
	return &h.set
}

// bind turns hp into the runtime's helper: its Func gets the Env that
// wraps the run's state.
func (hp Helper) bind() vm.Helper {
	var fn vm.HelperFunc
	if f := hp.Func; f != nil {
		fn = func(e *vm.Env, r1, r2, r3, r4, r5 uint64) (uint64, error) {
			return f(envOf(e), r1, r2, r3, r4, r5)
		}
	}
	return vm.Helper{ID: hp.ID, Name: hp.Name, Func: fn, Proto: hp.Proto}
}

// Env is what a helper sees of the run it is called from: the program's
// memory, through Bytes, callbacks into the program (Call), and the way to
// end the run early (Stop). The run's own state (its region table, what
// it holds, its IDs) is not reachable from here: a helper cannot widen
// what the program may touch.
//
// An Env is valid only during the helper call that received it.
type Env struct {
	env vm.Env
}

// envOf is the Env of the runtime's state e. Env is a struct of one
// vm.Env, so the conversion is free: no allocation per helper call.
func envOf(e *vm.Env) *Env { return (*Env)(unsafe.Pointer(e)) }

// Bytes returns the n bytes at addr, after checking that they lie in one
// region of memory the program was given that allows the access (write
// asks for writable memory). The slice aliases program memory: it is valid
// until the helper returns. Memory the program was not given is an error
// wrapping ErrAccessDenied.
func (e *Env) Bytes(addr, n uint64, write bool) ([]byte, error) { return e.env.Bytes(addr, n, write) }

// Call runs the program's callback at the function handle fn (the value a
// ld_imm64 of a function loads) with r1-r5 = args, and returns its r0: how
// helpers like bpf_loop call back into the program. The callback gets a
// frame of its own, which counts against the call depth (ErrCallDepth).
func (e *Env) Call(fn uint64, args [5]uint64) (uint64, error) { return e.env.Call(fn, args) }

// Stop ends the run after the current helper returns, with r0 = r0.
func (e *Env) Stop(r0 uint64) { e.env.Stop(r0) }

// CPU is the virtual CPU the run is on (RunOptions.CPU).
func (e *Env) CPU() int { return e.env.CPU }
