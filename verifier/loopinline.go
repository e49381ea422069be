package verifier

import "sort"

// loopInline is what the kernel records at each bpf_loop call site as it
// verifies it (bpf_loop_inline_state): the call is inlined when, at every
// visit, the flags argument was the constant 0 and the callback the same
// subprogram. The inlined loop differs from the helper in what it leaves
// in r0, so the engine needs to know (Result.InlinedLoops).
type loopInline struct {
	fit      bool
	callback int
}

// noteLoopCall records a visit of the bpf_loop call at idx, with flags
// the r4 argument and callback the callback's subprogram.
func (v *verifier) noteLoopCall(idx int, flags *reg, callback int) {
	zero := flags.typ == Scalar && flags.vo.equalsConst(0)
	if v.loopInline == nil {
		v.loopInline = map[int]*loopInline{}
	}
	st, seen := v.loopInline[idx]
	if !seen {
		v.loopInline[idx] = &loopInline{fit: zero, callback: callback}
		return
	}
	st.fit = st.fit && zero && st.callback == callback
}

// inlinedLoops lists the bpf_loop call sites the kernel would inline, in
// order.
func (v *verifier) inlinedLoops() []int {
	var sites []int
	for idx, st := range v.loopInline {
		if st.fit {
			sites = append(sites, idx)
		}
	}
	sort.Ints(sites)
	return sites
}
