package corpus

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// A tiny packet builder: enough of Ethernet, 802.1Q/802.1ad, ARP, IPv4
// (with options and fragments), IPv6 (with extension headers), TCP, UDP,
// ICMP and ICMPv6 to feed the corpus programs real frames with correct
// lengths and checksums.
//
//	pkt := Build(
//		&Ethernet{Src: MAC1, Dst: MAC2},
//		&IPv4{Src: Addr("10.0.0.1"), Dst: Addr("10.0.0.2")},
//		&TCP{SrcPort: 1234, DstPort: 80, Flags: TCPSyn},
//		Payload("hello"),
//	)
//
// Protocol fields that name the next header (EtherType, IPv4 protocol,
// IPv6 next header) are filled in from the layer that follows; they are
// taken from the struct only when the next layer is a Payload or there is
// none. Lengths and checksums are always computed, unless a layer asks for
// a broken one.

// Layer is one protocol header (or the payload) of a frame.
type Layer interface {
	// encode returns the layer's bytes followed by inner, the already
	// encoded layers after it. f is the frame being built and i the
	// layer's index in it.
	encode(f *frame, i int, inner []byte) []byte
}

type frame struct{ layers []Layer }

// Build encodes the layers, outermost first, into a frame.
func Build(layers ...Layer) []byte {
	f := &frame{layers: layers}
	var b []byte
	for i := len(layers) - 1; i >= 0; i-- {
		b = layers[i].encode(f, i, b)
	}
	return b
}

// next returns the layer after i, or nil.
func (f *frame) next(i int) Layer {
	if i+1 < len(f.layers) {
		return f.layers[i+1]
	}
	return nil
}

// etherType is the EtherType announcing l, or 0 if l does not have one.
func etherType(l Layer) uint16 {
	switch l := l.(type) {
	case *VLAN:
		if l.TPID != 0 {
			return l.TPID
		}
		return 0x8100
	case *ARP:
		return 0x0806
	case *IPv4:
		return 0x0800
	case *IPv6:
		return 0x86dd
	}
	return 0
}

// ipProto is the IP protocol / IPv6 next header announcing l, and whether
// l has one.
func ipProto(l Layer) (uint8, bool) {
	switch l := l.(type) {
	case *IPv6Ext:
		return l.Type, true
	case *TCP:
		return 6, true
	case *UDP:
		return 17, true
	case *ICMPv4:
		return 1, true
	case *ICMPv6:
		return 58, true
	case *IPv4:
		return 4, true
	case *IPv6:
		return 41, true
	}
	return 0, false
}

// MAC is an Ethernet address.
type MAC [6]byte

// Addr parses an IPv4 or IPv6 address and panics on error: for literals.
func Addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// Ethernet is an Ethernet II header.
type Ethernet struct {
	Dst, Src MAC
	Type     uint16 // used when the next layer does not imply one
}

func (e *Ethernet) encode(f *frame, i int, inner []byte) []byte {
	t := etherType(f.next(i))
	if t == 0 {
		t = e.Type
	}
	b := make([]byte, 0, 14+len(inner))
	b = append(b, e.Dst[:]...)
	b = append(b, e.Src[:]...)
	b = binary.BigEndian.AppendUint16(b, t)
	return append(b, inner...)
}

// VLAN is an 802.1Q (TPID 0x8100, the default) or 802.1ad (0x88a8) tag.
type VLAN struct {
	TPID     uint16 // the EtherType announcing this tag: 0x8100 or 0x88a8
	Priority uint8
	ID       uint16
	Type     uint16 // inner EtherType when the next layer does not imply one
}

func (v *VLAN) encode(f *frame, i int, inner []byte) []byte {
	t := etherType(f.next(i))
	if t == 0 {
		t = v.Type
	}
	b := binary.BigEndian.AppendUint16(nil, uint16(v.Priority&7)<<13|v.ID&0x0fff)
	b = binary.BigEndian.AppendUint16(b, t)
	return append(b, inner...)
}

// ARP is an Ethernet/IPv4 ARP message.
type ARP struct {
	Op                   uint16 // 1 request, 2 reply
	SenderMAC, TargetMAC MAC
	SenderIP, TargetIP   netip.Addr
}

func (a *ARP) encode(f *frame, i int, inner []byte) []byte {
	b := []byte{0, 1, 8, 0, 6, 4}
	b = binary.BigEndian.AppendUint16(b, a.Op)
	b = append(b, a.SenderMAC[:]...)
	b = append(b, a.SenderIP.AsSlice()...)
	b = append(b, a.TargetMAC[:]...)
	b = append(b, a.TargetIP.AsSlice()...)
	return append(b, inner...)
}

// IPv4 flag bits for IPv4.Flags.
const (
	IPv4DontFragment  = 2
	IPv4MoreFragments = 1
)

// IPv4 is an IPv4 header.
type IPv4 struct {
	Src, Dst   netip.Addr
	TOS        uint8
	ID         uint16
	Flags      uint8  // IPv4DontFragment, IPv4MoreFragments
	FragOffset uint16 // in 8-byte units
	TTL        uint8  // 0 means 64
	Protocol   uint8  // used when the next layer does not imply one
	Options    []byte // padded with zeros (EOL) to a multiple of 4
	// IHL overrides the header length field (in 32-bit words) when non-zero:
	// for malformed headers.
	IHL uint8
	// BadChecksum stores the complement of the correct checksum.
	BadChecksum bool
}

func (h *IPv4) encode(f *frame, i int, inner []byte) []byte {
	opts := append([]byte(nil), h.Options...)
	for len(opts)%4 != 0 {
		opts = append(opts, 0)
	}
	hlen := 20 + len(opts)
	ihl := uint8(hlen / 4)
	if h.IHL != 0 {
		ihl = h.IHL
	}
	proto, ok := ipProto(f.next(i))
	if !ok {
		proto = h.Protocol
	}
	ttl := h.TTL
	if ttl == 0 {
		ttl = 64
	}
	b := make([]byte, hlen, hlen+len(inner))
	b[0] = 4<<4 | ihl&0x0f
	b[1] = h.TOS
	binary.BigEndian.PutUint16(b[2:], uint16(hlen+len(inner)))
	binary.BigEndian.PutUint16(b[4:], h.ID)
	binary.BigEndian.PutUint16(b[6:], uint16(h.Flags&7)<<13|h.FragOffset&0x1fff)
	b[8] = ttl
	b[9] = proto
	src, dst := h.Src.As4(), h.Dst.As4()
	copy(b[12:], src[:])
	copy(b[16:], dst[:])
	copy(b[20:], opts)
	sum := Checksum(b)
	if h.BadChecksum {
		sum = ^sum
	}
	binary.BigEndian.PutUint16(b[10:], sum)
	return append(b, inner...)
}

// IPv6 is an IPv6 header.
type IPv6 struct {
	Src, Dst     netip.Addr
	TrafficClass uint8
	FlowLabel    uint32
	HopLimit     uint8 // 0 means 64
	NextHeader   uint8 // used when the next layer does not imply one
}

func (h *IPv6) encode(f *frame, i int, inner []byte) []byte {
	nh, ok := ipProto(f.next(i))
	if !ok {
		nh = h.NextHeader
	}
	hl := h.HopLimit
	if hl == 0 {
		hl = 64
	}
	b := make([]byte, 40, 40+len(inner))
	binary.BigEndian.PutUint32(b, 6<<28|uint32(h.TrafficClass)<<20|h.FlowLabel&0xfffff)
	binary.BigEndian.PutUint16(b[4:], uint16(len(inner)))
	b[6] = nh
	b[7] = hl
	src, dst := h.Src.As16(), h.Dst.As16()
	copy(b[8:], src[:])
	copy(b[24:], dst[:])
	return append(b, inner...)
}

// IPv6 extension header types.
const (
	IPv6HopByHop    = 0
	IPv6Routing     = 43
	IPv6Fragment    = 44
	IPv6AuthHeader  = 51
	IPv6NoNext      = 59
	IPv6Destination = 60
)

// IPv6Ext is an IPv6 extension header. Data is what follows the next
// header and length bytes; it is padded with zeros to the header's size
// unit (8 bytes; 4 for the authentication header). For a fragment header
// use Fragment6.
type IPv6Ext struct {
	Type       uint8
	Data       []byte
	NextHeader uint8 // used when the next layer does not imply one
}

// Fragment6 returns an IPv6 fragment header.
func Fragment6(offset uint16, more bool, id uint32) *IPv6Ext {
	d := binary.BigEndian.AppendUint16(nil, offset<<3)
	if more {
		d[1] |= 1
	}
	d = binary.BigEndian.AppendUint32(d, id)
	return &IPv6Ext{Type: IPv6Fragment, Data: d}
}

func (e *IPv6Ext) encode(f *frame, i int, inner []byte) []byte {
	nh, ok := ipProto(f.next(i))
	if !ok {
		nh = e.NextHeader
	}
	unit := 8
	if e.Type == IPv6AuthHeader {
		unit = 4
	}
	b := append([]byte{nh, 0}, e.Data...)
	for len(b)%unit != 0 || len(b) < 8 {
		b = append(b, 0)
	}
	switch e.Type {
	case IPv6Fragment:
		b[1] = 0 // reserved
	case IPv6AuthHeader:
		b[1] = uint8(len(b)/4 - 2)
	default:
		b[1] = uint8(len(b)/8 - 1)
	}
	return append(b, inner...)
}

// TCP flags.
const (
	TCPFin = 0x01
	TCPSyn = 0x02
	TCPRst = 0x04
	TCPPsh = 0x08
	TCPAck = 0x10
	TCPUrg = 0x20
)

// TCP is a TCP header.
type TCP struct {
	SrcPort, DstPort uint16
	Seq, Ack         uint32
	Flags            uint8
	Window           uint16 // 0 means 65535
	Options          []byte // padded with zeros to a multiple of 4
	// DataOffset overrides the header length field (32-bit words).
	DataOffset uint8
}

func (t *TCP) encode(f *frame, i int, inner []byte) []byte {
	opts := append([]byte(nil), t.Options...)
	for len(opts)%4 != 0 {
		opts = append(opts, 0)
	}
	hlen := 20 + len(opts)
	doff := uint8(hlen / 4)
	if t.DataOffset != 0 {
		doff = t.DataOffset
	}
	win := t.Window
	if win == 0 {
		win = 65535
	}
	b := make([]byte, hlen, hlen+len(inner))
	binary.BigEndian.PutUint16(b, t.SrcPort)
	binary.BigEndian.PutUint16(b[2:], t.DstPort)
	binary.BigEndian.PutUint32(b[4:], t.Seq)
	binary.BigEndian.PutUint32(b[8:], t.Ack)
	b[12] = doff << 4
	b[13] = t.Flags
	binary.BigEndian.PutUint16(b[14:], win)
	copy(b[20:], opts)
	b = append(b, inner...)
	binary.BigEndian.PutUint16(b[16:], l4Checksum(f, i, 6, b))
	return b
}

// UDP is a UDP header.
type UDP struct {
	SrcPort, DstPort uint16
	// NoChecksum leaves the checksum zero ("none"; IPv4 only).
	NoChecksum bool
}

func (u *UDP) encode(f *frame, i int, inner []byte) []byte {
	b := make([]byte, 8, 8+len(inner))
	binary.BigEndian.PutUint16(b, u.SrcPort)
	binary.BigEndian.PutUint16(b[2:], u.DstPort)
	binary.BigEndian.PutUint16(b[4:], uint16(8+len(inner)))
	b = append(b, inner...)
	if !u.NoChecksum {
		sum := l4Checksum(f, i, 17, b)
		if sum == 0 {
			sum = 0xffff
		}
		binary.BigEndian.PutUint16(b[6:], sum)
	}
	return b
}

// ICMP types.
const (
	ICMPEchoReply   = 0
	ICMPEchoRequest = 8
	ICMPv6EchoReq   = 128
	ICMPv6EchoReply = 129
	ICMPv6NS        = 135
	ICMPv6Redirect  = 137
)

// ICMPv4 is an ICMP header; ID and Seq fill the second word (echo).
type ICMPv4 struct {
	Type, Code uint8
	ID, Seq    uint16
}

func (c *ICMPv4) encode(f *frame, i int, inner []byte) []byte {
	b := []byte{c.Type, c.Code, 0, 0}
	b = binary.BigEndian.AppendUint16(b, c.ID)
	b = binary.BigEndian.AppendUint16(b, c.Seq)
	b = append(b, inner...)
	binary.BigEndian.PutUint16(b[2:], Checksum(b))
	return b
}

// ICMPv6 is an ICMPv6 header; Body is the message's second word.
type ICMPv6 struct {
	Type, Code uint8
	Body       uint32
}

func (c *ICMPv6) encode(f *frame, i int, inner []byte) []byte {
	b := []byte{c.Type, c.Code, 0, 0}
	b = binary.BigEndian.AppendUint32(b, c.Body)
	b = append(b, inner...)
	binary.BigEndian.PutUint16(b[2:], l4Checksum(f, i, 58, b))
	return b
}

// Payload is raw bytes, the innermost layer.
type Payload []byte

func (p Payload) encode(f *frame, i int, inner []byte) []byte {
	return append(append([]byte(nil), p...), inner...)
}

// l4Checksum is the transport checksum of seg (with its checksum field
// zero) under the pseudo-header of the nearest IP header before layer i.
func l4Checksum(f *frame, i int, proto uint8, seg []byte) uint16 {
	for j := i - 1; j >= 0; j-- {
		switch ip := f.layers[j].(type) {
		case *IPv4:
			src, dst := ip.Src.As4(), ip.Dst.As4()
			ph := append(src[:], dst[:]...)
			ph = append(ph, 0, proto)
			ph = binary.BigEndian.AppendUint16(ph, uint16(len(seg)))
			return Checksum(ph, seg)
		case *IPv6:
			src, dst := ip.Src.As16(), ip.Dst.As16()
			ph := append(src[:], dst[:]...)
			ph = binary.BigEndian.AppendUint32(ph, uint32(len(seg)))
			ph = append(ph, 0, 0, 0, proto)
			return Checksum(ph, seg)
		}
	}
	panic(fmt.Sprintf("corpus: layer %d (%T) has no IP header before it", i, f.layers[i]))
}

// Checksum is the Internet checksum (RFC 1071) of the concatenation of
// parts: the complement of their one's-complement sum as 16-bit big-endian
// words, an odd final byte padded with zero. Parts other than the last
// must have even lengths.
func Checksum(parts ...[]byte) uint16 {
	var sum uint32
	for _, p := range parts {
		for len(p) >= 2 {
			sum += uint32(binary.BigEndian.Uint16(p))
			p = p[2:]
		}
		if len(p) == 1 {
			sum += uint32(p[0]) << 8
		}
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
