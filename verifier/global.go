package verifier

import (
	"strings"

	"github.com/ebpfvm/ebpfvm/isa"
)

// Global functions: what the kernel does with subprograms whose BTF
// linkage is BTF_FUNC_GLOBAL (a C function that is not static).
//
// A static subprogram is verified at every call, in a new frame that
// starts with the caller's r1-r5. A global one is verified once, on its
// own, after the main program (do_check_subprogs): frame 0 holds
// arguments typed from its BTF prototype (btf_prepare_func_args), and it
// must return a scalar. At a call site the caller's r1-r5 are only
// checked against the prototype (btf_check_func_arg_match); the callee
// is not entered, r1-r5 are clobbered and r0 becomes an unknown scalar.
// Only the global functions that some verified path calls are verified,
// in the kernel's order: passes over the subprograms in index order until
// a pass finds none left. Their instructions count against the same
// budget and go to the same log.

// TypeKind is the BTF kind of a type in a function prototype.
type TypeKind uint8

// Type kinds, as the kernel names them in messages (btf_type_str).
const (
	TypeVoid    TypeKind = iota // void ("UNKNOWN": BTF type 0)
	TypeInt                     // integers, char, bool
	TypePointer                 // pointers
	TypeArray
	TypeStruct
	TypeUnion
	TypeEnum
	TypeEnum64
	TypeFwd  // a forward declaration: struct foo without a definition
	TypeFunc // a function prototype (what a function pointer points to)
	TypeFloat
)

var typeKindNames = [...]string{
	TypeVoid: "UNKNOWN", TypeInt: "INT", TypePointer: "PTR", TypeArray: "ARRAY",
	TypeStruct: "STRUCT", TypeUnion: "UNION", TypeEnum: "ENUM", TypeEnum64: "ENUM64",
	TypeFwd: "FWD", TypeFunc: "FUNC_PROTO", TypeFloat: "FLOAT",
}

// String is the kernel's name of the kind ("STRUCT", "UNKNOWN" for void).
func (k TypeKind) String() string {
	if int(k) < len(typeKindNames) {
		return typeKindNames[k]
	}
	return "UNKNOWN"
}

// FuncType is a type of a function prototype with typedefs and qualifiers
// (const, volatile, restrict, type tags) resolved, as the kernel reads it
// from BTF.
type FuncType struct {
	Kind TypeKind
	// Name is the name of a struct, union, enum or forward declaration
	// ("xdp_md"); empty for anonymous and unnamed types.
	Name string
	// Size is the size in bytes (the kernel's btf_resolve_size: an array
	// counts all its elements, a pointer 8), or -1 when the type has none
	// (void, forward declarations, function prototypes).
	Size int64
	// Elem is what a pointer points to, resolved the same way; nil is
	// void.
	Elem *FuncType
}

// FuncParam is one parameter of a function prototype.
type FuncParam struct {
	Type FuncType
	// Tags are the parameter's BTF declaration tags. The verifier reads
	// those of the form "arg:NAME", which libbpf's __arg_ctx,
	// __arg_nonnull, __arg_nullable, __arg_trusted, __arg_untrusted and
	// __arg_arena produce.
	Tags []string
}

// Func describes one subprogram as the program's BTF does: its
// bpf_func_info record (start instruction, name, linkage) and its
// prototype. Options.Funcs lists them.
type Func struct {
	// Insn is the first instruction slot of the subprogram.
	Insn int
	Name string
	// Global is BTF_FUNC_GLOBAL linkage: the function is verified on its
	// own, against its prototype, and calls to it are checked against the
	// prototype only. Static functions are verified at each call.
	Global bool
	// Params are the prototype's parameters (at most 5 for a global
	// function). An integer or enum is an unknown scalar; a pointer to the
	// program type's context struct (xdp_md, __sk_buff,
	// bpf_raw_tracepoint_args), or one tagged "arg:ctx", is the context;
	// any other pointer is memory of the pointee's size that may be NULL
	// unless tagged "arg:nonnull".
	Params []FuncParam
	// Ret is the return type: a global function must return an integer or
	// an enum.
	Ret FuncType
}

// IntParam is a 64-bit integer parameter (an unknown scalar in the
// callee), for Funcs built by hand.
var IntParam = FuncParam{Type: FuncType{Kind: TypeInt, Size: 8}}

// CtxParam is a `void *ctx __arg_ctx` parameter: the program's context.
func CtxParam() FuncParam {
	return FuncParam{Type: FuncType{Kind: TypePointer, Size: 8, Elem: &FuncType{Kind: TypeVoid, Size: -1}}, Tags: []string{"arg:ctx"}}
}

// MemParam is a pointer to size bytes (an anonymous struct of that size):
// possibly NULL in the callee unless nonNull (`__arg_nonnull`).
func MemParam(size int, nonNull bool) FuncParam {
	p := FuncParam{Type: FuncType{Kind: TypePointer, Size: 8, Elem: &FuncType{Kind: TypeStruct, Size: int64(size)}}}
	if nonNull {
		p.Tags = []string{"arg:nonnull"}
	}
	return p
}

// GlobalFunc describes a global function returning int, for Funcs built
// by hand.
func GlobalFunc(insn int, name string, params ...FuncParam) Func {
	return Func{Insn: insn, Name: name, Global: true, Params: params, Ret: FuncType{Kind: TypeInt, Size: 4}}
}

// The argument kinds of a global function (the kernel's
// bpf_subprog_arg_info.arg_type).
type gArgKind uint8

const (
	gArgScalar gArgKind = iota // ARG_ANYTHING
	gArgCtx                    // ARG_PTR_TO_CTX
	gArgMem                    // ARG_PTR_TO_MEM, maybe PTR_MAYBE_NULL
	gArgArena                  // ARG_PTR_TO_ARENA
)

type gArg struct {
	kind     gArgKind
	size     int64
	nullable bool
}

// globalFunc is the verifier's view of one global subprogram.
type globalFunc struct {
	fn       *Func
	prepared bool
	args     []gArg
	// prepErr is the kernel's log line when the prototype cannot be
	// turned into argument kinds.
	prepErr string
	// called: some verified path calls it; verified: it passed.
	called, verified bool
	// changesPkt: it (or a function it calls) calls a helper that may
	// move the packet (changes_pkt_data): its callers lose their
	// packet pointers.
	changesPkt bool
}

// globals is the verifier's state for global functions.
type globals struct {
	funcs []*globalFunc // by subprogram; nil for static functions
	any   bool
	// cur is the subprogram being verified (0: the main program).
	cur int
}

// setupFuncs matches Options.Funcs with the subprograms (check_btf_func)
// and computes which subprograms change packet data.
func (v *verifier) setupFuncs() error {
	if len(v.opts.Funcs) == 0 {
		return nil
	}
	g := &v.gl
	g.funcs = make([]*globalFunc, len(v.subprogs))
	for i := range v.opts.Funcs {
		f := &v.opts.Funcs[i]
		sp := -1
		if f.Insn >= 0 && f.Insn < len(v.insns) && v.subprogs[v.insnSubprog[f.Insn]].start == f.Insn {
			sp = v.insnSubprog[f.Insn]
		}
		if sp < 0 {
			return v.errf(-1, "func_info BTF section doesn't match subprog layout in BPF program")
		}
		if f.Global && sp > 0 {
			g.funcs[sp] = &globalFunc{fn: f}
			g.any = true
		}
	}
	if !g.any {
		return nil
	}
	// changes_pkt_data: a helper that changes packet data in the
	// subprogram or, transitively, in one it calls (not callbacks).
	changes := make([]bool, len(v.subprogs))
	for i, in := range v.insns {
		if v.second[i] || in.Opcode != isa.OpCall || uint8(in.Src) != isa.CallHelper || v.pt.Helpers == nil {
			continue
		}
		if p := v.pt.Helpers.Helper(in.Imm); p != nil && p.ChangesPacketData {
			changes[v.insnSubprog[i]] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for i, in := range v.insns {
			if v.second[i] || in.Opcode != isa.OpCall || uint8(in.Src) != isa.CallLocal {
				continue
			}
			from, to := v.insnSubprog[i], v.insnSubprog[i+1+int(in.Imm)]
			if changes[to] && !changes[from] {
				changes[from] = true
				changed = true
			}
		}
	}
	for sp, gf := range g.funcs {
		if gf != nil {
			gf.changesPkt = changes[sp]
		}
	}
	return nil
}

// globalFunc returns the global function that starts subprogram sp, or
// nil.
func (v *verifier) globalFunc(sp int) *globalFunc {
	if sp <= 0 || sp >= len(v.gl.funcs) {
		return nil
	}
	return v.gl.funcs[sp]
}

// ctxStructName is the C struct of the program type's context, as BTF
// names it (the kernel's bpf_ctx_convert table); "" for types whose
// context is void * (syscall, tracing) and for ebpfvm's generic type.
func ctxStructName(pt *ProgramType) string {
	switch pt.Name {
	case "xdp":
		return "xdp_md"
	case "sched_cls", "sched_act", "socket_filter":
		return "__sk_buff"
	case "raw_tracepoint":
		return "bpf_raw_tracepoint_args"
	}
	return ""
}

// isProgCtxType is btf_is_prog_ctx_type: the pointee is a struct named
// after the program type's context (or the kernel struct it projects).
func (v *verifier) isProgCtxType(elem *FuncType) bool {
	if elem == nil || (elem.Kind != TypeStruct && elem.Kind != TypeUnion) {
		return false
	}
	ctx := ctxStructName(v.pt)
	if ctx == "" {
		return false
	}
	switch {
	case ctx == "__sk_buff" && elem.Name == "sk_buff", ctx == "xdp_md" && elem.Name == "xdp_buff":
		return true
	}
	return elem.Name == ctx
}

// validateCtxTag is btf_validate_prog_ctx_type: what an "arg:ctx"
// parameter may point to.
func (v *verifier) validateCtxTag(i int, elem *FuncType) string {
	if elem == nil || elem.Kind == TypeVoid {
		return "" // `void *ctx __arg_ctx` is always valid
	}
	if elem.Name == "" {
		return sprintf("arg#%d type doesn't have a name", i)
	}
	switch v.pt.Name {
	case "raw_tracepoint", "tracing":
		if elem.Kind == TypeInt && elem.Size == 8 {
			return "" // u64 *ctx
		}
	}
	ctx := ctxStructName(v.pt)
	if ctx == "" {
		if v.pt.Name == "tracing" {
			return sprintf("arg#%d should be void pointer", i)
		}
		return "" // syscall and the generic type: anything goes
	}
	if elem.Kind != TypeStruct && elem.Kind != TypeUnion || elem.Name != ctx {
		return sprintf("arg#%d should be `struct %s *`", i, ctx)
	}
	return ""
}

// prepare is btf_prepare_func_args for a global function: the argument
// kinds of its prototype, or the kernel's message on why it cannot have
// them.
func (v *verifier) prepareGlobal(gf *globalFunc) {
	if gf.prepared {
		return
	}
	gf.prepared = true
	gf.prepErr = v.prepareArgs(gf)
}

func (v *verifier) prepareArgs(gf *globalFunc) string {
	fn := gf.fn
	if len(fn.Params) > 5 {
		return sprintf("Global function %s() with %d > %d args. Buggy compiler.", fn.Name, len(fn.Params), 5)
	}
	switch fn.Ret.Kind {
	case TypeInt, TypeEnum, TypeEnum64:
	default:
		return sprintf("Global function %s() doesn't return scalar. Only those are supported.", fn.Name)
	}
	const (
		tagCtx = 1 << iota
		tagNonNull
		tagTrusted
		tagNullable
		tagArena
		tagUntrusted
	)
	gf.args = gf.args[:0]
	for i, p := range fn.Params {
		tags := 0
		for _, tag := range p.Tags {
			name, ok := strings.CutPrefix(tag, "arg:")
			if !ok {
				continue
			}
			switch name {
			case "ctx":
				tags |= tagCtx
			case "trusted":
				tags |= tagTrusted
			case "untrusted":
				tags |= tagUntrusted
			case "nonnull":
				tags |= tagNonNull
			case "nullable":
				tags |= tagNullable
			case "arena":
				tags |= tagArena
			default:
				return sprintf("arg#%d has unsupported set of tags", i)
			}
		}
		t := p.Type
		if t.Kind != TypePointer {
			if tags != 0 {
				return sprintf("arg#%d has pointer tag, but is not a pointer type", i)
			}
			switch t.Kind {
			case TypeInt, TypeEnum, TypeEnum64:
				gf.args = append(gf.args, gArg{kind: gArgScalar})
				continue
			}
			return sprintf("Arg#%d type %s in %s() is not supported yet.", i, t.Kind, fn.Name)
		}
		elem := t.Elem
		if elem == nil {
			elem = &FuncType{Kind: TypeVoid, Size: -1}
		}
		if tags&tagCtx != 0 || v.isProgCtxType(elem) {
			if tags&^tagCtx != 0 {
				return sprintf("arg#%d has invalid combination of tags", i)
			}
			if tags&tagCtx != 0 {
				if msg := v.validateCtxTag(i, elem); msg != "" {
					return msg
				}
			}
			gf.args = append(gf.args, gArg{kind: gArgCtx})
			continue
		}
		if (elem.Kind == TypeStruct || elem.Kind == TypeFwd) && elem.Name == "bpf_dynptr" {
			if tags != 0 {
				return sprintf("arg#%d has invalid combination of tags", i)
			}
			// ARG_PTR_TO_DYNPTR: ebpfvm has no dynptrs.
			return sprintf("arg#%d: dynptr arguments of global functions are not supported", i)
		}
		if tags&tagTrusted != 0 {
			if tags&tagNonNull != 0 {
				return sprintf("arg#%d has invalid combination of tags", i)
			}
			// PTR_TO_BTF_ID arguments name kernel types; ebpfvm has
			// none to match them with.
			return sprintf("arg#%d reference type('%s %s') has no matches", i, elem.Kind, elem.Name)
		}
		if tags&tagUntrusted != 0 {
			if tags&^tagUntrusted != 0 {
				return sprintf("arg#%d untrusted cannot be combined with any other tags", i)
			}
			switch elem.Kind {
			case TypeVoid, TypeInt, TypeEnum, TypeEnum64, TypeFloat:
				// The kernel reads through such pointers with
				// fault-handling loads (rdonly_untrusted_mem), which
				// ebpfvm's unchecked runs do not have.
				return sprintf("arg#%d: untrusted memory arguments are not supported", i)
			}
			return sprintf("arg#%d reference type('%s %s') has no matches", i, elem.Kind, elem.Name)
		}
		if tags&tagArena != 0 {
			if tags&^tagArena != 0 {
				return sprintf("arg#%d arena cannot be combined with any other tags", i)
			}
			gf.args = append(gf.args, gArg{kind: gArgArena})
			continue
		}
		if tags&tagNullable != 0 {
			return sprintf("arg#%d has invalid combination of tags", i)
		}
		if elem.Size < 0 {
			return sprintf("arg#%d reference type('%s %s') size cannot be determined: -22", i, elem.Kind, elem.Name)
		}
		gf.args = append(gf.args, gArg{kind: gArgMem, size: elem.Size, nullable: tags&tagNonNull == 0})
	}
	return ""
}

// checkGlobalCall is check_func_call's branch for a global callee: the
// arguments are checked against the prototype, the callee is not entered.
func (v *verifier) checkGlobalCall(idx, sp int, gf *globalFunc) (int, bool, error) {
	msg := v.checkGlobalArgs(idx, gf)
	if v.cur.lockID != 0 {
		lock := "global function calls are not allowed while holding a lock,\nuse static function instead"
		if msg != "" {
			lock = msg + "\n" + lock
		}
		return 0, false, v.errf(idx, "%s", lock)
	}
	if msg != "" {
		return 0, false, v.errf(idx, "%s\nCaller passes invalid args into func#%d ('%s')", msg, sp, gf.fn.Name)
	}
	if v.logLevel > 0 {
		v.log.printf("Func#%d ('%s') is global and assumed valid.\n", sp, gf.fn.Name)
	}
	if gf.changesPkt {
		v.clearPktPointers()
	}
	gf.called = true
	v.addCallEdge(v.insnSubprog[idx], sp)
	regs := v.regs()
	for i := 1; i <= 5; i++ {
		regs[i] = reg{typ: NotInit}
	}
	// All global functions return a 64-bit scalar.
	regs[0].setUnknownScalar()
	v.scratchRegs |= 0x3f
	return idx + 1, false, nil
}

// checkGlobalArgs is btf_check_func_arg_match: the kernel's log lines
// when r1-r5 do not fit the prototype, "" when they do.
func (v *verifier) checkGlobalArgs(idx int, gf *globalFunc) string {
	v.prepareGlobal(gf)
	if gf.prepErr != "" {
		return gf.prepErr
	}
	regs := v.regs()
	for i, a := range gf.args {
		regno := i + 1
		r := &regs[regno]
		switch a.kind {
		case gArgScalar:
			if r.typ != Scalar {
				return sprintf("R%d is not a scalar", regno)
			}
		case gArgCtx:
			if err := v.checkArgRegOff(idx, r, regno); err != nil {
				return err.Msg
			}
			if r.typ != PtrToCtx {
				return sprintf("arg#%d expects pointer to ctx", i)
			}
		case gArgMem:
			if err := v.checkArgRegOff(idx, r, regno); err != nil {
				return err.Msg
			}
			if err := v.checkGlobalMem(idx, r, regno, a.size); err != nil {
				return err.Msg
			}
			if !a.nullable && r.flags&MaybeNull != 0 {
				return sprintf("arg#%d is expected to be non-NULL", i)
			}
		case gArgArena:
			// ebpfvm has no arena pointers: only scalars fit.
			if r.typ != Scalar {
				return sprintf("R%d is not a pointer to arena or scalar.", regno)
			}
		}
	}
	return ""
}

// checkArgRegOff is check_func_arg_reg_off for an argument of no special
// kind: pointers into memory may have any offset, the others none.
func (v *verifier) checkArgRegOff(idx int, r *reg, regno int) *Error {
	switch r.typ {
	case PtrToStack, PtrToPacket, PtrToPacketMeta, PtrToMapKey, PtrToMapValue, PtrToMem, Scalar:
		if r.flags&MaybeNull == 0 {
			return nil
		}
	}
	if err := v.checkPtrOffReg(idx, r, regno, false); err != nil {
		return err.(*Error)
	}
	return nil
}

// checkGlobalMem is check_mem_reg: NULL is fine; otherwise size bytes must
// be readable and writable as a helper would access them (a possibly NULL
// pointer is checked as if it were not NULL).
func (v *verifier) checkGlobalMem(idx int, r *reg, regno int, size int64) *Error {
	if r.typ == Scalar && r.vo.equalsConst(0) {
		return nil
	}
	saved := *r
	r.flags &^= MaybeNull
	defer func() { *r = saved }()
	for _, write := range []bool{false, true} {
		var err error
		switch r.typ {
		case PtrToStack, PtrToPacket, PtrToPacketMeta, PtrToMapKey, PtrToMapValue, PtrToMem:
			err = v.checkHelperMem(idx, regno, size, write, true, false)
		case PtrToCtx:
			if !v.ctxIsMemory() {
				return v.errf(idx, "R%d type=%s expected=fp", regno, r.typeName())
			}
			// A context of no fixed layout (syscall): the last byte
			// the callee may touch must be accessible.
			if size == 0 {
				return nil
			}
			t := accRead
			if write {
				t = accWrite
			}
			err = v.checkMemAccess(idx, regno, int(size-1), 1, t, -1, false, false, nil)
		default:
			return v.errf(idx, "R%d type=%s expected=fp", regno, r.typeName())
		}
		if err != nil {
			return err.(*Error)
		}
	}
	return nil
}

// ctxIsMemory: the program type's context has no fixed layout (the kernel
// types without convert_ctx_access), so memory arguments may point to it.
func (v *verifier) ctxIsMemory() bool {
	switch v.pt.Context.(type) {
	case *MemoryContext, *alignedMemoryContext:
		return true
	}
	return false
}

// globalEntry is the state a global function is verified from: frame 0
// with the arguments of its prototype (do_check_common for a subprogram).
func (v *verifier) globalEntry(sp int, gf *globalFunc) *state {
	f := &funcState{callsite: -1, subprog: sp}
	for i := range f.regs {
		f.regs[i] = reg{typ: NotInit}
	}
	for i, a := range gf.args {
		r := &f.regs[i+1]
		switch a.kind {
		case gArgScalar, gArgArena:
			r.setUnknownScalar()
		case gArgCtx:
			*r = reg{typ: PtrToCtx}
			r.markKnown(0)
		case gArgMem:
			*r = reg{typ: PtrToMem, memSize: uint32(a.size)}
			if a.nullable {
				r.flags = MaybeNull
			}
			r.markKnown(0)
			r.id = v.newID()
		}
	}
	f.regs[regFP] = reg{typ: PtrToStack}
	f.regs[regFP].markKnown(0)
	return &state{frames: []*funcState{f}, first: v.subprogs[sp].start, last: -1}
}

// checkGlobalFuncs is do_check_subprogs: verify every global function a
// verified path called, in passes over the subprograms in index order,
// until a pass verifies none.
func (v *verifier) checkGlobalFuncs() error {
	if !v.gl.any {
		return nil
	}
	reset := true // the kernel keeps no log of verified code at level 1
	for {
		n := 0
		for sp := 1; sp < len(v.gl.funcs); sp++ {
			gf := v.gl.funcs[sp]
			if gf == nil || !gf.called || gf.verified {
				continue
			}
			if reset && v.logLevel == 1 {
				v.log.truncate(0)
			}
			reset = false
			if v.logLevel > 0 {
				v.log.printf("Validating %s() func#%d...\n", gf.fn.Name, sp)
			}
			v.prepareGlobal(gf)
			if gf.prepErr != "" {
				return v.errf(v.subprogs[sp].start, "%s", gf.prepErr)
			}
			v.gl.cur = sp
			v.explored = make([][]*checkpoint, len(v.insns))
			err := v.doCheck(v.subprogs[sp].start, v.globalEntry(sp, gf))
			v.gl.cur = 0
			if err != nil {
				return err
			}
			if v.logLevel == 1 {
				v.log.truncate(0)
			}
			if v.logLevel > 0 {
				v.log.printf("Func#%d ('%s') is safe for any args that match its prototype\n", sp, gf.fn.Name)
			}
			gf.verified = true
			n++
		}
		if n == 0 {
			return nil
		}
	}
}

// globalExit is check_return_code for a global function's frame 0: r0
// must be a scalar, of any value.
func (v *verifier) globalExit(idx int, r0 *reg) (bool, error) {
	if v.gl.cur == 0 {
		return false, nil
	}
	if r0.typ != Scalar {
		return true, v.errf(idx, "At subprogram exit the register R0 is not a scalar value (%s)", r0.typeName())
	}
	return true, nil
}
