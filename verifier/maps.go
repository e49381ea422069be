package verifier

import "fmt"

// MapType is a Linux map type (enum bpf_map_type), by its numeric ID.
type MapType uint32

// Map types, with the kernel's IDs.
const (
	MapUnspec             MapType = 0
	MapHash               MapType = 1
	MapArray              MapType = 2
	MapProgArray          MapType = 3
	MapPerfEventArray     MapType = 4
	MapPerCPUHash         MapType = 5
	MapPerCPUArray        MapType = 6
	MapStackTrace         MapType = 7
	MapCgroupArray        MapType = 8
	MapLRUHash            MapType = 9
	MapLRUPerCPUHash      MapType = 10
	MapLPMTrie            MapType = 11
	MapArrayOfMaps        MapType = 12
	MapHashOfMaps         MapType = 13
	MapDevmap             MapType = 14
	MapSockmap            MapType = 15
	MapCPUMap             MapType = 16
	MapXSKMap             MapType = 17
	MapSockhash           MapType = 18
	MapCgroupStorage      MapType = 19
	MapReuseportSockarray MapType = 20
	MapPerCPUCgroupStor   MapType = 21
	MapQueue              MapType = 22
	MapStack              MapType = 23
	MapSKStorage          MapType = 24
	MapDevmapHash         MapType = 25
	MapStructOps          MapType = 26
	MapRingbuf            MapType = 27
	MapInodeStorage       MapType = 28
	MapTaskStorage        MapType = 29
	MapBloomFilter        MapType = 30
	MapUserRingbuf        MapType = 31
	MapCgrpStorage        MapType = 32
	MapArena              MapType = 33
)

var mapTypeNames = map[MapType]string{
	MapHash: "hash", MapArray: "array", MapProgArray: "prog_array",
	MapPerfEventArray: "perf_event_array", MapPerCPUHash: "percpu_hash",
	MapPerCPUArray: "percpu_array", MapStackTrace: "stack_trace",
	MapCgroupArray: "cgroup_array", MapLRUHash: "lru_hash",
	MapLRUPerCPUHash: "lru_percpu_hash", MapLPMTrie: "lpm_trie",
	MapArrayOfMaps: "array_of_maps", MapHashOfMaps: "hash_of_maps",
	MapDevmap: "devmap", MapSockmap: "sockmap", MapCPUMap: "cpumap",
	MapXSKMap: "xskmap", MapSockhash: "sockhash", MapQueue: "queue",
	MapStack: "stack", MapDevmapHash: "devmap_hash", MapRingbuf: "ringbuf",
	MapBloomFilter: "bloom_filter", MapUserRingbuf: "user_ringbuf",
	MapTaskStorage: "task_storage", MapSKStorage: "sk_storage",
}

func (t MapType) String() string {
	if n, ok := mapTypeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("map_type(%d)", uint32(t))
}

// ParseMapType returns the map type of a name such as "hash" or "array".
func ParseMapType(name string) (MapType, bool) {
	for t, n := range mapTypeNames {
		if n == name {
			return t, true
		}
	}
	return 0, false
}

// Map describes a map a program references: what the verifier needs to
// check lookups, updates and accesses to values.
type Map struct {
	Name       string
	Type       MapType
	KeySize    uint32
	ValueSize  uint32
	MaxEntries uint32
	Flags      uint32
	// Inner is the template of the inner maps of map-in-map types.
	Inner *Map
	// SpinLockOff is the offset of the struct bpf_spin_lock in the value,
	// or -1 (the zero Map has none only when SpinLock is false).
	SpinLock    bool
	SpinLockOff int32
}

// Map flags the verifier cares about.
const (
	MapFlagRdonlyProg = 1 << 7 // BPF_F_RDONLY_PROG
	MapFlagWronlyProg = 1 << 8 // BPF_F_WRONLY_PROG
)

// hasValue reports whether programs get pointers to the map's values.
func (m *Map) valueAccessible() bool {
	switch m.Type {
	case MapProgArray, MapPerfEventArray, MapStackTrace, MapCgroupArray,
		MapArrayOfMaps, MapHashOfMaps, MapDevmap, MapDevmapHash, MapSockmap, MapSockhash,
		MapCPUMap, MapXSKMap, MapRingbuf, MapUserRingbuf, MapQueue, MapStack, MapBloomFilter:
		return false
	}
	return true
}

// MapLoad says what one ld_imm64 loads: the map itself, or (Value) the
// address of its value at Offset (direct value access, as for global
// data: only arrays with one entry).
type MapLoad struct {
	Map    *Map
	Value  bool
	Offset uint32
}
