package helpers

// mapFuncs returns the map, ring buffer and bpf_for_each_map_elem helpers.
func (s *set) mapFuncs() []namedFunc { return nil }

// RingBuf is what the ring buffer helpers need of a ring buffer map.
type RingBuf interface {
	Discard(addr, flags uint64)
}
