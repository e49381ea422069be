package maps

import (
	"syscall"
	"testing"
)

// TestNewErrors checks BPF_MAP_CREATE's validation, errno by errno.
// TestKernelCreateErrors runs the same table against the kernel.
func TestNewErrors(t *testing.T) {
	for _, c := range createCases {
		t.Run(c.name, func(t *testing.T) {
			s := c.spec
			m, err := New(&s)
			if err == nil {
				m.Close()
			}
			wantErrno(t, "New", err, c.errno)
		})
	}
}

var innerArray = &Spec{Type: TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 4}

type createCase struct {
	name  string
	spec  Spec
	errno syscall.Errno
	// noKernel marks cases the kernel cannot run as written (a missing
	// inner map would be a bad fd; names are cut by cilium).
	noKernel bool
}

var createCases = []createCase{
	{"hash ok", Spec{Type: TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 10}, 0, false},
	{"hash key 0", Spec{Type: TypeHash, KeySize: 0, ValueSize: 8, MaxEntries: 10}, syscall.EINVAL, false},
	{"hash value 0", Spec{Type: TypeHash, KeySize: 4, ValueSize: 0, MaxEntries: 10}, syscall.EINVAL, false},
	{"hash max 0", Spec{Type: TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 0}, syscall.EINVAL, false},
	{"hash bad flag", Spec{Type: TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 10, Flags: FlagMmapable}, syscall.EINVAL, false},
	{"hash no common lru", Spec{Type: TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 10, Flags: FlagNoCommonLRU}, syscall.EINVAL, false},
	{"hash rdonly+wronly", Spec{Type: TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 10, Flags: FlagRdonly | FlagWronly}, syscall.EINVAL, false},
	{"hash rdonly_prog+wronly_prog", Spec{Type: TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 10, Flags: FlagRdonlyProg | FlagWronlyProg}, syscall.EINVAL, false},
	{"hash no prealloc", Spec{Type: TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 10, Flags: FlagNoPrealloc}, 0, false},
	{"hash huge kv", Spec{Type: TypeHash, KeySize: 4 << 20, ValueSize: 8, MaxEntries: 10}, syscall.E2BIG, false},
	{"hash max > 2^31", Spec{Type: TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 1<<31 + 1, Flags: FlagNoPrealloc}, syscall.E2BIG, false},
	{"hash map_extra", Spec{Type: TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 10, MapExtra: 1}, syscall.EINVAL, false},
	{"percpu hash big value", Spec{Type: TypePerCPUHash, KeySize: 4, ValueSize: 32<<10 + 1, MaxEntries: 10}, syscall.E2BIG, false},
	{"lru no prealloc", Spec{Type: TypeLRUHash, KeySize: 4, ValueSize: 8, MaxEntries: 10, Flags: FlagNoPrealloc}, ENOTSUPP, false},
	{"lru no common lru", Spec{Type: TypeLRUHash, KeySize: 4, ValueSize: 8, MaxEntries: 10, Flags: FlagNoCommonLRU}, 0, false},
	{"array ok", Spec{Type: TypeArray, KeySize: 4, ValueSize: 3, MaxEntries: 10}, 0, false},
	{"array key 8", Spec{Type: TypeArray, KeySize: 8, ValueSize: 8, MaxEntries: 10}, syscall.EINVAL, false},
	{"array value 0", Spec{Type: TypeArray, KeySize: 4, ValueSize: 0, MaxEntries: 10}, syscall.EINVAL, false},
	{"array max 0", Spec{Type: TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 0}, syscall.EINVAL, false},
	{"array no prealloc", Spec{Type: TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 10, Flags: FlagNoPrealloc}, syscall.EINVAL, false},
	{"array mmapable", Spec{Type: TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 10, Flags: FlagMmapable}, 0, false},
	{"percpu array mmapable", Spec{Type: TypePerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: 10, Flags: FlagMmapable}, syscall.EINVAL, false},
	{"array preserve elems", Spec{Type: TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 10, Flags: FlagPreserveElems}, syscall.EINVAL, false},
	{"array inner map flag", Spec{Type: TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 10, Flags: FlagInnerMap}, 0, false},
	{"percpu array big value", Spec{Type: TypePerCPUArray, KeySize: 4, ValueSize: 32<<10 + 1, MaxEntries: 10}, syscall.E2BIG, false},
	{"prog array value 8", Spec{Type: TypeProgArray, KeySize: 4, ValueSize: 8, MaxEntries: 10}, syscall.EINVAL, false},
	{"prog array rdonly prog", Spec{Type: TypeProgArray, KeySize: 4, ValueSize: 4, MaxEntries: 10, Flags: FlagRdonlyProg}, syscall.EINVAL, false},
	{"prog array ok", Spec{Type: TypeProgArray, KeySize: 4, ValueSize: 4, MaxEntries: 10}, 0, false},
	{"lpm ok", Spec{Type: TypeLPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: 10, Flags: FlagNoPrealloc}, 0, false},
	{"lpm prealloc", Spec{Type: TypeLPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: 10}, syscall.EINVAL, false},
	{"lpm key 4", Spec{Type: TypeLPMTrie, KeySize: 4, ValueSize: 8, MaxEntries: 10, Flags: FlagNoPrealloc}, syscall.EINVAL, false},
	{"lpm key 261", Spec{Type: TypeLPMTrie, KeySize: 261, ValueSize: 8, MaxEntries: 10, Flags: FlagNoPrealloc}, syscall.EINVAL, false},
	{"lpm key 260", Spec{Type: TypeLPMTrie, KeySize: 260, ValueSize: 8, MaxEntries: 10, Flags: FlagNoPrealloc}, 0, false},
	{"lpm max 0", Spec{Type: TypeLPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: 0, Flags: FlagNoPrealloc}, syscall.EINVAL, false},
	{"lpm zero seed", Spec{Type: TypeLPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: 1, Flags: FlagNoPrealloc | FlagZeroSeed}, syscall.EINVAL, false},
	{"queue ok", Spec{Type: TypeQueue, ValueSize: 8, MaxEntries: 10}, 0, false},
	{"queue key 4", Spec{Type: TypeQueue, KeySize: 4, ValueSize: 8, MaxEntries: 10}, syscall.EINVAL, false},
	{"stack value 0", Spec{Type: TypeStack, ValueSize: 0, MaxEntries: 10}, syscall.EINVAL, false},
	{"stack no prealloc", Spec{Type: TypeStack, ValueSize: 8, MaxEntries: 10, Flags: FlagNoPrealloc}, syscall.EINVAL, false},
	{"bloom ok", Spec{Type: TypeBloomFilter, ValueSize: 8, MaxEntries: 10, MapExtra: 3}, 0, false},
	{"bloom map_extra 16", Spec{Type: TypeBloomFilter, ValueSize: 8, MaxEntries: 10, MapExtra: 16}, syscall.EINVAL, false},
	{"bloom key 4", Spec{Type: TypeBloomFilter, KeySize: 4, ValueSize: 8, MaxEntries: 10}, syscall.EINVAL, false},
	{"bloom no prealloc", Spec{Type: TypeBloomFilter, ValueSize: 8, MaxEntries: 10, Flags: FlagNoPrealloc}, syscall.EINVAL, false},
	{"ringbuf ok", Spec{Type: TypeRingBuf, MaxEntries: 1 << 16}, 0, false},
	{"ringbuf not pow2", Spec{Type: TypeRingBuf, MaxEntries: 3 * 4096}, syscall.EINVAL, false},
	{"ringbuf not page", Spec{Type: TypeRingBuf, MaxEntries: 1024}, syscall.EINVAL, false},
	{"ringbuf value", Spec{Type: TypeRingBuf, ValueSize: 4, MaxEntries: 4096}, syscall.EINVAL, false},
	{"ringbuf flags", Spec{Type: TypeRingBuf, MaxEntries: 4096, Flags: FlagRdonlyProg}, syscall.EINVAL, false},
	{"ringbuf zero", Spec{Type: TypeRingBuf, MaxEntries: 0}, syscall.EINVAL, false},
	{"type 0", Spec{Type: 0, KeySize: 4, ValueSize: 4, MaxEntries: 1}, syscall.EINVAL, false},
	{"type 99", Spec{Type: 99, KeySize: 4, ValueSize: 4, MaxEntries: 1}, syscall.EINVAL, false},
	{"spin lock in hash", Spec{Type: TypeHash, KeySize: 4, ValueSize: 16, MaxEntries: 1, HasLock: true, LockOffset: 8}, 0, true},
	{"spin lock misaligned", Spec{Type: TypeHash, KeySize: 4, ValueSize: 16, MaxEntries: 1, HasLock: true, LockOffset: 2}, syscall.EINVAL, true},
	{"spin lock in percpu hash", Spec{Type: TypePerCPUHash, KeySize: 4, ValueSize: 16, MaxEntries: 1, HasLock: true}, syscall.EOPNOTSUPP, true},
	{"spin lock rdonly prog", Spec{Type: TypeArray, KeySize: 4, ValueSize: 16, MaxEntries: 1, HasLock: true, Flags: FlagRdonlyProg}, syscall.EACCES, true},
	{"bad name", Spec{Name: "a-b", Type: TypeArray, KeySize: 4, ValueSize: 4, MaxEntries: 1}, syscall.EINVAL, true},
	{"array of maps ok", Spec{Type: TypeArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 2, InnerMap: innerArray}, 0, false},
	{"array of maps value 8", Spec{Type: TypeArrayOfMaps, KeySize: 4, ValueSize: 8, MaxEntries: 2, InnerMap: innerArray}, syscall.EINVAL, false},
	{"array of maps no inner", Spec{Type: TypeArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 2}, syscall.EBADF, true},
	{"array of maps of maps", Spec{Type: TypeArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 2,
		InnerMap: &Spec{Type: TypeArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 2, InnerMap: innerArray}}, syscall.EINVAL, false},
	{"array of prog arrays", Spec{Type: TypeArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 2,
		InnerMap: &Spec{Type: TypeProgArray, KeySize: 4, ValueSize: 4, MaxEntries: 2}}, ENOTSUPP, false},
	{"hash of maps ok", Spec{Type: TypeHashOfMaps, KeySize: 8, ValueSize: 4, MaxEntries: 2, InnerMap: innerArray}, 0, false},
	{"hash of maps value 8", Spec{Type: TypeHashOfMaps, KeySize: 8, ValueSize: 8, MaxEntries: 2, InnerMap: innerArray}, syscall.EINVAL, false},
	{"hash of ringbufs", Spec{Type: TypeHashOfMaps, KeySize: 8, ValueSize: 4, MaxEntries: 2, InnerMap: &Spec{Type: TypeRingBuf, MaxEntries: 4096}}, 0, false},
}

func TestNewFillsSpec(t *testing.T) {
	m := mustNew(t, Spec{Type: TypeLRUPerCPUHash, KeySize: 4, ValueSize: 4, MaxEntries: 5, Flags: FlagNoCommonLRU, NumCPU: 4})
	if s := m.Spec(); s.NumCPU != 4 || s.MaxEntries != 8 {
		t.Errorf("NumCPU %d MaxEntries %d, want 4 and 8 (rounded up to a multiple of the CPUs)", s.NumCPU, s.MaxEntries)
	}
	m = mustNew(t, Spec{Type: TypeArray, KeySize: 4, ValueSize: 4, MaxEntries: 5})
	if m.Spec().NumCPU == 0 {
		t.Error("NumCPU not filled in")
	}
}
