//go:build !(linux && amd64)

package helpers

// detectVirtualAddressBits: off linux/amd64 ebpfvm follows the layout
// of an x86-64 Linux machine with four-level paging.
func detectVirtualAddressBits() uint { return 48 }
