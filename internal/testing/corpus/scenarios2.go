package corpus

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
)

// ---- loops.o -----------------------------------------------------------

// Offsets in struct loop_result.
const (
	lrFNV         = 0
	lrTLVCount    = 8
	lrLoopIters   = 16
	lrLoopSum     = 20
	lrArrayVisits = 24
	lrHashSum     = 32
	lrHashCount   = 40
)

// tlvFrame is a UDP/IPv4 frame whose payload is a TLV count and records.
func tlvFrame(count byte, records ...[]byte) []byte {
	p := []byte{count}
	for _, r := range records {
		p = append(p, r...)
	}
	return udp4(7000, 7001, string(p))
}

// startFrame is a frame whose first byte is start and whose length is n.
func startFrame(start byte, n int) []byte {
	f := sized(max(n, 42))
	f[0] = start
	return f[:n]
}

func loopScenarios() []*Scenario {
	var setup []Op
	for i := range uint32(64) {
		v := i*3 + 1
		if i == 40 {
			v = 0xffffffff // the sentinel that stops the walk
		}
		setup = append(setup, MapUpdate{"loop_table", u32(i), u32(v)})
	}
	for i := range uint32(16) {
		setup = append(setup, MapUpdate{"each_array", u32(i), u64(uint64(i) * 10)})
	}
	for _, k := range []uint32{5, 17, 3, 99, 42} {
		setup = append(setup, MapUpdate{"each_hash", u32(k), Pack(uint64(k)*1000+7, uint64(0))})
	}
	dump := []string{"loop_results"}
	s := &Scenario{
		Name:   "loops",
		Object: "loops.o",
		Setup:  setup,
		Inputs: []Input{
			{Name: "tlv-complete", Program: "xdp_bounded_loops", Dump: dump, WantRet: Ret(XDPPass),
				Data: tlvFrame(3, []byte{1, 2, 'a', 'b'}, []byte{7, 0}, []byte{9, 1, 'x'})},
			{Name: "tlv-missing", Program: "xdp_bounded_loops", Dump: dump, WantRet: Ret(XDPDrop),
				Data: tlvFrame(5, []byte{1, 0}, []byte{2, 0})},
			{Name: "tlv-count-clamped", Program: "xdp_bounded_loops", Dump: dump, WantRet: Ret(XDPPass),
				Data: tlvFrame(200, bytes.Repeat([]byte{4, 0}, 20))},
			{Name: "tlv-length-past-end", Program: "xdp_bounded_loops", Dump: dump, WantRet: Ret(XDPDrop),
				Data: tlvFrame(2, []byte{1, 200})},
			{Name: "not-udp", Program: "xdp_bounded_loops", Dump: dump, WantRet: Ret(XDPPass), Data: tcp4(1, 2, "")},
			{Name: "runt", Program: "xdp_bounded_loops", Dump: dump, WantRet: Ret(XDPPass), Data: make([]byte, 20)},
			{Name: "bpf-loop-16", Program: "xdp_bpf_loop", Dump: dump, WantRet: Ret(XDPPass), Data: startFrame(0, 64)},
			{Name: "bpf-loop-sentinel", Program: "xdp_bpf_loop", Dump: dump, WantRet: Ret(XDPDrop), Data: startFrame(30, 64)},
			{Name: "bpf-loop-wrap", Program: "xdp_bpf_loop", Dump: dump, WantRet: Ret(XDPPass), Data: startFrame(60, 60)},
			{Name: "bpf-loop-long", Program: "xdp_bpf_loop", Dump: dump, WantRet: Ret(XDPDrop), Data: startFrame(41, 1000)},
			{Name: "for-each-stop-5", Program: "xdp_for_each", Dump: dump, WantRet: Ret(XDPPass), Data: startFrame(5, 60)},
			{Name: "for-each-all-x2", Program: "xdp_for_each", Dump: dump, WantRet: Ret(XDPPass), Data: startFrame(200, 60), Repeat: 2},
		},
		Dump: []string{"each_array", "each_hash"},
	}
	s.Check = func(r *Result) error {
		get := func(i, off int, size int) uint64 {
			v := Find(r.Runs[i].Maps, "loop_results").Value(u32(0))
			if size == 4 {
				return uint64(le32(v, off))
			}
			return le64(v, off)
		}
		checks := []struct {
			run, off, size int
			want           uint64
		}{
			{0, lrTLVCount, 4, 3},
			{0, lrTLVCount + 4, 4, 1 + 7 + 9},
			{1, lrTLVCount, 4, 2},
			{2, lrTLVCount, 4, 16},
			{6, lrLoopIters, 4, 16},
			{6, lrLoopSum, 4, 3*(15*16/2) + 16},
			{7, lrLoopIters, 4, 11},
			{10, lrArrayVisits, 4, 6},
			{11, lrArrayVisits, 4, 16},
			{11, lrHashCount, 4, 5},
			{11, lrHashSum, 8, (5+17+3+99+42)*1000 + 5*7},
		}
		for _, c := range checks {
			if got := get(c.run, c.off, c.size); got != c.want {
				return fmt.Errorf("input %s: loop_result+%d = %d, want %d", r.Runs[c.run].Input, c.off, got, c.want)
			}
		}
		// Every hash element was visited three times (three for_each runs).
		for _, e := range Find(r.Maps, "each_hash").Entries {
			if v := le64(e.Value, 8); v != 3 {
				return fmt.Errorf("each_hash[%x] visited %d times, want 3", e.Key, v)
			}
		}
		return nil
	}
	return []*Scenario{s}
}

// ---- globals.o ---------------------------------------------------------

func globalsScenarios() []*Scenario {
	inputs := func(small, large uint32) []Input {
		return []Input{
			{Name: "small", Data: sized(60), WantRet: Ret(small)},
			{Name: "medium", Data: sized(500), WantRet: Ret(XDPPass)},
			{Name: "large-x2", Data: sized(1400), Repeat: 2, WantRet: Ret(large)},
			{Name: "boundary-128", Data: sized(128), WantRet: Ret(XDPPass)},
		}
	}
	dump := []string{".data", ".bss", ".data.custom", ".rodata", ".rodata.limits"}
	def := &Scenario{
		Name:    "globals-defaults",
		Object:  "globals.o",
		Program: "xdp_globals",
		Inputs:  inputs(XDPPass, XDPPass),
		Dump:    dump,
		Check: func(r *Result) error {
			// .data.custom: custom_calls starts at 7 and counts 5 runs.
			return expectU64(r, ".data.custom", u32(0), 0, 12)
		},
	}
	cfg := &Scenario{
		Name:    "globals-configured",
		Object:  "globals.o",
		Program: "xdp_globals",
		Variables: map[string]any{
			"cfg_verdict_small": uint32(XDPDrop),
			"cfg_verdict_large": uint32(XDPTX),
			"cfg_magic":         [4]byte{'c', 'f', 'g', '1'},
			"cfg_scale":         uint64(3),
			"limit_small":       uint32(100),
			"data_total":        uint64(5),
		},
		Inputs: inputs(XDPDrop, XDPTX),
		Dump:   dump,
		Check: func(r *Result) error {
			// data_total = 5 + 3 * (60 + 500 + 2*1400 + 128).
			if err := expectU64(r, ".data", u32(0), 0, 5+3*(60+500+2*1400+128)); err != nil {
				return err
			}
			// 128 is no longer small with limit_small = 100.
			if r.Runs[3].Ret != XDPPass {
				return fmt.Errorf("boundary-128: retval %d", r.Runs[3].Ret)
			}
			return nil
		},
	}
	return []*Scenario{def, cfg}
}

// ---- strings.o ---------------------------------------------------------

// struct str_args, see strings.c.
const (
	saNumber    = 0
	saUnumber   = 32
	saWord      = 64
	saBase      = 80
	saIP4       = 88
	saIP6       = 92
	saLValue    = 112
	saLRet      = 120
	saULValue   = 128
	saULRet     = 136
	saCmpExact  = 144
	saCmpPrefix = 148
	saFmt1Ret   = 152
	saFmt2Ret   = 156
	saSmallRet  = 160
	saOut1      = 168
	saOut2      = 264
	saSmall     = 360
	saSize      = 368
)

type strArgs struct {
	number, unumber, word string
	base                  uint64
	ip4, ip6              netip.Addr
}

func (a strArgs) blob() []byte {
	b := Pack(Str(a.number, 32), Str(a.unumber, 32), Str(a.word, 16), a.base, a.ip4, a.ip6)
	return append(b, make([]byte, saSize-len(b))...)
}

// cstr is the NUL-terminated string at off.
func cstr(b []byte, off, n int) string {
	s := b[off : off+n]
	if i := bytes.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return string(s)
}

func stringScenarios() []*Scenario {
	ip4, ip6 := Addr("192.0.2.1"), Addr("2001:db8::1")
	in := func(name string, ret uint32, a strArgs) Input {
		if !a.ip4.IsValid() {
			a.ip4, a.ip6 = ip4, ip6
		}
		return Input{Name: name, Context: a.blob(), WantRet: Ret(ret)}
	}
	s := &Scenario{
		Name:    "strings",
		Object:  "strings.o",
		Program: "sys_strings",
		Inputs: []Input{
			in("decimal", 1, strArgs{number: "12345", unumber: "67890", word: "ebpfvm", base: 10}),
			in("hex-negative", 0, strArgs{number: "-0x1f", unumber: "ff", word: "ebpf", base: 16}),
			in("auto-base", 0, strArgs{number: "0755", unumber: "0x10", word: "ebpfvm-extra", base: 0}),
			in("invalid", 0, strArgs{number: "abc", unumber: "-5", word: "other", base: 10}),
			in("overflow", 0, strArgs{number: "99999999999999999999", unumber: "  42", word: "EBPFVM", base: 10}),
			in("trailing", 1, strArgs{number: "42abc", unumber: "7 8", word: "ebpfvm", base: 10,
				ip4: Addr("255.255.255.255"), ip6: Addr("::ffff:10.0.0.1")}),
			in("unterminated", 0, strArgs{number: strings.Repeat("1", 32), unumber: strings.Repeat("9", 32), word: "0123456789abcdef", base: 10}),
			in("octal-explicit", 0, strArgs{number: "-17", unumber: "777", word: "", base: 8}),
			{Name: "decimal-x3", Context: strArgs{number: "-2147483649", unumber: "4294967296", word: "ebpfvm", base: 10, ip4: ip4, ip6: ip6}.blob(), Repeat: 3, WantRet: Ret(1)},
		},
	}
	s.Check = func(r *Result) error {
		c := r.Runs[0].Context
		if len(c) != saSize {
			return fmt.Errorf("decimal: context out has %d bytes, want %d", len(c), saSize)
		}
		if int64(le64(c, saLValue)) != 12345 || le64(c, saLRet) != 5 || le64(c, saULValue) != 67890 {
			return fmt.Errorf("decimal: strtol %d (ret %d), strtoul %d", int64(le64(c, saLValue)), int64(le64(c, saLRet)), le64(c, saULValue))
		}
		if got, want := cstr(c, saOut1, 96), "l=12345 ul=67890 x=3039 X=10932 w=ebpfvm"; got != want {
			return fmt.Errorf("decimal: out1 %q, want %q", got, want)
		}
		if got, want := cstr(c, saOut2, 96), "ip4=192.0.2.1 ip6=2001:0db8:0000:0000:0000:0000:0000:0001 c=e|12345|-12345|67890|+12345|%"; got != want {
			return fmt.Errorf("decimal: out2 %q, want %q", got, want)
		}
		if got, want := cstr(c, saSmall, 8), "value=1"; got != want || int32(le32(c, saSmallRet)) != 12 {
			return fmt.Errorf("decimal: small %q (ret %d), want %q (ret 12)", got, int32(le32(c, saSmallRet)), want)
		}
		c = r.Runs[1].Context
		if int64(le64(c, saLValue)) != -31 || le64(c, saULValue) != 255 {
			return fmt.Errorf("hex-negative: strtol %d, strtoul %d", int64(le64(c, saLValue)), le64(c, saULValue))
		}
		if int32(le32(c, saCmpPrefix)) != 0 || int32(le32(c, saCmpExact)) == 0 {
			return fmt.Errorf("hex-negative: strncmp exact %d, prefix %d", int32(le32(c, saCmpExact)), int32(le32(c, saCmpPrefix)))
		}
		return nil
	}
	return []*Scenario{s}
}

// ---- calls.o -----------------------------------------------------------

func rotl32(x, r uint32) uint32 { r &= 31; return x<<r | x>>((32-r)&31) }

// callsHash mirrors hash_flow/mix5 in calls.c for an IPv4 frame.
func callsHash(pkt []byte, seed uint32) uint32 {
	ip := pkt[14:]
	saddr := binary.LittleEndian.Uint32(ip[12:])
	daddr := binary.LittleEndian.Uint32(ip[16:])
	proto := uint32(ip[9])
	var sport, dport uint32
	if proto == 6 || proto == 17 {
		sport = uint32(binary.LittleEndian.Uint16(ip[20:]))
		dport = uint32(binary.LittleEndian.Uint16(ip[22:]))
	}
	h := saddr * 0x9e3779b1
	h = rotl32(h^daddr, 7) * 0x85ebca77
	h = rotl32(h^(sport<<16|dport), 11) * 0xc2b2ae3d
	h = rotl32(h^proto, 17) * 0x27d4eb2f
	h ^= seed
	h ^= h >> 15
	return h
}

// callsVerdict mirrors xdp_calls. The XDP test run's ingress_ifindex is
// the loopback device's, 1.
func callsVerdict(pkt []byte) uint32 {
	class := uint32(3)
	switch pkt[14+9] {
	case 6:
		class = 1
	case 17:
		class = 2
	}
	score := callsHash(pkt, 1)>>24 + class*100
	if score >= 250 {
		return XDPDrop
	}
	return XDPPass
}

func callScenarios() []*Scenario {
	var inputs []Input
	for i, pkt := range [][]byte{
		tcp4(40000, 80, "abc"),
		tcp4(40001, 443, "abc"),
		udp4(53, 53, "dns"),
		udp4(1234, 5678, ""),
		icmp4(),
		Build(eth(), &IPv4{Src: Addr("10.9.8.7"), Dst: Addr("10.0.0.1"), Protocol: 47}, Payload("gre!")),
	} {
		inputs = append(inputs, Input{Name: fmt.Sprintf("ipv4-%d", i), Data: pkt, WantRet: Ret(callsVerdict(pkt)), Dump: []string{"call_results"}})
	}
	inputs = append(inputs,
		Input{Name: "ipv6", Data: tcp6(1, 2, ""), WantRet: Ret(XDPPass), Dump: []string{"call_results"}},
		Input{Name: "arp", Data: arp(), WantRet: Ret(XDPPass), Dump: []string{"call_results"}},
	)
	return []*Scenario{{
		Name:    "calls",
		Object:  "calls.o",
		Program: "xdp_calls",
		Inputs:  inputs,
		Check: func(r *Result) error {
			// struct call_result: flow (16 bytes), hash at 16.
			for i := range 6 {
				v := Find(r.Runs[i].Maps, "call_results").Value(u32(0))
				if got, want := le32(v, 16), callsHash(inputs[i].Data, 1); got != want {
					return fmt.Errorf("input %s: hash %#x, want %#x", r.Runs[i].Input, got, want)
				}
			}
			return nil
		},
	}}
}

// ---- spinlock.o --------------------------------------------------------

func spinlockScenarios() []*Scenario {
	from := func(src string, id uint16, n int) []byte {
		return Build(eth(), &IPv4{Src: Addr(src), Dst: ip4Server, ID: id}, &UDP{SrcPort: 1, DstPort: 2}, Payload(make([]byte, n)))
	}
	s := &Scenario{
		Name:    "spinlock",
		Object:  "spinlock.o",
		Program: "xdp_spinlock",
		Inputs: []Input{
			{Name: "a-1", Data: from("198.18.0.1", 1, 10), WantRet: Ret(XDPPass)},
			{Name: "a-2", Data: from("198.18.0.1", 2, 100), WantRet: Ret(XDPPass)},
			{Name: "a-1-again", Data: from("198.18.0.1", 1, 20), WantRet: Ret(XDPPass)},
			{Name: "b-65535", Data: from("198.18.0.2", 65535, 0), WantRet: Ret(XDPPass)},
			{Name: "b-0-wraps", Data: from("198.18.0.2", 0, 1000), WantRet: Ret(XDPPass)},
			{Name: "c-x4", Data: from("198.18.0.3", 9, 5), Repeat: 4, WantRet: Ret(XDPPass)},
			{Name: "arp", Data: arp(), WantRet: Ret(XDPPass)},
		},
		Dump: []string{"lock_stats", "lock_sources"},
	}
	s.Check = func(r *Result) error {
		// struct len_stats: lock 0, min_len 4, count 8, sum 16, max_len 24, last_len 28.
		v := Find(r.Maps, "lock_stats").Value(u32(0))
		if le64(v, 8) != repeats(s) || le32(v, 4) != 42 || le32(v, 24) != 1042 || le32(v, 28) != 60 {
			return fmt.Errorf("lock_stats %x: count %d min %d max %d last %d", v, le64(v, 8), le32(v, 4), le32(v, 24), le32(v, 28))
		}
		// Source A saw one reorder; B's 65535 -> 0 is not one.
		a := Find(r.Maps, "lock_sources").Value(Addr("198.18.0.1").AsSlice())
		b := Find(r.Maps, "lock_sources").Value(Addr("198.18.0.2").AsSlice())
		if binary.LittleEndian.Uint16(a[18:]) != 1 || binary.LittleEndian.Uint16(b[18:]) != 0 {
			return fmt.Errorf("lock_sources: a %x, b %x", a, b)
		}
		return nil
	}
	return []*Scenario{s}
}

// ---- tailcall.o --------------------------------------------------------

func tailcallScenarios() []*Scenario {
	slots := []Op{
		ProgSlot{"tail_progs", 0, "xdp_ipv4"},
		ProgSlot{"tail_progs", 1, "xdp_ipv6"},
		ProgSlot{"tail_progs", 2, "xdp_tcp"},
		ProgSlot{"tail_progs", 3, "xdp_udp"},
		ProgSlot{"tail_progs", 4, "xdp_icmp"},
		ProgSlot{"tail_progs", 5, "xdp_account"},
	}
	dump := []string{"tail_last"}
	full := &Scenario{
		Name:    "tailcall",
		Object:  "tailcall.o",
		Program: "xdp_dispatch",
		Setup:   slots,
		Inputs: []Input{
			{Name: "tcp4", Data: tcp4(1, 80, ""), Dump: dump, WantRet: Ret(XDPPass)},
			{Name: "telnet4", Data: tcp4(1, 23, ""), Dump: dump, WantRet: Ret(XDPDrop)},
			{Name: "udp6", Data: udp6(1, 53, ""), Dump: dump, WantRet: Ret(XDPPass)},
			{Name: "icmp4", Data: icmp4(), Dump: dump, WantRet: Ret(XDPPass)},
			{Name: "icmp6", Data: icmp6(ICMPv6EchoReq), Dump: dump, WantRet: Ret(XDPPass)},
			{Name: "gre4", Data: Build(eth(), &IPv4{Src: ip4Client, Dst: ip4Server, Protocol: 47}, Payload("gre!")), Dump: dump, WantRet: Ret(XDPPass)},
			{Name: "arp", Data: arp(), Dump: dump, WantRet: Ret(XDPPass)},
			{Name: "udp4-x3", Data: udp4(1, 2, "x"), Repeat: 3, Dump: dump, WantRet: Ret(XDPPass)},
		},
		Dump: []string{"tail_hits", "tail_scratch"},
		Check: func(r *Result) error {
			paths := []uint32{0x7421, 0x7421, 0x7531, 0x7621, 0x7631, 0x721}
			for i, p := range paths {
				v := Find(r.Runs[i].Maps, "tail_last").Value(u32(0))
				if le32(v, 0) != p {
					return fmt.Errorf("input %s: path %#x, want %#x", r.Runs[i].Input, le32(v, 0), p)
				}
			}
			return expectU64(r, "tail_hits", u32(0), 0, 0) // no misses
		},
	}
	missing := &Scenario{
		Name:    "tailcall-missing-slots",
		Object:  "tailcall.o",
		Program: "xdp_dispatch",
		Setup:   []Op{slots[0], slots[5]},
		Inputs: []Input{
			{Name: "tcp4-no-tcp-handler", Data: tcp4(1, 80, ""), WantRet: Ret(XDPPass)},
			{Name: "tcp6-no-ipv6-handler", Data: tcp6(1, 80, ""), WantRet: Ret(XDPPass)},
			{Name: "gre4-to-account", Data: Build(eth(), &IPv4{Src: ip4Client, Dst: ip4Server, Protocol: 47}, Payload("gre!")), WantRet: Ret(XDPPass), Dump: dump},
		},
		Dump: []string{"tail_hits"},
		Check: func(r *Result) error {
			return expectU64(r, "tail_hits", u32(0), 0, 2)
		},
	}
	self := &Scenario{
		Name:    "tailcall-self",
		Object:  "tailcall.o",
		Program: "xdp_tail_self",
		Setup:   []Op{ProgSlot{"self_progs", 0, "xdp_tail_self"}},
		Inputs: []Input{
			// One run plus the 33 tail calls the kernel allows.
			{Name: "until-the-limit", Data: udp4(1, 2, ""), WantRet: Ret(34)},
			{Name: "again-x2", Data: udp4(1, 2, ""), Repeat: 2, WantRet: Ret(34)},
		},
		Dump: []string{".bss"},
		Check: func(r *Result) error {
			if err := expectVar(r.Maps, "tailcall.o", "self_depth", 0); err != nil {
				return err
			}
			return expectVar(r.Maps, "tailcall.o", "self_total", 3*34)
		},
	}
	selfEmpty := &Scenario{
		Name:    "tailcall-self-empty",
		Object:  "tailcall.o",
		Program: "xdp_tail_self",
		Inputs:  []Input{{Name: "empty-slot", Data: udp4(1, 2, ""), WantRet: Ret(1)}},
		Dump:    []string{".bss"},
	}
	return []*Scenario{full, missing, self, selfEmpty}
}

// ---- tc.o --------------------------------------------------------------

// skbCtx is a struct __sk_buff for BPF_PROG_TEST_RUN with the fields the
// kernel accepts set: mark, priority, ifindex and cb.
func skbCtx(mark, priority uint32, cb0 uint32) []byte {
	b := make([]byte, 192)
	binary.LittleEndian.PutUint32(b[8:], mark)
	binary.LittleEndian.PutUint32(b[32:], priority)
	binary.LittleEndian.PutUint32(b[40:], 1) // ifindex: loopback
	binary.LittleEndian.PutUint32(b[48:], cb0)
	return b
}

func tcScenarios() []*Scenario {
	// tc_cfg: DSCP 46 (EF), 8080 -> 80, block 23, mark 0x42, priority 7.
	cfg := Pack(uint8(46), uint8(0), uint16(8080), uint16(80), uint16(23), uint32(0x42), uint32(7))
	pkt4 := func(tos uint8, l4 Layer) []byte {
		return Build(eth(), &IPv4{Src: ip4Client, Dst: ip4Server, TOS: tos, ID: 5}, l4, Payload("tc payload"))
	}
	ef := uint8(46 << 2)
	in := func(name string, ret uint32, data, want []byte) Input {
		return Input{Name: name, Data: data, Context: skbCtx(0x1000, 3, 0xcafe), WantRet: Ret(ret), WantData: want, Dump: []string{"tc_seen"}}
	}
	s := &Scenario{
		Name:    "tc",
		Object:  "tc.o",
		Program: "tc_rewrite",
		Setup:   []Op{MapUpdate{"tc_cfg", u32(0), cfg}},
		Inputs: []Input{
			in("tcp-8080", TCActOK, pkt4(0x01, &TCP{SrcPort: 999, DstPort: 8080, Flags: TCPSyn}), pkt4(ef|0x01, &TCP{SrcPort: 999, DstPort: 80, Flags: TCPSyn})),
			in("udp-8080", TCActOK, pkt4(0x00, &UDP{SrcPort: 999, DstPort: 8080}), pkt4(ef, &UDP{SrcPort: 999, DstPort: 80})),
			in("udp-8080-no-checksum", TCActOK, pkt4(0x03, &UDP{SrcPort: 999, DstPort: 8080, NoChecksum: true}), pkt4(ef|0x03, &UDP{SrcPort: 999, DstPort: 80, NoChecksum: true})),
			in("tcp-other-port", TCActOK, pkt4(0x02, &TCP{SrcPort: 999, DstPort: 443}), pkt4(ef|0x02, &TCP{SrcPort: 999, DstPort: 443})),
			in("already-ef", TCActOK, pkt4(ef, &TCP{SrcPort: 999, DstPort: 443}), pkt4(ef, &TCP{SrcPort: 999, DstPort: 443})),
			in("telnet-shot", TCActShot, pkt4(0, &TCP{SrcPort: 999, DstPort: 23}), pkt4(ef, &TCP{SrcPort: 999, DstPort: 23})),
			in("icmp", TCActOK, icmp4(), nil),
			in("ipv6-untouched", TCActOK, tcp6(1, 8080, "v6"), tcp6(1, 8080, "v6")),
			// Repeats see their own rewrites: the port is 80 after the first.
			{Name: "tcp-8080-x3", Data: pkt4(0, &TCP{SrcPort: 999, DstPort: 8080}), Context: skbCtx(0, 0, 0), Repeat: 3,
				WantRet: Ret(TCActOK), WantData: pkt4(ef, &TCP{SrcPort: 999, DstPort: 80}), Dump: []string{"tc_seen"}},
		},
	}
	s.Check = func(r *Result) error {
		c := r.Runs[0].Context
		if le32(c, 8) != 0x42 || le32(c, 32) != 7 || le32(c, 48) != 0x01<<8|uint32(ef|1) {
			return fmt.Errorf("tcp-8080: context out mark %#x priority %d cb[0] %#x", le32(c, 8), le32(c, 32), le32(c, 48))
		}
		c = r.Runs[7].Context
		if le32(c, 8) != 0x1000 || le32(c, 32) != 3 {
			return fmt.Errorf("ipv6-untouched: context out mark %#x priority %d", le32(c, 8), le32(c, 32))
		}
		return nil
	}
	// skb->pkt_type comes from eth_type_trans on the device the test run
	// uses, the loopback device: its address and its broadcast address are
	// both 00:00:00:00:00:00.
	dst := func(d MAC) []byte {
		return Build(&Ethernet{Src: macClient, Dst: d}, &IPv6{Src: ip6Client, Dst: ip6Server}, &UDP{SrcPort: 1, DstPort: 2})
	}
	pt := func(name string, data []byte) Input {
		return Input{Name: name, Data: data, Context: skbCtx(0, 0, 0), WantRet: Ret(TCActOK), Dump: []string{"tc_seen"}}
	}
	pktType := &Scenario{
		Name:    "tc-pkt-type",
		Object:  "tc.o",
		Program: "tc_rewrite",
		Setup:   []Op{MapUpdate{"tc_cfg", u32(0), cfg}},
		Inputs: []Input{
			pt("to-the-device", dst(MAC{})),
			pt("other-host", dst(macRouter)),
			pt("multicast", dst(MAC{0x33, 0x33, 0, 0, 0, 1})),
			pt("broadcast-arp", arp()),
		},
		Check: func(r *Result) error {
			// PACKET_HOST, PACKET_OTHERHOST, PACKET_MULTICAST, and
			// PACKET_MULTICAST again: ff:ff:ff:ff:ff:ff is not the loopback
			// device's broadcast address.
			for i, want := range []uint32{0, 3, 2, 2} {
				v := Find(r.Runs[i].Maps, "tc_seen").Value(u32(0))
				if got := le32(v, 4); got != want {
					return fmt.Errorf("input %s: pkt_type %d, want %d", r.Runs[i].Input, got, want)
				}
			}
			return nil
		},
	}
	return []*Scenario{s, pktType}
}

// ---- maps_misc.o -------------------------------------------------------

func mapScenarios() []*Scenario {
	flow := func(src string, sport uint16, n int) []byte {
		return Build(eth(), &IPv4{Src: Addr(src), Dst: ip4Server}, &TCP{SrcPort: sport, DstPort: 80}, Payload(make([]byte, n)))
	}
	lru := &Scenario{
		Name:    "lru",
		Object:  "maps_misc.o",
		Program: "xdp_lru",
		Inputs: []Input{
			{Name: "a", Data: flow("198.18.0.1", 1000, 10), WantRet: Ret(XDPPass)},
			{Name: "b", Data: flow("198.18.0.2", 1000, 20), WantRet: Ret(XDPPass)},
			{Name: "a-again", Data: flow("198.18.0.1", 1000, 30), WantRet: Ret(XDPPass)},
			{Name: "c-x5", Data: flow("198.18.0.3", 2000, 0), Repeat: 5, WantRet: Ret(XDPPass)},
			{Name: "udp", Data: udp4(1, 2, "u"), WantRet: Ret(XDPPass)},
			{Name: "ipv6-ignored", Data: tcp6(1, 2, ""), WantRet: Ret(XDPPass)},
		},
		Dump: []string{"lru_flows"},
		Check: func(r *Result) error {
			if n := len(Find(r.Maps, "lru_flows").Entries); n != 4 {
				return fmt.Errorf("lru_flows has %d entries, want 4", n)
			}
			return nil
		},
	}

	var qsInputs []Input
	for i := range 10 {
		qsInputs = append(qsInputs, Input{Name: fmt.Sprintf("push-%d", 60+i), Data: sized(60 + i), WantRet: Ret(XDPPass)})
	}
	pop := udp4(1, 2, "P")
	qsInputs = append(qsInputs,
		Input{Name: "pop", Data: pop, WantRet: Ret(XDPDrop), Dump: []string{"qs_results"}},
		Input{Name: "push-100", Data: sized(100), WantRet: Ret(XDPPass)},
		Input{Name: "pop-x2", Data: pop, Repeat: 2, WantRet: Ret(XDPDrop), Dump: []string{"qs_results"}},
	)
	qs := &Scenario{
		Name:    "queue-stack",
		Object:  "maps_misc.o",
		Program: "xdp_queue_stack",
		Inputs:  qsInputs,
		Dump:    []string{"len_queue", "len_stack", "qs_results"},
		Check: func(r *Result) error {
			// The queue dropped 60 and 61 when full; the first pop gets 62.
			// The stack dropped its bottom (60, 61) and pops 69 first.
			v := Find(r.Runs[10].Maps, "qs_results").Value(u32(0))
			if le32(v, 8) != 62 || le32(v, 12) != 69 || le32(v, 16) != 63 {
				return fmt.Errorf("first pop: %x", v)
			}
			var q, st []uint32
			for _, e := range Find(r.Maps, "len_queue").Entries {
				q = append(q, le32(e.Value, 0))
			}
			for _, e := range Find(r.Maps, "len_stack").Entries {
				st = append(st, le32(e.Value, 0))
			}
			if fmt.Sprint(q) != "[65 66 67 68 69 100]" || fmt.Sprint(st) != "[67 66 65 64 63 62]" {
				return fmt.Errorf("left in the queue %v, in the stack %v", q, st)
			}
			return nil
		},
	}

	learn := func(src string) []byte {
		return Build(eth(), &IPv4{Src: Addr(src), Dst: ip4Server}, &UDP{SrcPort: 1, DstPort: 1000})
	}
	query := func(src string) []byte {
		return Build(eth(), &IPv4{Src: Addr(src), Dst: ip4Server}, &UDP{SrcPort: 1, DstPort: 2000})
	}
	bloom := &Scenario{
		Name:    "bloom",
		Object:  "maps_misc.o",
		Program: "xdp_bloom",
		Inputs: []Input{
			{Name: "learn-1", Data: learn("198.18.0.1"), WantRet: Ret(XDPPass)},
			{Name: "learn-2", Data: learn("198.18.0.2"), WantRet: Ret(XDPPass)},
			{Name: "learn-3", Data: learn("203.0.113.99"), WantRet: Ret(XDPPass)},
			{Name: "seen-1", Data: query("198.18.0.1"), WantRet: Ret(XDPPass)},
			{Name: "seen-3", Data: query("203.0.113.99"), WantRet: Ret(XDPPass)},
			// A false positive is possible but has a probability of ~1e-7.
			{Name: "unseen-4", Data: query("198.18.0.4"), WantRet: Ret(XDPDrop)},
			{Name: "unseen-5", Data: query("192.0.2.200"), WantRet: Ret(XDPDrop)},
			{Name: "tcp-unseen", Data: Build(eth(), &IPv4{Src: Addr("198.18.0.77"), Dst: ip4Server}, &TCP{SrcPort: 1, DstPort: 1000}), WantRet: Ret(XDPDrop)},
		},
		Dump: []string{"bloom_results"},
	}

	tagged := func(vlan uint16, src string, l4 Layer) []byte {
		return Build(eth(), &VLAN{ID: vlan}, &IPv4{Src: Addr(src), Dst: ip4Server}, l4)
	}
	mim := &Scenario{
		Name:    "map-in-map",
		Object:  "maps_misc.o",
		Program: "xdp_map_in_map",
		Setup: []Op{
			InnerMap{"tenants", u32(100), "tenant_a"},
			InnerMap{"tenants", u32(200), "tenant_b"},
			InnerMap{"classes", u32(0), "class_tcp"},
			InnerMap{"classes", u32(1), "class_other"},
		},
		Inputs: []Input{
			{Name: "t100-tcp-s1", Data: tagged(100, "198.18.0.1", &TCP{SrcPort: 1, DstPort: 2}), WantRet: Ret(XDPPass)},
			{Name: "t100-udp-s2", Data: tagged(100, "198.18.0.2", &UDP{SrcPort: 1, DstPort: 2}), WantRet: Ret(XDPPass)},
			{Name: "t200-tcp-s1-x3", Data: tagged(200, "198.18.0.1", &TCP{SrcPort: 1, DstPort: 2}), Repeat: 3, WantRet: Ret(XDPPass)},
			{Name: "t200-icmp-s3", Data: tagged(200, "198.18.0.3", &ICMPv4{Type: ICMPEchoRequest}), WantRet: Ret(XDPPass)},
			{Name: "t300-unknown", Data: tagged(300, "198.18.0.1", &TCP{}), WantRet: Ret(XDPDrop)},
			{Name: "untagged", Data: tcp4(1, 2, ""), WantRet: Ret(XDPPass)},
		},
		Dump: []string{"tenant_a", "tenant_b", "class_tcp", "class_other"},
		Check: func(r *Result) error {
			// TCP is protocol 6: slot 6 & 3 = 2.
			if err := expectU64(r, "tenant_b", u32(2), 0, 3); err != nil {
				return err
			}
			// s1 over TCP: inserted with 1, then 3 increments.
			return expectU64(r, "class_tcp", Addr("198.18.0.1").AsSlice(), 0, 4)
		},
	}
	return []*Scenario{lru, qs, bloom, mim}
}

// ---- xdp_adjust.o ------------------------------------------------------

func adjustScenarios() []*Scenario {
	ip := func() *IPv4 { return &IPv4{Src: ip4Client, Dst: ip4Server, ID: 2} }
	udp := func() Layer { return &UDP{SrcPort: 1, DstPort: 2} }
	plain := Build(eth(), ip(), udp(), Payload("payload"))
	tagged := Build(eth(), &VLAN{ID: 7, Priority: 5}, ip(), udp(), Payload("payload"))
	pushed := Build(eth(), &VLAN{ID: 42}, ip(), udp(), Payload("payload"))
	pushedTwice := Build(eth(), &VLAN{ID: 42}, &VLAN{ID: 42}, ip(), udp(), Payload("payload"))
	pushed1000 := Build(eth(), &VLAN{ID: 1000}, ip(), udp(), Payload("payload"))
	padded := append(append([]byte(nil), plain...), make([]byte, 10)...)
	trailer := append(append([]byte(nil), plain...), 0xde, 0xad, 0xbe, 0xef)
	truncated := plain[:len(plain)-3]
	meta := append(Pack(uint32(0x4d455441), uint32(len(plain))), plain...)
	meta2 := append(Pack(uint32(0x4d455441), uint32(len(plain))), meta...)

	vlan := &Scenario{
		Name:   "adjust-vlan",
		Object: "xdp_adjust.o",
		Inputs: []Input{
			{Name: "pop-tagged", Program: "xdp_vlan_pop", Data: tagged, WantRet: Ret(XDPPass), WantData: plain},
			{Name: "pop-untagged", Program: "xdp_vlan_pop", Data: plain, WantRet: Ret(XDPPass), WantData: plain},
			{Name: "pop-double-tagged", Program: "xdp_vlan_pop", Data: pushedTwice, WantRet: Ret(XDPPass), WantData: pushed},
			{Name: "push", Program: "xdp_vlan_push", Data: plain, WantRet: Ret(XDPPass), WantData: pushed},
			{Name: "push-x2", Program: "xdp_vlan_push", Data: plain, Repeat: 2, WantRet: Ret(XDPPass), WantData: pushedTwice},
			{Name: "pop-x2", Program: "xdp_vlan_pop", Data: pushedTwice, Repeat: 2, WantRet: Ret(XDPPass), WantData: plain},
		},
		Dump: []string{".bss"},
	}
	vlanCfg := &Scenario{
		Name:      "adjust-vlan-configured",
		Object:    "xdp_adjust.o",
		Program:   "xdp_vlan_push",
		Variables: map[string]any{"cfg_push_vlan": uint16(1000)},
		Inputs:    []Input{{Name: "push-1000", Data: plain, WantRet: Ret(XDPPass), WantData: pushed1000}},
	}
	tail := &Scenario{
		Name:    "adjust-tail",
		Object:  "xdp_tail.o",
		Program: "xdp_tail",
		Inputs: []Input{
			{Name: "cut-padding", Data: padded, WantRet: Ret(XDPPass), WantData: plain, Dump: []string{".bss"}},
			{Name: "append-trailer", Data: plain, WantRet: Ret(XDPPass), WantData: trailer, Dump: []string{".bss"}},
			{Name: "truncated", Data: truncated, WantRet: Ret(XDPDrop), WantData: truncated},
			// Append, cut, append.
			{Name: "alternate-x3", Data: plain, Repeat: 3, WantRet: Ret(XDPPass), WantData: trailer, Dump: []string{".bss"}},
			{Name: "ipv6-untouched", Data: tcp6(1, 2, ""), WantRet: Ret(XDPPass)},
		},
		Check: func(r *Result) error {
			runs := []struct {
				run           int
				before, after uint64
			}{{0, uint64(len(padded)), uint64(len(plain))}, {1, uint64(len(plain)), uint64(len(trailer))}}
			for _, c := range runs {
				for _, v := range []struct {
					name string
					want uint64
				}{{"len_before", c.before}, {"len_after", c.after}} {
					if err := expectVar(r.Runs[c.run].Maps, "xdp_tail.o", v.name, v.want); err != nil {
						return fmt.Errorf("input %s: %w", r.Runs[c.run].Input, err)
					}
				}
			}
			return nil
		},
	}
	metaS := &Scenario{
		Name:    "adjust-meta",
		Object:  "xdp_adjust.o",
		Program: "xdp_meta",
		Inputs: []Input{
			{Name: "meta", Data: plain, WantRet: Ret(XDPPass), WantData: meta},
			{Name: "meta-x2", Data: plain, Repeat: 2, WantRet: Ret(XDPPass), WantData: meta2},
		},
	}
	return []*Scenario{vlan, vlanCfg, tail, metaS}
}
