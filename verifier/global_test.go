package verifier

import (
	"sort"
	"strings"
	"testing"

	"github.com/ebpfvm/ebpfvm/isa"
)

// withFuncs places fns at the program's subprograms in order: fns[k]
// describes func#k+1 (the main program is func#0). A Func whose Insn is
// already set keeps it.
func withFuncs(t *testing.T, insns []isa.Instruction, fns []Func) []Func {
	t.Helper()
	seen := map[int]bool{}
	for i, in := range insns {
		switch {
		case in.Opcode == isa.OpCall && uint8(in.Src) == isa.CallLocal,
			in.Opcode == isa.OpLdImm64 && uint8(in.Src) == isa.PseudoFunc:
			seen[i+1+int(in.Imm)] = true
		}
	}
	var starts []int
	for s := range seen {
		if s != 0 {
			starts = append(starts, s)
		}
	}
	sort.Ints(starts)
	out := append([]Func(nil), fns...)
	for k := range out {
		if out[k].Insn != 0 {
			continue
		}
		if k >= len(starts) {
			t.Fatalf("%d funcs for %d subprograms", len(fns), len(starts))
		}
		out[k].Insn = starts[k]
	}
	return out
}

func static(name string, params ...FuncParam) Func {
	f := GlobalFunc(0, name, params...)
	f.Global = false
	return f
}

// voidPtr is a `void *` parameter.
var voidPtr = FuncParam{Type: FuncType{Kind: TypePointer, Size: 8, Elem: &FuncType{Kind: TypeVoid, Size: -1}}}

// xdpCtxPtr is a `struct xdp_md *` parameter.
var xdpCtxPtr = FuncParam{Type: FuncType{Kind: TypePointer, Size: 8, Elem: &FuncType{Kind: TypeStruct, Name: "xdp_md", Size: 24}}}

func TestGlobalFuncs(t *testing.T) {
	lockMap := &Map{Name: "locked", Type: MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 1, SpinLock: true, SpinLockOff: 0}
	arr := &Map{Name: "arr", Type: MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 4}
	voidRet := GlobalFunc(0, "g", IntParam)
	voidRet.Ret = FuncType{Kind: TypeVoid, Size: -1}
	ptrRet := GlobalFunc(0, "g", IntParam)
	ptrRet.Ret = FuncType{Kind: TypePointer, Size: 8, Elem: &FuncType{Kind: TypeInt, Size: 4}}
	for _, tc := range []struct {
		name  string
		src   string
		funcs []Func
		typ   *ProgramType
		// err is the kernel's message (lines of its log); insn the
		// instruction it is reported at ("" and 0: accepted).
		err  string
		insn int
		// processed: the kernel's count, where checked.
		processed int
		// log: lines the level-2 log must have, in order.
		log []string
	}{
		{
			name: "scalar argument, verified once on its own",
			src: `
r1 = 3
call g
r0 &= 1
exit
g:
r0 = r1
r0 <<= 1
exit`,
			funcs:     []Func{GlobalFunc(0, "g", IntParam)},
			processed: 7,
			log: []string{
				"1: (85) call pc+2", "Func#1 ('g') is global and assumed valid.",
				"Validating g() func#1...", "Func#1 ('g') is safe for any args that match its prototype",
			},
		},
		{
			// The caller passes 2, but g is verified for any int.
			name: "unsafe for some argument: rejected whatever the caller passes",
			src: `
r1 = 2
call g
exit
g:
r2 = 0
*(u64 *)(r10 -8) = r2
*(u64 *)(r10 -16) = r2
r1 <<= 3
r2 = r10
r2 += -16
r2 += r1
r0 = *(u64 *)(r2 +0)
exit`,
			funcs: []Func{GlobalFunc(0, "g", IntParam)},
			err:   "math between fp pointer and register with unbounded min value is not allowed", insn: 9,
		},
		{
			name: "the same function static: verified with the caller's value",
			src: `
r1 = 1
call g
exit
g:
r2 = 0
*(u64 *)(r10 -8) = r2
*(u64 *)(r10 -16) = r2
r1 <<= 3
r2 = r10
r2 += -16
r2 += r1
r0 = *(u64 *)(r2 +0)
exit`,
			funcs: []Func{static("g", IntParam)},
		},
		{
			name: "pointer argument may be NULL in the callee",
			src: `
r1 = 0
*(u64 *)(r10 -8) = r1
r1 = r10
r1 += -8
call g
exit
g:
r0 = *(u32 *)(r1 +0)
exit`,
			funcs: []Func{GlobalFunc(0, "g", MemParam(8, false))},
			err:   "R1 invalid mem access 'mem_or_null'", insn: 6,
		},
		{
			name: "pointer argument checked for NULL",
			src: `
r1 = 0
*(u64 *)(r10 -8) = r1
r1 = r10
r1 += -8
call g
exit
g:
r0 = 0
if r1 == 0 goto out
r0 = *(u32 *)(r1 +4)
out:
exit`,
			funcs:     []Func{GlobalFunc(0, "g", MemParam(8, false))},
			processed: 11,
		},
		{
			name: "__arg_nonnull pointer",
			src: `
r1 = 0
*(u64 *)(r10 -8) = r1
r1 = r10
r1 += -8
call g
exit
g:
r0 = *(u32 *)(r1 +4)
exit`,
			funcs: []Func{GlobalFunc(0, "g", MemParam(8, true))},
		},
		{
			name: "access past the pointee",
			src: `
r1 = 0
*(u64 *)(r10 -8) = r1
r1 = r10
r1 += -8
call g
exit
g:
r0 = *(u32 *)(r1 +8)
exit`,
			funcs: []Func{GlobalFunc(0, "g", MemParam(8, true))},
			err:   "invalid access to memory, mem_size=8 off=8 size=4", insn: 6,
		},
		{
			name: "context argument",
			src: `
call g
exit
g:
r0 = *(u32 *)(r1 +12)
exit`,
			funcs: []Func{GlobalFunc(0, "g", xdpCtxPtr)},
		},
		{
			name: "__arg_ctx",
			src: `
call g
exit
g:
r0 = *(u32 *)(r1 +12)
exit`,
			funcs: []Func{GlobalFunc(0, "g", CtxParam())},
		},
		{
			name: "stack pointer for a context argument",
			src: `
r1 = r10
r1 += -8
call g
exit
g:
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(0, "g", xdpCtxPtr)},
			err:   "arg#0 expects pointer to ctx\nCaller passes invalid args into func#1 ('g')", insn: 2,
		},
		{
			name: "modified context pointer",
			src: `
r1 += 4
call g
exit
g:
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(0, "g", xdpCtxPtr)},
			err:   "dereference of modified ctx ptr R1 off=4 disallowed\nCaller passes invalid args into func#1 ('g')", insn: 1,
		},
		{
			name: "pointer for a scalar argument",
			src: `
r1 = r10
call g
exit
g:
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(0, "g", IntParam)},
			err:   "R1 is not a scalar\nCaller passes invalid args into func#1 ('g')", insn: 1,
		},
		{
			name: "uninitialized scalar argument",
			src: `
r1 = 1
call g
exit
g:
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(0, "g", IntParam, IntParam)},
			err:   "R2 is not a scalar\nCaller passes invalid args into func#1 ('g')",
		},
		{
			name: "context for a memory argument",
			src: `
call g
exit
g:
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(0, "g", MemParam(8, false))},
			err:   "R1 type=ctx expected=fp\nCaller passes invalid args into func#1 ('g')",
		},
		{
			name: "stack smaller than the pointee",
			src: `
r1 = 0
*(u32 *)(r10 -4) = r1
r1 = r10
r1 += -4
call g
exit
g:
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(0, "g", MemParam(8, false))},
			err:   "invalid read from stack R1 off=-4 size=8\nCaller passes invalid args into func#1 ('g')", insn: 4,
		},
		{
			name: "map value smaller than the pointee",
			src: `
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[fd:1]
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = r0
call g
out:
r0 = 0
exit
g:
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(0, "g", MemParam(32, false))},
			err:   "invalid access to map value, value_size=8 off=0 size=32\nR1 min value is outside of the allowed memory range\nCaller passes invalid args into func#1 ('g')", insn: 9,
		},
		{
			name: "unchecked map value for a nullable argument",
			src: `
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[fd:1]
call bpf_map_lookup_elem
r1 = r0
call g
r0 = 0
exit
g:
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(0, "g", MemParam(8, false))},
		},
		{
			name: "unchecked map value for a nonnull argument",
			src: `
r1 = *(u32 *)(r1 +16)
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[fd:1]
call bpf_map_lookup_elem
r1 = r0
call g
r0 = 0
exit
g:
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(0, "g", MemParam(8, true))},
			err:   "arg#0 is expected to be non-NULL\nCaller passes invalid args into func#1 ('g')", insn: 8,
		},
		{
			// As in the kernel: a NULL constant is not a maybe-NULL
			// pointer.
			name: "NULL constant for a nonnull argument",
			src: `
r1 = 0
call g
exit
g:
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(0, "g", MemParam(8, true))},
		},
		{
			// Precision backtracking passes over the call (it does not
			// enter the callee): r6 is made precise up to its load.
			name: "precision through a global call",
			src: `
r6 = *(u32 *)(r1 +12)
r6 &= 7
r1 = 1
call g
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[fd:1]
call bpf_map_lookup_elem
if r0 == 0 goto out
r0 += r6
r0 = *(u8 *)(r0 +0)
out:
r0 = 2
exit
g:
r0 = r1
exit`,
			funcs: []Func{GlobalFunc(0, "g", IntParam)},
			log: []string{
				"mark_precise: frame0: regs=r6 stack= before 3: (85) call pc+12",
				"mark_precise: frame0: regs=r6 stack= before 1: (57) r6 &= 7",
			},
		},
		{
			name: "r0 after the call is unknown",
			src: `
call g
if r0 == 1 goto ok
r0 = *(u64 *)(r1 +1000)
ok:
exit
g:
r0 = 1
exit`,
			funcs: []Func{GlobalFunc(0, "g", CtxParam())},
			err:   "R1 !read_ok", insn: 2,
		},
		{
			name: "static callee: r0 is what it returned",
			src: `
call g
if r0 == 1 goto ok
r0 = *(u64 *)(r1 +1000)
ok:
exit
g:
r0 = 1
exit`,
			funcs: []Func{static("g", CtxParam())},
		},
		{
			name: "r1-r5 clobbered by the call",
			src: `
r6 = r1
r1 = 5
call g
r0 = r1
exit
g:
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(0, "g", IntParam)},
			err:   "R1 !read_ok", insn: 3,
		},
		{
			name: "the callee may write through a stack pointer",
			src: `
r1 = 0
*(u64 *)(r10 -8) = r1
r1 = r10
r1 += -8
call g
r0 = *(u64 *)(r10 -8)
if r0 == 0 goto ok
r0 = *(u8 *)(r0 +0)
ok:
exit
g:
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(0, "g", MemParam(8, false))},
			err:   "R0 invalid mem access 'scalar'", insn: 7,
		},
		{
			name: "never called: not verified",
			src: `
r2 = 0
if r2 != 0 goto bad
r0 = 2
exit
bad:
call g
exit
g:
r0 = *(u64 *)(r1 +1000)
exit`,
			funcs:     []Func{GlobalFunc(0, "g", CtxParam())},
			processed: 4,
		},
		{
			// func#2 calls func#1: the second pass verifies func#1.
			name: "verified in the kernel's order",
			src: `
r1 = 1
call g2
exit
g1:
r0 = r1
exit
g2:
call g1
r0 += 1
exit`,
			funcs:     []Func{GlobalFunc(0, "g1", IntParam), GlobalFunc(0, "g2", IntParam)},
			processed: 8,
			log: []string{
				"Func#2 ('g2') is global and assumed valid.",
				"Validating g2() func#2...", "Func#1 ('g1') is global and assumed valid.",
				"Func#2 ('g2') is safe for any args that match its prototype",
				"Validating g1() func#1...", "Func#1 ('g1') is safe for any args that match its prototype",
			},
		},
		{
			name: "global function called while holding a lock",
			src: `
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[fd:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r6 = r0
r1 = r0
call bpf_spin_lock
r1 = 1
call g
r1 = r6
call bpf_spin_unlock
out:
r0 = 0
exit
g:
r0 = r1
exit`,
			funcs: []Func{GlobalFunc(0, "g", IntParam)},
			err:   "global function calls are not allowed while holding a lock,\nuse static function instead", insn: 12,
		},
		{
			name: "global function returns a pointer",
			src: `
call g
r0 = 0
exit
g:
r0 = r10
exit`,
			funcs: []Func{GlobalFunc(0, "g", CtxParam())},
			err:   "At subprogram exit the register R0 is not a scalar value (fp)", insn: 4,
		},
		{
			name: "global function leaves r0 unset",
			src: `
call g
r0 = 0
exit
g:
exit`,
			funcs: []Func{GlobalFunc(0, "g", CtxParam())},
			err:   "R0 !read_ok", insn: 3,
		},
		{
			name: "void return type",
			src: `
r1 = 1
call g
r0 = 0
exit
g:
r0 = 0
exit`,
			funcs: []Func{voidRet},
			err:   "Global function g() doesn't return scalar. Only those are supported.\nCaller passes invalid args into func#1 ('g')", insn: 1,
		},
		{
			name: "pointer return type",
			src: `
r1 = 1
call g
r0 = 0
exit
g:
r0 = 0
exit`,
			funcs: []Func{ptrRet},
			err:   "Global function g() doesn't return scalar. Only those are supported.",
		},
		{
			name: "void pointer parameter",
			src: `
r1 = r10
r1 += -8
call g
exit
g:
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(0, "g", voidPtr)},
			err:   "arg#0 reference type('UNKNOWN ') size cannot be determined: -22\nCaller passes invalid args into func#1 ('g')",
		},
		{
			name: "pointer to a forward declaration",
			src: `
r1 = r10
r1 += -8
call g
exit
g:
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(0, "g", FuncParam{Type: FuncType{Kind: TypePointer, Size: 8, Elem: &FuncType{Kind: TypeFwd, Name: "xdp_buff", Size: -1}}})},
			err:   "arg#0 reference type('FWD xdp_buff') size cannot be determined: -22",
		},
		{
			name: "struct passed by value",
			src: `
r1 = 1
call g
exit
g:
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(0, "g", FuncParam{Type: FuncType{Kind: TypeStruct, Name: "pair", Size: 8}})},
			err:   "Arg#0 type STRUCT in g() is not supported yet.",
		},
		{
			name: "tags",
			src: `
r1 = 1
call g
exit
g:
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(0, "g", FuncParam{Type: FuncType{Kind: TypeInt, Size: 4}, Tags: []string{"arg:ctx"}})},
			err:   "arg#0 has pointer tag, but is not a pointer type",
		},
		{
			name: "unknown tag",
			src: `
r1 = 1
call g
exit
g:
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(0, "g", FuncParam{Type: FuncType{Kind: TypeInt, Size: 4}, Tags: []string{"arg:foo"}})},
			err:   "arg#0 has unsupported set of tags",
		},
		{
			name: "__arg_nullable alone",
			src: `
r1 = 0
call g
exit
g:
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(0, "g", FuncParam{Type: MemParam(8, false).Type, Tags: []string{"arg:nullable"}})},
			err:   "arg#0 has invalid combination of tags",
		},
		{
			name: "__arg_ctx on another struct",
			src: `
call g
exit
g:
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(0, "g", FuncParam{Type: MemParam(8, false).Type, Tags: []string{"arg:ctx"}})},
			err:   "arg#0 type doesn't have a name",
		},
		{
			name: "__arg_ctx on the wrong struct",
			src: `
call g
exit
g:
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(0, "g", FuncParam{Type: FuncType{Kind: TypePointer, Size: 8, Elem: &FuncType{Kind: TypeStruct, Name: "pair", Size: 8}}, Tags: []string{"arg:ctx"}})},
			err:   "arg#0 should be `struct xdp_md *`",
		},
		{
			name: "__sk_buff is the context of socket filters",
			src: `
call g
exit
g:
r0 = *(u32 *)(r1 +0)
exit`,
			typ:   SocketFilter(),
			funcs: []Func{GlobalFunc(0, "g", FuncParam{Type: FuncType{Kind: TypePointer, Size: 8, Elem: &FuncType{Kind: TypeStruct, Name: "__sk_buff", Size: 192}}})},
		},
		{
			name: "__sk_buff is memory in XDP",
			src: `
call g
exit
g:
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(0, "g", FuncParam{Type: FuncType{Kind: TypePointer, Size: 8, Elem: &FuncType{Kind: TypeStruct, Name: "__sk_buff", Size: 192}}})},
			err:   "R1 type=ctx expected=fp",
		},
		{
			name: "syscall context is memory",
			src: `
call g
exit
g:
r0 = 0
exit`,
			typ:   Syscall(),
			funcs: []Func{GlobalFunc(0, "g", MemParam(16, false))},
		},
		{
			name: "a global function is no callback",
			src: `
r1 = 1
r2 = subprog[g]
r3 = 0
r4 = 0
call bpf_loop
exit
g:
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(0, "g", IntParam, IntParam)},
			err:   "callback function not static", insn: 1,
		},
		{
			name: "packet pointers die when the callee may move the packet",
			src: `
r2 = *(u32 *)(r1 +4)
r6 = *(u32 *)(r1 +0)
r3 = r6
r3 += 1
if r3 > r2 goto out
call g
r0 = *(u8 *)(r6 +0)
out:
r0 = 2
exit
g:
r2 = 0
call bpf_xdp_adjust_head
exit`,
			funcs: []Func{GlobalFunc(0, "g", CtxParam())},
			err:   "R6 invalid mem access 'scalar'", insn: 6,
		},
		{
			name: "packet pointers survive other callees",
			src: `
r2 = *(u32 *)(r1 +4)
r6 = *(u32 *)(r1 +0)
r3 = r6
r3 += 1
if r3 > r2 goto out
call g
r0 = *(u8 *)(r6 +0)
out:
r0 = 2
exit
g:
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(0, "g", CtxParam())},
		},
		{
			// The callee's stack counts in the caller's chain.
			name: "combined stack",
			src: `
r2 = 0
*(u64 *)(r10 -256) = r2
call g
exit
g:
r1 = 0
*(u64 *)(r10 -296) = r1
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(0, "g", CtxParam())},
			err:   "combined stack size of 2 calls is 560. Too large", insn: -1,
		},
		{
			name: "func_info that does not match the subprograms",
			src: `
call g
exit
g:
r0 = 0
exit`,
			funcs: []Func{GlobalFunc(1, "g", CtxParam())},
			err:   "func_info BTF section doesn't match subprog layout in BPF program", insn: -1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			insns := mustAsm(t, tc.src)
			typ := tc.typ
			if typ == nil {
				typ = XDP()
			}
			opts := &Options{Type: typ, GPL: true, Maps: []*Map{lockMap, arr}, Funcs: withFuncs(t, insns, tc.funcs), LogLevel: 2}
			res, err := Verify(insns, opts)
			if tc.err == "" {
				if err != nil {
					t.Fatalf("rejected: %v\n%s", err, tailLines(err.(*Error).Log, 15))
				}
				if tc.processed != 0 && res.InsnsProcessed != tc.processed {
					t.Errorf("%d insns processed, the kernel %d", res.InsnsProcessed, tc.processed)
				}
				logHas(t, res.Log, tc.log)
				return
			}
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("accepted, want %q", tc.err)
			}
			if !strings.Contains(e.Msg, tc.err) {
				t.Fatalf("got %q at %d, want %q\n%s", e.Msg, e.Insn, tc.err, tailLines(e.Log, 15))
			}
			if tc.insn != 0 && e.Insn != tc.insn {
				t.Errorf("error at instruction %d, want %d", e.Insn, tc.insn)
			}
			logHas(t, e.Log, tc.log)
		})
	}
}

// TestGlobalFuncLogLevel1: at level 1 the kernel drops the log of the
// code it verified, so a failing global function's log starts with its
// "Validating" line.
func TestGlobalFuncLogLevel1(t *testing.T) {
	src := `
r1 = 0
*(u64 *)(r10 -8) = r1
r1 = r10
r1 += -8
call g
exit
g:
r0 = *(u32 *)(r1 +0)
exit`
	insns := mustAsm(t, src)
	_, err := Verify(insns, &Options{Type: XDP(), Funcs: withFuncs(t, insns, []Func{GlobalFunc(0, "sum_pair", MemParam(8, false))}), LogLevel: 1})
	e, ok := err.(*Error)
	if !ok {
		t.Fatal("accepted")
	}
	if !strings.HasPrefix(e.Log, "Validating sum_pair() func#1...\n") {
		t.Errorf("log does not start with the Validating line:\n%s", e.Log)
	}
	want := "R1 invalid mem access 'mem_or_null'\nprocessed 7 insns (limit 1000000)"
	if !strings.Contains(e.Log, want) {
		t.Errorf("log lacks %q:\n%s", want, e.Log)
	}
}

// TestGlobalFuncBudget: the global functions' instructions count against
// the program's budget.
func TestGlobalFuncBudget(t *testing.T) {
	src := `
r1 = 0
call g
exit
g:
r0 = 0
r1 = 0
loop:
r1 += 1
if r1 < 100 goto loop
exit`
	insns := mustAsm(t, src)
	opts := &Options{Type: XDP(), Funcs: withFuncs(t, insns, []Func{GlobalFunc(0, "g", IntParam)}), MaxInstructions: 100}
	_, err := Verify(insns, opts)
	if err == nil || !strings.Contains(err.Error(), "BPF program is too large. Processed 101 insn") {
		t.Fatalf("got %v, want the budget exhausted", err)
	}
	opts.MaxInstructions = 0
	res, err := Verify(insns, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.InsnsProcessed < 200 {
		t.Errorf("%d insns processed: the callee's loop is not counted", res.InsnsProcessed)
	}
}

func logHas(t *testing.T, log string, lines []string) {
	t.Helper()
	rest := log
	for _, l := range lines {
		i := strings.Index(rest, l)
		if i < 0 {
			t.Errorf("log lacks %q (in this order):\n%s", l, log)
			return
		}
		rest = rest[i+len(l):]
	}
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
