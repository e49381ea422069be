//go:build linux

package helpers

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ebpfvm/ebpfvm/internal/testing/kernel"
)

// copyToStack is assembly that copies n bytes (a multiple of 8) of the
// context at ctxOff to the stack at r10-stackOff, through r1.
func copyToStack(ctxOff, stackOff, n int) string {
	var b strings.Builder
	for k := 0; k < n; k += 8 {
		fmt.Fprintf(&b, "r1 = *(u64 *)(r6 +%d)\n*(u64 *)(r10 -%d) = r1\n", ctxOff+k, stackOff-k)
	}
	return b.String()
}

func copyFromStack(stackOff, ctxOff, n int) string {
	var b strings.Builder
	for k := 0; k < n; k += 8 {
		fmt.Fprintf(&b, "r1 = *(u64 *)(r10 -%d)\n*(u64 *)(r6 +%d) = r1\n", stackOff-k, ctxOff+k)
	}
	return b.String()
}

func runSyscall(t *testing.T, p *kernel.Program, ctx []byte) []byte {
	t.Helper()
	res, err := p.TestRun(kernel.TestRunOptions{Ctx: ctx})
	if err != nil {
		t.Fatalf("test run: %v", err)
	}
	return res.CtxOut
}

// strtoxInputs are curated and random inputs for bpf_strtol/strtoul.
func strtoxInputs() (bufs [][]byte, flags []uint64) {
	curated := []string{"0", "123", "-123", " \t\n\v\f\r42", "\xa0\xa01", "\x85 1", "+1", "-", "", " ",
		"0x", "0x1f", "0X1F", "0xg", "0x-1", "00x1", "08", "0777", "0778", "-0x10", "--1", "- 1",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
		"18446744073709551615", "18446744073709551616", "1152921504606846975", "1152921504606846976",
		"0xfffffffffffffff", "0xffffffffffffffff", "0x10000000000000000", "01777777777777777777777",
		"02000000000000000000000", "12\x0034", "1 2", "abc", "fff", "ABC",
		strings.Repeat("1", 63), strings.Repeat("0", 63) + "1", " " + strings.Repeat("0", 63) + "1",
		strings.Repeat(" ", 63) + "1", strings.Repeat("9", 64)}
	fl := []uint64{0, 8, 10, 16}
	for _, s := range curated {
		for _, f := range fl {
			bufs = append(bufs, []byte(s))
			flags = append(flags, f)
		}
	}
	for _, f := range []uint64{1, 2, 7, 9, 17, 31, 32, 0x20 | 10, 1 << 40} {
		bufs = append(bufs, []byte("10"))
		flags = append(flags, f)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte(" \t-+0123456789abcdefxXgG\xa0\x00")
	for range 600 {
		n := 1 + rng.IntN(24)
		if rng.IntN(8) == 0 {
			n = 1 + rng.IntN(64)
		}
		b := make([]byte, n)
		for i := range b {
			if rng.IntN(3) == 0 {
				b[i] = "0123456789"[rng.IntN(10)]
			} else {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
		}
		bufs = append(bufs, b)
		flags = append(flags, fl[rng.IntN(len(fl))])
	}
	return bufs, flags
}

func TestStrtolKernel(t *testing.T) {
	requireKernel(t)
	// ctx: [0] buf_len, [8] flags, [16:80] buf, [80] result, [88] *res.
	for _, name := range []string{"strtol", "strtoul"} {
		p := loadKernel(t, kernel.Syscall, `
			r6 = r1
			`+copyToStack(16, 80, 64)+`
			r1 = 0x5a5a5a5a
			*(u64 *)(r10 -8) = r1
			r2 = *(u64 *)(r6 +0)
			if r2 < 1 goto out
			if r2 > 64 goto out
			r1 = r10
			r1 += -80
			r3 = *(u64 *)(r6 +8)
			r4 = r10
			r4 += -8
			call bpf_`+name+`
			*(u64 *)(r6 +80) = r0
			r1 = *(u64 *)(r10 -8)
			*(u64 *)(r6 +88) = r1
		out:
			r0 = 0
			exit`)
		v := newVM(t)
		fn := strtol
		if name == "strtoul" {
			fn = strtoul
		}
		bufs, flags := strtoxInputs()
		for i, b := range bufs {
			if len(b) == 0 || len(b) > 64 {
				continue // the verifier does not let a program pass 0; the buffer holds 64
			}
			ctx := make([]byte, 96)
			binary.LittleEndian.PutUint64(ctx, uint64(len(b)))
			binary.LittleEndian.PutUint64(ctx[8:], flags[i])
			copy(ctx[16:], b)
			out := runSyscall(t, p, ctx)
			wantR, wantRes := binary.LittleEndian.Uint64(out[80:]), binary.LittleEndian.Uint64(out[88:])
			v.reset()
			buf := v.put(0, b)
			res := v.u64s(128, 0x5a5a5a5a)
			gotR, err := v.call(fn, buf, uint64(len(b)), flags[i], res)
			gotRes := binary.LittleEndian.Uint64(v.mem()[128:])
			if err != nil || gotR != wantR || gotRes != wantRes {
				t.Errorf("bpf_%s(%q, %#x): kernel %d res %d, ours %d res %d (%v)", name, b, flags[i],
					int64(wantR), int64(wantRes), int64(gotR), int64(gotRes), err)
			}
		}
	}
}

func TestStrncmpKernel(t *testing.T) {
	requireKernel(t)
	s2s := []string{"", "a", "abc", "abd", "hello world", "\xff\x80", "abc\x01"}
	rd := newRodata(t, s2s)
	rng := rand.New(rand.NewPCG(5, 6))
	v := newVM(t)
	for _, s2 := range s2s {
		// ctx: [0] s1_sz, [8:40] s1, [40] result.
		p := loadKernel(t, kernel.Syscall, `
			r6 = r1
			`+copyToStack(8, 32, 32)+`
			r2 = *(u64 *)(r6 +0)
			if r2 < 1 goto out
			if r2 > 32 goto out
			r1 = r10
			r1 += -32
			`+rd.ref("r3", s2)+`
			call bpf_strncmp
			*(u64 *)(r6 +40) = r0
		out:
			r0 = 0
			exit`)
		var s1s []string
		for _, s := range s2s {
			s1s = append(s1s, s, s+"x", s+"\x00", strings.TrimSuffix(s, "c"))
		}
		for range 40 {
			b := make([]byte, 1+rng.IntN(8))
			for i := range b {
				b[i] = "abcdh\x00\xff\x80\x01"[rng.IntN(9)]
			}
			s1s = append(s1s, string(b))
		}
		for _, s1 := range s1s {
			for _, n := range []int{1, 2, 3, len(s1), len(s1) + 1, 32} {
				if n < 1 || n > 32 {
					continue
				}
				ctx := make([]byte, 48)
				binary.LittleEndian.PutUint64(ctx, uint64(n))
				copy(ctx[8:], s1)
				want := binary.LittleEndian.Uint64(runSyscall(t, p, ctx)[40:])
				v.reset()
				a := v.put(0, ctx[8:40])
				b := v.put(100, append([]byte(s2), 0))
				got, err := v.call(strncmp, a, uint64(n), b)
				if err != nil || got != want {
					t.Errorf("strncmp(%q, %d, %q): kernel %d, ours %d (%v)", s1, n, s2, int64(want), int64(got), err)
				}
			}
		}
	}
}

func TestCsumDiffKernel(t *testing.T) {
	requireKernel(t)
	sizes := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 20, 31, 32, 64, 100, 255, 256, 400, 512}
	rng := rand.New(rand.NewPCG(7, 8))
	v := newVM(t)
	type combo struct{ fs, ts, fo, to int }
	var combos []combo
	for _, fs := range sizes {
		for _, ts := range sizes {
			if rng.IntN(3) == 0 || fs%4 == 0 && ts%4 == 0 && fs <= 64 && ts <= 64 {
				combos = append(combos, combo{fs, ts, rng.IntN(4), rng.IntN(4)})
			}
		}
	}
	combos = append(combos, combo{512, 512, 0, 0}, combo{0, 0, 0, 0})
	const seedOff, resOff, pktSize = 1088, 1092, 1100
	for _, c := range combos {
		// Packet: from at fo, to at 520+to, the seed at 1088, the result
		// written at 1092.
		p := loadKernel(t, kernel.XDP, fmt.Sprintf(`
			r6 = *(u32 *)(r1 +0)
			r7 = *(u32 *)(r1 +4)
			r2 = r6
			r2 += %d
			if r2 > r7 goto out
			r1 = r6
			r1 += %d
			r2 = %d
			r3 = r6
			r3 += %d
			r4 = %d
			r5 = *(u32 *)(r6 +%d)
			call bpf_csum_diff
			*(u64 *)(r6 +%d) = r0
		out:
			r0 = 2
			exit`, pktSize, c.fo, c.fs, 520+c.to, c.ts, seedOff, resOff))
		for k := range 4 {
			pkt := make([]byte, pktSize)
			for i := range pkt[:seedOff] {
				pkt[i] = byte(rng.Uint32())
			}
			if k == 1 {
				clear(pkt[:seedOff]) // all zero
			} else if k == 2 {
				for i := range pkt[:seedOff] {
					pkt[i] = 0xff
				}
			}
			seed := []uint32{0, rng.Uint32(), 0xffffffff, 0xffff}[k]
			binary.LittleEndian.PutUint32(pkt[seedOff:], seed)
			res, err := p.TestRun(kernel.TestRunOptions{Data: pkt})
			if err != nil {
				t.Fatal(err)
			}
			want := binary.LittleEndian.Uint64(res.DataOut[resOff:])
			v.reset()
			from := v.put(1000+c.fo, pkt[c.fo:c.fo+c.fs])
			to := v.put(3000+c.to, pkt[520+c.to:520+c.to+c.ts])
			got, err := v.call(csumDiff, from, uint64(c.fs), to, uint64(c.ts), uint64(seed))
			if err != nil || got != want {
				t.Errorf("csum_diff(from %d bytes at +%d, to %d bytes at +%d, seed %#x) data %d: kernel %#x, ours %#x (%v)",
					c.fs, c.fo, c.ts, c.to, seed, k, want, got, err)
			}
		}
	}
}

func TestProbeReadStrKernel(t *testing.T) {
	requireKernel(t)
	v := newVM(t)
	// ctx: [0] size, [8] src, [16:80] the destination's bytes (copied to
	// the stack before the call and back after), [80] result.
	for _, name := range []string{"probe_read_user_str", "probe_read_user", "probe_read_kernel_str", "probe_read_kernel"} {
		kernelMem := strings.Contains(name, "kernel")
		// Kernel memory is the context itself: the source is at ctx+96
		// (no fault can be compared there). User memory is the vm's
		// buffer, which the kernel reads in this process; strings end
		// near its end, where a guard page follows, to compare faults.
		src := "r3 = *(u64 *)(r6 +8)"
		if kernelMem {
			src = "r3 = r6\nr3 += 96"
		}
		p := loadKernel(t, kernel.Syscall, `
			r6 = r1
			`+copyToStack(16, 64, 64)+`
			r2 = *(u64 *)(r6 +0)
			if r2 < 1 goto out
			if r2 > 64 goto out
			r1 = r10
			r1 += -64
			`+src+`
			call bpf_`+name+`
			*(u64 *)(r6 +80) = r0
			`+copyFromStack(64, 16, 64)+`
		out:
			r0 = 0
			exit`)
		hf := helper(t, Standard(nil), name)
		rng := rand.New(rand.NewPCG(9, 10))
		for range 300 {
			slen := rng.IntN(40)
			str := make([]byte, slen)
			for i := range str {
				str[i] = 'a' + byte(rng.IntN(26))
			}
			if rng.IntN(4) != 0 {
				str = append(str, 0)
			}
			str = append(str, bytes.Repeat([]byte{'#'}, rng.IntN(12))...)
			at := vmBufSize - len(str) - rng.IntN(3)
			if kernelMem || rng.IntN(2) == 0 {
				at = 8192 + rng.IntN(8)
			}
			size := 1 + rng.IntN(64)
			v.reset()
			v.put(at, str)
			dst := bytes.Repeat([]byte{0xee}, 64)
			ctx := make([]byte, 96, 96+128)
			binary.LittleEndian.PutUint64(ctx, uint64(size))
			binary.LittleEndian.PutUint64(ctx[8:], v.addr(at))
			copy(ctx[16:], dst)
			if kernelMem {
				ctx = append(ctx, str...)
				ctx = append(ctx, make([]byte, 128-len(str))...)
				copy(v.mem()[at+len(str):], make([]byte, 64)) // what follows in the kernel's ctx
			}
			out := runSyscall(t, p, ctx)
			wantR, wantDst := binary.LittleEndian.Uint64(out[80:]), out[16:80]
			copy(v.mem()[0:], dst)
			gotR, err := v.call(hf, v.addr(0), uint64(size), v.addr(at))
			if err != nil || gotR != wantR || !bytes.Equal(v.mem()[:64], wantDst) {
				t.Errorf("%s(size %d, %q at end-%d): kernel %d %q, ours %d %q (%v)", name, size, str, vmBufSize-at,
					int64(wantR), wantDst, int64(gotR), v.mem()[:64], err)
			}
		}
	}
}

// TestProbeReadErrorsKernel compares the errors of probe reads from
// addresses that are no memory in either world.
func TestProbeReadErrorsKernel(t *testing.T) {
	requireKernel(t)
	t.Logf("this machine's kernel uses %d-bit virtual addresses", virtualAddressBits())
	v := newVM(t)
	for _, name := range []string{"probe_read_kernel", "probe_read_kernel_str", "probe_read_user", "probe_read_user_str"} {
		p := loadKernel(t, kernel.Syscall, `
			r6 = r1
			r1 = r10
			r1 += -8
			r2 = 8
			r3 = *(u64 *)(r6 +0)
			call bpf_`+name+`
			*(u64 *)(r6 +8) = r0
			r0 = 0
			exit`)
		fn := helper(t, Standard(nil), name)
		// Addresses on both sides of the user/kernel boundary of both
		// paging modes (the running kernel uses one of them).
		for _, a := range []uint64{0, 8, 4095, 0x7ffffffff000, 1 << 47, 1<<56 - 4096, 1 << 56, 1 << 63,
			0xfeffffffffffffff, 0xff00000000000000, 0xffff7fffffffffff,
			0xffff800000000000, 0xffffffffff600000, 0xffffffffff600ff8, ^uint64(7)} {
			ctx := make([]byte, 16)
			binary.LittleEndian.PutUint64(ctx, a)
			want := binary.LittleEndian.Uint64(runSyscall(t, p, ctx)[8:])
			got, err := v.call(fn, v.addr(0), 8, a)
			if err != nil || got != want {
				t.Errorf("%s(%#x): kernel %d, ours %d (%v)", name, a, int64(want), int64(got), err)
			}
		}
	}
}

func TestTaskAndClockKernel(t *testing.T) {
	requireKernel(t)
	p := loadKernel(t, kernel.Syscall, `
		r6 = r1
		call bpf_get_current_pid_tgid
		*(u64 *)(r6 +0) = r0
		call bpf_get_current_uid_gid
		*(u64 *)(r6 +8) = r0
		call bpf_ktime_get_ns
		*(u64 *)(r6 +16) = r0
		call bpf_ktime_get_boot_ns
		*(u64 *)(r6 +24) = r0
		call bpf_ktime_get_ns
		*(u64 *)(r6 +32) = r0
		call bpf_jiffies64
		*(u64 *)(r6 +40) = r0
		r1 = r10
		r1 += -16
		r2 = 16
		call bpf_get_current_comm
		r1 = *(u64 *)(r10 -16)
		*(u64 *)(r6 +48) = r1
		r1 = *(u64 *)(r10 -8)
		*(u64 *)(r6 +56) = r1
		r0 = 0
		exit`)
	h := HostClock()
	before := h.Monotonic()
	out := runSyscall(t, p, make([]byte, 64))
	after := h.Monotonic()
	u := func(off int) uint64 { return binary.LittleEndian.Uint64(out[off:]) }
	task := CurrentTask()
	if u(0)>>32 != uint64(task.TGID) || u(8) != uint64(task.GID)<<32|uint64(task.UID) {
		t.Errorf("kernel pid_tgid %#x uid_gid %#x, CurrentTask %+v", u(0), u(8), task)
	}
	if comm := string(bytes.TrimRight(out[48:64], "\x00")); comm != task.Comm {
		t.Errorf("kernel comm %q, CurrentTask %q", comm, task.Comm)
	}
	// HostClock reads the kernel's clocks (to within the offset measured
	// at start, a fraction of a millisecond on a quiet machine; a busy
	// one can preempt that measurement, so allow 20 ms: a wrong clock is
	// off by seconds or years).
	const slack = uint64(20 * time.Millisecond)
	if mono := u(16); mono+slack < before || mono > after+slack {
		t.Errorf("kernel monotonic %d outside HostClock's [%d, %d]", mono, before, after)
	}
	if boot := u(24); boot+slack < h.Boottime()-(after-before)-uint64(time.Second) || boot > h.Boottime()+slack {
		t.Errorf("kernel boottime %d, HostClock %d", boot, h.Boottime())
	}
	// (bpf_ktime_get_coarse_ns is not available to syscall programs.)
	// The host's HZ, from jiffies = INITIAL_JIFFIES + HZ*t:
	// (j - 2^32) = HZ*(t - 300).
	secs := float64(u(16)) / 1e9
	hz := float64(int64(u(40)-1<<32)) / (secs - 300)
	t.Logf("host HZ is about %.1f (uptime %.0fs)", hz, secs)
}

func TestTracePrintkKernel(t *testing.T) {
	requireKernel(t)
	// ctx: [0] fmt_size, [8:24] three arguments, [24] result, [32:96] fmt
	// (copied to the stack: the kernel checks it at run time). String
	// arguments point into the vm's buffer, user memory for the kernel.
	p := loadKernel(t, kernel.Syscall, `
		r6 = r1
		`+copyToStack(32, 64, 64)+`
		r2 = *(u64 *)(r6 +0)
		if r2 < 1 goto out
		if r2 > 64 goto out
		r1 = r10
		r1 += -64
		r3 = *(u64 *)(r6 +8)
		r4 = *(u64 *)(r6 +16)
		r5 = *(u64 *)(r6 +24)
		call bpf_trace_printk
		*(u64 *)(r6 +24) = r0
	out:
		r0 = 0
		exit`)
	v := newVM(t)
	fn := helper(t, Standard(nil), "trace_printk")
	ustr := v.put(16<<10, []byte("user string\x00"))
	for _, tc := range []struct {
		fmt  string
		args [3]uint64
	}{
		{"hello\n\x00", [3]uint64{}},
		{"%d %u %x\n\x00", [3]uint64{^uint64(0), ^uint64(0), 255}},
		{"%lld %llx %c\x00", [3]uint64{1 << 63, 1 << 63, 'q'}},
		{"%pus|%s|\x00", [3]uint64{ustr, ustr}},
		{"%d %d %d %d\x00", [3]uint64{1, 2, 3}},
		{"%q\x00", [3]uint64{1}},
		{"no nul here", [3]uint64{}},
		{"%5d|%-5d|%05d\x00", [3]uint64{1, 2, 3}},
		{"\x01\x00", [3]uint64{}},
		{"\xff\x00", [3]uint64{}},
		{"%", [3]uint64{}},
		{"%%%d\x00", [3]uint64{9}},
		{"%s\x00", [3]uint64{0}},
		{"%600d\x00", [3]uint64{1}},
		{"%2000d%d\x00", [3]uint64{1, 2}},
	} {
		ctx := make([]byte, 96)
		binary.LittleEndian.PutUint64(ctx, uint64(len(tc.fmt)))
		for k, a := range tc.args {
			binary.LittleEndian.PutUint64(ctx[8+8*k:], a)
		}
		copy(ctx[32:], tc.fmt)
		want := binary.LittleEndian.Uint64(runSyscall(t, p, ctx)[24:])
		f := v.put(0, []byte(tc.fmt))
		got, err := v.call(fn, f, uint64(len(tc.fmt)), tc.args[0], tc.args[1], tc.args[2])
		if err != nil || got != want {
			t.Errorf("trace_printk(%q): kernel %d, ours %d (%v)", tc.fmt, int64(want), int64(got), err)
		}
	}
}

// bpf_loop and bpf_for_each_map_elem are not compared with the kernel: it
// demands BTF func_info for programs with callbacks, which internal/kernel
// does not build.
