package ebpfvm_test

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/mem"
	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
	"github.com/ebpfvm/ebpfvm/isa"
	"github.com/ebpfvm/ebpfvm/verifier"
)

// Verified programs run without per-access checks; unverified ones in
// checked mode. These tests pin down that split and the places where the
// runtime must keep its promises to the verifier: the context size, the
// packet pointers, tail calls between verified and unverified programs,
// the maps of raw programs.

func assemble(t *testing.T, src string) []isa.Instruction {
	t.Helper()
	insns, err := isa.Assemble(src)
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	return insns
}

func load(t *testing.T, src string, opts *ebpfvm.ProgramOptions) *ebpfvm.Program {
	t.Helper()
	p, err := ebpfvm.NewProgram(assemble(t, src), opts)
	if err != nil {
		t.Fatalf("NewProgram: %v\n%s", err, src)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// wantAccessError checks that err is a clean run-time access error (not a
// fault caught by the last line of defence) at instruction index.
func wantAccessError(t *testing.T, err error, index int) {
	t.Helper()
	var re *ebpfvm.RunError
	if !errors.As(err, &re) || !errors.Is(err, ebpfvm.ErrAccessDenied) || re.Index != index {
		t.Fatalf("err = %v, want an access error at instruction %d", err, index)
	}
}

// TestVerifiedRunsUnchecked tells the modes apart with a helper that
// returns memory without adding it to the run's regions: the verifier
// trusts the helper's prototype, so a verified program reads the memory;
// an unverified one is stopped by the check.
func TestVerifiedRunsUnchecked(t *testing.T) { engines.RunChecked(t, testVerifiedRunsUnchecked) }

func testVerifiedRunsUnchecked(t *testing.T, e engines.Engine) {
	buf, err := mem.Alloc(8)
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Free()
	buf.Bytes()[0] = 42
	h := &ebpfvm.Helpers{}
	h.Register(ebpfvm.Helper{ID: 1000, Name: "word", Func: func(*ebpfvm.Env, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
		return buf.Addr(), nil // and no env.Regions.Add
	}, Proto: &ebpfvm.HelperProto{Name: "word", Ret: verifier.RetPtrToMemOrNull, RetSize: 8}})
	src := "call 1000\nif r0 == 0 goto +1\nr0 = *(u64 *)(r0 +0)\nexit"
	verified := load(t, src, e.Program(&ebpfvm.ProgramOptions{Helpers: h}))
	if !verified.Verified() {
		t.Fatal("Verified() = false for a program loaded with the default options")
	}
	if res, err := verified.Run(nil); err != nil || res.ReturnValue != 42 {
		t.Fatalf("verified: r0 = %d, %v", res.ReturnValue, err)
	}
	unverified := load(t, src, e.Program(&ebpfvm.ProgramOptions{Helpers: h, Verify: ebpfvm.VerifyNone}))
	if unverified.Verified() {
		t.Fatal("Verified() = true with VerifyNone")
	}
	_, err = unverified.Run(nil)
	wantAccessError(t, err, 2)
}

// progArray makes a prog array with 4 slots.
func progArray(t *testing.T) *ebpfvm.Map {
	t.Helper()
	c := newCollection(t, &ebpf.CollectionSpec{Maps: map[string]*ebpf.MapSpec{
		"jump": {Type: ebpf.ProgramArray, KeySize: 4, ValueSize: 4, MaxEntries: 4},
	}})
	return c.Maps["jump"]
}

// tailCallTo is a program that tail-calls slot of Maps[0] and returns 1
// when the slot is empty.
func tailCallTo(slot int) string {
	return "r2 = map[fd:0]\nr3 = " + string(rune('0'+slot)) + "\ncall bpf_tail_call\nr0 = 1\nexit"
}

// TestTailCallIntoUnverified: a verified program that tail-calls an
// unverified one hands over to checked mode, so the callee's
// out-of-bounds read is a clean error.
func TestTailCallIntoUnverified(t *testing.T) { engines.RunChecked(t, testTailCallIntoUnverified) }

func testTailCallIntoUnverified(t *testing.T, e engines.Engine) {
	jump := progArray(t)
	caller := load(t, tailCallTo(0), e.Program(&ebpfvm.ProgramOptions{Type: ebpf.SocketFilter, Maps: []*ebpfvm.Map{jump}}))
	if !caller.Verified() {
		t.Fatal("the caller is not verified")
	}
	// 8 bytes 4 KiB past the __sk_buff: no verifier would accept this.
	wild := "r0 = *(u64 *)(r1 +4096)\nexit"
	callee := load(t, wild, e.Program(&ebpfvm.ProgramOptions{Type: ebpf.SocketFilter, Verify: ebpfvm.VerifyNone}))
	if err := jump.Update(uint32(0), callee, ebpfvm.UpdateAny); err != nil {
		t.Fatal(err)
	}
	_, err := caller.Run(&ebpfvm.RunOptions{Data: testPacket()})
	wantAccessError(t, err, 0)
	if !strings.Contains(err.Error(), "context") {
		t.Errorf("err = %v, want it to name the context", err)
	}
}

// TestCheckedModeIsSticky: unverified code can leave state that verified
// code trusts inconsistent with the run's memory (here the packet
// pointers in a writable __sk_buff image). Once a run has entered checked
// code it stays checked: in a verified program it tail-calls next, and in
// the following repeats.
func TestCheckedModeIsSticky(t *testing.T) { engines.RunChecked(t, testCheckedModeIsSticky) }

func testCheckedModeIsSticky(t *testing.T, e engines.Engine) {
	// Reads the first packet byte through data/data_end.
	const readPacket = `
		r2 = *(u32 *)(r1 +76)
		r3 = *(u32 *)(r1 +80)
		r4 = r2
		r4 += 1
		if r4 > r3 goto +1
		r0 = *(u8 *)(r2 +0)
	`
	// Points data and data_end at 16 bytes of memory no run has.
	const corrupt = `
		r2 = 0x10000
		*(u32 *)(r1 +76) = r2
		r2 = 0x10010
		*(u32 *)(r1 +80) = r2
	`
	opts := func(maps ...*ebpfvm.Map) *ebpfvm.ProgramOptions {
		return e.Program(&ebpfvm.ProgramOptions{Type: ebpf.SchedCLS, Maps: maps})
	}
	t.Run("tail call", func(t *testing.T) {
		jump := progArray(t)
		first := load(t, tailCallTo(1), opts(jump))
		o := opts(jump)
		o.Verify = ebpfvm.VerifyNone
		bad := load(t, corrupt+tailCallTo(2), o)
		reader := load(t, readPacket+"r0 = 0\nexit", opts())
		for slot, p := range []*ebpfvm.Program{1: bad, 2: reader} {
			if p != nil {
				if err := jump.Update(uint32(slot), p, ebpfvm.UpdateAny); err != nil {
					t.Fatal(err)
				}
			}
		}
		_, err := first.Run(&ebpfvm.RunOptions{Data: testPacket()})
		wantAccessError(t, err, 5)
	})
	t.Run("repeat", func(t *testing.T) {
		jump := progArray(t)
		o := opts()
		o.Verify = ebpfvm.VerifyNone
		if err := jump.Update(uint32(0), load(t, corrupt+"r0 = 0\nexit", o), ebpfvm.UpdateAny); err != nil {
			t.Fatal(err)
		}
		// The first run reads the packet, then corrupts the context
		// image through the unverified callee; the second run reads it.
		p := load(t, readPacket+tailCallTo(0), opts(jump))
		_, err := p.Run(&ebpfvm.RunOptions{Data: testPacket(), Repeat: 2})
		wantAccessError(t, err, 5)
	})
}

// TestTailCallAcrossContexts: a verified callee was proven safe for its own
// program type and context size. A caller of another type cannot reach it
// (a prog array holds one type of program, as in the kernel); a caller
// whose run has less context than the callee may read makes it run
// checked.
func TestTailCallAcrossContexts(t *testing.T) { engines.Run(t, testTailCallAcrossContexts) }

func testTailCallAcrossContexts(t *testing.T, e engines.Engine) {
	t.Run("type", func(t *testing.T) {
		jump := progArray(t)
		load(t, tailCallTo(0), e.Program(&ebpfvm.ProgramOptions{Type: ebpf.XDP, Maps: []*ebpfvm.Map{jump}}))
		// __sk_buff.data_end is at offset 80; an xdp_md has 24 bytes.
		callee := load(t, "r0 = *(u32 *)(r1 +80)\nexit", e.Program(&ebpfvm.ProgramOptions{Type: ebpf.SchedCLS}))
		if err := jump.Update(uint32(0), callee, ebpfvm.UpdateAny); !errors.Is(err, syscall.EINVAL) {
			t.Fatalf("a SchedCLS program stored in an XDP program's prog array: %v, want EINVAL", err)
		}
		// The other order: the prog array holds a SchedCLS program, and
		// an XDP program that uses it is refused at load.
		jump = progArray(t)
		if err := jump.Update(uint32(0), callee, ebpfvm.UpdateAny); err != nil {
			t.Fatal(err)
		}
		_, err := ebpfvm.NewProgram(mustAssemble(t, tailCallTo(0)), e.Program(&ebpfvm.ProgramOptions{Type: ebpf.XDP, Maps: []*ebpfvm.Map{jump}}))
		if !errors.Is(err, syscall.EINVAL) {
			t.Fatalf("an XDP program using a prog array of SchedCLS programs: %v, want EINVAL", err)
		}
	})
	t.Run("context size", func(t *testing.T) {
		jump := progArray(t)
		caller := load(t, tailCallTo(0), e.Program(&ebpfvm.ProgramOptions{Type: ebpf.RawTracepoint, Maps: []*ebpfvm.Map{jump}}))
		callee := load(t, "r0 = *(u64 *)(r1 +88)\nexit", e.Program(&ebpfvm.ProgramOptions{Type: ebpf.RawTracepoint}))
		if err := jump.Update(uint32(0), callee, ebpfvm.UpdateAny); err != nil {
			t.Fatal(err)
		}
		_, err := caller.Run(&ebpfvm.RunOptions{Context: make([]byte, 8)})
		wantAccessError(t, err, 0)
		// Run directly, the callee refuses the short context, as the
		// kernel's test run does (max_ctx_offset).
		if _, err := callee.Run(&ebpfvm.RunOptions{Context: make([]byte, 8)}); !errors.Is(err, syscall.EINVAL) {
			t.Fatalf("callee: err = %v, want EINVAL", err)
		}
	})
	t.Run("padded context", func(t *testing.T) {
		// Tracing programs get a short context zero-padded to what
		// they read; a callee that reads more runs checked.
		jump := progArray(t)
		caller := load(t, "r6 = *(u64 *)(r1 +8)\n"+tailCallTo(0), e.Program(&ebpfvm.ProgramOptions{Type: ebpf.Tracing, Maps: []*ebpfvm.Map{jump}}))
		callee := load(t, "r0 = *(u64 *)(r1 +88)\nexit", e.Program(&ebpfvm.ProgramOptions{Type: ebpf.Tracing}))
		if err := jump.Update(uint32(0), callee, ebpfvm.UpdateAny); err != nil {
			t.Fatal(err)
		}
		_, err := caller.Run(&ebpfvm.RunOptions{Context: make([]byte, 8)})
		wantAccessError(t, err, 0)
		res, err := callee.Run(&ebpfvm.RunOptions{Context: make([]byte, 8)})
		if err != nil || res.ReturnValue != 0 {
			t.Fatalf("callee: r0 = %d, %v", res.ReturnValue, err)
		}
	})
}

// TestContextPadding: the verifier proves context accesses against the
// program type's context (ContextSize for the generic type); where the
// kernel's test run has no rule on the context's size (the generic type,
// tracing), a run with a shorter context gets it zero-padded to the
// furthest access, so that the unchecked accesses stay in memory of the
// run and see nothing of an earlier run's. Unverified programs get
// exactly what they were given. (Syscall and raw tracepoint programs
// refuse a short context: TestContextSizeRules.)
func TestContextPadding(t *testing.T) { engines.RunChecked(t, testContextPadding) }

func testContextPadding(t *testing.T, e engines.Engine) {
	cases := []struct {
		name string
		typ  ebpf.ProgramType
		size int
		src  string
	}{
		{"generic", ebpf.UnspecifiedProgram, 16, "r0 = *(u64 *)(r1 +8)\nr0 += r2\nexit"},
		{"tracing", ebpf.Tracing, 0, "r0 = *(u64 *)(r1 +88)\nexit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := load(t, c.src, e.Program(&ebpfvm.ProgramOptions{Type: c.typ, ContextSize: c.size}))
			// A run with a long context leaves its bytes in the
			// runner's memory, which the next run reuses.
			long := make([]byte, 96)
			for i := range long {
				long[i] = 0xff
			}
			if c.size > 0 {
				long = long[:c.size]
			}
			if _, err := p.Run(&ebpfvm.RunOptions{Context: long}); err != nil {
				t.Fatal(err)
			}
			ctx := []byte{1, 2, 3, 4}
			res, err := p.Run(&ebpfvm.RunOptions{Context: ctx})
			if err != nil {
				t.Fatal(err)
			}
			want := uint64(0)
			if c.typ == ebpf.UnspecifiedProgram {
				want = 4 // r2 is the length of the context given
			}
			if res.ReturnValue != want || string(res.ContextOut) != string(ctx) {
				t.Fatalf("r0 = %#x, context out %v; want %#x, %v", res.ReturnValue, res.ContextOut, want, ctx)
			}
			u := load(t, c.src, e.Program(&ebpfvm.ProgramOptions{Type: c.typ, ContextSize: c.size, Verify: ebpfvm.VerifyNone}))
			_, err = u.Run(&ebpfvm.RunOptions{Context: ctx})
			if !errors.Is(err, ebpfvm.ErrAccessDenied) {
				t.Fatalf("unverified: err = %v, want an access error", err)
			}
		})
	}
}

// TestPacketPointers: a verified XDP or tc program sees data and data_end
// that bound the packet exactly, also after a helper moved data.
func TestPacketPointers(t *testing.T) { engines.Run(t, testPacketPointers) }

func testPacketPointers(t *testing.T, e engines.Engine) {
	// r0 = data_end - data, after bpf_xdp_adjust_head(ctx, 14) for XDP.
	for _, c := range []struct {
		typ      ebpf.ProgramType
		src      string
		data     int // where the program sees data
		wantSize uint64
	}{
		{ebpf.XDP, "r6 = r1\nr2 = 14\ncall bpf_xdp_adjust_head\nr2 = *(u32 *)(r6 +0)\nr3 = *(u32 *)(r6 +4)\n", 14, 60 - 14},
		{ebpf.SchedCLS, "r2 = *(u32 *)(r1 +76)\nr3 = *(u32 *)(r1 +80)\n", 0, 60},
	} {
		t.Run(c.typ.String(), func(t *testing.T) {
			// Read the last byte through a pointer proven below data_end.
			src := c.src + `
				r0 = r3
				r0 -= r2
				r0 <<= 8
				r4 = r2
				r4 += 46
				if r4 > r3 goto +2
				r5 = *(u8 *)(r4 -1)
				r0 |= r5
				exit`
			p := load(t, src, e.Program(&ebpfvm.ProgramOptions{Type: c.typ}))
			pkt := testPacket()
			pkt[c.data+45] = 0x5a
			res, err := p.Run(&ebpfvm.RunOptions{Data: pkt})
			if err != nil {
				t.Fatal(err)
			}
			if want := c.wantSize<<8 | 0x5a; res.ReturnValue != want {
				t.Fatalf("r0 = %#x, want %#x", res.ReturnValue, want)
			}
		})
	}
}

// TestRawProgramMaps: NewProgram resolves map[fd:N] / map[idx:N] loads to
// ProgramOptions.Maps, and the verifier sees the maps.
func TestRawProgramMaps(t *testing.T) { engines.Run(t, testRawProgramMaps) }

func testRawProgramMaps(t *testing.T, e engines.Engine) {
	c := newCollection(t, &ebpf.CollectionSpec{Maps: map[string]*ebpf.MapSpec{
		"counts": {Type: ebpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 4},
		"config": {Type: ebpf.Array, KeySize: 4, ValueSize: 16, MaxEntries: 1},
	}})
	counts, config := c.Maps["counts"], c.Maps["config"]
	if err := config.Update(uint32(0), [2]uint64{5, 9}, ebpfvm.UpdateAny); err != nil {
		t.Fatal(err)
	}
	// counts[3] += config.second word
	src := `
		r6 = map[idx:1]+8
		r6 = *(u64 *)(r6 +0)
		*(u32 *)(r10 -4) = 3
		r2 = r10
		r2 += -4
		r1 = map[fd:0]
		call bpf_map_lookup_elem
		if r0 == 0 goto +2
		r1 = *(u64 *)(r0 +0)
		r6 += r1
		*(u64 *)(r10 -16) = r6
		r2 = r10
		r2 += -4
		r3 = r10
		r3 += -16
		r1 = map[fd:0]
		r4 = 0
		call bpf_map_update_elem
		r0 = 0
		exit`
	for _, mode := range e.Modes() {
		p := load(t, src, e.Program(&ebpfvm.ProgramOptions{Type: ebpf.Syscall, Maps: []*ebpfvm.Map{counts, config}, Verify: mode}))
		if _, err := p.Run(nil); err != nil {
			t.Fatalf("%v: %v", mode, err)
		}
	}
	var v uint64
	if err := counts.Lookup(uint32(3), &v); err != nil || v != 18 {
		t.Fatalf("counts[3] = %d, %v; want 18", v, err)
	}
	// The verifier checks accesses against the maps' value sizes.
	_, err := ebpfvm.NewProgram(assemble(t, "r0 = map[idx:0]+8\nr0 = *(u64 *)(r0 +8)\nexit"),
		e.Program(&ebpfvm.ProgramOptions{Maps: []*ebpfvm.Map{config}}))
	var ve *verifier.Error
	if !errors.As(err, &ve) || ve.Insn != 2 {
		t.Errorf("read past a map value: %v", err)
	}
	// A reference to a map that is not given is refused, with or
	// without the verifier.
	for _, mode := range e.Modes() {
		if _, err := ebpfvm.NewProgram(assemble(t, "r0 = map[fd:2]\nr0 = 0\nexit"), e.Program(&ebpfvm.ProgramOptions{Maps: []*ebpfvm.Map{config}, Verify: mode})); err == nil {
			t.Errorf("%v: a reference to a missing map was accepted", mode)
		}
	}
}

// TestUnknownProgramType: the verifier does not know every program type
// Run can run; loading one needs the explicit unverified mode.
func TestUnknownProgramType(t *testing.T) { engines.RunChecked(t, testUnknownProgramType) }

func testUnknownProgramType(t *testing.T, e engines.Engine) {
	insns := assemble(t, "r0 = 1\nexit")
	if _, err := ebpfvm.NewProgram(insns, e.Program(&ebpfvm.ProgramOptions{Type: ebpf.CGroupSKB})); err == nil || !strings.Contains(err.Error(), "VerifyNone") {
		t.Errorf("err = %v, want one that names VerifyNone", err)
	}
	p, err := ebpfvm.NewProgram(insns, e.Program(&ebpfvm.ProgramOptions{Type: ebpf.CGroupSKB, Verify: ebpfvm.VerifyNone}))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := p.Run(&ebpfvm.RunOptions{Data: testPacket()}); err != nil || res.ReturnValue != 1 {
		t.Fatalf("r0 = %d, %v", res.ReturnValue, err)
	}
}
