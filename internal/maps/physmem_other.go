//go:build !linux

package maps

// physicalMemory is the machine's memory in bytes, 0 when unknown: on
// this system New relies on the mapping of map memory failing instead.
func physicalMemory() uint64 { return 0 }
