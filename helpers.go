package ebpfvm

import (
	"io"

	"github.com/ebpfvm/ebpfvm/internal/helpers"
)

// standardHelpers is the kernel's helper set (internal/helpers) for
// programs of the kernel's types.
func standardHelpers(opts *CollectionOptions) *Helpers {
	return newStandardHelpers(opts.TraceOutput)
}

func newStandardHelpers(trace io.Writer) *Helpers {
	h := &Helpers{}
	helpers.Register(h, &helpers.Config{TraceOutput: trace})
	return h
}
