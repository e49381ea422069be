package helpers

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ebpfvm/ebpfvm/internal/mem"
	"github.com/ebpfvm/ebpfvm/internal/vm"
	"github.com/ebpfvm/ebpfvm/isa"
)

// testConfig is a deterministic configuration.
func testConfig(clock Clock, trace *bytes.Buffer) *Config {
	cfg := &Config{
		Clock:    clock,
		Rand:     rand.NewPCG(1, 2),
		Task:     &Task{PID: 1234, TGID: 1200, UID: 1000, GID: 100, Comm: "test-comm"},
		NUMANode: 3,
	}
	if trace != nil {
		cfg.TraceOutput = trace
	}
	return cfg
}

// helper returns the HelperFunc of a helper by name (without "bpf_").
func helper(t testing.TB, hs []vm.Helper, name string) vm.HelperFunc {
	t.Helper()
	for _, h := range hs {
		if h.Name == "bpf_"+name {
			return h.Func
		}
	}
	t.Fatalf("no helper %s", name)
	return nil
}

func TestStandardIDsAndNames(t *testing.T) {
	hs := Standard(nil)
	want := []string{"map_lookup_elem", "map_update_elem", "map_delete_elem", "map_push_elem",
		"map_pop_elem", "map_peek_elem", "ktime_get_ns", "ktime_get_boot_ns", "ktime_get_coarse_ns",
		"jiffies64", "trace_printk", "get_prandom_u32", "get_smp_processor_id", "get_numa_node_id",
		"get_current_pid_tgid", "get_current_uid_gid", "get_current_comm", "probe_read_user",
		"probe_read_user_str", "probe_read_kernel", "probe_read_kernel_str", "ringbuf_output",
		"ringbuf_reserve", "ringbuf_submit", "ringbuf_discard", "ringbuf_query", "for_each_map_elem",
		"loop", "snprintf", "strtol", "strtoul", "strncmp", "spin_lock", "spin_unlock", "csum_diff"}
	seen := map[int32]bool{}
	for _, h := range hs {
		if seen[h.ID] {
			t.Errorf("ID %d twice", h.ID)
		}
		seen[h.ID] = true
		if name, ok := isa.HelperName(h.ID); !ok || name != h.Name {
			t.Errorf("helper %s has ID %d, which is %s", h.Name, h.ID, name)
		}
		if h.Func == nil {
			t.Errorf("%s has no Func", h.Name)
		}
	}
	for _, name := range want {
		helper(t, hs, name)
	}
	if len(hs) != len(want) {
		t.Errorf("%d helpers, want %d", len(hs), len(want))
	}
	// A few IDs from include/uapi/linux/bpf.h, as a cross-check of isa.
	for name, id := range map[string]int32{"map_lookup_elem": 1, "trace_printk": 6, "csum_diff": 28,
		"spin_lock": 93, "loop": 181, "strncmp": 182, "snprintf": 165, "for_each_map_elem": 164} {
		if got, _ := isa.HelperID(name); got != id {
			t.Errorf("%s: ID %d, want %d", name, got, id)
		}
	}
	var h vm.Helpers
	if err := Register(&h, nil); err != nil {
		t.Fatal(err)
	}
}

func TestTime(t *testing.T) {
	var c ManualClock
	c.Set(5_000_000_123)
	hs := Standard(&Config{Clock: &c, HZ: 1000})
	v := newVM(t)
	for _, tc := range []struct {
		name string
		want uint64
	}{
		{"ktime_get_ns", 5_000_000_123},
		{"ktime_get_boot_ns", 5_000_000_123},
		{"ktime_get_coarse_ns", 5_000_000_123},
		{"jiffies64", 1<<32 - 300*1000 + 5000},
	} {
		if got, err := v.call(helper(t, hs, tc.name)); err != nil || got != tc.want {
			t.Errorf("%s = %d, %v; want %d", tc.name, got, err, tc.want)
		}
	}
	c.Advance(time.Second)
	if got, _ := v.call(helper(t, hs, "jiffies64")); got != 1<<32-300*1000+6000 {
		t.Errorf("jiffies64 after a second = %d", got)
	}
	// The default HZ is 250, and INITIAL_JIFFIES wraps 32 bits 5 minutes in.
	hs = Standard(&Config{Clock: &c})
	if got, _ := v.call(helper(t, hs, "jiffies64")); got != 1<<32-300*250+6*250 {
		t.Errorf("jiffies64 at HZ=250 = %d", got)
	}
}

func TestHostClock(t *testing.T) {
	h := HostClock()
	a := h.Monotonic()
	time.Sleep(2 * time.Millisecond)
	b := h.Monotonic()
	if b-a < uint64(2*time.Millisecond) || b-a > uint64(time.Second) {
		t.Errorf("monotonic advanced by %v over a 2ms sleep", time.Duration(b-a))
	}
	if bt := h.Boottime(); bt < b {
		t.Errorf("boottime %d < monotonic %d", bt, b)
	}
	if c := h.Coarse(); c > h.Monotonic() || h.Monotonic()-c > uint64(5*time.Millisecond) {
		t.Errorf("coarse %d too far from monotonic", c)
	}
}

func TestPrandom(t *testing.T) {
	v := newVM(t)
	seq := func(cfg *Config) []uint64 {
		fn := helper(t, Standard(cfg), "get_prandom_u32")
		var out []uint64
		for range 8 {
			x, err := v.call(fn)
			if err != nil || x>>32 != 0 {
				t.Fatalf("get_prandom_u32 = %#x, %v", x, err)
			}
			out = append(out, x)
		}
		return out
	}
	a := seq(&Config{Rand: rand.NewPCG(7, 8)})
	b := seq(&Config{Rand: rand.NewPCG(7, 8)})
	c := seq(&Config{Rand: rand.NewPCG(9, 8)})
	if !equalU64(a, b) || equalU64(a, c) {
		t.Errorf("seeded sequences: %v %v %v", a, b, c)
	}
	d := seq(nil)
	if equalU64(d, seq(nil)) {
		t.Error("unseeded sequences repeat")
	}
}

func equalU64(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTaskHelpers(t *testing.T) {
	hs := Standard(testConfig(nil, nil))
	v := newVM(t)
	v.m.Env().CPU = 5
	for name, want := range map[string]uint64{
		"get_current_pid_tgid": 1200<<32 | 1234,
		"get_current_uid_gid":  100<<32 | 1000,
		"get_smp_processor_id": 5,
		"get_numa_node_id":     3,
	} {
		if got, err := v.call(helper(t, hs, name)); err != nil || got != want {
			t.Errorf("%s = %#x, %v; want %#x", name, got, err, want)
		}
	}
	comm := helper(t, hs, "get_current_comm")
	for _, tc := range []struct {
		size int
		want string
	}{
		{16, "test-comm\x00\x00\x00\x00\x00\x00\x00"},
		{20, "test-comm" + strings.Repeat("\x00", 11)},
		{5, "test\x00"},
		{1, "\x00"},
	} {
		buf := bytes.Repeat([]byte{0xee}, 32)
		addr := v.put(0, buf)
		if r, err := v.call(comm, addr, uint64(tc.size)); r != 0 || err != nil {
			t.Errorf("get_current_comm(%d) = %d, %v", tc.size, r, err)
		}
		want := tc.want + string(buf[tc.size:])
		if got := string(v.mem()[:32]); got != want {
			t.Errorf("get_current_comm(%d) wrote %q, want %q", tc.size, got, want)
		}
	}
	if _, err := v.call(comm, 0x10, 16); !errors.Is(err, vm.ErrAccess) {
		t.Errorf("get_current_comm to a bad address: %v", err)
	}
	// A comm longer than 15 bytes is cut, as TASK_COMM_LEN does.
	hs = Standard(&Config{Task: &Task{Comm: "a-very-long-command-name"}})
	v.call(helper(t, hs, "get_current_comm"), v.addr(0), 32)
	if got := string(v.mem()[:16]); got != "a-very-long-com\x00" {
		t.Errorf("long comm: %q", got)
	}
	if ct := CurrentTask(); ct.TGID == 0 || ct.Comm == "" || len(ct.Comm) > 15 {
		t.Errorf("CurrentTask() = %+v", ct)
	}
}

func TestProbeRead(t *testing.T) {
	v := newVM(t)
	src := v.put(100, []byte("hello, world\x00tail"))
	dst := v.addr(0)
	for _, name := range []string{"probe_read_user", "probe_read_kernel"} {
		fn := helper(t, Standard(nil), name)
		copy(v.mem(), bytes.Repeat([]byte{0xee}, 32))
		if r, err := v.call(fn, dst, 5, src); r != 0 || err != nil || string(v.mem()[:6]) != "hello\xee" {
			t.Errorf("%s = %d, %v: %q", name, r, err, v.mem()[:6])
		}
		// A bad source: zeroed destination, -EFAULT (-ERANGE for kernel
		// reads at a user or non-canonical address), no fault.
		for _, bad := range []uint64{0, 8, v.addr(vmBufSize - 2), 1 << 63, ^uint64(0) - 2} {
			want := errno(efault)
			if name == "probe_read_kernel" && (bad < 1<<63 && bad != v.addr(vmBufSize-2) || bad == 1<<63) {
				want = errno(erange)
			}
			copy(v.mem(), bytes.Repeat([]byte{0xee}, 32))
			if r, err := v.call(fn, dst, 4, bad); r != want || err != nil || !bytes.Equal(v.mem()[:5], []byte{0, 0, 0, 0, 0xee}) {
				t.Errorf("%s from %#x = %d, %v: %x; want %d", name, bad, int64(r), err, v.mem()[:5], int64(want))
			}
		}
		if r, err := v.call(fn, dst, 0, 0); r != 0 || err != nil {
			t.Errorf("%s of 0 bytes = %d, %v", name, r, err)
		}
		// A bad destination is a fault of the run.
		if _, err := v.call(fn, 0x20, 4, src); !errors.Is(err, vm.ErrAccess) {
			t.Errorf("%s to a bad address: %v", name, err)
		}
	}
	for _, tc := range []struct {
		name      string
		size      int
		src       uint64
		want      int64
		out       string // the first 16 bytes after the call (0xee before)
		zeroWords bool
	}{
		{"kernel_str", 16, src, 13, "hello, world\x00\xee\xee\xee", false},
		{"user_str", 16, src, 13, "hello, world\x00\x00\x00\x00", false},
		{"user_str", 15, src, 13, "hello, world\x00\xee\xee\xee", false}, // the last word is copied bytewise
		{"kernel_str", 5, src, 5, "hell\x00\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee", false},
		{"user_str", 5, src, 5, "hell\x00\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee", false},
		{"kernel_str", 16, src + 12, 1, "\x00\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee", false},
		{"user_str", 16, src + 12, 1, "\x00\x00\x00\x00\x00\x00\x00\x00\xee\xee\xee\xee\xee\xee\xee\xee", false},
		{"kernel_str", 16, 0, -int64(erange), strings.Repeat("\x00", 16), false},
		{"kernel_str", 16, 0xffff800000000000, -int64(efault), strings.Repeat("\x00", 16), false},
		{"user_str", 16, 0, -int64(efault), strings.Repeat("\x00", 16), false},
		{"kernel_str", 16, v.addr(vmBufSize - 3), -int64(efault), strings.Repeat("\x00", 16), false},
		{"user_str", 16, v.addr(vmBufSize - 3), -int64(efault), strings.Repeat("\x00", 16), false},
		{"kernel_str", 0, 0, 0, strings.Repeat("\xee", 16), false},
	} {
		fn := helper(t, Standard(nil), "probe_read_"+tc.name)
		if tc.src == v.addr(vmBufSize-3) {
			copy(v.mem()[vmBufSize-3:], "abc") // no NUL before the end
		}
		copy(v.mem(), bytes.Repeat([]byte{0xee}, 32))
		r, err := v.call(fn, dst, uint64(tc.size), tc.src)
		if err != nil || int64(r) != tc.want || string(v.mem()[:16]) != tc.out {
			t.Errorf("probe_read_%s(%d, %#x) = %d, %v: %q; want %d %q", tc.name, tc.size, tc.src, int64(r), err, v.mem()[:16], tc.want, tc.out)
		}
	}
}

func TestTracePrintk(t *testing.T) {
	var out bytes.Buffer
	cfg := testConfig(nil, &out)
	v := newVM(t)
	v.m.Env().CPU = 2
	fn := helper(t, Standard(cfg), "trace_printk")
	put := func(s string) (uint64, uint64) { return v.put(1000, []byte(s)), uint64(len(s)) }
	f, n := put("x=%d s=%s\x00")
	s := v.put(2000, []byte("str\x00"))
	if r, err := v.call(fn, f, n, 42, s); r != 10 || err != nil {
		t.Errorf("trace_printk = %d, %v", int64(r), err)
	}
	if got, want := out.String(), "test-comm-1234 [002] bpf_trace_printk: x=42 s=str\n"; got != want {
		t.Errorf("trace output %q, want %q", got, want)
	}
	out.Reset()
	f, n = put("line\n\x00")
	v.call(fn, f, n)
	if got := out.String(); got != "test-comm-1234 [002] bpf_trace_printk: line\n" {
		t.Errorf("trace output %q", got)
	}
	cfg.TraceMessageOnly = true
	fn = helper(t, Standard(cfg), "trace_printk")
	out.Reset()
	f, n = put("%d %d %d\x00")
	if r, _ := v.call(fn, f, n, 1, 2, ^uint64(2)); r != 6 || out.String() != "1 2 -3" {
		t.Errorf("trace_printk = %d, %q", r, out.String())
	}
	for _, tc := range []struct {
		fmt  string
		size int
		want uint64
	}{
		{"%d %d %d %d\x00", -1, errno(einval)}, // at most three arguments
		{"no nul", -1, errno(einval)},
		{"ab\x00cd", -1, 2},
		{"abc\x00", 2, errno(einval)}, // the NUL must be within fmt_size
		{"%q\x00", -1, errno(einval)},
		{strings.Repeat("y", 1100) + "\x00", -1, 1100}, // the message is cut at 1023 bytes, not the result
	} {
		out.Reset()
		f, n := put(tc.fmt)
		if tc.size >= 0 {
			n = uint64(tc.size)
		}
		if r, err := v.call(fn, f, n, 1, 2, 3); r != tc.want || err != nil {
			t.Errorf("trace_printk(%.20q) = %d, %v; want %d", tc.fmt, int64(r), err, int64(tc.want))
		}
		if tc.want == 1100 && out.Len() != 1023 {
			t.Errorf("message of %d bytes", out.Len())
		}
	}
	if _, err := v.call(fn, 0x40, 4); !errors.Is(err, vm.ErrAccess) {
		t.Errorf("trace_printk of a bad format: %v", err)
	}
	// Without an output the helper still formats and returns the length.
	f, n = put("%s\x00")
	s = v.put(3000, []byte("str\x00"))
	if r, _ := v.call(helper(t, Standard(nil), "trace_printk"), f, n, s); r != 3 {
		t.Errorf("trace_printk without output = %d", r)
	}
}

func TestSnprintf(t *testing.T) {
	v := newVM(t)
	f := v.put(1000, []byte("%d-%s-%pI4-%c\x00"))
	s := v.put(1100, []byte("ab\x00"))
	ip := v.put(1200, []byte{10, 0, 0, 1})
	data := v.u64s(1300, ^uint64(6), s, ip, 'z')
	r, err := v.call(snprintfHelper, v.addr(0), 64, f, data, 32)
	if want := "-7-ab-10.0.0.1-z"; err != nil || r != uint64(len(want)+1) || string(v.mem()[:r]) != want+"\x00" {
		t.Errorf("snprintf = %d, %v: %q", r, err, v.mem()[:20])
	}
	for _, tc := range []struct {
		dataLen uint64
		data    uint64
		want    uint64
	}{
		{33, data, errno(einval)},     // not a multiple of 8
		{13 * 8, data, errno(einval)}, // more than 12 arguments
		{8, 0, errno(einval)},         // NULL data with a length
		{16, data, errno(einval)},     // fewer arguments than conversions
	} {
		if r, err := v.call(snprintfHelper, v.addr(0), 64, f, tc.data, tc.dataLen); r != tc.want || err != nil {
			t.Errorf("snprintf(data_len %d) = %d, %v", tc.dataLen, int64(r), err)
		}
	}
	// A %s argument that points nowhere prints nothing; the format must
	// be a string in the program's memory.
	f2 := v.put(1400, []byte("[%s]\x00"))
	bad := v.u64s(1500, 0x10)
	if r, _ := v.call(snprintfHelper, v.addr(0), 64, f2, bad, 8); r != 3 || string(v.mem()[:3]) != "[]\x00" {
		t.Errorf("snprintf of a bad string = %d %q", r, v.mem()[:3])
	}
	if _, err := v.call(snprintfHelper, v.addr(0), 64, 0x10, 0, 0); !errors.Is(err, vm.ErrAccess) {
		t.Errorf("snprintf with a bad format: %v", err)
	}
	copy(v.mem()[vmBufSize-4:], "abcd")
	if _, err := v.call(snprintfHelper, v.addr(0), 64, v.addr(vmBufSize-4), 0, 0); !errors.Is(err, vm.ErrAccess) {
		t.Errorf("snprintf with an unterminated format: %v", err)
	}
}

func TestStrtol(t *testing.T) {
	for _, tc := range []struct {
		s     string
		flags uint64
		v     int64
		n     int64
		uv    uint64
		un    int64
	}{
		{"123", 0, 123, 3, 123, 3},
		{"  -42xyz", 0, -42, 5, 0, -int64(einval)},
		{"0x1F", 0, 31, 4, 31, 4},
		{"0x1F", 16, 31, 4, 31, 4},
		{"0xg", 0, 0, 1, 0, 1},
		{"0xg", 16, 0, -int64(einval), 0, -int64(einval)},
		{"017", 0, 15, 3, 15, 3},
		{"019", 0, 1, 2, 1, 2},
		{"019", 10, 19, 3, 19, 3},
		{"777", 8, 511, 3, 511, 3},
		{"+5", 0, 0, -int64(einval), 0, -int64(einval)},
		{"", 0, 0, -int64(einval), 0, -int64(einval)},
		{"   ", 0, 0, -int64(einval), 0, -int64(einval)},
		{"-", 0, 0, -int64(einval), 0, -int64(einval)},
		{"\t\n\v\f\r 7", 0, 7, 7, 7, 7},
		{"\xa07", 0, 7, 2, 7, 2},
		{"12", 2, 0, -int64(einval), 0, -int64(einval)},
		{"12", 36, 0, -int64(einval), 0, -int64(einval)},
		{"12", 0x20 | 10, 0, -int64(einval), 0, -int64(einval)},
		{"9223372036854775807", 0, 1<<63 - 1, 19, 1<<63 - 1, 19},
		{"9223372036854775808", 0, 0, -int64(erange), 1 << 63, 19},
		{"-9223372036854775808", 0, -1 << 63, 20, 0, -int64(einval)},
		{"-9223372036854775809", 0, 0, -int64(erange), 0, -int64(einval)},
		{"18446744073709551615", 0, 0, -int64(erange), 1<<64 - 1, 20},
		{"18446744073709551616", 0, 0, -int64(erange), 0, -int64(erange)},
		{"0xffffffffffffffffff", 0, 0, -int64(erange), 0, -int64(erange)},
		{"12\x0034", 0, 12, 2, 12, 2},
		{strings.Repeat(" ", 10) + strings.Repeat("1", 70), 0, 0, -int64(erange), 0, -int64(erange)},
		{strings.Repeat("0", 70) + "5", 10, 0, 63, 0, 63}, // only 63 characters are parsed
	} {
		if v, n := Strtol([]byte(tc.s), tc.flags); v != tc.v || n != tc.n {
			t.Errorf("Strtol(%q, %#x) = %d, %d; want %d, %d", tc.s, tc.flags, v, n, tc.v, tc.n)
		}
		if v, n := Strtoul([]byte(tc.s), tc.flags); v != tc.uv || n != tc.un {
			t.Errorf("Strtoul(%q, %#x) = %d, %d; want %d, %d", tc.s, tc.flags, v, n, tc.uv, tc.un)
		}
	}
	// Through the helpers: *res is 0 on failure.
	v := newVM(t)
	buf := v.put(0, []byte("-17 "))
	res := v.u64s(64, 0xdead)
	if r, err := v.call(strtol, buf, 4, 0, res); int64(r) != 3 || err != nil || int64(v.mem()[64]) != -17&0xff {
		t.Errorf("bpf_strtol = %d, %v", int64(r), err)
	}
	v.u64s(64, 0xdead)
	if r, _ := v.call(strtoul, buf, 4, 0, res); r != errno(einval) || v.mem()[64] != 0 {
		t.Errorf("bpf_strtoul of a negative = %d, res %d", int64(r), v.mem()[64])
	}
	if _, err := v.call(strtol, buf, 4, 0, 0x30); !errors.Is(err, vm.ErrAccess) {
		t.Errorf("bpf_strtol to a bad res: %v", err)
	}
}

func TestStrncmp(t *testing.T) {
	v := newVM(t)
	for _, tc := range []struct {
		s1   string
		n    int
		s2   string
		want int64
	}{
		{"abc", 3, "abc", 0},
		{"abc", 3, "abd", -1},
		{"abd", 3, "abc", 1},
		{"abc", 2, "abd", 0},
		{"ab\x00x", 4, "ab\x00y", 0},
		{"ab", 2, "abc", 0},
		{"ab\x00", 3, "abc", -1},
		{"\xff", 1, "a", 1},
		{"", 0, "zzz", 0},
	} {
		s1 := v.put(0, []byte(tc.s1))
		s2 := v.put(100, []byte(tc.s2+"\x00"))
		if r, err := v.call(strncmp, s1, uint64(tc.n), s2); int64(r) != tc.want || err != nil {
			t.Errorf("strncmp(%q, %d, %q) = %d, %v; want %d", tc.s1, tc.n, tc.s2, int64(r), err, tc.want)
		}
	}
	// s2 is read only as far as needed; past the region is a fault.
	copy(v.mem()[vmBufSize-2:], "ab")
	s1 := v.put(0, []byte("ax"))
	if r, err := v.call(strncmp, s1, 2, v.addr(vmBufSize-2)); int64(r) != 1 || err != nil {
		t.Errorf("strncmp at the end = %d, %v", int64(r), err)
	}
	s1 = v.put(0, []byte("abc"))
	if _, err := v.call(strncmp, s1, 3, v.addr(vmBufSize-2)); !errors.Is(err, vm.ErrAccess) {
		t.Errorf("strncmp past the end: %v", err)
	}
}

func TestCsumDiffValues(t *testing.T) {
	// Pushing 4 bytes onto a zero checksum; pulling them back off.
	to := []byte{0x45, 0x00, 0x00, 0x54}
	if got := CsumDiff(nil, to, 0); got != 0x5445 {
		t.Errorf("push = %#x", got)
	}
	if got := CsumDiff(to, nil, 0x5445); got != 0 && got != 0xffff {
		t.Errorf("pull = %#x", got)
	}
	if got := CsumDiff(nil, nil, 0xdeadbeef); got != 0x9d9d { // 0xdead + 0xbeef, end-around
		t.Errorf("nothing = %#x", got)
	}
	if got := CsumDiff(to, to, 0); got != 0 && got != 0xffff {
		t.Errorf("diff of equal data = %#x", got)
	}
	v := newVM(t)
	a := v.put(0, to)
	if r, err := v.call(csumDiff, 0, 0, a, 4, 0); r != 0x5445 || err != nil {
		t.Errorf("bpf_csum_diff = %#x, %v", r, err)
	}
	if _, err := v.call(csumDiff, 0x40, 4, a, 4, 0); !errors.Is(err, vm.ErrAccess) {
		t.Errorf("bpf_csum_diff from a bad address: %v", err)
	}
}

func TestLoop(t *testing.T) {
	hs := Standard(nil)
	v := newVM(t)
	// ctx[0] = number of loops, ctx[8] = flags, ctx[16] = stop index;
	// the callback adds index+1 to ctx[24].
	prog := `
		r6 = r1
		r1 = *(u64 *)(r6 +0)
		r2 = subprog[cb]
		r3 = r6
		r4 = *(u64 *)(r6 +8)
		call bpf_loop
		exit
	cb:
		r0 = *(u64 *)(r2 +24)
		r0 += r1
		r0 += 1
		*(u64 *)(r2 +24) = r0
		r3 = *(u64 *)(r2 +16)
		r0 = 0
		if r1 != r3 goto out
		r0 = 1
	out:
		exit`
	for _, tc := range []struct {
		n, flags, stop uint64
		want, sum      uint64
	}{
		{10, 0, 100, 10, 55},
		{10, 0, 3, 4, 10},
		{0, 0, 0, 0, 0},
		{1<<32 + 3, 0, 100, 3, 6}, // nr_loops is a u32
		{1<<23 + 1, 0, 0, errno(e2big), 0},
		{5, 1, 0, errno(einval), 0},
		{1 << 23, 0, 2, 3, 6},
	} {
		v.u64s(0, tc.n, tc.flags, tc.stop, 0)
		r, err := v.run(prog, hs)
		if err != nil || r != tc.want || uint64(v.mem()[24])|uint64(v.mem()[25])<<8 != tc.sum {
			t.Errorf("bpf_loop(%d, flags %d, stop at %d) = %d, %v, sum %d; want %d, %d", tc.n, tc.flags, tc.stop, int64(r), err, v.mem()[24], int64(tc.want), tc.sum)
		}
	}
	// A function handle that is not a callback fails the run.
	v.u64s(0, 1, 0)
	if _, err := v.run("r1 = 1\nr2 = 0x1234\nr3 = 0\nr4 = 0\ncall bpf_loop\nexit", hs); err == nil {
		t.Error("bpf_loop with a bad callback succeeded")
	}
}

func TestSpinLock(t *testing.T) {
	hs := Standard(&Config{SpinLockTimeout: 200 * time.Millisecond})
	lock, unlock := helper(t, hs, "spin_lock"), helper(t, hs, "spin_unlock")
	v := newVM(t)
	l1, l2 := v.addr(0), v.addr(8)
	if _, err := v.call(lock, l1); err != nil {
		t.Fatal(err)
	}
	if a, ok := HeldLock(v.env()); !ok || a != l1 || v.mem()[0] != 1 {
		t.Errorf("HeldLock = %#x, %v; word %d", a, ok, v.mem()[0])
	}
	if _, err := v.call(lock, l2); err == nil || !strings.Contains(err.Error(), "already holds") {
		t.Errorf("second lock: %v", err)
	}
	if _, err := v.call(lock, l1); err == nil {
		t.Error("taking the held lock again succeeded")
	}
	if _, err := v.call(unlock, l2); err == nil {
		t.Error("unlocking another lock succeeded")
	}
	if _, err := v.call(unlock, l1); err != nil {
		t.Fatal(err)
	}
	if _, ok := HeldLock(v.env()); ok || v.mem()[0] != 0 {
		t.Error("lock still held after unlock")
	}
	if _, err := v.call(unlock, l1); err == nil {
		t.Error("unlocking a free lock succeeded")
	}
	if _, err := v.call(lock, v.addr(2)); !errors.Is(err, vm.ErrMisaligned) {
		t.Errorf("misaligned lock: %v", err)
	}
	if _, err := v.call(lock, 0x100); !errors.Is(err, vm.ErrAccess) {
		t.Errorf("lock at a bad address: %v", err)
	}
	// Exiting with the lock held: EndRun releases and reports it.
	v.call(lock, l1)
	if err := EndRun(v.env()); !errors.Is(err, ErrLockHeld) || v.mem()[0] != 0 {
		t.Errorf("EndRun = %v, word %d", err, v.mem()[0])
	}
	if err := EndRun(v.env()); err != nil {
		t.Errorf("second EndRun = %v", err)
	}
	// A runner that forgets EndRun: the next run releases the lock.
	v.call(lock, l1)
	v.reset()
	if _, ok := HeldLock(v.env()); ok {
		t.Error("a lock of the last run is held in a new one")
	}
	if _, err := v.call(lock, l1); err != nil {
		t.Errorf("lock in a new run: %v", err)
	}
	EndRun(v.env())
	// A lock nobody releases times out instead of hanging.
	w := newVM(t)
	v.call(lock, l1)
	w.m.Env().Regions.Add(mem.Region{Start: l1, End: l1 + 64, Writable: true})
	start := time.Now()
	if _, err := w.call(lock, l1); err == nil || time.Since(start) < 200*time.Millisecond {
		t.Errorf("contended lock: %v after %v", err, time.Since(start))
	}
	EndRun(v.env())
}

// TestSpinLockContention increments a counter under the lock from several
// machines at once.
func TestSpinLockContention(t *testing.T) {
	hs := Standard(nil)
	shared := newVM(t)
	prog := `
		r6 = r1
		r7 = 0
	again:
		r1 = r6
		call bpf_spin_lock
		r1 = *(u64 *)(r6 +8)
		r1 += 1
		*(u64 *)(r6 +8) = r1
		r1 = r6
		call bpf_spin_unlock
		r7 += 1
		if r7 < 1000 goto again
		r0 = 0
		exit`
	var wg sync.WaitGroup
	const workers = 8
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := newVM(t)
			v.buf, v.n = shared.buf, 64 // run on the shared memory
			if _, err := v.run(prog, hs); err != nil {
				t.Error(err)
			}
			if err := EndRun(v.env()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := uint64(shared.mem()[8]) | uint64(shared.mem()[9])<<8; got != workers*1000 {
		t.Errorf("counter = %d, want %d", got, workers*1000)
	}
}
