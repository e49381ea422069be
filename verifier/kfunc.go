package verifier

import (
	"fmt"

	"github.com/ebpfvm/ebpfvm/isa"
)

// Kernel functions (kfuncs): calls with src_reg BPF_PSEUDO_KFUNC_CALL (2)
// whose imm is the kfunc's ID. The kernel takes the ID as a BTF type ID
// and the prototype from BTF; ebpfvm has no kernel BTF, so the embedder
// registers its kfuncs with an ID, a name and a HelperProto, and calls to
// them are checked against that prototype the way helper calls are, with
// the kernel's kfunc rules where they differ from helpers: privileged
// and GPL-compatible programs only, insn->off 0 (no module BTF), scalar
// arguments must be scalars, r0 from the prototype's return kind.

// KfuncSet gives the kfuncs a program may call (Options.Kfuncs), by ID.
// Kfunc returns the kfunc's name (for the log and messages) and its
// prototype. ok is false when no kfunc has this ID (the kernel's "kernel
// btf_id N is not a function", at load). p is nil when the kfunc exists
// but this program may not call it, for instance because it has no
// prototype to be checked against (the kernel's "calling kernel function
// NAME is not allowed", when a reachable call is verified).
type KfuncSet interface {
	Kfunc(id int32) (name string, p *HelperProto, ok bool)
}

// KfuncMap is a KfuncSet backed by a map; the prototypes' Name fields name
// the kfuncs, and a nil prototype is a kfunc the program may not call.
type KfuncMap map[int32]*HelperProto

// Kfunc implements KfuncSet.
func (m KfuncMap) Kfunc(id int32) (string, *HelperProto, bool) {
	p, ok := m[id]
	if !ok {
		return "", nil, false
	}
	if p == nil {
		return fmt.Sprintf("kfunc#%d", id), nil, true
	}
	return p.Name, p, true
}

func (v *verifier) lookupKfunc(id int32) (string, *HelperProto, bool) {
	if v.opts.Kfuncs == nil {
		return "", nil, false
	}
	return v.opts.Kfuncs.Kfunc(id)
}

// addKfuncCall is the kfunc part of the kernel's add_subprog_and_kfunc and
// add_kfunc_call: what is checked of every kfunc call instruction at load,
// reachable or not.
func (v *verifier) addKfuncCall(i int, in isa.Instruction) error {
	if !v.priv {
		return v.errf(i, "loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN")
	}
	if !v.opts.GPL {
		return v.errf(i, "cannot call kernel function from non-GPL compatible program")
	}
	if in.Imm == 0 && in.Offset == 0 {
		// The kernel waits for dead code elimination (checkKfuncCall).
		return nil
	}
	// A non-zero off selects a module's BTF through fd_array, which
	// ebpfvm does not have.
	if in.Offset < 0 {
		return v.errf(i, "negative offset disallowed for kernel module function call\nfailed to find BTF for kernel function")
	}
	if in.Offset > 0 {
		return v.errf(i, "kfunc offset > 0 without fd_array is invalid\nfailed to find BTF for kernel function")
	}
	if _, _, ok := v.lookupKfunc(in.Imm); !ok {
		return v.errf(i, "kernel btf_id %d is not a function", uint32(in.Imm))
	}
	return nil
}

// checkKfuncCall is check_kfunc_call: the arguments are checked against
// the prototype with the helper path's checks (checkHelperArg), r1-r5 are
// clobbered and r0 is set from the return kind (setHelperResult).
func (v *verifier) checkKfuncCall(idx int, in isa.Instruction) (int, bool, error) {
	if in.Imm == 0 {
		// The kernel lets the call through the data-flow pass and refuses
		// it in fixup_kfunc_call when it was not removed as dead code.
		return 0, false, v.errf(idx, "invalid kernel function call not eliminated in verifier pass")
	}
	name, p, _ := v.lookupKfunc(in.Imm)
	v.logKfuncName(idx, in, name)
	if v.cur.lockID != 0 {
		return 0, false, v.errf(idx, "function calls are not allowed while holding a lock")
	}
	if p == nil {
		return 0, false, v.errf(idx, "calling kernel function %s is not allowed", name)
	}
	if p.Iter != nil {
		return v.checkIterCall(idx, p)
	}
	if err := kfuncProtoError(p); err != "" {
		return 0, false, v.errf(idx, "kfunc %s#%d has an invalid prototype: %s", name, in.Imm, err)
	}
	meta := callMeta{releaseReg: -1}
	for a := 0; a < 5; a++ {
		if err := v.checkKfuncArg(idx, p, a); err != nil {
			return 0, false, err
		}
		if err := v.checkHelperArg(idx, p, a, &meta); err != nil {
			if b := p.Args[a].Base(); b == ArgConstSize || b == ArgConstSizeOrZero {
				if e, ok := err.(*Error); ok {
					e.Msg += fmt.Sprintf("\narg#%d arg#%d memory, len pair leads to invalid memory access", a-1, a)
				}
			}
			return 0, false, err
		}
	}
	if err := v.callArgEffects(idx, &meta); err != nil {
		return 0, false, err
	}
	v.setHelperResult(idx, p, &meta)
	return idx + 1, false, nil
}

// checkKfuncArg applies the rules of the kernel's check_kfunc_args that
// are stricter than a helper's: a scalar argument must be a scalar, even
// for privileged programs (helpers take any value as ARG_ANYTHING), and a
// context argument has its own message.
func (v *verifier) checkKfuncArg(idx int, p *HelperProto, a int) error {
	regno := a + 1
	r := &v.regs()[regno]
	switch p.Args[a].Base() {
	case ArgAnything, ArgConstSize, ArgConstSizeOrZero, ArgConstAllocSizeOrZero:
		if r.typ != Scalar {
			return v.errf(idx, "R%d is not a scalar", regno)
		}
	case ArgPtrToCtx:
		if r.typ != PtrToCtx {
			return v.errf(idx, "arg#%d expected pointer to ctx, but got %s", a, r.typeName())
		}
	}
	return nil
}

// kfuncProtoError says what makes a prototype unusable for a kfunc: the
// checks of the helper path assume helper-shaped prototypes (a size after
// its memory), and callbacks are explored only for the kernel's callback
// helpers.
func kfuncProtoError(p *HelperProto) string {
	hasMap := false
	for a, k := range p.Args {
		switch k.Base() {
		case ArgPtrToFunc:
			return fmt.Sprintf("arg#%d: callbacks are not supported for kfuncs", a)
		case ArgConstMapPtr:
			hasMap = true
		case ArgPtrToMem:
			if k&ArgFixedSize == 0 {
				if a == 4 {
					return fmt.Sprintf("arg#%d: memory without a size", a)
				}
				if b := p.Args[a+1].Base(); b != ArgConstSize && b != ArgConstSizeOrZero {
					return fmt.Sprintf("arg#%d: memory without a size", a)
				}
			}
		case ArgConstSize, ArgConstSizeOrZero:
			if a == 0 || p.Args[a-1].Base() != ArgPtrToMem {
				return fmt.Sprintf("arg#%d: a size that does not follow memory", a)
			}
		case ArgPtrToMapKey, ArgPtrToMapValue:
			if !hasMap {
				return fmt.Sprintf("arg#%d: a map key or value without a map before it", a)
			}
		}
	}
	if p.Ret == RetPtrToMapValueOrNull && !hasMap {
		return "returns a map value without a map argument"
	}
	return ""
}

// logKfuncName names the kfunc on the instruction's log line, as the
// kernel's disassembler does with the kfunc's BTF name:
// "(85) call my_kfunc#100000".
func (v *verifier) logKfuncName(idx int, in isa.Instruction, name string) {
	if v.logLevel == 0 || name == "" || v.log.Len() != v.log.insnStart+v.log.insnLen {
		return
	}
	v.log.truncate(v.log.insnStart)
	v.log.printf("%d: (%02x) call %s#%d\n", idx, uint8(in.Opcode), name, in.Imm)
	v.log.insnLen = v.log.Len() - v.log.insnStart
}
