//go:build !amd64

package mem

// mapLow is 0 where the kernel has no MAP_32BIT; AllocLow then checks the
// address it got.
const mapLow = 0
