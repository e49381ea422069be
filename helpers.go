package ebpfvm

import (
	"io"

	"github.com/ebpfvm/ebpfvm/internal/helpers"
	"github.com/ebpfvm/ebpfvm/verifier"
)

// newStandardHelpers is the kernel's helper set (internal/helpers) for
// programs of the kernel's types.
func newStandardHelpers(trace io.Writer) *Helpers {
	h := &Helpers{}
	for _, hp := range helpers.Standard(&helpers.Config{TraceOutput: trace}) {
		hp.Proto = verifier.KernelHelper(hp.ID)
		h.set.Register(hp)
	}
	return h
}
