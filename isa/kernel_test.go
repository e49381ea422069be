package isa_test

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ebpfvm/ebpfvm/internal/testing/kernel"
	"github.com/ebpfvm/ebpfvm/isa"
)

// kernelProgram exercises most instruction forms in a socket filter the
// kernel accepts. r2 holds skb->len, unknown to the verifier, so that it
// walks both sides of every branch.
const kernelProgram = `
	r6 = r1
	r2 = *(u32 *)(r6 +0)
	r7 = r2
	r3 = r2
	r3 += 5
	r3 -= -3
	r3 *= 2
	r3 /= 3
	r3 s/= 3
	r3 %= 7
	r3 s%= -7
	r3 |= 1
	r3 &= 255
	r3 <<= 2
	r3 >>= 2
	r3 s>>= 1
	r3 ^= 1
	r3 = -r3
	r3 += r2
	r3 s/= r2
	r3 s%= r2
	w4 = w2
	w4 += 1
	w4 = -w4
	w4 s/= 3
	w4 -= w2
	r4 = (s8)r2
	r4 = (s16)r2
	r4 = (s32)r2
	w4 = (s8)w2
	w4 = (s16)w2
	r4 = be16 r4
	r4 = be64 r4
	r4 = le32 r4
	r4 = bswap16 r4
	r4 = bswap64 r4
	*(u64 *)(r10 -8) = r3
	*(u32 *)(r10 -16) = 7
	*(u32 *)(r10 -12) = -1
	r5 = *(u64 *)(r10 -8)
	r5 = *(s16 *)(r10 -8)
	r5 = *(s8 *)(r10 -7)
	r5 = *(s32 *)(r10 -16)
	lock *(u64 *)(r10 -8) += r5
	lock *(u32 *)(r10 -16) |= r5
	lock *(u64 *)(r10 -8) ^= r5
	r5 = atomic64_fetch_add((u64 *)(r10 -8), r5)
	r5 = atomic_fetch_xor((u32 *)(r10 -16), r5)
	r5 = atomic64_fetch_and((u64 *)(r10 -8), r5)
	r5 = atomic64_xchg((u64 *)(r10 -8), r5)
	r5 = atomic_xchg((u32 *)(r10 -16), r5)
	r0 = r5
	r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r5)
	r0 = atomic_cmpxchg((u32 *)(r10 -16), r0, r5)
	r5 = load_acquire((u64 *)(r10 -8))
	r5 = load_acquire((u16 *)(r10 -16))
	store_release((u64 *)(r10 -8), r5)
	store_release((u8 *)(r10 -16), r5)
	r1 = 0x1122334455667788 ll
	if r2 > 0x7d0 goto pc+1
	r1 = 0
	if w2 s< -1 goto pc+1
	r1 = 1
	if r2 != r3 goto pc+0
	if w2 & 0x4 goto pc+0
	if r2 s>= r1 goto pc+0
	if w2 <= w3 goto pc+0
	r0 = *(u8 *)skb[0]
	r0 = *(u16 *)skb[r7 + 4]
	r0 = *(u32 *)skb[r7 + -4]
	call bpf_ktime_get_ns#5
	call f
	if r7 > 5 goto pc+1
	gotol pc+1
	r0 = 2
	may_goto pc+1
	r0 = 3
	goto pc+0
	exit
f:
	r0 = 1
	exit
`

var logInsn = regexp.MustCompile(`^(\d+): \(([0-9a-f]{2})\) (.*?)(\s+;.*)?$`)

// TestKernelVerifierLog loads a program into the kernel and checks that
// every instruction the verifier log prints reads exactly as ebpfvm
// formats it (with " ll" added to ld_imm64, as LLVM writes it).
func TestKernelVerifierLog(t *testing.T) {
	if err := kernel.Available(); err != nil {
		t.Skipf("bpf() not usable here: %v", err)
	}
	insns, err := isa.Assemble(kernelProgram)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := kernel.Load(insns, kernel.LoadOptions{Type: kernel.SocketFilter, LogLevel: kernel.LogLevelInsn, LogSize: 1 << 22})
	if err != nil {
		var ve *kernel.VerifierError
		if errors.As(err, &ve) {
			t.Logf("verifier log:\n%s", kernel.LastLines(ve.Log, 20))
		}
		t.Fatalf("kernel rejected the program: %v", err)
	}
	defer prog.Close()
	seen := map[int]bool{}
	for _, line := range strings.Split(prog.Log, "\n") {
		m := logInsn.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		i, _ := strconv.Atoi(m[1])
		if seen[i] || i >= len(insns) {
			continue
		}
		seen[i] = true
		want := m[3]
		if insns[i].IsLoadImm64() {
			want += " ll"
		}
		if got := isa.FormatInstruction(insns, i); got != want {
			t.Errorf("instruction %d: ebpfvm prints %q, the kernel %q", i, got, m[3])
		}
	}
	for i := range insns {
		if !seen[i] && !(i > 0 && insns[i-1].IsLoadImm64()) {
			t.Errorf("instruction %d (%s) is not in the verifier log", i, isa.FormatInstruction(insns, i))
		}
	}
}
