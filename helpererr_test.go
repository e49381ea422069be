package ebpfvm_test

import (
	"strings"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
	"github.com/ebpfvm/ebpfvm/isa"
)

// TestHelperErrorNamesHelperOnce: a helper's error is prefixed with its
// name once, not twice ("bpf_map_lookup_elem: bpf_map_lookup_elem: ...").
func TestHelperErrorNamesHelperOnce(t *testing.T) {
	engines.RunChecked(t, testHelperErrorNamesHelperOnce)
}

func testHelperErrorNamesHelperOnce(t *testing.T, e engines.Engine) {
	insns, err := isa.Assemble("r1 = 12345\nr2 = r10\nr2 += -8\n*(u64 *)(r10 -8) = 0\ncall bpf_map_lookup_elem\nr0 = 0\nexit")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ebpfvm.NewProgram(insns, e.Program(&ebpfvm.ProgramOptions{Type: ebpf.XDP, Verify: ebpfvm.VerifyNone}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, err = p.Run(&ebpfvm.RunOptions{Data: make([]byte, 64)})
	if err == nil {
		t.Fatal("lookup in a non-map succeeded")
	}
	if msg := err.Error(); strings.Contains(msg, "bpf_map_lookup_elem: bpf_map_lookup_elem") || !strings.Contains(msg, "is not a map") {
		t.Errorf("want the helper named once before its error: %s", msg)
	}
}
