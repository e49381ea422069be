package verifier

import (
	"fmt"
	"strings"

	"github.com/ebpfvm/ebpfvm/isa"
)

// The structural pass: what the kernel checks before the data-flow pass
// (resolve_pseudo_ldimm64, check_subprogs, check_cfg).

type subprog struct {
	start, end int // [start, end)
	stackDepth int
	calls      []int // subprograms it calls (directly)
	tailCall   bool
}

func (v *verifier) errf(insn int, format string, args ...any) *Error {
	return &Error{Insn: insn, Msg: fmt.Sprintf(format, args...)}
}

// checkStructure finds subprograms, checks jumps, and marks pruning points.
func (v *verifier) checkStructure() error {
	insns := v.insns
	n := len(insns)
	if n == 0 {
		return v.errf(-1, "empty program")
	}
	if n > maxInsnsLimit {
		return v.errf(-1, "program too large (%d insns): BPF_PROG_LOAD refuses more than %d (E2BIG)", n, maxInsnsLimit)
	}
	if !v.priv && n > maxInsnsUnpriv {
		return v.errf(-1, "program too large (%d insns): BPF_PROG_LOAD refuses more than %d (BPF_MAXINSNS) from unprivileged loaders (E2BIG)", n, maxInsnsUnpriv)
	}
	v.second = make([]bool, n)
	starts := map[int]bool{0: true}
	for i := 0; i < n; i++ {
		in := insns[i]
		switch in.Opcode.Class() {
		case isa.ClassLDX:
			m := in.Opcode.Mode()
			if (m != isa.ModeMEM && m != isa.ModeMEMSX) || in.Imm != 0 {
				return v.errf(i, "BPF_LDX uses reserved fields")
			}
		case isa.ClassLD:
			if in.Opcode != isa.OpLdImm64 {
				continue
			}
			if i == n-1 || insns[i+1].Opcode != 0 || insns[i+1].Dst != 0 || insns[i+1].Src != 0 || insns[i+1].Offset != 0 {
				return v.errf(i, "invalid bpf_ld_imm64 insn")
			}
			if in.Dst > isa.R10 || in.Offset != 0 {
				return v.errf(i, "invalid bpf_ld_imm64 insn")
			}
			switch uint8(in.Src) {
			case isa.PseudoNone:
			case isa.PseudoFunc:
				// The kernel reads only the first imm: loaders
				// (cilium/ebpf) sign-extend a backward offset into
				// the second.
				t := i + 1 + int(in.Imm)
				if t < 0 || t >= n {
					return v.errf(i, "jump out of range from insn %d to %d", i, t)
				}
				if !v.priv {
					return v.errf(i, "loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN")
				}
				starts[t] = true
			case isa.PseudoMapFD, isa.PseudoMapIdx, isa.PseudoMapValue, isa.PseudoMapIdxValue:
				if err := v.resolveMapLoad(i); err != nil {
					return err
				}
			case isa.PseudoBTFID:
				return v.errf(i, "kernel BTF is not supported")
			default:
				return v.errf(i, "unrecognized bpf_ld_imm64 insn")
			}
			v.second[i+1] = true
			i++
		case isa.ClassJMP:
			if in.Opcode == isa.OpCall && uint8(in.Src) == isa.CallLocal {
				t := i + 1 + int(in.Imm)
				if t < 0 || t >= n {
					return v.errf(i, "jump out of range from insn %d to %d", i, t)
				}
				if !v.priv {
					return v.errf(i, "loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN")
				}
				starts[t] = true
			}
			if in.Opcode == isa.OpCall && uint8(in.Src) == isa.CallKfunc {
				if err := v.addKfuncCall(i, in); err != nil {
					return err
				}
			}
		}
	}
	// Subprogram boundaries.
	var list []int
	for s := range starts {
		list = append(list, s)
	}
	sortInts(list)
	v.insnSubprog = make([]int, n)
	for k, s := range list {
		e := n
		if k+1 < len(list) {
			e = list[k+1]
		}
		v.subprogs = append(v.subprogs, subprog{start: s, end: e})
		for i := s; i < e; i++ {
			v.insnSubprog[i] = k
		}
	}
	// Jumps stay inside their subprogram; each ends in exit or jump.
	for k, sp := range v.subprogs {
		for i := sp.start; i < sp.end; i++ {
			in := insns[i]
			if v.second[i] {
				continue
			}
			c := in.Opcode.Class()
			if c == isa.ClassJMP || c == isa.ClassJMP32 {
				op := in.Opcode.Op()
				if op != isa.JmpCall && op != isa.JmpExit {
					t, _ := isa.BranchTarget(in, i)
					if t < sp.start || t >= sp.end {
						return v.errf(i, "jump out of range from insn %d to %d", i, t)
					}
				}
			}
			if i == sp.end-1 || (i == sp.end-2 && v.second[sp.end-1]) {
				last := in
				if v.second[i] {
					last = insns[i-1]
				}
				isJA := last.Opcode == isa.OpJA || last.Opcode == isa.OpGotoL
				if last.Opcode != isa.OpExit && !isJA {
					return v.errf(i, "last insn is not an exit or jmp")
				}
			}
		}
		_ = k
	}
	// Without BTF func_info, subprograms (not the main program) may not
	// leave through LD_ABS/IND or a tail call (check_abnormal_return).
	if !v.opts.FuncInfo {
		for _, sp := range v.subprogs[1:] {
			for i := sp.start; i < sp.end; i++ {
				in := insns[i]
				if v.second[i] {
					continue
				}
				if in.Opcode.Class() == isa.ClassLD && (in.Opcode.Mode() == isa.ModeABS || in.Opcode.Mode() == isa.ModeIND) {
					return v.errf(i, "LD_ABS is not allowed in subprogs without BTF")
				}
			}
			for i := sp.start; i < sp.end; i++ {
				in := insns[i]
				if !v.second[i] && in.Opcode == isa.OpCall && in.Src == 0 && in.Imm == FuncTailCall {
					return v.errf(i, "tail_call is not allowed in subprogs without BTF")
				}
			}
		}
	}
	return v.checkCFG()
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// successors returns the instructions control may reach next from i
// (without following calls into callees).
func (v *verifier) successors(i int, out []int) []int {
	in := v.insns[i]
	out = out[:0]
	switch in.Opcode.Class() {
	case isa.ClassJMP, isa.ClassJMP32:
		switch op := in.Opcode.Op(); op {
		case isa.JmpExit:
			return out
		case isa.JmpCall:
			return append(out, i+1)
		case isa.JmpJA:
			t, _ := isa.BranchTarget(in, i)
			return append(out, t)
		default:
			t, _ := isa.BranchTarget(in, i)
			return append(out, i+1, t)
		}
	case isa.ClassLD:
		if in.Opcode == isa.OpLdImm64 && !v.second[i] {
			return append(out, i+2)
		}
	}
	return append(out, i+1)
}

// checkCFG is the kernel's check_cfg: a depth-first walk from every
// subprogram entry that rejects back-edges (when loops are not allowed),
// jumps into a ld_imm64 and unreachable instructions, and marks the
// pruning points.
func (v *verifier) checkCFG() error {
	n := len(v.insns)
	const (
		unseen = iota
		discovered
		explored
	)
	st := make([]uint8, n)
	v.prune = make([]bool, n)
	type frame struct{ insn, next int }
	var stack []frame
	var succ []int
	// Walk from the main program; callees are entered through call edges
	// and ld_imm64 function references.
	visit := func(start int) error {
		if st[start] != unseen {
			return nil
		}
		st[start] = discovered
		stack = append(stack[:0], frame{start, 0})
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			i := top.insn
			succ = v.successors(i, succ[:0])
			// Calls also lead into their callee.
			in := v.insns[i]
			var extra int = -1
			if in.Opcode == isa.OpCall && uint8(in.Src) == isa.CallLocal {
				extra = i + 1 + int(in.Imm)
			}
			if in.Opcode == isa.OpLdImm64 && uint8(in.Src) == isa.PseudoFunc {
				extra = i + 1 + int(in.Imm)
			}
			all := succ
			if extra >= 0 {
				all = append(all, extra)
			}
			if top.next >= len(all) {
				st[i] = explored
				stack = stack[:len(stack)-1]
				continue
			}
			w := all[top.next]
			top.next++
			if w < 0 || w >= n {
				return v.errf(i, "jump out of range from insn %d to %d", i, w)
			}
			switch st[w] {
			case unseen:
				st[w] = discovered
				stack = append(stack, frame{w, 0})
			case discovered:
				// A loop, or recursion through a call or a
				// callback reference: privileged programs are
				// explored (recursion ends at the 9th frame, "the
				// call stack of 9 frames is too deep", as in the
				// kernel).
				if !v.priv {
					return v.errf(i, "back-edge from insn %d to %d", i, w)
				}
			}
		}
		return nil
	}
	if err := visit(0); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if v.second[i] {
			continue
		}
		if st[i] != explored {
			return v.errf(i, "unreachable insn %d", i)
		}
		if v.insns[i].Opcode == isa.OpLdImm64 && i+1 < n && st[i+1] != unseen {
			return v.errf(i, "jump into the middle of ldimm64 insn %d", i)
		}
	}
	// Pruning points, as the kernel's visit_insn and push_insn mark them:
	// conditional jumps (before the branch) and their targets, targets of
	// unconditional jumps, local calls and their targets, and the
	// instruction after every call. Callback calls and
	// may_goto always store a state (the loops they make converge there).
	v.force = make([]bool, n)
	for i := 0; i < n; i++ {
		in := v.insns[i]
		if v.second[i] {
			continue
		}
		switch {
		case in.Opcode == isa.OpCall:
			if i+1 < n {
				v.prune[i+1] = true
			}
			if uint8(in.Src) == isa.CallLocal || v.isCallbackCall(i) || v.isIterNextCall(i) {
				v.prune[i] = true
			}
			if t := i + 1 + int(in.Imm); uint8(in.Src) == isa.CallLocal && t >= 0 && t < n {
				v.prune[t] = true // a branch edge (push_insn's BRANCH)
			}
			v.force[i] = v.isCallbackCall(i) || v.isIterNextCall(i)
		case in.Opcode == isa.OpMayGoto:
			v.prune[i] = true
			v.force[i] = true
			if t, ok := isa.BranchTarget(in, i); ok && t >= 0 && t < n {
				v.prune[t] = true
			}
		case in.Opcode.Class() == isa.ClassJMP || in.Opcode.Class() == isa.ClassJMP32:
			switch in.Opcode.Op() {
			case isa.JmpExit:
			case isa.JmpJA:
				t, _ := isa.BranchTarget(in, i)
				v.prune[t] = true
			default:
				// The jump and its target (a branch edge).
				v.prune[i] = true
				if t, ok := isa.BranchTarget(in, i); ok && t >= 0 && t < n {
					v.prune[t] = true
				}
			}
		}
	}
	return nil
}

// resolveMapLoad records what the ld_imm64 at i loads.
func (v *verifier) resolveMapLoad(i int) error {
	in, next := v.insns[i], v.insns[i+1]
	ld, ok := v.opts.Loads[i]
	if !ok {
		idx := int(in.Imm)
		if idx < 0 || idx >= len(v.opts.Maps) || v.opts.Maps[idx] == nil {
			if uint8(in.Src) == isa.PseudoMapIdx || uint8(in.Src) == isa.PseudoMapIdxValue {
				return v.errf(i, "fd_idx %d is not pointing to valid bpf_map", idx)
			}
			return v.errf(i, "fd %d is not pointing to valid bpf_map", in.Imm)
		}
		ld = MapLoad{Map: v.opts.Maps[idx]}
		if s := uint8(in.Src); s == isa.PseudoMapValue || s == isa.PseudoMapIdxValue {
			ld.Value = true
			ld.Offset = uint32(next.Imm)
		}
	}
	if ld.Map == nil {
		return v.errf(i, "fd %d is not pointing to valid bpf_map", in.Imm)
	}
	if ld.Value {
		if ld.Map.Type != MapArray {
			return v.errf(i, "no direct value access support for this map type")
		}
		if ld.Map.MaxEntries != 1 {
			return v.errf(i, "direct value offset of %d is not allowed", ld.Offset)
		}
		if ld.Offset >= ld.Map.ValueSize {
			return v.errf(i, "invalid access to map value pointer, value_size=%d off=%d", ld.Map.ValueSize, ld.Offset)
		}
	}
	if v.mapLoads == nil {
		v.mapLoads = map[int]MapLoad{}
	}
	v.mapLoads[i] = ld
	return nil
}

// kernelInsnError converts an isa.CheckInstruction failure to the
// kernel's wording.
func kernelInsnError(in isa.Instruction, err error) string {
	msg := err.Error()
	// BPF_ST has only the BPF_MEM mode in the kernel's opcode table.
	if strings.HasPrefix(msg, "unknown opcode") || strings.HasPrefix(msg, "BPF_ST uses reserved fields (mode") {
		return fmt.Sprintf("unknown opcode %02x", uint8(in.Opcode))
	}
	if i := strings.Index(msg, " ("); i > 0 {
		msg = msg[:i]
	}
	switch {
	case msg == "invalid may_goto":
		return fmt.Sprintf("invalid may_goto imm %d", in.Imm)
	case strings.HasPrefix(msg, "BPF_END uses invalid width"):
		return "BPF_END uses reserved fields"
	case strings.HasPrefix(msg, "BPF_ATOMIC uses invalid atomic opcode"):
		return fmt.Sprintf("BPF_ATOMIC uses invalid atomic opcode %02x", uint32(in.Imm))
	}
	if strings.HasPrefix(msg, "invalid destination register") || strings.HasPrefix(msg, "invalid source register") {
		r := in.Dst
		if strings.Contains(msg, "source") {
			r = in.Src
		}
		return fmt.Sprintf("R%d is invalid", r)
	}
	return msg
}
