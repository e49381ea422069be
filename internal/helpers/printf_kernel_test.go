//go:build linux

package helpers

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ebpfvm/ebpfvm/internal/testing/kernel"
)

// An argument of a printf case: a number, or a pointer to bytes that the
// test places in the context.
type parg struct {
	num  uint64
	ptr  []byte // non-nil: the argument points to a copy of these bytes
	user bool   // ptr is in the test process's memory, not the context
}

type printfCase struct {
	fmt  string
	args []parg
	size int
}

func num(v uint64) parg  { return parg{num: v} }
func str(s string) parg  { return parg{ptr: append([]byte(s), 0)} }
func raw(b ...byte) parg { return parg{ptr: b} }
func ustr(s string) parg { return parg{ptr: append([]byte(s), 0), user: true} }

// userBase is where user-memory arguments are, in the vm's buffer: the
// same address for the kernel (the test process's memory) and for ours.
const userBase = 32 << 10

func cs(f string, size int, args ...parg) printfCase {
	return printfCase{fmt: f, args: args, size: size}
}

// Context layout of the snprintf programs.
const (
	pOut     = 0    // output buffer (on the stack in the kernel's run)
	pOutMax  = 416  // its largest size
	pData    = 512  // 12 u64 arguments
	pRet     = 608  // the helper's result
	pStrings = 616  // what pointer arguments point to
	pCtxSize = 4096 // the whole context
)

// layout places the pointer arguments and returns the context and each
// argument's offset (or -1 for numbers).
func (c printfCase) layout(v *testVM) ([]byte, []int) {
	ctx := bytes.Repeat([]byte{0xaa}, pCtxSize)
	offs := make([]int, len(c.args))
	at, uat := pStrings, userBase
	for k, a := range c.args {
		offs[k] = -1
		binary.LittleEndian.PutUint64(ctx[pData+8*k:], a.num)
		if a.user {
			binary.LittleEndian.PutUint64(ctx[pData+8*k:], v.put(uat, a.ptr))
			uat += len(a.ptr) + 8
		} else if a.ptr != nil {
			offs[k] = at
			copy(ctx[at:], a.ptr)
			at += len(a.ptr) + 8
		}
	}
	return ctx, offs
}

func (c printfCase) program(rd *rodata, v *testVM) string {
	_, offs := c.layout(v)
	var b strings.Builder
	b.WriteString("r6 = r1\n")
	// The output buffer is the stack below the arguments, filled from
	// the context first and copied back after the call.
	for k := 0; k < pOutMax; k += 8 {
		fmt.Fprintf(&b, "r1 = *(u64 *)(r6 +%d)\n*(u64 *)(r10 -%d) = r1\n", k, 512-k)
	}
	for k, off := range offs {
		if off >= 0 {
			fmt.Fprintf(&b, "r1 = r6\nr1 += %d\n", off)
		} else {
			fmt.Fprintf(&b, "r1 = *(u64 *)(r6 +%d)\n", pData+8*k)
		}
		fmt.Fprintf(&b, "*(u64 *)(r10 -%d) = r1\n", 96-8*k)
	}
	fmt.Fprintf(&b, "r1 = r10\nr1 += -512\nr2 = %d\n%s\n", c.size, rd.ref("r3", c.fmt))
	if len(c.args) > 0 {
		b.WriteString("r4 = r10\nr4 += -96\n")
	} else {
		b.WriteString("r4 = 0\n")
	}
	fmt.Fprintf(&b, "r5 = %d\ncall bpf_snprintf\n*(u64 *)(r6 +%d) = r0\n", 8*len(c.args), pRet)
	for k := 0; k < pOutMax; k += 8 {
		fmt.Fprintf(&b, "r1 = *(u64 *)(r10 -%d)\n*(u64 *)(r6 +%d) = r1\n", 512-k, k)
	}
	b.WriteString("r0 = 0\nexit\n")
	return b.String()
}

// ours runs bpf_snprintf on a copy of the case's context.
func (c printfCase) ours(v *testVM) (uint64, []byte) {
	ctx, offs := c.layout(v)
	v.reset()
	copy(v.mem(), ctx)
	fmtAddr := v.put(pCtxSize, append([]byte(c.fmt), 0))
	for k, off := range offs {
		if off >= 0 {
			v.u64s(pData+8*k, v.addr(off))
		}
	}
	r, err := v.call(snprintfHelper, v.addr(pOut), uint64(c.size), fmtAddr, v.addr(pData), uint64(8*len(c.args)))
	if err != nil {
		v.t.Fatalf("%q: %v", c.fmt, err)
	}
	return r, bytes.Clone(v.mem()[:pOutMax])
}

func printfCases() []printfCase {
	ip4 := raw(192, 168, 0, 1)
	ip6 := raw(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd)
	cases := []printfCase{
		cs("hello", 64),
		cs("hello", 0),
		cs("hello", 1),
		cs("hello", 5),
		cs("hello", 6),
		cs("%%", 16),
		cs("100%% sure %d", 32, num(7)),
		cs("%d %i %u %x %X", 64, num(42), num(^uint64(0)), num(^uint64(0)), num(0xdeadbeef), num(0xabcdef)),
		cs("%ld %li %lu %lx %lX", 128, num(1<<40), num(^uint64(0)), num(^uint64(0)), num(0xdeadbeefcafe), num(0xabcdef12345)),
		cs("%lld %lli %llu %llx %llX", 128, num(1<<63), num(^uint64(41)), num(^uint64(0)), num(0x1122334455667788), num(0xfedcba9876543210)),
		cs("[%5d] [%-5d] [%05d] [%+d] [% d] [%+5d] [%-+5d]", 128, num(42), num(42), num(42), num(42), num(42), num(42), num(42)),
		cs("[%05d] [%+05d] [% 05d] [%-05d]", 128, num(^uint64(41)), num(42), num(42), num(^uint64(41))),
		cs("[%08x] [%-8x] [%8X] [%+x] [% x] [%0+8x]", 128, num(0xbeef), num(0xbeef), num(0xbeef), num(0xbeef), num(0xbeef), num(0xbeef)),
		cs("[%20llu] [%-20lld] [%020lld]", 128, num(^uint64(0)), num(1<<63), num(1<<63)),
		cs("[%c] [%3c] [%-3c] [%03c]", 64, num('a'), num('b'), num('c'), num('d')),
		cs("%c%c%c", 64, num(0x141), num(0), num('z')),
		cs("[%s] [%10s] [%-10s] [%010s] [%2s]", 128, str("hi"), str("hi"), str("hi"), str("hi"), str("long")),
		cs("%s|%s", 64, str(""), str("x")),
		cs("%s.", 64, str("dot")),
		cs("%pks %pus", 64, str("kernel"), ustr("user")),
		cs("%s|%s", 64, ustr("user memory"), str("kernel memory")),
		cs("%pI4 %pi4", 64, ip4, ip4),
		cs("%pI6 %pi6", 128, ip6, ip6),
		cs("%pI4", 5, ip4),
		cs("%pI4|%d", 3, ip4, num(5)),
		cs("ab%pI4|%d", 3, ip4, num(5)),
		cs("%d%pI4%d", 4, num(12345), ip4, num(5)),
		cs("%10pI4|", 64, ip4),
		cs("%pI4abc", 64, ip4),
		cs("%px", 64, num(0x1234)),
		cs("[%20px] [%-20px] [%020px]", 128, num(0xabc), num(0xabc), num(0xabc)),
		cs("%p %p", 64, num(0), num(^uint64(21))),
		cs("%pK", 64, num(0)),
		cs("%ps %pS", 64, num(0x1234), num(0)),
		cs("[%20ps]", 64, num(0x1234)),
		cs("%pB", 64, num(0x1234)),
		cs("%p.", 64, num(0)),
		cs("%pxyz", 64, num(0x10)),
		cs("%d %d %d %d %d %d %d %d %d %d %d %d", 256,
			num(1), num(2), num(3), num(4), num(5), num(6), num(7), num(8), num(9), num(10), num(11), num(12)),
		cs("only %d", 64, num(1), num(2), num(3)),
		cs("%99d|", 64, num(1)),
		cs("%600d|", 416, num(1)),
		cs("%-600d|", 416, num(1)),
		cs("tab\there\nnewline", 64),
		cs("%s", 416, str(strings.Repeat("x", 600))),
		cs("%s%s", 416, str(strings.Repeat("y", 500)), str("abcdefghijklmnopqrstuvwxyz")),
		cs("%s%d", 416, str(strings.Repeat("z", 510)), num(1)),
		cs("%s%c", 416, str(strings.Repeat("z", 510)), num('!')),
		cs("%s%pI6", 416, str(strings.Repeat("w", 480)), ip6),
		cs("%s%pI6", 416, str(strings.Repeat("w", 500)), ip6),
		cs("%s%pI4", 416, str(strings.Repeat("w", 505)), ip4),
		cs("%s%s", 416, str(strings.Repeat("v", 511)), str("after")),
		cs("%s%s", 416, str(strings.Repeat("v", 510)), str("after")),
		// Invalid formats: the kernel's verifier rejects the program.
		cs("%d", 64),
		cs("%q", 64, num(1)),
		cs("%hd", 64, num(1)),
		cs("%zu", 64, num(1)),
		cs("%lc", 64, num(1)),
		cs("%lll", 64, num(1)),
		cs("%.3d", 64, num(1)),
		cs("%#x", 64, num(1)),
		cs("%*d", 64, num(1), num(2)),
		cs("%sx", 64, str("a")),
		cs("%pa", 64, num(1)),
		cs("%pI5", 64, raw(1, 2, 3, 4)),
		cs("%pe", 64, num(1)),
		cs("abc%", 64, num(1)),
		cs("bell\a", 64),
		cs("\x7f", 64),
		cs("\xc3\xa9", 64),
		cs("\xff\x80 %d", 64, num(1)),
	}
	// Random combinations of flags, widths and conversions.
	rng := rand.New(rand.NewPCG(1, 2))
	convs := []string{"d", "i", "u", "x", "X", "ld", "lu", "lx", "lld", "llu", "llx", "llX", "c", "s", "px"}
	flags := []string{"", "-", "0", "+", " ", "-0", "+0", "- ", "0-+ "}
	for range 150 {
		var f strings.Builder
		var args []parg
		for range 1 + rng.IntN(4) {
			f.WriteString(strings.Repeat("t", rng.IntN(3)))
			f.WriteString("%" + flags[rng.IntN(len(flags))])
			if rng.IntN(2) == 0 {
				fmt.Fprintf(&f, "%d", 1+rng.IntN(25))
			}
			c := convs[rng.IntN(len(convs))]
			f.WriteString(c)
			switch c {
			case "s":
				args = append(args, str(strings.Repeat("s", rng.IntN(12))))
			default:
				vals := []uint64{0, 1, 9, 10, 255, 1 << 31, 1<<32 - 1, 1 << 32, 1<<63 - 1, 1 << 63, ^uint64(0), rng.Uint64()}
				args = append(args, num(vals[rng.IntN(len(vals))]))
			}
		}
		cases = append(cases, cs(f.String(), rng.IntN(80), args...))
	}
	return cases
}

func TestSnprintfKernel(t *testing.T) {
	requireKernel(t)
	cases := printfCases()
	var fmts []string
	for _, c := range cases {
		fmts = append(fmts, c.fmt)
	}
	rd := newRodata(t, fmts)
	v := newVM(t)
	for _, c := range cases {
		ctx, _ := c.layout(v)
		insns := c.program(rd, v)
		p, err := loadKernelQuiet(insns)
		wantR, wantOut := uint64(0), []byte(nil)
		if err != nil {
			// The verifier checks the format: our helper must say -EINVAL.
			if r, _ := c.ours(v); r != errno(einval) {
				t.Errorf("%q %s: kernel rejects the program (%v), ebpfvm returns %d", c.fmt, c.argString(), err, int64(r))
			}
			continue
		}
		res, err := p.TestRun(kernel.TestRunOptions{Ctx: ctx})
		p.Close()
		if err != nil {
			t.Fatalf("%q: test run: %v", c.fmt, err)
		}
		wantR = binary.LittleEndian.Uint64(res.CtxOut[pRet:])
		wantOut = res.CtxOut[:pOutMax]
		gotR, gotOut := c.ours(v)
		if gotR != wantR || !bytes.Equal(gotOut, wantOut) {
			t.Errorf("%q size %d %s:\n kernel %d %q\n ours   %d %q", c.fmt, c.size, c.argString(),
				int64(wantR), visible(wantOut), int64(gotR), visible(gotOut))
		}
	}
}

// visible is the output buffer up to the untouched 0xaa filler.
func visible(b []byte) []byte {
	if i := bytes.Index(b, []byte{0xaa, 0xaa, 0xaa, 0xaa}); i >= 0 {
		return b[:i]
	}
	return b
}

func loadKernelQuiet(src string) (*kernel.Program, error) {
	insns, err := isaAssemble(src)
	if err != nil {
		return nil, err
	}
	return kernel.Load(insns, kernel.LoadOptions{Type: kernel.Syscall, Name: "helpers_test"})
}

func (c printfCase) argString() string {
	var parts []string
	for _, a := range c.args {
		switch {
		case a.ptr == nil:
			parts = append(parts, fmt.Sprintf("%#x", a.num))
		case len(a.ptr) > 20:
			parts = append(parts, fmt.Sprintf("&%q...(%d)", a.ptr[:8], len(a.ptr)))
		default:
			parts = append(parts, fmt.Sprintf("&%q", a.ptr))
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}
