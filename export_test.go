package ebpfvm

import (
	"github.com/ebpfvm/ebpfvm/internal/maps"
	"github.com/ebpfvm/ebpfvm/internal/mem"
)

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

// GrantForTest adds [start, end) to the memory the run of env may touch:
// for tests whose helpers hand the program memory of their own, which the
// public Env deliberately cannot do.
func GrantForTest(env *Env, start, end uint64) {
	env.env.Regions.Add(mem.Region{Start: start, End: end, Writable: true, Kind: mem.KindOther})
}
