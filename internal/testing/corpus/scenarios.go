package corpus

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Return codes.
const (
	XDPAborted = 0
	XDPDrop    = 1
	XDPPass    = 2
	XDPTX      = 3

	TCActOK   = 0
	TCActShot = 2
)

// Addresses used throughout the scenarios.
var (
	macClient = MAC{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}
	macRouter = MAC{0x02, 0x00, 0x00, 0x00, 0x00, 0xfe}
	macLB     = MAC{0x02, 0x00, 0x00, 0x00, 0x10, 0x00}

	ip4Client = Addr("198.18.0.1")
	ip4Server = Addr("198.18.1.1")
	ip6Client = Addr("2001:db8:1::1")
	ip6Server = Addr("2001:db8:2::2")
)

// Scenarios returns every scenario of the corpus, in a stable order.
func Scenarios() []*Scenario {
	var all []*Scenario
	all = append(all, parserScenarios()...)
	all = append(all, lbScenarios()...)
	all = append(all, percpuScenarios()...)
	all = append(all, ringbufScenarios()...)
	all = append(all, loopScenarios()...)
	all = append(all, globalsScenarios()...)
	all = append(all, stringScenarios()...)
	all = append(all, callScenarios()...)
	all = append(all, spinlockScenarios()...)
	all = append(all, tailcallScenarios()...)
	all = append(all, tcScenarios()...)
	all = append(all, mapScenarios()...)
	all = append(all, adjustScenarios()...)
	all = append(all, callbackScenarios()...)
	all = append(all, iterScenarios()...)
	return all
}

// eth is an Ethernet header from the client to the router.
func eth() *Ethernet { return &Ethernet{Src: macClient, Dst: macRouter} }

// tcp4 is a client-to-server TCP/IPv4 frame.
func tcp4(sport, dport uint16, payload string) []byte {
	return Build(eth(), &IPv4{Src: ip4Client, Dst: ip4Server, ID: 1}, &TCP{SrcPort: sport, DstPort: dport, Flags: TCPAck | TCPPsh, Seq: 1000}, Payload(payload))
}

func udp4(sport, dport uint16, payload string) []byte {
	return Build(eth(), &IPv4{Src: ip4Client, Dst: ip4Server, ID: 2}, &UDP{SrcPort: sport, DstPort: dport}, Payload(payload))
}

func tcp6(sport, dport uint16, payload string) []byte {
	return Build(eth(), &IPv6{Src: ip6Client, Dst: ip6Server}, &TCP{SrcPort: sport, DstPort: dport, Flags: TCPSyn}, Payload(payload))
}

func udp6(sport, dport uint16, payload string) []byte {
	return Build(eth(), &IPv6{Src: ip6Client, Dst: ip6Server}, &UDP{SrcPort: sport, DstPort: dport}, Payload(payload))
}

func icmp4() []byte {
	return Build(eth(), &IPv4{Src: ip4Client, Dst: ip4Server, ID: 3}, &ICMPv4{Type: ICMPEchoRequest, ID: 0x77, Seq: 1}, Payload("ping"))
}

func icmp6(typ uint8) []byte {
	return Build(eth(), &IPv6{Src: ip6Client, Dst: ip6Server, HopLimit: 255}, &ICMPv6{Type: typ, Body: 0x00770001}, Payload("ping6..."))
}

func arp() []byte {
	return Build(&Ethernet{Src: macClient, Dst: MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		&ARP{Op: 1, SenderMAC: macClient, SenderIP: ip4Client, TargetIP: ip4Server}, Payload(make([]byte, 18)))
}

// sized pads a UDP/IPv4 frame to n bytes.
func sized(n int) []byte {
	return udp4(1000, 2000, string(make([]byte, n-42)))
}

// repeats is the total number of runs of a scenario's inputs.
func repeats(s *Scenario) uint64 {
	var n uint64
	for _, in := range s.Inputs {
		n += uint64(max(in.Repeat, 1))
	}
	return n
}

// expectU64 checks a little-endian u64 at off in map m's value under key.
func expectU64(r *Result, m string, key []byte, off int, want uint64) error {
	d := Find(r.Maps, m)
	if d == nil {
		return fmt.Errorf("map %s not dumped", m)
	}
	v := d.Value(key)
	if v == nil {
		return fmt.Errorf("map %s: no key %x", m, key)
	}
	if got := le64(v, off); got != want {
		return fmt.Errorf("map %s[%x] at +%d: %d, want %d", m, key, off, got, want)
	}
	return nil
}

// expectVar checks a global variable of object in the dumps of its
// section map; the variable's offset and size come from the object's BTF.
func expectVar(dumps []MapDump, object, name string, want uint64) error {
	spec, err := LoadSpec(object)
	if err != nil {
		return err
	}
	vs := spec.Variables[name]
	if vs == nil {
		return fmt.Errorf("%s has no variable %s", object, name)
	}
	v := Find(dumps, vs.SectionName).Value(u32(0))
	if v == nil {
		return fmt.Errorf("section %s not dumped", vs.SectionName)
	}
	off, size := int(vs.Offset), int(vs.Size())
	var got uint64
	switch size {
	case 4:
		got = uint64(le32(v, off))
	case 8:
		got = le64(v, off)
	default:
		return fmt.Errorf("variable %s has %d bytes", name, size)
	}
	if got != want {
		return fmt.Errorf("%s = %d, want %d", name, got, want)
	}
	return nil
}

// ---- xdp_parser.o ------------------------------------------------------

// Parser statistics indexes (enum stat_idx).
const (
	stTotal = iota
	stVLAN
	stQinQ
	stARP
	stIPv4
	stIPv4Options
	stIPv4Fragment
	stIPv6
	stIPv6Ext
	stIPv6Fragment
	stTCP
	stUDP
	stICMP
	stICMPv6
	stOtherL3
	stOtherL4
	stMalformed
	stDropped
)

func parserScenarios() []*Scenario {
	ip := func() *IPv4 { return &IPv4{Src: ip4Client, Dst: ip4Server, ID: 7} }
	ext := func(t uint8, n int) *IPv6Ext {
		// PadN option filling the header: type 1, length n-2.
		return &IPv6Ext{Type: t, Data: append([]byte{1, byte(n - 2)}, make([]byte, n-2)...)}
	}
	tooMany := []Layer{eth(), &IPv6{Src: ip6Client, Dst: ip6Server}}
	for range 7 {
		tooMany = append(tooMany, ext(IPv6Destination, 6))
	}
	tooMany = append(tooMany, &UDP{SrcPort: 1, DstPort: 2})
	in := func(name string, ret uint32, pkt []byte) Input {
		return Input{Name: name, Data: pkt, WantRet: Ret(ret), Dump: []string{"parser_last"}}
	}
	s := &Scenario{
		Name:    "parser",
		Object:  "xdp_parser.o",
		Program: "xdp_parse",
		Inputs: []Input{
			in("ipv4-tcp", XDPPass, tcp4(40000, 80, "GET / HTTP/1.1\r\n\r\n")),
			in("ipv4-telnet", XDPDrop, tcp4(40001, 23, "login")),
			in("vlan-ipv4-udp", XDPPass, Build(eth(), &VLAN{ID: 100, Priority: 3}, ip(), &UDP{SrcPort: 5353, DstPort: 53}, Payload("query"))),
			in("qinq-ipv4-icmp", XDPPass, Build(eth(), &VLAN{TPID: 0x88a8, ID: 10}, &VLAN{ID: 20}, ip(), &ICMPv4{Type: ICMPEchoRequest, ID: 9, Seq: 1}, Payload("ping"))),
			in("ipv4-options", XDPPass, Build(eth(),
				&IPv4{Src: ip4Client, Dst: ip4Server, Options: []byte{1, 1, 7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0}},
				&TCP{SrcPort: 1, DstPort: 443, Flags: TCPSyn, Options: []byte{2, 4, 5, 0xb4}})),
			in("ipv4-option-bad-length", XDPDrop, Build(eth(), &IPv4{Src: ip4Client, Dst: ip4Server, Options: []byte{0x44, 1, 0, 0}}, &UDP{SrcPort: 1, DstPort: 2})),
			in("ipv4-first-fragment", XDPPass, Build(eth(), &IPv4{Src: ip4Client, Dst: ip4Server, ID: 99, Flags: IPv4MoreFragments}, &UDP{SrcPort: 7, DstPort: 9}, Payload(make([]byte, 32)))),
			in("ipv4-later-fragment", XDPPass, Build(eth(), &IPv4{Src: ip4Client, Dst: ip4Server, ID: 99, FragOffset: 5, Protocol: 17}, Payload(make([]byte, 40)))),
			in("ipv4-gre", XDPPass, Build(eth(), &IPv4{Src: ip4Client, Dst: ip4Server, Protocol: 47}, Payload([]byte{0, 0, 0x08, 0}))),
			in("ipv4-truncated", XDPDrop, tcp4(1, 2, "")[:14+12]),
			in("ipv4-bad-ihl", XDPDrop, Build(eth(), &IPv4{Src: ip4Client, Dst: ip4Server, IHL: 3}, &UDP{SrcPort: 1, DstPort: 2})),
			in("tcp-bad-data-offset", XDPDrop, Build(eth(), ip(), &TCP{SrcPort: 1, DstPort: 2, DataOffset: 3})),
			in("ipv6-tcp", XDPPass, tcp6(50000, 443, "hello")),
			in("ipv6-ext-udp", XDPPass, Build(eth(), &IPv6{Src: ip6Client, Dst: ip6Server},
				ext(IPv6HopByHop, 6), &IPv6Ext{Type: IPv6Routing, Data: append([]byte{4, 0, 0, 0, 0, 0}, Addr("2001:db8::99").AsSlice()...)},
				ext(IPv6Destination, 14), &UDP{SrcPort: 546, DstPort: 547}, Payload("dhcpv6"))),
			in("ipv6-ah-tcp", XDPPass, Build(eth(), &IPv6{Src: ip6Client, Dst: ip6Server},
				&IPv6Ext{Type: IPv6AuthHeader, Data: make([]byte, 22)}, &TCP{SrcPort: 3, DstPort: 4})),
			in("ipv6-later-fragment", XDPPass, Build(eth(), &IPv6{Src: ip6Client, Dst: ip6Server}, Fragment6(10, false, 0xabcd), &UDP{SrcPort: 1, DstPort: 2})),
			in("ipv6-too-many-ext", XDPDrop, Build(tooMany...)),
			in("icmpv6-echo", XDPPass, icmp6(ICMPv6EchoReq)),
			in("icmpv6-redirect", XDPDrop, icmp6(ICMPv6Redirect)),
			in("arp", XDPPass, arp()),
			in("lldp", XDPPass, Build(&Ethernet{Src: macClient, Dst: MAC{0x01, 0x80, 0xc2, 0, 0, 0x0e}, Type: 0x88cc}, Payload(make([]byte, 46)))),
			in("ethernet-only", XDPDrop, Build(&Ethernet{Src: macClient, Dst: macRouter, Type: 0x0800})[:14]),
			{Name: "ipv4-tcp-x5", Data: tcp4(40002, 8080, "x"), Repeat: 5, WantRet: Ret(XDPPass)},
		},
		Dump: []string{"parser_stats"},
	}
	s.Check = func(r *Result) error {
		var drops uint64
		for _, in := range s.Inputs {
			if *in.WantRet == XDPDrop {
				drops += uint64(max(in.Repeat, 1))
			}
		}
		if err := expectU64(r, "parser_stats", u32(stTotal), 0, repeats(s)); err != nil {
			return err
		}
		return expectU64(r, "parser_stats", u32(stDropped), 0, drops)
	}
	return []*Scenario{s}
}

// ---- xdp_lb.o ----------------------------------------------------------

var (
	vip       = Addr("203.0.113.10")
	vipEmpty  = Addr("203.0.113.20")
	vipNoAddr = Addr("203.0.113.30")
)

type lbBackend struct {
	addr netip.Addr
	port uint16 // 0: keep the VIP's
	mac  MAC
}

var lbBackends = []lbBackend{
	{Addr("172.16.0.1"), 0, MAC{0x02, 0xbe, 0, 0, 0, 1}},
	{Addr("172.16.0.2"), 0, MAC{0x02, 0xbe, 0, 0, 0, 2}},
	{Addr("172.16.0.3"), 0, MAC{0x02, 0xbe, 0, 0, 0, 3}},
	{Addr("172.16.1.1"), 5353, MAC{0x02, 0xbe, 0, 0, 1, 1}},
	{Addr("172.16.1.2"), 5353, MAC{0x02, 0xbe, 0, 0, 1, 2}},
}

type lbVIP struct {
	addr         netip.Addr
	port         uint16
	proto        uint8
	first, n, id uint32
}

var lbVIPs = []lbVIP{
	{vip, 80, 6, 0, 3, 0},
	{vip, 53, 17, 3, 2, 1},
	{vipEmpty, 443, 6, 5, 0, 2},
	{vipNoAddr, 80, 6, 6, 1, 3},
}

// lbFlowHash mirrors flow_hash in xdp_lb.c. The C code hashes the raw
// network-order words as the CPU loads them, little-endian.
func lbFlowHash(saddr, daddr netip.Addr, sport, dport uint16, proto uint8) uint32 {
	s4, d4 := saddr.As4(), daddr.As4()
	s := binary.LittleEndian.Uint32(s4[:])
	d := binary.LittleEndian.Uint32(d4[:])
	sp := uint32(sport>>8 | sport<<8)
	dp := uint32(dport>>8 | dport<<8)
	h := uint32(0x9e3779b9)
	h ^= s
	h *= 0x85ebca6b
	h ^= d + uint32(proto)
	h = h<<13 | h>>19
	h *= 0xc2b2ae35
	h ^= sp<<16 | dp
	h ^= h >> 16
	h *= 0x7feb352d
	h ^= h >> 15
	return h
}

// lbFlow is a client flow to a VIP.
type lbFlow struct {
	src          netip.Addr
	sport, dport uint16
	udp, noCsum  bool
	ttl          uint8
}

func (f lbFlow) frame(dst netip.Addr, dstMAC, srcMAC MAC, ttl uint8, dport uint16) []byte {
	ip := &IPv4{Src: f.src, Dst: dst, ID: 0x1234, TTL: ttl, Flags: IPv4DontFragment}
	var l4 Layer = &TCP{SrcPort: f.sport, DstPort: dport, Flags: TCPSyn, Seq: 0x01020304, Options: []byte{2, 4, 5, 0xb4}}
	if f.udp {
		l4 = &UDP{SrcPort: f.sport, DstPort: dport, NoChecksum: f.noCsum}
	}
	return Build(&Ethernet{Src: srcMAC, Dst: dstMAC}, ip, l4, Payload("load balanced payload"))
}

// in is the frame as it arrives at the load balancer.
func (f lbFlow) in(dst netip.Addr) []byte {
	return f.frame(dst, macLB, macRouter, f.ttl, f.dport)
}

// out is the frame the load balancer should send: our model of xdp_lb.
func (f lbFlow) out() []byte {
	proto := uint8(6)
	if f.udp {
		proto = 17
	}
	for _, v := range lbVIPs {
		if v.addr == vip && v.port == f.dport && v.proto == proto {
			slot := lbFlowHash(f.src, vip, f.sport, f.dport, proto) % v.n
			be := lbBackends[v.first+slot]
			port := f.dport
			if be.port != 0 {
				port = be.port
			}
			return f.frame(be.addr, be.mac, macLB, f.ttl-1, port)
		}
	}
	panic("lbFlow.out: not a VIP flow")
}

func lpmKey(prefix string) []byte {
	p := netip.MustParsePrefix(prefix)
	return Pack(uint32(p.Bits()), p.Addr())
}

func lbScenarios() []*Scenario {
	setup := []Op{
		MapUpdate{"fw_blocked_v4", lpmKey("10.0.0.0/8"), u32(1)},
		MapUpdate{"fw_blocked_v4", lpmKey("192.168.66.0/24"), u32(2)},
		MapUpdate{"fw_blocked_v4", lpmKey("198.51.100.7/32"), u32(4)},
		MapUpdate{"fw_blocked_v6", lpmKey("2001:db8:bad::/48"), u32(3)},
	}
	for _, v := range lbVIPs {
		setup = append(setup, MapUpdate{"lb_vips",
			Pack(v.addr, BE16(v.port), v.proto, uint8(0)),
			Pack(v.first, v.n, v.id, uint32(0))})
	}
	for i, b := range lbBackends {
		setup = append(setup, MapUpdate{"lb_backends", u32(uint32(i)), Pack(b.addr, BE16(b.port), b.mac)})
	}
	// Backend 6 exists with address 0: "no backend".
	setup = append(setup, MapUpdate{"lb_backends", u32(6), make([]byte, 12)})

	tx := func(name string, f lbFlow) Input {
		if f.ttl == 0 {
			f.ttl = 64
		}
		return Input{Name: name, Data: f.in(vip), WantRet: Ret(XDPTX), WantData: f.out()}
	}
	other := func(name string, ret uint32, f lbFlow, dst netip.Addr) Input {
		if f.ttl == 0 {
			f.ttl = 64
		}
		pkt := f.in(dst)
		return Input{Name: name, Data: pkt, WantRet: Ret(ret), WantData: pkt}
	}
	repeated := lbFlow{src: Addr("198.18.7.7"), sport: 43210, dport: 80, ttl: 64}
	frag := Build(&Ethernet{Src: macRouter, Dst: macLB}, &IPv4{Src: ip4Client, Dst: vip, Flags: IPv4MoreFragments}, &TCP{SrcPort: 1, DstPort: 80})
	s := &Scenario{
		Name:    "lb",
		Object:  "xdp_lb.o",
		Program: "xdp_lb",
		Setup:   setup,
		Inputs: []Input{
			tx("tcp-a", lbFlow{src: Addr("198.18.0.1"), sport: 40000, dport: 80}),
			tx("tcp-b", lbFlow{src: Addr("198.18.0.2"), sport: 40001, dport: 80}),
			tx("tcp-c", lbFlow{src: Addr("198.18.0.3"), sport: 40002, dport: 80}),
			tx("tcp-d", lbFlow{src: Addr("198.18.200.77"), sport: 1025, dport: 80, ttl: 2}),
			tx("tcp-e", lbFlow{src: Addr("100.64.1.1"), sport: 65535, dport: 80}),
			tx("udp-port-rewrite", lbFlow{src: Addr("198.18.0.9"), sport: 5000, dport: 53, udp: true}),
			tx("udp-port-rewrite-2", lbFlow{src: Addr("198.18.0.10"), sport: 5001, dport: 53, udp: true}),
			tx("udp-no-checksum", lbFlow{src: Addr("198.18.0.11"), sport: 5002, dport: 53, udp: true, noCsum: true}),
			other("blocked-10/8", XDPDrop, lbFlow{src: Addr("10.2.3.4"), sport: 1, dport: 80}, vip),
			other("blocked-192.168.66/24", XDPDrop, lbFlow{src: Addr("192.168.66.5"), sport: 1, dport: 80}, vip),
			other("blocked-host", XDPDrop, lbFlow{src: Addr("198.51.100.7"), sport: 1, dport: 80}, vip),
			other("neighbour-of-blocked-host", XDPPass, lbFlow{src: Addr("198.51.100.8"), sport: 1, dport: 80}, ip4Server),
			{Name: "ipv6-blocked", Data: Build(eth(), &IPv6{Src: Addr("2001:db8:bad:1::1"), Dst: ip6Server}, &TCP{SrcPort: 1, DstPort: 80}), WantRet: Ret(XDPDrop)},
			{Name: "ipv6-allowed", Data: Build(eth(), &IPv6{Src: Addr("2001:db8:bae::1"), Dst: ip6Server}, &TCP{SrcPort: 1, DstPort: 80}), WantRet: Ret(XDPPass)},
			other("vip-without-backends", XDPDrop, lbFlow{src: ip4Client, sport: 2, dport: 443}, vipEmpty),
			other("backend-without-address", XDPDrop, lbFlow{src: ip4Client, sport: 3, dport: 80}, vipNoAddr),
			other("ttl-1", XDPPass, lbFlow{src: ip4Client, sport: 4, dport: 80, ttl: 1}, vip),
			other("vip-other-port", XDPPass, lbFlow{src: ip4Client, sport: 5, dport: 8080}, vip),
			{Name: "fragment", Data: frag, WantRet: Ret(XDPPass), WantData: frag},
			{Name: "icmp", Data: icmp4(), WantRet: Ret(XDPPass)},
			{Name: "arp", Data: arp(), WantRet: Ret(XDPPass)},
			// Repeated runs see the packet the previous run rewrote: the
			// second run no longer matches the VIP and passes it.
			{Name: "tcp-repeat-3", Data: repeated.in(vip), Repeat: 3, WantRet: Ret(XDPPass), WantData: repeated.out()},
		},
		Dump: []string{"fw_rule_hits", "lb_vip_stats", "lb_counters"},
	}
	s.Check = func(r *Result) error {
		// Rules 1, 2, 3 and 4 each dropped one packet.
		for _, rule := range []uint32{1, 2, 3, 4} {
			if err := expectU64(r, "fw_rule_hits", u32(rule), 0, 1); err != nil {
				return err
			}
		}
		// 8 single TX runs plus the first run of the repeated one.
		return expectU64(r, "lb_counters", u32(2), 0, 9)
	}
	return []*Scenario{s}
}

// ---- percpu.o ----------------------------------------------------------

func percpuScenarios() []*Scenario {
	s := &Scenario{
		Name:    "percpu",
		Object:  "percpu.o",
		Program: "xdp_percpu",
		// Seeded values land on CPU 0; the fold adds them to the counts of
		// whichever CPU the runs use.
		Setup: []Op{
			MapUpdate{"pcpu_size_hist", u32(11), Pack(uint64(100), uint64(100000))},
			MapUpdate{"pcpu_by_class", Pack(uint16(0x0800), uint8(17), uint8(0)), Pack(uint64(1000), uint64(5))},
		},
		Inputs: []Input{
			{Name: "udp-60", Data: sized(60), WantRet: Ret(XDPPass)},
			{Name: "udp-100", Data: sized(100), WantRet: Ret(XDPPass)},
			{Name: "udp-200-x3", Data: sized(200), Repeat: 3, WantRet: Ret(XDPPass)},
			{Name: "udp-1500-x2", Data: sized(1500), Repeat: 2, WantRet: Ret(XDPPass)},
			{Name: "tcp4", Data: tcp4(1, 2, "abc"), WantRet: Ret(XDPPass)},
			{Name: "tcp6-x4", Data: tcp6(1, 2, "abc"), Repeat: 4, WantRet: Ret(XDPPass)},
			{Name: "icmp6", Data: icmp6(ICMPv6NS), WantRet: Ret(XDPPass)},
			{Name: "arp", Data: arp(), WantRet: Ret(XDPPass)},
			{Name: "runt", Data: make([]byte, 14), WantRet: Ret(XDPPass)},
		},
		Dump: []string{"pcpu_size_hist", "pcpu_by_class"},
	}
	s.Check = func(r *Result) error {
		var packets uint64
		for _, e := range Find(r.Maps, "pcpu_size_hist").Entries {
			packets += le64(e.Value, 0)
		}
		if packets != repeats(s)+100 {
			return fmt.Errorf("pcpu_size_hist counts %d packets, want %d", packets, repeats(s)+100)
		}
		// IPv6/TCP: 4 packets.
		return expectU64(r, "pcpu_by_class", Pack(uint16(0x86dd), uint8(6), uint8(0)), 0, 4)
	}
	return []*Scenario{s}
}

// ---- ringbuf.o ---------------------------------------------------------

func ringbufScenarios() []*Scenario {
	s := &Scenario{
		Name:     "ringbuf",
		Object:   "ringbuf.o",
		Program:  "xdp_ringbuf",
		Ringbufs: []string{"events"},
		Inputs: []Input{
			{Name: "tcp4", Data: tcp4(1111, 80, "GET"), WantRet: Ret(XDPPass)},
			{Name: "udp6", Data: udp6(2222, 53, "query"), WantRet: Ret(XDPPass)},
			{Name: "arp-discarded", Data: arp(), WantRet: Ret(XDPPass)},
			{Name: "udp4-long-x2", Data: udp4(3333, 4444, string(make([]byte, 100))), Repeat: 2, WantRet: Ret(XDPPass)},
			{Name: "bad-ihl-discarded", Data: Build(eth(), &IPv4{Src: ip4Client, Dst: ip4Server, IHL: 4}, &TCP{}), WantRet: Ret(XDPPass)},
			{Name: "icmp4", Data: icmp4(), WantRet: Ret(XDPPass)},
			{Name: "udp4-short", Data: udp4(5, 6, ""), WantRet: Ret(XDPPass)},
		},
		Dump: []string{".bss"},
	}
	s.Check = func(r *Result) error {
		want := []int{1, 2, 0, 4, 0, 1, 2}
		for i, run := range r.Runs {
			if n := len(run.Records[0].Records); n != want[i] {
				return fmt.Errorf("input %s: %d records, want %d", run.Input, n, want[i])
			}
		}
		// The sample of the short UDP frame is the whole 42-byte frame.
		recs := r.Runs[6].Records[0].Records
		if len(recs[1]) != 8+42 || le32(recs[1], 0) != 2 || le32(recs[1], 4) != 42 {
			return fmt.Errorf("udp4-short: sample record %x", recs[1])
		}
		return nil
	}
	return []*Scenario{s}
}
