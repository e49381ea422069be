package ebpfvm

import (
	"fmt"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm/internal/loader"
	"github.com/ebpfvm/ebpfvm/internal/maps"
	"github.com/ebpfvm/ebpfvm/isa"
	"github.com/ebpfvm/ebpfvm/verifier"
)

// VerifyMode says whether programs are verified when they are loaded, and
// under which rules. The zero value, VerifyPrivileged, is the default:
// running a program unverified is an explicit choice (VerifyNone).
type VerifyMode uint8

const (
	// VerifyPrivileged verifies programs with the kernel's rules for a
	// loader with CAP_BPF and CAP_PERFMON (what root gets), and refuses
	// those the kernel's verifier would refuse. Programs it accepts run
	// without per-access checks (docs/VERIFIER.md says what that
	// promises). The default.
	VerifyPrivileged VerifyMode = iota
	// VerifyUntrusted verifies programs with the kernel's rules for
	// unprivileged loaders: no pointer leaks, no uninitialized stack
	// reads. For plugin hosts that run programs they did not write.
	VerifyUntrusted
	// VerifyNone loads programs without verifying them, for programs the
	// verifier cannot accept (unbounded loops, callx, program types it
	// does not know, helpers without a prototype). They run in checked
	// mode: every load, store and atomic is tested against the run's
	// regions, so they are just as memory-safe, only slower.
	VerifyNone
)

func (m VerifyMode) String() string {
	switch m {
	case VerifyNone:
		return "none"
	case VerifyPrivileged:
		return "privileged"
	case VerifyUntrusted:
		return "untrusted"
	}
	return fmt.Sprintf("VerifyMode(%d)", uint8(m))
}

func (m VerifyMode) verifierMode() (verifier.Mode, error) {
	switch m {
	case VerifyPrivileged:
		return verifier.Privileged, nil
	case VerifyUntrusted:
		return verifier.Untrusted, nil
	}
	return 0, fmt.Errorf("verify mode %v verifies nothing", m)
}

// verifierProgramType returns the verifier's description of a program
// type: its context, the helpers it may call, its packet access. ctxSize
// is the size of the context of the generic type (ebpf.UnspecifiedProgram),
// which has no fixed layout; the other types ignore it.
func verifierProgramType(t ebpf.ProgramType, ctxSize int) (*verifier.ProgramType, error) {
	switch t {
	case ebpf.UnspecifiedProgram:
		return verifier.Generic(ctxSize), nil
	case ebpf.XDP:
		return verifier.XDP(), nil
	case ebpf.SchedCLS, ebpf.SchedACT:
		// The kernel uses the same verifier ops for both.
		return verifier.SchedCLS(), nil
	case ebpf.SocketFilter:
		return verifier.SocketFilter(), nil
	case ebpf.Syscall:
		return verifier.Syscall(), nil
	case ebpf.RawTracepoint:
		return verifier.RawTracepoint(), nil
	case ebpf.Tracing:
		return verifier.Tracing(), nil
	}
	return nil, fmt.Errorf("the verifier does not know program type %s yet (VerifyNone loads it unverified, to run in checked mode)", t)
}

// specVerifierMap describes a map to the verifier the way the kernel sees it
// at BPF_PROG_LOAD: type, sizes, flags, the inner map template of
// map-in-map types and the spin lock that BTF locates in the value.
func specVerifierMap(name string, ms *ebpf.MapSpec) (*verifier.Map, error) {
	s, err := mapSpec(name, ms, 1)
	if err != nil {
		return nil, err
	}
	return verifierMap(s), nil
}

func verifierMap(s *maps.Spec) *verifier.Map {
	m := &verifier.Map{
		Name:        s.Name,
		Type:        verifier.MapType(s.Type),
		KeySize:     s.KeySize,
		ValueSize:   s.ValueSize,
		MaxEntries:  s.MaxEntries,
		Flags:       s.Flags,
		SpinLockOff: -1,
	}
	if s.HasLock {
		m.SpinLock, m.SpinLockOff = true, int32(s.LockOffset)
	}
	if s.InnerMap != nil {
		m.Inner = verifierMap(s.InnerMap)
	}
	return m
}

// verifierLoads says what each map ld_imm64 of a linked program loads, for
// the verifier. vmaps resolves the collection's map names.
func verifierLoads(refs []loader.MapRef, vmaps map[string]*verifier.Map) (map[int]verifier.MapLoad, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	loads := make(map[int]verifier.MapLoad, len(refs))
	for _, ref := range refs {
		m := vmaps[ref.Map]
		if m == nil {
			return nil, fmt.Errorf("instruction %d refers to map %q, which is not in the collection", ref.Slot, ref.Map)
		}
		loads[ref.Slot] = verifier.MapLoad{Map: m, Value: ref.Value, Offset: ref.Offset}
	}
	return loads, nil
}

// helperProtos is the verifier's view of the helpers a program may call:
// the embedder's helpers with their prototypes, over the kernel's helpers
// of the program type. A helper registered without a prototype cannot be
// checked, so a verified program may not call it.
type helperProtos struct {
	user *Helpers
	base verifier.HelperSet // nil for the generic type: no kernel helpers
}

func (h helperProtos) Helper(id int32) *verifier.HelperProto {
	if hp, ok := h.user.vm().Lookup(id); ok {
		return hp.Proto
	}
	if h.base == nil {
		return nil
	}
	return h.base.Helper(id)
}

// VerifyOptions are what VerifySpec and VerifyInstructions report beyond
// the verdict. The program's own settings (the verifier's rules, its
// budget, the embedder's helpers) are those it would be loaded with:
// ProgramOptions.Verify, VerifierBudget and Helpers, declared once there.
type VerifyOptions struct {
	// LogLevel: 0 none, 1 the failing path and the error, 2 every
	// instruction with the register state.
	LogLevel int
}

// VerifySpec verifies one program of a collection spec, with the
// collection's maps, as NewCollection with opts does: what BPF_PROG_LOAD
// of the program would say. opts.Programs gives the rules (Verify: the
// zero value is VerifyPrivileged; VerifyNone verifies nothing and is an
// error), the budget and the embedder's helpers. The error is a
// *verifier.Error when the verifier rejects the program.
func VerifySpec(spec *ebpf.CollectionSpec, prog string, opts *CollectionOptions, vo *VerifyOptions) (*verifier.Result, error) {
	if opts == nil {
		opts = &CollectionOptions{}
	}
	if vo == nil {
		vo = &VerifyOptions{}
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	po := &opts.Programs
	ps := spec.Programs[prog]
	if ps == nil {
		return nil, fmt.Errorf("no program %q in the collection", prog)
	}
	vmaps := map[string]*verifier.Map{}
	for name, ms := range spec.Maps {
		m, err := specVerifierMap(name, ms)
		if err != nil {
			return nil, fmt.Errorf("map %s: %w", name, err)
		}
		vmaps[name] = m
	}
	linked, err := loader.LinkKfuncs(ps, kfuncResolver(po.Helpers))
	if err != nil {
		return nil, err
	}
	vopts, err := specVerifierOptions(ps, linked, vmaps, po.Helpers)
	if err != nil {
		return nil, err
	}
	if vopts.Mode, err = po.Verify.verifierMode(); err != nil {
		return nil, err
	}
	vopts.LogLevel = vo.LogLevel
	vopts.Budget = po.VerifierBudget
	return verifier.Verify(linked.Insns, vopts)
}

// specVerifierOptions are the verifier's options for a linked program of
// an ELF object.
func specVerifierOptions(ps *ebpf.ProgramSpec, linked *loader.Program, vmaps map[string]*verifier.Map, user *Helpers) (*verifier.Options, error) {
	pt, err := verifierProgramType(ps.Type, 0)
	if err != nil {
		return nil, err
	}
	pt.Helpers = helperProtos{user: user, base: pt.Helpers}
	if ps.Type == ebpf.UnspecifiedProgram {
		pt.Helpers = helperProtos{user: user}
	}
	loads, err := verifierLoads(linked.Maps, vmaps)
	if err != nil {
		return nil, err
	}
	return &verifier.Options{
		Type:   pt,
		Loads:  loads,
		GPL:    gplCompatible(ps.License),
		Kfuncs: kfuncProtos{user},
		// cilium/ebpf's specs of ELF objects carry the BTF func_info
		// that clang emits, which the kernel demands for callbacks.
		FuncInfo: true,
		// With it, the functions' linkage and prototypes: global
		// functions are verified on their own.
		Funcs: verifierFuncs(linked.Funcs),
	}, nil
}

// VerifyInstructions verifies a program given as instructions, as
// NewProgram with opts does: opts gives the rules (Verify: the zero value
// is VerifyPrivileged; VerifyNone verifies nothing and is an error), the
// budget, the program type, the embedder's helpers, the maps its ld_imm64
// instructions refer to, the generic type's context size and the
// license; vo the log level. The error is a *verifier.Error when the verifier rejects the
// program.
func VerifyInstructions(insns []isa.Instruction, opts *ProgramOptions, vo *VerifyOptions) (*verifier.Result, error) {
	if opts == nil {
		opts = &ProgramOptions{}
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	if vo == nil {
		vo = &VerifyOptions{}
	}
	mode, err := opts.Verify.verifierMode()
	if err != nil {
		return nil, err
	}
	pt, err := verifierProgramType(opts.Type, opts.ContextSize)
	if err != nil {
		return nil, err
	}
	if opts.Type == ebpf.UnspecifiedProgram {
		// The generic type gets the embedder's helpers only.
		pt.Helpers = helperProtos{user: opts.Helpers}
	} else {
		pt.Helpers = helperProtos{user: opts.Helpers, base: pt.Helpers}
	}
	var vmaps []*verifier.Map
	for i, m := range opts.Maps {
		if m == nil {
			return nil, fmt.Errorf("ProgramOptions.Maps[%d] is nil", i)
		}
		vmaps = append(vmaps, verifierMap(m.m.Spec()))
	}
	return verifier.Verify(insns, &verifier.Options{
		Type:     pt,
		Mode:     mode,
		LogLevel: vo.LogLevel,
		Maps:     vmaps,
		GPL:      gplCompatible(opts.License),
		Kfuncs:   kfuncProtos{opts.Helpers},
		Budget:   opts.VerifierBudget,
	})
}

// verifyLinked runs the verifier on a program of the collection before
// its map references are patched, as BPF_PROG_LOAD does.
func (c *Collection) verifyLinked(ps *ebpf.ProgramSpec, linked *loader.Program, opts *ProgramOptions) (*verifier.Result, error) {
	vmaps := make(map[string]*verifier.Map, len(c.Maps))
	for _, ref := range linked.Maps {
		if mm := c.Maps[ref.Map]; mm != nil && vmaps[ref.Map] == nil {
			vmaps[ref.Map] = verifierMap(mm.m.Spec())
		}
	}
	vo, err := specVerifierOptions(ps, linked, vmaps, opts.Helpers)
	if err != nil {
		return nil, err
	}
	if vo.Mode, err = opts.Verify.verifierMode(); err != nil {
		return nil, err
	}
	vo.Budget = opts.VerifierBudget
	return verifier.Verify(linked.Insns, vo)
}
