package corpus

import "fmt"

// ---- iters.o ----------------------------------------------------------

// xorshift32 is the generator step of xdp_iter_repeat.
func xorshift32(x uint32) uint32 {
	x ^= x << 13
	x ^= x >> 17
	x ^= x << 5
	return x
}

// iterWant is what the programs of iters.o store in iter_results for a
// frame: index -> value, computed here independently of the programs.
func iterWant(frame []byte) map[uint32]uint64 {
	n := uint64(len(frame))
	w := map[uint32]uint64{}
	sum := uint64(0)
	for i := 0; i < 64 && i < len(frame); i++ {
		sum += uint64(frame[i])
	}
	w[0] = sum
	x := uint32(n + 1)
	for range 20 {
		x = xorshift32(x)
	}
	w[1] = 20<<32 | uint64(x)
	nested := uint64(0)
	for i := range uint64(12) {
		for j := range i {
			nested += i * j
		}
	}
	w[2] = nested
	acc, stop := uint64(0), int32(-1)
	for i := range int32(1000) {
		acc += uint64(i) * uint64(i)
		if acc > n*100 {
			stop = i
			break
		}
	}
	w[3] = uint64(uint32(stop))<<32 | uint64(uint32(acc))
	idx := uint64(0)
	for i := range uint64(16) {
		idx += uint64(uint32(i*i + n))
	}
	w[4] = idx
	w[5] = 8<<32 | uint64(uint32(10*(-3-2-1+0+1+2+3+4)))
	einval, e2big := uint64(uint32(0xffffffea)), uint64(uint32(0xfffffff9))
	w[6] = einval*3 + 2             // -EINVAL, then NULL
	w[7] = e2big << 1               // -E2BIG, then NULL
	w[8] = 0xffc00000               // 0, first value -(1<<22)
	w[9] = 0x80000000               // 0, first value INT_MIN
	w[10] = 0x80000001<<32 | 0xbeef // INT_MIN+1, then NULL, NULL
	w[11] = 0                       // empty range: 0, NULL
	return w
}

func iterScenarios() []*Scenario {
	progs := []struct {
		name string
		idx  []uint32
	}{
		{"xdp_iter_sum", []uint32{0}},
		{"xdp_iter_repeat", []uint32{1}},
		{"xdp_iter_nested", []uint32{2}},
		{"xdp_iter_break", []uint32{3}},
		{"xdp_iter_index", []uint32{4}},
		{"xdp_iter_each", []uint32{5}},
		{"xdp_iter_edges", []uint32{6, 7, 8, 9, 10, 11}},
	}
	frames := [][]byte{sized(60), udp4(7000, 7001, "open-coded iterators walk this payload, byte by byte")}
	dump := []string{"iter_results"}
	s := &Scenario{Name: "iters", Object: "iters.o"}
	type check struct {
		run   int
		prog  string
		frame []byte
		idx   []uint32
	}
	var checks []check
	for fi, f := range frames {
		for _, p := range progs {
			checks = append(checks, check{len(s.Inputs), p.name, f, p.idx})
			s.Inputs = append(s.Inputs, Input{Name: fmt.Sprintf("%s-frame%d", p.name, fi), Program: p.name,
				Data: f, Dump: dump, WantRet: Ret(XDPPass)})
		}
	}
	s.Check = func(r *Result) error {
		for _, c := range checks {
			want := iterWant(c.frame)
			for _, i := range c.idx {
				v := Find(r.Runs[c.run].Maps, "iter_results").Value(u32(i))
				if got := le64(v, 0); got != want[i] {
					return fmt.Errorf("%s (%d-byte frame): iter_results[%d] = %#x, want %#x", c.prog, len(c.frame), i, got, want[i])
				}
			}
		}
		return nil
	}
	return []*Scenario{s}
}
