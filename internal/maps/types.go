package maps

import (
	"fmt"
	"syscall"

	"github.com/ebpfvm/ebpfvm/internal/mem"
)

// Type is a map type, with Linux's numbering (enum bpf_map_type).
type Type uint32

// Map types. Only the ones New implements are listed with a name here;
// New refuses the others (see New).
const (
	TypeUnspec        Type = 0
	TypeHash          Type = 1
	TypeArray         Type = 2
	TypeProgArray     Type = 3
	TypePerfEventArr  Type = 4
	TypePerCPUHash    Type = 5
	TypePerCPUArray   Type = 6
	TypeLRUHash       Type = 9
	TypeLRUPerCPUHash Type = 10
	TypeLPMTrie       Type = 11
	TypeArrayOfMaps   Type = 12
	TypeHashOfMaps    Type = 13
	TypeQueue         Type = 22
	TypeStack         Type = 23
	TypeRingBuf       Type = 27
	TypeBloomFilter   Type = 30
	TypeUserRingBuf   Type = 31
	TypeArena         Type = 33

	maxType Type = 33 // the highest type number the kernel knows (6.18)
)

var typeNames = map[Type]string{
	TypeUnspec: "unspec", TypeHash: "hash", TypeArray: "array", TypeProgArray: "prog_array",
	TypePerfEventArr: "perf_event_array", TypePerCPUHash: "percpu_hash",
	TypePerCPUArray: "percpu_array", 7: "stack_trace", 8: "cgroup_array",
	TypeLRUHash: "lru_hash", TypeLRUPerCPUHash: "lru_percpu_hash",
	TypeLPMTrie: "lpm_trie", TypeArrayOfMaps: "array_of_maps",
	TypeHashOfMaps: "hash_of_maps", 14: "devmap", 15: "sockmap", 16: "cpumap",
	17: "xskmap", 18: "sockhash", 19: "cgroup_storage",
	20: "reuseport_sockarray", 21: "percpu_cgroup_storage", TypeQueue: "queue",
	TypeStack: "stack", 24: "sk_storage", 25: "devmap_hash", 26: "struct_ops",
	TypeRingBuf: "ringbuf", 28: "inode_storage", 29: "task_storage",
	TypeBloomFilter: "bloom_filter", TypeUserRingBuf: "user_ringbuf",
	32: "cgrp_storage", TypeArena: "arena",
}

func (t Type) String() string {
	if s, ok := typeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("map_type(%d)", uint32(t))
}

// PerCPU reports whether values of the type have one slot per CPU.
func (t Type) PerCPU() bool {
	return t == TypePerCPUHash || t == TypePerCPUArray || t == TypeLRUPerCPUHash
}

// Map creation flags (BPF_F_*), with the kernel's values.
const (
	FlagNoPrealloc    = 1 << 0  // BPF_F_NO_PREALLOC
	FlagNoCommonLRU   = 1 << 1  // BPF_F_NO_COMMON_LRU
	FlagNumaNode      = 1 << 2  // BPF_F_NUMA_NODE (accepted, ignored)
	FlagRdonly        = 1 << 3  // BPF_F_RDONLY: Go side may not write
	FlagWronly        = 1 << 4  // BPF_F_WRONLY: Go side may not read
	FlagStackBuildID  = 1 << 5  // BPF_F_STACK_BUILD_ID
	FlagZeroSeed      = 1 << 6  // BPF_F_ZERO_SEED
	FlagRdonlyProg    = 1 << 7  // BPF_F_RDONLY_PROG: programs may not write
	FlagWronlyProg    = 1 << 8  // BPF_F_WRONLY_PROG: programs may not read
	FlagClone         = 1 << 9  // BPF_F_CLONE
	FlagMmapable      = 1 << 10 // BPF_F_MMAPABLE
	FlagPreserveElems = 1 << 11 // BPF_F_PRESERVE_ELEMS
	FlagInnerMap      = 1 << 12 // BPF_F_INNER_MAP

	// FlagAccessMask is BPF_F_ACCESS_MASK.
	FlagAccessMask = FlagRdonly | FlagRdonlyProg | FlagWronly | FlagWronlyProg
)

// Update flags (the flags argument of Update and UpdateElem).
const (
	UpdateAny     = 0 // BPF_ANY
	UpdateNoExist = 1 // BPF_NOEXIST
	UpdateExist   = 2 // BPF_EXIST
	UpdateLock    = 4 // BPF_F_LOCK
)

// Ring buffer constants (include/uapi/linux/bpf.h).
const (
	RBNoWakeup    = 1 // BPF_RB_NO_WAKEUP
	RBForceWakeup = 2 // BPF_RB_FORCE_WAKEUP

	RBAvailData = 0 // BPF_RB_AVAIL_DATA
	RBRingSize  = 1 // BPF_RB_RING_SIZE
	RBConsPos   = 2 // BPF_RB_CONS_POS
	RBProdPos   = 3 // BPF_RB_PROD_POS

	RingBufBusyBit    = 1 << 31 // BPF_RINGBUF_BUSY_BIT
	RingBufDiscardBit = 1 << 30 // BPF_RINGBUF_DISCARD_BIT
	RingBufHdrSize    = 8       // BPF_RINGBUF_HDR_SZ
)

// ENOTSUPP is the kernel-internal errno 524 that bpf() returns for some
// unsupported operations (LRU maps without preallocation, lookup-and-delete
// on arrays, ring buffer element operations). It is not EOPNOTSUPP (95),
// which the kernel returns elsewhere (bloom filter deletes).
const ENOTSUPP = syscall.Errno(524)

// Spec describes a map, as the attributes of BPF_MAP_CREATE do.
type Spec struct {
	Name       string
	Type       Type
	KeySize    uint32
	ValueSize  uint32
	MaxEntries uint32
	Flags      uint32
	// MapExtra is map_extra: for bloom filters, the number of hash
	// functions in the low 4 bits (0 means 5).
	MapExtra uint64
	// InnerMap is the template of the inner maps of ArrayOfMaps and
	// HashOfMaps (what the kernel takes from inner_map_fd).
	InnerMap *Spec
	// NumCPU is the number of slots of per-CPU values; 0 means
	// runtime.NumCPU(). New fills it in.
	NumCPU int
	// HasLock says that the value holds a struct bpf_spin_lock (4 bytes)
	// at LockOffset, as BTF would tell the kernel. Only Hash and Array
	// maps may have one. Copies of values skip the lock (copy_map_value),
	// and BPF_F_LOCK updates and lookups take it.
	HasLock    bool
	LockOffset uint32
	// Limit, when not nil, is the memory budget the map is charged
	// against (see Limit and Size).
	Limit *Limit
}

func (s *Spec) String() string {
	return fmt.Sprintf("%s map %q (key %d, value %d, max_entries %d, flags %#x)", s.Type, s.Name, s.KeySize, s.ValueSize, s.MaxEntries, s.Flags)
}

// Map is a map's byte-level engine. All methods are safe for concurrent
// use by any number of goroutines.
//
// The program-side methods (LookupAddr, UpdateElem, DeleteElem and the
// Push/Pop/Peek, Reserve/Submit/... methods of the specific interfaces) are
// what helpers call while a program runs: they never allocate (except where
// noted) and do not check that the map is still open; whoever runs
// programs keeps a reference to the maps they use (Retain).
//
// The Go-side methods (Lookup, Update, Delete, NextKey, ...) have the
// semantics of the bpf() syscall commands, with the same errno values
// (errors wrap syscall.Errno); they fail with EBADF after Close. Keys and
// values are exactly KeySize and "value size" bytes, where the value size
// is ValueSize, or NumCPU slots of ValueSize rounded up to 8 bytes for
// per-CPU maps, or 4 bytes (a map or program ID) for maps of maps and prog
// arrays. A key of the wrong length is EINVAL; valueOut may be longer than
// the value size.
type Map interface {
	// Spec returns the map's attributes (with NumCPU and any adjusted
	// MaxEntries filled in). The result must not be modified.
	Spec() *Spec
	// Handle is the value a program holds as the "pointer to the map":
	// an address that is unique to the map and not readable memory.
	Handle() uint64
	// ID is a small number unique among open maps (the kernel's map ID):
	// Lookup on a map of maps returns the inner map's ID.
	ID() uint32
	// Regions is the memory programs may touch through the map's values
	// (checked mode grants it). It is fixed for the map's life.
	Regions() []mem.Region

	// LookupAddr returns the address of the value of key (for per-CPU
	// maps, of CPU cpu's slot), or 0. For maps of maps it returns the inner
	// map's handle.
	LookupAddr(key []byte, cpu int) uint64
	// UpdateElem is bpf_map_update_elem called from a program running on
	// CPU cpu (per-CPU maps update only that CPU's slot).
	UpdateElem(key, value []byte, flags uint64, cpu int) error
	// DeleteElem is bpf_map_delete_elem called from a program.
	DeleteElem(key []byte) error

	Lookup(key, valueOut []byte) error
	// LookupWithFlags takes BPF_F_LOCK.
	LookupWithFlags(key, valueOut []byte, flags uint64) error
	LookupAndDelete(key, valueOut []byte) error
	LookupAndDeleteWithFlags(key, valueOut []byte, flags uint64) error
	// Update takes BPF_ANY, BPF_NOEXIST, BPF_EXIST and BPF_F_LOCK.
	Update(key, value []byte, flags uint64) error
	Delete(key []byte) error
	// NextKey writes the key after key into nextOut; key nil asks for the
	// first key. It returns ENOENT after the last key.
	NextKey(key, nextOut []byte) error
	// Freeze makes the map read-only for the Go side (BPF_MAP_FREEZE).
	Freeze() error

	// Retain adds a reference to the map: its memory lives until every
	// reference is released. It fails with EBADF once the map is gone.
	Retain() error
	// Release drops a reference taken with Retain.
	Release()
	// Close drops the creator's reference (once; later calls do nothing)
	// and makes the Go-side methods fail. The memory is freed, and the
	// handle stops resolving, when no reference remains.
	Close() error
}

// QueueMap is implemented by queues, stacks and bloom filters
// (bpf_map_push_elem, bpf_map_pop_elem, bpf_map_peek_elem). For a bloom
// filter, Push adds value, Peek tests whether value may be in the set
// (ENOENT if it certainly is not; valueOut is then an input) and Pop is
// EOPNOTSUPP.
type QueueMap interface {
	Map
	Push(value []byte, flags uint64) error
	Pop(valueOut []byte) error
	Peek(valueOut []byte) error
}

// ProgArray is implemented by prog arrays.
type ProgArray interface {
	Map
	// SetProgram stores prog in slot index (nil clears it). A prog that
	// implements mem.Ref is retained while the slot holds it.
	SetProgram(index uint32, prog any) error
	// Program returns the program in slot index, nil if the slot is empty
	// or out of range. It never blocks and is safe while programs run.
	Program(index uint32) any
	// Watch calls fn, serialised, after every change of a slot (for
	// patched direct tail calls). The returned func stops the calls.
	Watch(fn func(index uint32, old, new any)) (cancel func())
}

// MapOfMaps is implemented by ArrayOfMaps and HashOfMaps.
type MapOfMaps interface {
	Map
	// SetInner stores inner under key; it must match the inner map
	// template as the kernel's bpf_map_meta_equal checks (EINVAL
	// otherwise). inner nil deletes key.
	SetInner(key []byte, inner Map) error
	// Inner returns the map stored under key.
	Inner(key []byte) (Map, bool)
}

// Iterable is implemented by the maps bpf_for_each_map_elem works on
// (arrays and hash maps).
type Iterable interface {
	// ForEach calls fn for each element, in NextKey order, with its key
	// (aliasing map memory: valid during the call only) and the address
	// of its value (CPU cpu's slot for per-CPU maps) until fn returns
	// false. It returns the number of calls.
	ForEach(cpu int, fn func(key []byte, valueAddr uint64) bool) int
}

// DirectArray is implemented by arrays and per-CPU arrays. The value of
// index i (on CPU cpu) is at Base + cpu*CPUStride + i*ElemSize, for
// i < MaxEntries, for the map's life: a JIT can inline lookups, as the
// kernel's array_map_gen_lookup does, and a loader can resolve direct value
// addresses (BPF_PSEUDO_MAP_VALUE) of global data.
type DirectArray interface {
	Map
	Layout() ArrayLayout
}

// ArrayLayout is where an array's values are.
type ArrayLayout struct {
	Base       uint64
	ElemSize   uint64 // value_size rounded up to 8
	CPUStride  uint64 // 0 for arrays that are not per-CPU
	MaxEntries uint32
}
