package ebpfvm_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
	"github.com/ebpfvm/ebpfvm/internal/testing/kernel"
	"github.com/ebpfvm/ebpfvm/isa"
)

// testPacket is an Ethernet + IPv4 + UDP packet of 60 bytes.
func testPacket() []byte {
	p := make([]byte, 60)
	copy(p[0:6], []byte{0x02, 0, 0, 0, 0, 1})  // dst
	copy(p[6:12], []byte{0x02, 0, 0, 0, 0, 2}) // src
	binary.BigEndian.PutUint16(p[12:], 0x0800)
	ip := p[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(ip[2:], 46)
	copy(ip[12:16], []byte{10, 0, 0, 1})
	copy(ip[16:20], []byte{10, 0, 0, 2})
	binary.BigEndian.PutUint16(ip[20:], 1234)
	binary.BigEndian.PutUint16(ip[22:], 80)
	for i := 42; i < 60; i++ {
		p[i] = byte(i)
	}
	return p
}

type progTypeCase struct {
	name string
	typ  ebpf.ProgramType
	asm  string
	data []byte
	ctx  []byte
	want uint64 // expected r0 (checked with or without the kernel)
}

var progTypeCases = []progTypeCase{
	{"xdp ingress_ifindex", ebpf.XDP, "r0 = *(u32 *)(r1 +12)\nexit", testPacket(), nil, 1},
	{"xdp bounds-checked read", ebpf.XDP, `
		r2 = *(u32 *)(r1 +0)
		r3 = *(u32 *)(r1 +4)
		r4 = r2
		r4 += 14
		if r4 > r3 goto out
		r0 = *(u16 *)(r2 +12)
		exit
	out:
		r0 = 0
		exit`, testPacket(), nil, 0x0008},
	{"xdp adjust_head pops the Ethernet header", ebpf.XDP, `
		r6 = r1
		r2 = 14
		call bpf_xdp_adjust_head
		if r0 != 0 goto out
		r2 = *(u32 *)(r6 +0)
		r3 = *(u32 *)(r6 +4)
		r0 = r3
		r0 -= r2
		exit
	out:
		r0 = 99
		exit`, testPacket(), nil, 46},
	{"xdp adjust_head pushes and writes", ebpf.XDP, `
		r6 = r1
		r2 = -4
		call bpf_xdp_adjust_head
		if r0 != 0 goto out
		r2 = *(u32 *)(r6 +0)
		r3 = *(u32 *)(r6 +4)
		r4 = r2
		r4 += 4
		if r4 > r3 goto out
		*(u32 *)(r2 +0) = 0x11223344
		r0 = 2
		exit
	out:
		r0 = 99
		exit`, testPacket(), nil, 2},
	{"xdp adjust_head too far", ebpf.XDP, `
		r2 = 60
		call bpf_xdp_adjust_head
		exit`, testPacket(), nil, uint64(uint32(0xffffffea))},
	{"xdp adjust_tail shrink and grow", ebpf.XDP, `
		r6 = r1
		r2 = -10
		call bpf_xdp_adjust_tail
		if r0 != 0 goto out
		r1 = r6
		r2 = 30
		call bpf_xdp_adjust_tail
		if r0 != 0 goto out
		r2 = *(u32 *)(r6 +0)
		r3 = *(u32 *)(r6 +4)
		r0 = r3
		r0 -= r2
		exit
	out:
		r0 = 99
		exit`, testPacket(), nil, 80},
	{"xdp adjust_tail beyond the frame", ebpf.XDP, `
		r2 = 4000
		call bpf_xdp_adjust_tail
		exit`, testPacket(), nil, uint64(uint32(0xffffffea))},
	{"xdp metadata", ebpf.XDP, `
		r6 = r1
		r2 = -8
		call bpf_xdp_adjust_meta
		if r0 != 0 goto out
		r2 = *(u32 *)(r6 +8)
		r3 = *(u32 *)(r6 +0)
		r4 = r2
		r4 += 8
		if r4 > r3 goto out
		*(u64 *)(r2 +0) = 0x55
		r0 = 1
		exit
	out:
		r0 = 99
		exit`, testPacket(), nil, 1},
	{"xdp metadata from the context", ebpf.XDP, `
		r2 = *(u32 *)(r1 +8)
		r3 = *(u32 *)(r1 +0)
		r4 = r2
		r4 += 4
		if r4 > r3 goto out
		r0 = *(u32 *)(r2 +0)
		exit
	out:
		r0 = 99
		exit`, append([]byte{7, 0, 0, 0}, testPacket()...), xdpMD(4, 64), 7},
	{"tc reads __sk_buff", ebpf.SchedCLS, `
		r0 = *(u32 *)(r1 +0)
		r2 = *(u32 *)(r1 +16)
		r0 <<= 16
		r0 |= r2
		r2 = *(u32 *)(r1 +4)
		r0 <<= 4
		r0 |= r2
		r2 = *(u32 *)(r1 +40)
		r0 <<= 4
		r0 |= r2
		exit`, testPacket(), nil, 60<<24 | 8<<8 | 3<<4 | 1},
	{"tc writes mark, priority and cb", ebpf.SchedCLS, `
		r2 = *(u32 *)(r1 +8)
		r2 += 1
		*(u32 *)(r1 +8) = r2
		*(u32 *)(r1 +32) = 7
		*(u32 *)(r1 +48) = 0xabcd
		r0 = 0
		exit`, testPacket(), skbCtx(41), 0},
	{"tc skb_load_bytes", ebpf.SchedCLS, `
		r2 = 26
		r3 = r10
		r3 += -8
		r4 = 4
		call bpf_skb_load_bytes
		if r0 != 0 goto out
		r0 = *(u32 *)(r10 -8)
		exit
	out:
		r0 = 99
		exit`, testPacket(), nil, 0x0100000a},
	{"tc skb_load_bytes out of range", ebpf.SchedCLS, `
		r2 = 58
		r3 = r10
		r3 += -8
		r4 = 4
		call bpf_skb_load_bytes
		exit`, testPacket(), nil, uint64(uint32(0xfffffff2))},
	{"tc skb_store_bytes and l3_csum_replace", ebpf.SchedCLS, `
		r6 = r1
		*(u32 *)(r10 -4) = 0x0300000a
		r2 = 30
		r3 = r10
		r3 += -4
		r4 = 4
		r5 = 0
		call bpf_skb_store_bytes
		if r0 != 0 goto out
		r1 = r6
		r2 = 24
		r3 = 0x0200000a
		r4 = 0x0300000a
		r5 = 4
		call bpf_l3_csum_replace
		exit
	out:
		r0 = 99
		exit`, testPacket(), nil, 0},
	{"socket filter sees the network header", ebpf.SocketFilter, `
		r6 = r1
		r2 = 0
		r3 = r10
		r3 += -8
		r4 = 1
		call bpf_skb_load_bytes
		r0 = *(u8 *)(r10 -8)
		r2 = *(u32 *)(r6 +0)
		r2 <<= 8
		r0 |= r2
		exit`, testPacket(), nil, 46<<8 | 0x45},
}

func xdpMD(data, end uint32) []byte {
	b := make([]byte, 24)
	binary.LittleEndian.PutUint32(b[0:], data)
	binary.LittleEndian.PutUint32(b[4:], end)
	return b
}

func skbCtx(mark uint32) []byte {
	b := make([]byte, 192)
	binary.LittleEndian.PutUint32(b[8:], mark)
	return b
}

// TestProgramTypes runs small programs of each packet type in ebpfvm and,
// where bpf() is available, in the kernel, and compares r0, the packet and
// the context after the run.
func TestProgramTypes(t *testing.T) { engines.Run(t, testProgramTypes) }

func testProgramTypes(t *testing.T, e engines.Engine) {
	kernelErr := kernel.Available()
	if kernelErr != nil {
		t.Logf("kernel comparison skipped: %v", kernelErr)
	}
	for _, c := range progTypeCases {
		t.Run(c.name, func(t *testing.T) {
			insns, err := isa.Assemble(c.asm)
			if err != nil {
				t.Fatal(err)
			}
			p, err := ebpfvm.NewProgram(insns, e.Program(&ebpfvm.ProgramOptions{Type: c.typ}))
			if err != nil {
				t.Fatal(err)
			}
			res, err := p.Run(&ebpfvm.RunOptions{Data: c.data, Context: c.ctx})
			if err != nil {
				t.Fatal(err)
			}
			if res.ReturnValue != c.want {
				t.Errorf("r0 = %#x, want %#x", res.ReturnValue, c.want)
			}
			if kernelErr != nil {
				return
			}
			kp, err := kernel.Load(insns, kernel.LoadOptions{Type: kernel.ProgType(c.typ)})
			if err != nil {
				t.Fatalf("kernel load: %v", err)
			}
			defer kp.Close()
			kr, err := kp.TestRun(kernel.TestRunOptions{Data: c.data, Ctx: c.ctx, DataOutSize: 4096})
			if err != nil {
				t.Fatalf("kernel test run: %v", err)
			}
			if uint64(kr.Retval) != res.ReturnValue {
				t.Errorf("r0: ebpfvm %#x, kernel %#x", res.ReturnValue, kr.Retval)
			}
			if !bytes.Equal(kr.DataOut, res.DataOut) {
				t.Errorf("data out differs:\nebpfvm %x\nkernel %x", res.DataOut, kr.DataOut)
			}
			if c.ctx != nil && !bytes.Equal(kr.CtxOut, res.ContextOut) {
				t.Errorf("context out differs:\nebpfvm %x\nkernel %x", res.ContextOut, kr.CtxOut)
			}
		})
	}
}

func TestProgramTypeInputErrors(t *testing.T) { engines.Run(t, testProgramTypeInputErrors) }

func testProgramTypeInputErrors(t *testing.T, e engines.Engine) {
	xdp, err := ebpfvm.NewProgram(prog(isa.Mov64Imm(isa.R0, 2), isa.Exit()), e.Program(&ebpfvm.ProgramOptions{Type: ebpf.XDP}))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		opts *ebpfvm.RunOptions
		want string
	}{
		{&ebpfvm.RunOptions{Data: make([]byte, 10)}, "at least 14 bytes"},
		{&ebpfvm.RunOptions{Data: make([]byte, 4000)}, "larger than an XDP frame"},
		{&ebpfvm.RunOptions{Data: make([]byte, 60), Context: xdpMD(0, 59)}, "data_end"},
		{&ebpfvm.RunOptions{Data: make([]byte, 60), Context: xdpMD(3, 60)}, "multiple of 4"},
		{&ebpfvm.RunOptions{Data: make([]byte, 60), CPU: 1 << 20}, "CPU"},
	} {
		_, err := xdp.Run(c.opts)
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(c.want)) {
			t.Errorf("%+v: err = %v, want it to mention %q", c.opts, err, c.want)
		}
	}
	tc, err := ebpfvm.NewProgram(prog(isa.Mov64Imm(isa.R0, 0), isa.Exit()), e.Program(&ebpfvm.ProgramOptions{Type: ebpf.SchedCLS}))
	if err != nil {
		t.Fatal(err)
	}
	bad := skbCtx(0)
	bad[0] = 1 // len may not be set
	if _, err := tc.Run(&ebpfvm.RunOptions{Data: testPacket(), Context: bad}); err == nil {
		t.Error("__sk_buff with len set was accepted")
	}
	// Packet helpers exist only for their program types.
	if _, err := ebpfvm.NewProgram(prog(isa.Call(44), isa.Exit()), e.Program(&ebpfvm.ProgramOptions{Type: ebpf.SchedCLS})); err == nil {
		t.Error("xdp_adjust_head accepted in a tc program")
	}
}
