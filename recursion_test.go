package ebpfvm_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/testing/corpus"
	"github.com/ebpfvm/ebpfvm/verifier"
)

// TestCallbackRecursion: a bpf_loop callback that passes itself to
// bpf_loop (testdata/recursion) is explored until the call stack is 9
// frames deep, and rejected with the kernel's message, after the kernel's
// 99 processed instructions; the running kernel, when there is one, says
// the same.
func TestCallbackRecursion(t *testing.T) {
	const path = "testdata/recursion/recursion.o"
	const want = "the call stack of 9 frames is too deep"
	spec, err := ebpf.LoadCollectionSpec(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ebpfvm.VerifySpec(spec, "xdp_loop_recursion", nil, nil)
	var ve *verifier.Error
	if !errors.As(err, &ve) || ve.Msg != want {
		t.Fatalf("ebpfvm: %v, want %q", err, want)
	}
	if res.InsnsProcessed != 99 {
		t.Errorf("ebpfvm processed %d insns, the kernel 99", res.InsnsProcessed)
	}
	if err := corpus.KernelAvailable(); err != nil {
		t.Skipf("not comparing with the kernel: %v", err)
	}
	_, err = ebpf.NewCollectionWithOptions(spec, ebpf.CollectionOptions{Programs: ebpf.ProgramOptions{LogLevel: ebpf.LogLevelBranch}})
	var kve *ebpf.VerifierError
	if !errors.As(err, &kve) {
		t.Fatalf("kernel: %v, want a verifier error", err)
	}
	if log := strings.Join(kve.Log, "\n"); !strings.Contains(log, want) {
		t.Errorf("kernel log does not say %q:\n%s", want, log)
	}
}
