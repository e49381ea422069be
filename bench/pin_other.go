//go:build !linux

package bench

// pinCPU does nothing outside Linux.
func pinCPU(int) (func(), error) { return func() {}, nil }

// DefaultCPU is -1 (no pinning) outside Linux.
func DefaultCPU() int { return -1 }
