package ebpfvm_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
	"github.com/ebpfvm/ebpfvm/isa"
)

// TestCheckedStackPerFrame checks that in checked mode a function reaches
// its own frame and its callers' (through pointers they pass), and never
// the frames below it: those of callees not called yet or returned.
func TestCheckedStackPerFrame(t *testing.T) { engines.RunChecked(t, testCheckedStackPerFrame) }

func testCheckedStackPerFrame(t *testing.T, e engines.Engine) {
	const callee = `
		r0 = 0
		r1 = r10
		r1 += -8
		call f
		r0 = *(u64 *)(r10 -8)
		%s
		exit
	f:
		r2 = 7
		*(u64 *)(r1 +0) = r2
		%s
		r0 = 0
		exit`
	cases := []struct {
		name, caller, callee string
		want                 uint64
		wantErr              string // "" when the run succeeds
	}{
		{"pointer into the caller's frame", "", "", 7, ""},
		{"callee reads its caller's frame through a pointer", "", "r3 = *(u64 *)(r1 -504)", 7, ""},
		{"below the entry frame", "*(u64 *)(r10 -520) = r0", "", 0, "8 bytes before the start of stack"},
		{"into the returned callee's frame", "r2 = *(u64 *)(r10 -600)", "", 0, "88 bytes before the start of stack"},
		{"below the callee's frame", "", "*(u64 *)(r10 -513) = r2", 0, "1 bytes before the start of stack"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			insns, err := isa.Assemble(fmt.Sprintf(callee, c.caller, c.callee))
			if err != nil {
				t.Fatal(err)
			}
			res, err := runUnverified(t, e, insns, nil)
			if c.wantErr == "" {
				if err != nil || res.ReturnValue != c.want {
					t.Fatalf("= %d, %v; want %d", res.ReturnValue, err, c.want)
				}
				return
			}
			if !errors.Is(err, ebpfvm.ErrAccessDenied) || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want an access error mentioning %q", err, c.wantErr)
			}
		})
	}
}
