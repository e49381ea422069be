package corpus

import "fmt"

// ---- callbacks.o ------------------------------------------------------

// collatzSteps counts the steps of the Collatz walk from x down to 1.
func collatzSteps(x uint64) uint64 {
	steps := uint64(0)
	for x > 1 {
		if x&1 != 0 {
			x = 3*x + 1
		} else {
			x /= 2
		}
		steps++
	}
	return steps
}

func callbackScenarios() []*Scenario {
	var setup []Op
	for i := range uint32(16) {
		setup = append(setup, MapUpdate{"cb_array", u32(i), u64(uint64(i) * 10)})
	}
	for k := range uint32(5) {
		setup = append(setup, MapUpdate{"cb_hash", u32(k + 1), u64(uint64(k+1) * 7)})
	}
	frame := sized(60)
	dump := []string{"cb_results"}
	progs := []string{
		"xdp_loop_ctx_count", "xdp_loop_u64_inc", "xdp_loop_index_sum", "xdp_loop_nested",
		"xdp_each_array_sum", "xdp_each_hash_count", "xdp_may_goto_sum", "xdp_may_goto_break",
	}
	s := &Scenario{Name: "callbacks", Object: "callbacks.o", Setup: setup}
	for _, p := range progs {
		s.Inputs = append(s.Inputs, Input{Name: p, Program: p, Data: frame, Dump: dump, WantRet: Ret(XDPPass)})
	}
	byteSum := uint64(0)
	for _, b := range frame {
		byteSum += uint64(b)
	}
	want := []uint64{
		60,               // one callback per byte
		1000,             // constant count
		59 * 60 / 2,      // indices 0..59 (the callback stops at the length)
		60 * 59 * 58 / 6, // sum over i < 60 of 0+1+...+(i-1)
		1200,             // 0+10+...+150
		5<<32 | 35,       // five elements, the largest 35
		byteSum,
		collatzSteps(60),
	}
	s.Check = func(r *Result) error {
		for i, w := range want {
			v := Find(r.Runs[i].Maps, "cb_results").Value(u32(uint32(i)))
			if got := le64(v, 0); got != w {
				return fmt.Errorf("%s: cb_results[%d] = %d, want %d", progs[i], i, got, w)
			}
		}
		return nil
	}
	return []*Scenario{s}
}
