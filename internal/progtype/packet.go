package progtype

import (
	"encoding/binary"
	"fmt"
	"syscall"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm/internal/mem"
	"github.com/ebpfvm/ebpfvm/internal/vm"
)

// Packet program types run the way BPF_PROG_TEST_RUN runs them
// (net/bpf/test_run.c): the same buffer layout, the same context fields,
// the same output. Packet memory is a frame below 4 GiB (Memory.PacketFrame)
// so that the 32-bit packet pointers of xdp_md and __sk_buff hold real
// addresses.

const (
	ethHeaderLen = 14
	// FrameSize is the size of the packet frame Memory.PacketFrame
	// returns: PAGE_SIZE, one test-run frame.
	FrameSize      = 4096
	sharedInfoSize = 320 // SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64
	xdpHeadroom    = 256 // XDP_PACKET_HEADROOM
	xdpFrameHdr    = 40  // sizeof(struct xdp_frame), kept free at the head
	xdpMetaMax     = 32  // the largest metadata xdp_metalen_invalid allows
	skbHeadroom    = 64  // NET_SKB_PAD + NET_IP_ALIGN on x86-64
	loopbackIndex  = 1   // test runs happen on the loopback device
	xdpMDSize      = 24
	skBuffSize     = 192 // sizeof(struct __sk_buff)
	packetRegion   = 1   // index of the packet region (after the stack)
)

// xdpState is an XDP run's xdp_buff.
type xdpState struct {
	hardStart            uint64
	meta, data, dataEnd  uint64
	ctx                  uint64 // the xdp_md the program sees
	ingressIfindex, rxQ  uint32
	userCtx, userCtxGave bool
}

func (s *xdpState) hardEnd() uint64 { return s.hardStart + FrameSize - sharedInfoSize }

// sync writes the packet pointers into the xdp_md image and the region
// table after they change.
func (s *xdpState) sync(env *vm.Env) {
	ctx := mem.Slice(s.ctx, xdpMDSize)
	binary.LittleEndian.PutUint32(ctx[0:], uint32(s.data))
	binary.LittleEndian.PutUint32(ctx[4:], uint32(s.dataEnd))
	binary.LittleEndian.PutUint32(ctx[8:], uint32(s.meta))
	env.Regions.Set(packetRegion, mem.Region{Start: s.meta, End: s.dataEnd, Writable: true, Kind: mem.KindPacket})
	env.PacketStart, env.PacketEnd = s.data, s.dataEnd
}

// xdpFrame is an XDP test run: the packet in a frame with the kernel's
// headroom and tailroom, an xdp_md for r1.
type xdpFrame struct {
	st      *xdpState
	in      [xdpMDSize]byte // the user's xdp_md
	userCtx bool
}

func (fs *Frames) newXDP(in Input, m Memory) (Frame, error) {
	size := len(in.Data)
	headroom := xdpHeadroom
	fs.xdpSt = xdpState{ingressIfindex: loopbackIndex}
	fs.xdp = xdpFrame{st: &fs.xdpSt, userCtx: in.Context != nil}
	f := &fs.xdp
	st := f.st
	metaLen := 0
	if in.Context != nil {
		if err := ctxIn(f.in[:], in.Context); err != nil {
			return nil, err
		}
		ctx := f.in[:]
		dataOff, dataEnd := binary.LittleEndian.Uint32(ctx[0:]), binary.LittleEndian.Uint32(ctx[4:])
		switch {
		case binary.LittleEndian.Uint32(ctx[8:]) != 0, int(dataEnd) != size, dataOff > dataEnd,
			dataOff%4 != 0 || dataOff > xdpMetaMax:
			return nil, testRunError("xdp_md: data_meta must be 0, data_end the packet size (%d) and data a metadata length of at most %d bytes, a multiple of 4", size, xdpMetaMax)
		case binary.LittleEndian.Uint32(ctx[20:]) != 0:
			return nil, testRunError("xdp_md: egress_ifindex must be 0")
		}
		if ifx := binary.LittleEndian.Uint32(ctx[12:]); ifx != 0 && ifx != loopbackIndex {
			return nil, testRunError("xdp_md: ingress_ifindex %d: only the loopback device (1) exists here", ifx)
		}
		if binary.LittleEndian.Uint32(ctx[16:]) != 0 {
			return nil, testRunError("xdp_md: rx_queue_index must be 0")
		}
		metaLen = int(dataOff)
		headroom -= metaLen
	}
	maxData := FrameSize - headroom - sharedInfoSize
	if size < ethHeaderLen {
		return nil, testRunError("XDP needs at least %d bytes of packet data, got %d", ethHeaderLen, size)
	}
	if size > maxData {
		return nil, testRunError("packet of %d bytes is larger than an XDP frame holds (%d); multi-buffer frames are not supported", size, maxData)
	}
	buf, err := m.PacketFrame()
	if err != nil {
		return nil, err
	}
	copy(buf.Bytes()[headroom:], in.Data)
	st.hardStart = buf.Addr()
	st.meta = st.hardStart + uint64(headroom)
	st.data = st.meta + uint64(metaLen)
	st.dataEnd = st.meta + uint64(size)
	ctxBuf, err := m.Scratch(xdpMDSize)
	if err != nil {
		return nil, err
	}
	st.ctx = ctxBuf.Addr()
	img := ctxBuf.Bytes()[:xdpMDSize]
	clear(img)
	binary.LittleEndian.PutUint32(img[12:], st.ingressIfindex)
	return f, nil
}

func (f *xdpFrame) CtxLen() int { return xdpMDSize }

func (f *xdpFrame) Setup(env *vm.Env) [5]uint64 {
	st := f.st
	env.Regions.Add(mem.Region{Start: st.meta, End: st.dataEnd, Writable: true, Kind: mem.KindPacket}) // packetRegion
	env.Regions.Add(mem.Region{Start: st.ctx, End: st.ctx + xdpMDSize, Kind: mem.KindContext})
	env.Prog = st
	st.sync(env)
	return [5]uint64{st.ctx}
}

func (f *xdpFrame) Output() (data, ctx []byte) {
	st := f.st
	data = cloneBytes(mem.Slice(st.meta, int(st.dataEnd-st.meta)))
	if f.userCtx {
		out := f.in
		binary.LittleEndian.PutUint32(out[0:], uint32(st.data-st.meta))
		binary.LittleEndian.PutUint32(out[4:], uint32(st.dataEnd-st.meta))
		ctx = out[:]
	}
	return data, ctx
}

// ctxIn copies a user context into a kernel structure of len(dst) bytes:
// shorter input is zero-extended, longer input must be zero past the end
// (bpf_check_uarg_tail_zero).
func ctxIn(dst, user []byte) error {
	if len(user) > MaxCtxIn {
		return fmt.Errorf("%w: context of %d bytes is larger than a page (%d): %w", ErrInvalidTestRun, len(user), MaxCtxIn, syscall.E2BIG)
	}
	for _, b := range user[min(len(user), len(dst)):] {
		if b != 0 {
			return testRunError("context of %d bytes is larger than the %d-byte structure and not zero past its end", len(user), len(dst))
		}
	}
	copy(dst, user)
	return nil
}

// Offsets in struct __sk_buff.
const (
	skbLen            = 0
	skbPktType        = 4
	skbMark           = 8
	skbProtocol       = 16
	skbPriority       = 32
	skbIngressIfindex = 36
	skbIfindex        = 40
	skbTCIndex        = 44
	skbCB             = 48 // 5 x u32
	skbTCClassid      = 72
	skbData           = 76
	skbDataEnd        = 80
	skbFamily         = 88
	skbRemoteIP4      = 92
	skbLocalIP4       = 96
	skbRemoteIP6      = 100
	skbLocalIP6       = 116
	skbDataMeta       = 140
	skbTstamp         = 152
	skbWireLen        = 160
	skbGSOSegs        = 164
	skbGSOSize        = 176
	skbHwtstamp       = 184
)

// skbState is a socket-buffer run's sk_buff.
type skbState struct {
	start, end uint64 // skb->data, skb->data + skb->len
	ctx        uint64 // the __sk_buff image
	l2         bool   // data starts at the Ethernet header
}

func (s *skbState) sync(env *vm.Env) {
	ctx := mem.Slice(s.ctx, skBuffSize)
	binary.LittleEndian.PutUint32(ctx[skbLen:], uint32(s.end-s.start))
	binary.LittleEndian.PutUint32(ctx[skbData:], uint32(s.start))
	binary.LittleEndian.PutUint32(ctx[skbDataEnd:], uint32(s.end))
	binary.LittleEndian.PutUint32(ctx[skbDataMeta:], uint32(s.start))
	env.Regions.Set(packetRegion, mem.Region{Start: s.start, End: s.end, Writable: true, Kind: mem.KindPacket})
	env.PacketStart, env.PacketEnd = s.start, s.end
}

// skbAllowed checks that a user __sk_buff sets only the fields
// BPF_PROG_TEST_RUN accepts (convert___skb_to_skb).
func skbAllowed(ctx []byte) error {
	allowed := [][2]int{{skbMark, 4}, {skbPriority, 4}, {skbIngressIfindex, 4}, {skbIfindex, 4}, {skbCB, 20},
		{skbTstamp, 8}, {skbWireLen, 4}, {skbGSOSegs, 4}, {skbGSOSize, 4}, {skbHwtstamp, 8}}
	ok := make([]bool, skBuffSize)
	for _, a := range allowed {
		for i := a[0]; i < a[0]+a[1]; i++ {
			ok[i] = true
		}
	}
	for i, b := range ctx {
		if b != 0 && !ok[i] {
			return testRunError("__sk_buff: byte %d is set, but only mark, priority, ingress_ifindex, ifindex, cb, tstamp, wire_len, gso_segs, gso_size and hwtstamp may be", i)
		}
	}
	return nil
}

// skbFrame is a socket-buffer test run: the packet after the kernel's
// headroom, an __sk_buff for r1.
type skbFrame struct {
	st      *skbState
	buf     *mem.Buffer
	img     []byte           // the __sk_buff image the program sees
	in      [skBuffSize]byte // the user's __sk_buff
	userCtx bool
}

func (fs *Frames) newSKB(t ebpf.ProgramType, in Input, m Memory) (Frame, error) {
	size := len(in.Data)
	if size < ethHeaderLen || size > FrameSize-skbHeadroom-sharedInfoSize {
		return nil, testRunError("packet of %d bytes: want %d to %d bytes", size, ethHeaderLen, FrameSize-skbHeadroom-sharedInfoSize)
	}
	fs.skb = skbFrame{userCtx: in.Context != nil}
	f := &fs.skb
	if in.Context != nil {
		if err := ctxIn(f.in[:], in.Context); err != nil {
			return nil, err
		}
		if err := skbAllowed(f.in[:]); err != nil {
			return nil, err
		}
		if ifx := binary.LittleEndian.Uint32(f.in[skbIfindex:]); ifx > loopbackIndex {
			return nil, testRunError("__sk_buff: ifindex %d: only the loopback device (1) exists here", ifx)
		}
		if wl := binary.LittleEndian.Uint32(f.in[skbWireLen:]); wl != 0 && int(wl) < size {
			return nil, testRunError("__sk_buff: wire_len %d is shorter than the packet", wl)
		}
	}
	buf, err := m.PacketFrame()
	if err != nil {
		return nil, err
	}
	f.buf = buf
	copy(buf.Bytes()[skbHeadroom:], in.Data)
	fs.skbSt = skbState{l2: t == ebpf.SchedCLS || t == ebpf.SchedACT}
	st := &fs.skbSt
	f.st = st
	st.start = buf.Addr() + skbHeadroom
	st.end = st.start + uint64(size)
	if !st.l2 {
		st.start += ethHeaderLen
	}
	ctxBuf, err := m.Scratch(skBuffSize)
	if err != nil {
		return nil, err
	}
	st.ctx = ctxBuf.Addr()
	f.img = ctxBuf.Bytes()[:skBuffSize]
	copy(f.img, f.in[:])
	fillSKB(f.img, in.Data, in.Context != nil)
	return f, nil
}

func (f *skbFrame) CtxLen() int { return skBuffSize }

func (f *skbFrame) Setup(env *vm.Env) [5]uint64 {
	st := f.st
	env.Regions.Add(mem.Region{Start: st.start, End: st.end, Writable: true, Kind: mem.KindPacket}) // packetRegion
	env.Regions.Add(mem.Region{Start: st.ctx, End: st.ctx + skBuffSize, Writable: true, Kind: mem.KindContext})
	env.Prog = st
	st.sync(env)
	return [5]uint64{st.ctx}
}

func (f *skbFrame) Output() (data, ctx []byte) {
	st, buf := f.st, f.buf
	pkt := buf.Bytes()[st.start-buf.Addr() : st.end-buf.Addr()]
	if !st.l2 {
		// The kernel pushes a zeroed link-layer header back on.
		pkt = append(make([]byte, ethHeaderLen), pkt...)
	}
	data = cloneBytes(pkt)
	if f.userCtx {
		out := f.in
		for _, fl := range [][2]int{{skbMark, 4}, {skbPriority, 4}, {skbIngressIfindex, 4}, {skbCB, 20}, {skbTstamp, 8}, {skbWireLen, 4}, {skbGSOSegs, 4}, {skbHwtstamp, 8}} {
			copy(out[fl[0]:fl[0]+fl[1]], f.img[fl[0]:fl[0]+fl[1]])
		}
		binary.LittleEndian.PutUint32(out[skbIfindex:], loopbackIndex)
		ctx = out[:]
	}
	return data, ctx
}

// fillSKB sets the __sk_buff fields the kernel derives from the packet on
// the loopback device (eth_type_trans and the test run's dummy socket).
func fillSKB(img, pkt []byte, haveCtx bool) {
	put := func(off int, v uint32) { binary.LittleEndian.PutUint32(img[off:], v) }
	// eth_type_trans on the loopback device, whose address and broadcast
	// address are both all zeros: no frame is PACKET_BROADCAST, a group
	// address (ff:ff:ff:ff:ff:ff included) is PACKET_MULTICAST, any other
	// address but zero is PACKET_OTHERHOST.
	dst := pkt[0:6]
	switch {
	case dst[0]&1 != 0:
		put(skbPktType, 2) // PACKET_MULTICAST
	case string(dst) != "\x00\x00\x00\x00\x00\x00":
		put(skbPktType, 3) // PACKET_OTHERHOST
	}
	proto := binary.BigEndian.Uint16(pkt[12:])
	if proto < 0x600 {
		proto = 0x0004 // ETH_P_802_2
		if len(pkt) >= 16 && pkt[14] == 0xff && pkt[15] == 0xff {
			proto = 0x0001 // ETH_P_802_3
		}
	}
	// skb->protocol is big-endian in memory; the field reads it as stored.
	put(skbProtocol, uint32(proto>>8|proto<<8&0xff00))
	put(skbIfindex, loopbackIndex)
	l3 := pkt[ethHeaderLen:]
	switch proto {
	case 0x0800:
		put(skbFamily, 2) // AF_INET
		if len(l3) >= 20 {
			copy(img[skbLocalIP4:], l3[12:16])
			copy(img[skbRemoteIP4:], l3[16:20])
		}
	case 0x86dd:
		put(skbFamily, 10) // AF_INET6
		if len(l3) >= 40 {
			copy(img[skbLocalIP6:], l3[8:24])
			copy(img[skbRemoteIP6:], l3[24:40])
		}
	}
	if haveCtx && binary.LittleEndian.Uint32(img[skbWireLen:]) == 0 {
		put(skbWireLen, uint32(len(pkt)))
	}
}
