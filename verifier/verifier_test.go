package verifier

import (
	"strings"
	"testing"

	"github.com/ebpfvm/ebpfvm/isa"
)

func mustAsm(t *testing.T, src string) []isa.Instruction {
	t.Helper()
	insns, err := isa.Assemble(src)
	if err != nil {
		t.Fatal(err)
	}
	return insns
}

func TestSmallPrograms(t *testing.T) {
	m := &Map{Name: "m", Type: MapHash, KeySize: 4, ValueSize: 8, MaxEntries: 16}
	for _, tc := range []struct {
		name, src, err string
	}{
		{"ret0", "r0 = 0\nexit", ""},
		{"uninit r0", "exit", "R0 !read_ok"},
		{"fp write", "r10 = 0\nr0 = 0\nexit", "frame pointer is read only"},
		{"unreachable", "r0 = 0\nexit\nr0 = 1\nexit", "unreachable insn 2"},
		{"map oob", `r0 = 0
*(u64 *)(r10 -8) = r0
r2 = r10
r2 += -8
r1 = map[fd:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r0 = *(u64 *)(r0 +8)
out:
r0 = 0
exit`, "invalid access to map value, value_size=8 off=8 size=8"},
		{"null deref", `r0 = 0
*(u64 *)(r10 -8) = r0
r2 = r10
r2 += -8
r1 = map[fd:0]
call bpf_map_lookup_elem
r0 = *(u64 *)(r0 +0)
exit`, "R0 invalid mem access 'map_value_or_null'"},
		{"bounded loop", `r1 = 0
loop:
r1 += 1
if r1 < 10 goto loop
r0 = 0
exit`, ""},
		{"infinite loop", `r1 = 0
loop:
if r1 < 10 goto loop
r0 = 0
exit`, "infinite loop detected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(mustAsm(t, tc.src), &Options{Type: XDP(), Maps: []*Map{m}, GPL: true})
			if tc.err == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("got %v, want %q", err, tc.err)
			}
		})
	}
}

func TestMaxCtxOffset(t *testing.T) {
	res, err := Verify(mustAsm(t, `r2 = *(u32 *)(r1 +8)
r3 = *(u16 *)(r1 +20)
if r2 > r3 goto +1
*(u8 *)(r1 +30) = r2
r0 = 0
exit`), &Options{Type: Generic(64)})
	if err != nil {
		t.Fatal(err)
	}
	if res.MaxCtxOffset != 31 {
		t.Errorf("MaxCtxOffset = %d, want 31", res.MaxCtxOffset)
	}
	// A context pointer with a constant variable offset is refused, as
	// the kernel refuses it: accesses are at the instruction's offset.
	_, err = Verify(mustAsm(t, `r2 = *(u32 *)(r1 +0)
r2 &= 0
r2 |= 8
r1 += r2
r0 = *(u32 *)(r1 +0)
exit`), &Options{Type: Generic(64)})
	if err == nil {
		t.Fatal("ctx pointer moved by a register accepted")
	}
	t.Log(err)
}
