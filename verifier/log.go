package verifier

import (
	"fmt"
	"strings"
)

// logBuf is the verifier log (the kernel's bpf_verifier_log).
type logBuf struct {
	b         strings.Builder
	insnStart int // where the current instruction's line starts
	insnLen   int // its length, newline included
}

func (l *logBuf) printf(format string, args ...any) { fmt.Fprintf(&l.b, format, args...) }
func (l *logBuf) Len() int                          { return l.b.Len() }
func (l *logBuf) String() string                    { return l.b.String() }

// truncate drops everything after n bytes (bpf_vlog_reset).
func (l *logBuf) truncate(n int) {
	if n >= l.b.Len() {
		return
	}
	s := l.b.String()[:n]
	l.b.Reset()
	l.b.WriteString(s)
}

// snum prints a signed number as the kernel's verbose_snum: decimal for
// small magnitudes, hex otherwise.
func snum(v int64) string {
	if v > -(1<<16) && v < 1<<16 || isSnumDecimal(v) {
		return fmt.Sprintf("%d", v)
	}
	return fmt.Sprintf("%#x", uint64(v))
}

func isSnumDecimal(v int64) bool {
	return (v >= 0 && v < 1<<31) || (v < 0 && v >= -(1<<31)) // S32 range prints in decimal
}

func unum(v uint64) string {
	if v < 1<<31 {
		return fmt.Sprintf("%d", v)
	}
	return fmt.Sprintf("%#x", v)
}

// regString is print_reg_state.
// regString is print_reg_state; precise scalars get the kernel's "P".
func (v *verifier) regString(f *funcState, r *reg) string {
	p := ""
	if r.typ == Scalar && (r.precise || !v.priv) {
		p = "P"
	}
	return p + regString(f, r)
}

func regString(f *funcState, r *reg) string {
	var b strings.Builder
	if r.typ == Scalar && r.vo.isConst() {
		return snum(int64(r.vo.value))
	}
	b.WriteString(r.typeName())
	if r.typ == PtrToStack {
		if int(r.frame) != f.frameno {
			fmt.Fprintf(&b, "[%d]", r.frame)
		}
		if r.vo.isConst() {
			b.WriteString(snum(int64(r.vo.value) + int64(r.off)))
			return b.String()
		}
	}
	b.WriteString("(")
	sep := ""
	add := func(format string, args ...any) {
		b.WriteString(sep)
		fmt.Fprintf(&b, format, args...)
		sep = ","
	}
	if r.id != 0 {
		add("id=%d", r.id)
	}
	if r.refID != 0 {
		add("ref_obj_id=%d", r.refID)
	}
	if r.typ == ConstPtrToMap || r.typ == PtrToMapValue || r.typ == PtrToMapKey {
		if r.m != nil {
			if r.m.Name != "" {
				add("map=%s", r.m.Name)
			}
			add("ks=%d,vs=%d", r.m.KeySize, r.m.ValueSize)
		}
	}
	if r.typ != Scalar && r.off != 0 {
		add("off=%s", snum(int64(r.off)))
	}
	if r.isPkt() {
		add("r=%s", unum(uint64(int64(r.rng))))
	}
	if r.typ == PtrToMem {
		add("sz=%d", r.memSize)
	}
	if r.vo.isConst() {
		if r.vo.value != 0 {
			add("imm=%s", snum(int64(r.vo.value)))
		}
	} else {
		type mm struct {
			name string
			val  uint64
			omit bool
			sgn  bool
		}
		s32 := func(x int32) uint64 {
			if isSnumDecimal(int64(x)) {
				return uint64(int64(x))
			}
			return uint64(uint32(x))
		}
		m := []mm{
			{"smin", uint64(r.smin), r.smin == minInt64, true},
			{"smax", uint64(r.smax), r.smax == maxInt64, true},
			{"umin", r.umin, r.umin == 0, false},
			{"umax", r.umax, r.umax == maxUint64, false},
			{"smin32", s32(r.s32min), r.s32min == minInt32, true},
			{"smax32", s32(r.s32max), r.s32max == maxInt32, true},
			{"umin32", uint64(r.u32min), r.u32min == 0, false},
			{"umax32", uint64(r.u32max), r.u32max == maxUint32, false},
		}
		for i := range m {
			if m[i].omit {
				continue
			}
			neg1 := m[i].sgn && int64(m[i].val) < 0
			b.WriteString(sep)
			sep = ","
			b.WriteString(m[i].name + "=")
			for j := i + 2; j < len(m); j += 2 {
				if m[j].omit || m[j].val != m[i].val {
					continue
				}
				neg2 := m[j].sgn && int64(m[j].val) < 0
				if neg1 != neg2 {
					continue
				}
				m[j].omit = true
				b.WriteString(m[j].name + "=")
			}
			if m[i].sgn {
				b.WriteString(snum(int64(m[i].val)))
			} else {
				b.WriteString(unum(m[i].val))
			}
		}
		if !r.vo.isUnknown() {
			add("var_off=%s", tnumString(r.vo))
		}
	}
	b.WriteString(")")
	return b.String()
}

var slotChars = [...]byte{stackInvalid: '?', stackSpill: 'r', stackMisc: 'm', stackZero: '0', stackIter: 'i'}

// stateString is print_verifier_state; all=false prints only what the
// current instruction touched.
func (v *verifier) stateString(f *funcState, all bool) string {
	var b strings.Builder
	if f.frameno != 0 {
		fmt.Fprintf(&b, " frame%d:", f.frameno)
	}
	for i := range f.regs {
		r := &f.regs[i]
		if r.typ == NotInit {
			continue
		}
		if !all && v.scratchRegs&(1<<i) == 0 {
			continue
		}
		w := ""
		if !all {
			w = "_w"
		}
		fmt.Fprintf(&b, " R%d%s=%s", i, w, v.regString(f, r))
	}
	for i := range f.stack {
		if !all && (i >= 64 || v.scratchStack&(1<<uint(i)) == 0) {
			continue
		}
		s := &f.stack[i]
		var kinds [8]byte
		valid := false
		for j := 0; j < 8; j++ {
			if s.kinds[j] != stackInvalid {
				valid = true
			}
			kinds[j] = slotChars[s.kinds[j]]
		}
		if !valid {
			continue
		}
		w := ""
		if !all {
			w = "_w"
		}
		if s.isIter() {
			fmt.Fprintf(&b, " fp%d%s=%s", (-i-1)*8, w, s.iter.String())
		} else if s.isSpill() {
			j := 0
			for j < 8 && s.kinds[j] != stackSpill {
				j++
			}
			fmt.Fprintf(&b, " fp%d%s=%s%s", (-i-1)*8, w, string(kinds[:j]), v.regString(f, &s.spill))
		} else {
			fmt.Fprintf(&b, " fp%d%s=%s", (-i-1)*8, w, string(kinds[:]))
		}
	}
	return b.String()
}

func (v *verifier) printState(f *funcState, all bool) { v.log.printf("%s", v.stateString(f, all)) }

func (v *verifier) printStateLine(f *funcState) { v.log.printf("%s\n", v.stateString(f, true)) }

// printInsnState is print_insn_state: the touched registers after the
// instruction, on its line.
func (v *verifier) printInsnState() {
	if v.scratchRegs == 0 && v.scratchStack == 0 {
		return
	}
	f := v.cur.cur()
	st := v.stateString(f, false)
	if st == "" {
		return
	}
	if v.log.Len() == v.log.insnStart+v.log.insnLen {
		v.log.truncate(v.log.Len() - 1)
		pos := v.log.insnLen
		pad := (max(pos+4, 40)+7)&^7 - pos - 1
		v.log.printf("%*c;%s\n", pad, ' ', st)
		return
	}
	v.log.printf("%d:%s\n", v.insnIdx, st)
}
