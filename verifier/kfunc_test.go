package verifier

import (
	"errors"
	"strings"
	"testing"
)

// Prototypes of the test kfuncs.
var testKfuncs = func() KfuncMap {
	m := KfuncMap{}
	add := func(id int32, name string, ret RetKind, args ...ArgKind) *HelperProto {
		p := &HelperProto{Name: name, Ret: ret}
		copy(p.Args[:], args)
		m[id] = p
		return p
	}
	// u64 kf_add(u64 a, u64 b)
	add(100, "kf_add", RetInteger, ArgAnything, ArgAnything)
	// int kf_sum(const u8 *buf, u32 buf__sz)
	add(101, "kf_sum", RetInteger, ArgPtrToMem|ArgReadOnly, ArgConstSize)
	// u8 *kf_buf(u64 key): 16 bytes or NULL
	add(102, "kf_buf", RetPtrToMemOrNull, ArgAnything).RetSize = 16
	// void kf_fill(u64 *out): writes 8 bytes
	p := add(103, "kf_fill", RetVoid, ArgPtrToMem|ArgUninit|ArgFixedSize)
	p.ArgSize[0] = 8
	// int kf_ctx(struct xdp_md *ctx)
	add(104, "kf_ctx", RetInteger, ArgPtrToCtx)
	// u64 *kf_lookup(map, key): a map value or NULL
	add(105, "kf_lookup", RetPtrToMapValueOrNull, ArgConstMapPtr, ArgPtrToMapKey)
	// a callback argument, which kfuncs cannot have
	add(106, "kf_cb", RetInteger, ArgPtrToFunc)
	// registered without a prototype
	m[107] = nil
	return m
}()

func TestKfuncCalls(t *testing.T) {
	m := &Map{Name: "m", Type: MapHash, KeySize: 4, ValueSize: 8, MaxEntries: 16}
	for _, tc := range []struct {
		name, src string
		untrusted bool
		noGPL     bool
		insn      int // of the error
		err       string
	}{
		{name: "scalar args", src: `
r1 = 2
r2 = 40
call kf_add#100
exit`},
		{name: "assembled as kernel-function", src: `
r1 = 2
r2 = 40
call kernel-function#100
exit`},
		{name: "memory and size", src: `
r1 = 0
*(u64 *)(r10 -8) = r1
*(u64 *)(r10 -16) = r1
r1 = r10
r1 += -16
r2 = 16
call kf_sum#101
exit`},
		{name: "fixed-size memory the kfunc writes", src: `
r1 = r10
r1 += -8
call kf_fill#103
r0 = *(u64 *)(r10 -8)
exit`},
		{name: "context", src: `
call kf_ctx#104
exit`},
		{name: "map value or null, checked", src: `
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[fd:0]
call kf_lookup#105
if r0 == 0 goto out
r0 = *(u64 *)(r0 +0)
out:
r0 = 0
exit`},
		{name: "memory or null, checked", src: `
r1 = 7
call kf_buf#102
if r0 == 0 goto out
r0 = *(u64 *)(r0 +8)
exit
out:
r0 = 0
exit`},
		{name: "memory or null, unchecked", src: `
r1 = 7
call kf_buf#102
r0 = *(u64 *)(r0 +0)
exit`, insn: 2, err: "R0 invalid mem access 'mem_or_null'"},
		{name: "memory or null, past its size", src: `
r1 = 7
call kf_buf#102
if r0 == 0 goto out
r0 = *(u64 *)(r0 +12)
exit
out:
r0 = 0
exit`, insn: 3, err: "invalid access to memory, mem_size=16 off=12 size=8\nR0 min value is outside of the allowed memory range"},
		{name: "pointer for a scalar", src: `
r1 = r10
r2 = 40
call kf_add#100
exit`, insn: 2, err: "R1 is not a scalar"},
		{name: "uninitialized scalar", src: `
r1 = 2
call kf_add#100
exit`, insn: 1, err: "R2 is not a scalar"},
		{name: "scalar for memory", src: `
r1 = 0
r2 = 8
call kf_sum#101
exit`, insn: 2, err: "R1 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_"},
		{name: "memory smaller than the size", src: `
r1 = 0
*(u64 *)(r10 -8) = r1
r1 = r10
r1 += -8
r2 = 16
call kf_sum#101
exit`, insn: 5, err: "invalid read from stack R1 off=-8 size=16\narg#0 arg#1 memory, len pair leads to invalid memory access"},
		// Privileged programs may pass uninitialized stack (CAP_PERFMON).
		{name: "uninitialized memory read", src: `
r1 = r10
r1 += -8
r2 = 8
call kf_sum#101
exit`},
		{name: "wrong context", src: `
r1 = r10
call kf_ctx#104
exit`, insn: 1, err: "arg#0 expected pointer to ctx, but got fp"},
		{name: "r1-r5 clobbered", src: `
r1 = 2
r2 = 40
call kf_add#100
r0 = r1
exit`, insn: 3, err: "R1 !read_ok"},
		{name: "unknown ID", src: `
r1 = 2
r2 = 40
call kernel-function#99
exit`, insn: 2, err: "kernel btf_id 99 is not a function"},
		{name: "unknown ID in dead code", src: `
r0 = 0
if r0 == 0 goto out
call kernel-function#99
out:
exit`, insn: 2, err: "kernel btf_id 99 is not a function"},
		{name: "negative ID", src: `
call kernel-function#-1
exit`, insn: 0, err: "kernel btf_id 4294967295 is not a function"},
		{name: "no prototype", src: `
call kernel-function#107
exit`, insn: 0, err: "calling kernel function kfunc#107 is not allowed"},
		{name: "no prototype in dead code", src: `
r0 = 0
if r0 == 0 goto out
call kernel-function#107
out:
exit`},
		{name: "ID 0", src: `
call kernel-function#0
exit`, insn: 0, err: "invalid kernel function call not eliminated in verifier pass"},
		{name: "module BTF offset", src: `
call kernel-function#100 off=1
exit`, insn: 0, err: "kfunc offset > 0 without fd_array is invalid\nfailed to find BTF for kernel function"},
		{name: "negative offset", src: `
call kernel-function#100 off=-1
exit`, insn: 0, err: "negative offset disallowed for kernel module function call\nfailed to find BTF for kernel function"},
		{name: "callback argument", src: `
call kernel-function#106
exit`, insn: 0, err: "kfunc kf_cb#106 has an invalid prototype: arg#0: callbacks are not supported for kfuncs"},
		{name: "unprivileged", untrusted: true, src: `
r1 = 2
r2 = 40
call kf_add#100
exit`, insn: 2, err: "loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN"},
		{name: "not GPL", noGPL: true, src: `
r1 = 2
r2 = 40
call kf_add#100
exit`, insn: 2, err: "cannot call kernel function from non-GPL compatible program"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := &Options{Type: XDP(), Maps: []*Map{m}, GPL: !tc.noGPL, Kfuncs: testKfuncs}
			if tc.untrusted {
				opts.Mode = Untrusted
			}
			_, err := Verify(mustAsm(t, tc.src), opts)
			if tc.err == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want %q at %d", err, tc.err, tc.insn)
			}
			if e.Msg != tc.err || e.Insn != tc.insn {
				t.Fatalf("got %q at %d, want %q at %d", e.Msg, e.Insn, tc.err, tc.insn)
			}
		})
	}
}

func TestKfuncNoSet(t *testing.T) {
	_, err := Verify(mustAsm(t, "call kernel-function#100\nexit"), &Options{Type: XDP(), GPL: true})
	var e *Error
	if !errors.As(err, &e) || e.Msg != "kernel btf_id 100 is not a function" {
		t.Fatalf("got %v", err)
	}
}

func TestKfuncLockHeld(t *testing.T) {
	m := &Map{Name: "m", Type: MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 1, SpinLock: true, SpinLockOff: 0}
	src := `
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[fd:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r6 = r0
r1 = r0
call bpf_spin_lock
r1 = 1
r2 = 2
call kf_add#100
r1 = r6
call bpf_spin_unlock
out:
r0 = 0
exit`
	_, err := Verify(mustAsm(t, src), &Options{Type: XDP(), Maps: []*Map{m}, GPL: true, Kfuncs: testKfuncs})
	var e *Error
	if !errors.As(err, &e) || e.Msg != "function calls are not allowed while holding a lock" || e.Insn != 13 {
		t.Fatalf("got %v", err)
	}
}

// The log names the kfunc as the kernel's does ("call NAME#ID").
func TestKfuncLog(t *testing.T) {
	src := "r1 = 2\nr2 = 40\ncall kernel-function#100\nexit"
	res, err := Verify(mustAsm(t, src), &Options{Type: XDP(), GPL: true, Kfuncs: testKfuncs, LogLevel: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Log, "2: (85) call kf_add#100") {
		t.Fatalf("log does not name the kfunc:\n%s", res.Log)
	}
	if !strings.Contains(res.Log, "R0_w=scalar()") {
		t.Errorf("log lacks r0 after the call:\n%s", res.Log)
	}
}
