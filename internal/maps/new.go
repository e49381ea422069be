package maps

import (
	"fmt"
	"runtime"
	"syscall"
)

// Kernel size limits on x86-64 with 4 KiB pages.
const (
	kmallocMax       = 4 << 20                          // KMALLOC_MAX_SIZE
	htabElemSize     = 48                               // sizeof(struct htab_elem)
	htabBucketSize   = 16                               // sizeof(struct bucket)
	pcpuMinUnitSize  = 32 << 10                         // PCPU_MIN_UNIT_SIZE
	lpmDataSizeMax   = 256                              // LPM_DATA_SIZE_MAX
	lpmValSizeMax    = kmallocMax - lpmDataSizeMax - 24 // LPM_VAL_SIZE_MAX
	ringbufMaxDataSz = ((1 << 24) - 2 - 1) * 4096       // RINGBUF_MAX_DATA_SZ
	htabCreateMask   = FlagNoPrealloc | FlagNoCommonLRU | FlagNumaNode | FlagAccessMask | FlagZeroSeed
	arrayCreateMask  = FlagNumaNode | FlagMmapable | FlagAccessMask | FlagPreserveElems | FlagInnerMap
	lpmCreateMask    = FlagNoPrealloc | FlagNumaNode | FlagAccessMask
	queueCreateMask  = FlagNumaNode | FlagAccessMask
	bloomCreateMask  = FlagNumaNode | FlagZeroSeed | FlagAccessMask
	ringbufCreateMsk = FlagNumaNode
)

// errf attaches an explanation to an errno.
func errf(errno syscall.Errno, format string, args ...any) error {
	return fmt.Errorf("maps: "+format+": %w", append(args, errno)...)
}

// New creates a map, validating spec as BPF_MAP_CREATE does and failing
// with the same errno values: EINVAL for bad sizes and flags, E2BIG for
// sizes past the kernel's limits, ENOTSUPP (524) for an LRU map without
// preallocation, EOPNOTSUPP for a spin lock in a map type that cannot hold
// one, ... Map types the package does not implement (perf event arrays,
// sockmaps, storage maps, arenas, user ring buffers, ...) fail with
// EOPNOTSUPP. A map larger than the machine's memory or than what is
// left of spec.Limit fails with ENOMEM before anything is allocated
// (see Size), as does memory that cannot be mapped.
func New(spec *Spec) (Map, error) {
	s := *spec
	if err := check(&s); err != nil {
		return nil, err
	}
	release, err := reserve(&s)
	if err != nil {
		return nil, err
	}
	m, err := create(s)
	if err != nil {
		release()
		return nil, err
	}
	if err := m.(publisher).publish(m, release); err != nil {
		return nil, err
	}
	return m, nil
}

func create(s Spec) (Map, error) {
	switch s.Type {
	case TypeArray, TypePerCPUArray:
		return newArray(&s)
	case TypeProgArray:
		return newProgArray(&s)
	case TypeArrayOfMaps:
		return newArrayOfMaps(&s)
	case TypeHash, TypePerCPUHash, TypeLRUHash, TypeLRUPerCPUHash, TypeHashOfMaps:
		return newHash(&s)
	case TypeLPMTrie:
		return newLPM(&s)
	case TypeQueue, TypeStack:
		return newQueue(&s)
	case TypeBloomFilter:
		return newBloom(&s)
	case TypeRingBuf:
		return newRingBuf(&s)
	}
	return nil, errf(syscall.EOPNOTSUPP, "%s maps are not implemented", s.Type)
}

// Check validates spec as New does, without creating anything. It fills
// in NumCPU and adjusts MaxEntries where the kernel does.
func Check(spec *Spec) error { return check(spec) }

func accessOK(flags uint32) bool {
	return flags&(FlagRdonlyProg|FlagWronlyProg) != FlagRdonlyProg|FlagWronlyProg
}

func validName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func check(s *Spec) error {
	// map_create
	if s.Type != TypeBloomFilter && s.Type != TypeArena && s.MapExtra != 0 {
		return errf(syscall.EINVAL, "map_extra is only for bloom filters and arenas")
	}
	if s.Flags&FlagRdonly != 0 && s.Flags&FlagWronly != 0 {
		return errf(syscall.EINVAL, "BPF_F_RDONLY and BPF_F_WRONLY together")
	}
	if s.Type == TypeUnspec || s.Type > maxType {
		return errf(syscall.EINVAL, "unknown map type %d", uint32(s.Type))
	}
	if s.NumCPU < 0 {
		return errf(syscall.EINVAL, "NumCPU %d", s.NumCPU)
	}
	if s.NumCPU == 0 {
		s.NumCPU = runtime.NumCPU()
	}
	if err := allocCheck(s); err != nil {
		return err
	}
	if !validName(s.Name) {
		return errf(syscall.EINVAL, "map name %q: only letters, digits, '_' and '.'", s.Name)
	}
	// map_check_btf: special fields in the value.
	if s.HasLock {
		if s.LockOffset%4 != 0 || uint64(s.LockOffset)+4 > uint64(s.ValueSize) {
			return errf(syscall.EINVAL, "bpf_spin_lock at offset %d of a %d-byte value", s.LockOffset, s.ValueSize)
		}
		if s.Flags&(FlagRdonlyProg|FlagWronlyProg) != 0 {
			return errf(syscall.EACCES, "bpf_spin_lock in a map programs may not both read and write")
		}
		if s.Type != TypeHash && s.Type != TypeArray {
			return errf(syscall.EOPNOTSUPP, "bpf_spin_lock in a %s map", s.Type)
		}
	}
	return nil
}

// allocCheck is each type's map_alloc_check and the checks of its
// map_alloc, in the kernel's order.
func allocCheck(s *Spec) error {
	switch s.Type {
	case TypeArray, TypePerCPUArray, TypeProgArray, TypeArrayOfMaps:
		if s.Type == TypeProgArray || s.Type == TypeArrayOfMaps {
			// fd_array_map_alloc_check
			if s.ValueSize != 4 {
				return errf(syscall.EINVAL, "%s value size %d, want 4", s.Type, s.ValueSize)
			}
			if s.Flags&(FlagRdonlyProg|FlagWronlyProg) != 0 {
				return errf(syscall.EINVAL, "BPF_F_RDONLY_PROG/WRONLY_PROG on a %s", s.Type)
			}
		}
		if s.MaxEntries == 0 || s.KeySize != 4 || s.ValueSize == 0 || s.Flags&^arrayCreateMask != 0 || !accessOK(s.Flags) {
			return errf(syscall.EINVAL, "%s: bad key size, value size, max_entries or flags", s.Type)
		}
		if s.Type != TypeArray && s.Flags&(FlagMmapable|FlagInnerMap) != 0 {
			return errf(syscall.EINVAL, "BPF_F_MMAPABLE/INNER_MAP on a %s", s.Type)
		}
		if s.Flags&FlagPreserveElems != 0 {
			return errf(syscall.EINVAL, "BPF_F_PRESERVE_ELEMS is for perf event arrays")
		}
		if s.ValueSize > 1<<31-1 {
			return errf(syscall.E2BIG, "value size %d", s.ValueSize)
		}
		if s.Type == TypePerCPUArray && s.ValueSize > pcpuMinUnitSize {
			return errf(syscall.E2BIG, "per-CPU value size %d > %d", s.ValueSize, pcpuMinUnitSize)
		}
		if s.Type == TypeArrayOfMaps {
			return innerMeta(s)
		}
		return nil

	case TypeHash, TypePerCPUHash, TypeLRUHash, TypeLRUPerCPUHash, TypeHashOfMaps:
		if s.Type == TypeHashOfMaps && s.ValueSize != 4 {
			return errf(syscall.EINVAL, "hash_of_maps value size %d, want 4", s.ValueSize)
		}
		percpu := s.Type == TypePerCPUHash || s.Type == TypeLRUPerCPUHash
		lru := s.Type == TypeLRUHash || s.Type == TypeLRUPerCPUHash
		if s.Flags&^htabCreateMask != 0 || !accessOK(s.Flags) {
			return errf(syscall.EINVAL, "%s: bad flags %#x", s.Type, s.Flags)
		}
		if !lru && s.Flags&FlagNoCommonLRU != 0 {
			return errf(syscall.EINVAL, "BPF_F_NO_COMMON_LRU on a %s", s.Type)
		}
		if lru && s.Flags&FlagNoPrealloc != 0 {
			return errf(ENOTSUPP, "LRU maps are always preallocated")
		}
		if s.MaxEntries == 0 || s.KeySize == 0 || s.ValueSize == 0 {
			return errf(syscall.EINVAL, "%s: zero key size, value size or max_entries", s.Type)
		}
		if uint64(s.KeySize)+uint64(s.ValueSize) >= kmallocMax-htabElemSize {
			return errf(syscall.E2BIG, "key and value of %d bytes", uint64(s.KeySize)+uint64(s.ValueSize))
		}
		if percpu && roundUp8(s.ValueSize) > pcpuMinUnitSize {
			return errf(syscall.E2BIG, "per-CPU value size %d > %d", s.ValueSize, pcpuMinUnitSize)
		}
		if s.Type == TypeHashOfMaps {
			if err := innerMeta(s); err != nil {
				return err
			}
		}
		// htab_map_alloc
		if lru && s.Flags&FlagNoCommonLRU != 0 {
			n := uint32(s.NumCPU)
			if m := (uint64(s.MaxEntries) + uint64(n) - 1) / uint64(n) * uint64(n); m <= 1<<32-1 {
				s.MaxEntries = uint32(m)
			} else {
				s.MaxEntries = s.MaxEntries / n * n
			}
		}
		if s.MaxEntries > 1<<31 {
			return errf(syscall.E2BIG, "max_entries %d > 2^31", s.MaxEntries)
		}
		// The kernel's bucket table (16 bytes a bucket on x86-64) must
		// stay below 4 GiB.
		if pow2Ceil(uint64(s.MaxEntries)) > (1<<32-1)/htabBucketSize {
			return errf(syscall.E2BIG, "max_entries %d: %d buckets of %d bytes exceed 4 GiB", s.MaxEntries, pow2Ceil(uint64(s.MaxEntries)), htabBucketSize)
		}
		return nil

	case TypeLPMTrie:
		if s.MaxEntries == 0 || s.Flags&FlagNoPrealloc == 0 || s.Flags&^lpmCreateMask != 0 || !accessOK(s.Flags) ||
			s.KeySize < 4+1 || s.KeySize > 4+lpmDataSizeMax || s.ValueSize < 1 || s.ValueSize > lpmValSizeMax {
			return errf(syscall.EINVAL, "lpm_trie: bad key size, value size, max_entries or flags (BPF_F_NO_PREALLOC is required)")
		}
		return nil

	case TypeQueue, TypeStack:
		if s.MaxEntries == 0 || s.KeySize != 0 || s.ValueSize == 0 || s.Flags&^queueCreateMask != 0 || !accessOK(s.Flags) {
			return errf(syscall.EINVAL, "%s: bad key size, value size, max_entries or flags", s.Type)
		}
		if s.ValueSize > kmallocMax {
			return errf(syscall.E2BIG, "value size %d", s.ValueSize)
		}
		return nil

	case TypeBloomFilter:
		if s.ValueSize > kmallocMax {
			return errf(syscall.E2BIG, "value size %d", s.ValueSize) // bloom_map_alloc_check, first
		}
		if s.KeySize != 0 || s.ValueSize == 0 || s.MaxEntries == 0 || s.Flags&^bloomCreateMask != 0 || !accessOK(s.Flags) || s.MapExtra&^0xf != 0 {
			return errf(syscall.EINVAL, "bloom_filter: bad key size, value size, max_entries, flags or map_extra")
		}
		return nil

	case TypeRingBuf:
		if s.Flags&^ringbufCreateMsk != 0 {
			return errf(syscall.EINVAL, "ringbuf: bad flags %#x", s.Flags)
		}
		if s.KeySize != 0 || s.ValueSize != 0 || s.MaxEntries == 0 || s.MaxEntries&(s.MaxEntries-1) != 0 || s.MaxEntries%4096 != 0 {
			return errf(syscall.EINVAL, "ringbuf: key and value size must be 0, max_entries a power of 2 and a multiple of the page size")
		}
		if uint64(s.MaxEntries) > ringbufMaxDataSz {
			return errf(syscall.E2BIG, "ringbuf of %d bytes", s.MaxEntries)
		}
		return nil
	}
	return errf(syscall.EOPNOTSUPP, "%s maps are not implemented", s.Type)
}

// innerMeta is bpf_map_meta_alloc: the inner map template must describe a
// map that may be an inner map.
func innerMeta(s *Spec) error {
	in := s.InnerMap
	if in == nil {
		return errf(syscall.EBADF, "%s without an inner map", s.Type)
	}
	if in.Type == TypeArrayOfMaps || in.Type == TypeHashOfMaps {
		return errf(syscall.EINVAL, "an inner map cannot hold maps")
	}
	if in.Type == TypeProgArray {
		return errf(ENOTSUPP, "a prog_array cannot be an inner map")
	}
	c := *in
	if c.NumCPU == 0 {
		c.NumCPU = s.NumCPU
	}
	if err := check(&c); err != nil {
		return fmt.Errorf("inner map: %w", err)
	}
	s.InnerMap = &c
	return nil
}

// metaEqual is the kernel's map_meta_equal for the inner map template t
// and a candidate inner map m: array_map_meta_equal for arrays,
// bpf_map_meta_equal otherwise.
func metaEqual(t, m *Spec) bool {
	const permanent = ^uint32(FlagRdonly | FlagWronly) // bpf_map_flags_retain_permanent
	if t.Type != m.Type || t.KeySize != m.KeySize || t.ValueSize != m.ValueSize ||
		t.Flags&permanent != m.Flags&permanent || t.HasLock != m.HasLock || t.HasLock && t.LockOffset != m.LockOffset {
		return false
	}
	if t.Type.PerCPU() && t.NumCPU != m.NumCPU {
		return false
	}
	if t.Type == TypeArray && t.Flags&FlagInnerMap == 0 {
		return t.MaxEntries == m.MaxEntries
	}
	return true
}
