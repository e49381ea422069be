package ebpfvm

import "github.com/ebpfvm/ebpfvm/internal/maps"

// MapID is the ID of m's map (the kernel's map ID), for tests that check
// when its memory is freed.
func MapID(m *Map) uint32 { return m.m.ID() }

// MapAlive reports whether the map with this ID still exists: some
// reference (its creator, a program, a map of maps, a run) holds it.
func MapAlive(id uint32) bool {
	_, ok := maps.FromID(id)
	return ok
}

// OpenMaps is the number of maps in the process whose memory is not freed.
func OpenMaps() int { return maps.Open() }
