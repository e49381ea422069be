package maps

import (
	"errors"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
)

// hugeCase is a map whose sizes are at the edges of what can be
// allocated. kernelBytes is what the kernel would allocate at creation
// (0 for cases it refuses before allocating): the case expects ENOMEM
// because that exceeds the machine's memory, and is skipped on a machine
// with that much (the kernel would really allocate it).
type hugeCase struct {
	name        string
	spec        Spec
	errno       syscall.Errno // ebpfvm's answer
	kernel      syscall.Errno // the kernel's, where it differs (documented)
	kernelBytes uint64
}

const (
	gib = 1 << 30
	tib = 1 << 40
)

var hugeCases = []hugeCase{
	{"array 0xffffffff entries", Spec{Type: TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 0xffffffff}, syscall.ENOMEM, 0, 32 * gib},
	{"array 1 TiB", Spec{Type: TypeArray, KeySize: 4, ValueSize: 1 << 20, MaxEntries: 1 << 20}, syscall.ENOMEM, 0, tib},
	{"array value 2^31", Spec{Type: TypeArray, KeySize: 4, ValueSize: 1 << 31, MaxEntries: 1}, syscall.E2BIG, 0, 0},
	{"mmapable array 16 TiB", Spec{Type: TypeArray, KeySize: 4, ValueSize: 4096, MaxEntries: 0xffffffff, Flags: FlagMmapable}, syscall.ENOMEM, 0, 16 * tib},
	{"percpu array 0xffffffff entries", Spec{Type: TypePerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: 0xffffffff}, syscall.ENOMEM, 0, 32 * gib},
	{"prog array 0xffffffff entries", Spec{Type: TypeProgArray, KeySize: 4, ValueSize: 4, MaxEntries: 0xffffffff}, syscall.ENOMEM, 0, 32 * gib},
	{"array of maps 0xffffffff entries", Spec{Type: TypeArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 0xffffffff, InnerMap: innerArray}, syscall.ENOMEM, 0, 32 * gib},
	{"hash 2^27+1 entries", Spec{Type: TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 1<<27 + 1}, syscall.E2BIG, 0, 0},
	{"hash 2^31 entries no prealloc", Spec{Type: TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 1 << 31, Flags: FlagNoPrealloc}, syscall.E2BIG, 0, 0},
	{"lru hash 0xffffffff entries", Spec{Type: TypeLRUHash, KeySize: 4, ValueSize: 8, MaxEntries: 0xffffffff}, syscall.E2BIG, 0, 0},
	{"hash of maps 2^28 entries", Spec{Type: TypeHashOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 1 << 28, InnerMap: innerArray}, syscall.E2BIG, 0, 0},
	{"hash 1 TiB", Spec{Type: TypeHash, KeySize: 1 << 20, ValueSize: 8, MaxEntries: 1 << 20}, syscall.ENOMEM, 0, tib},
	{"percpu hash 1 TiB", Spec{Type: TypePerCPUHash, KeySize: 1 << 20, ValueSize: 8, MaxEntries: 1 << 20}, syscall.ENOMEM, 0, tib},
	{"lru hash 1 TiB", Spec{Type: TypeLRUHash, KeySize: 8, ValueSize: 1 << 20, MaxEntries: 1 << 20}, syscall.ENOMEM, 0, tib},
	// The kernel allocates a BPF_F_NO_PREALLOC hash map's elements as
	// they are added (only its 16 MiB of buckets at creation); ebpfvm
	// lays every hash map out for its full size and refuses one that
	// can never be filled.
	{"hash 1 TiB no prealloc", Spec{Type: TypeHash, KeySize: 1 << 20, ValueSize: 8, MaxEntries: 1 << 20, Flags: FlagNoPrealloc}, syscall.ENOMEM, 0, 0},
	// Likewise LPM tries: the kernel allocates nodes as prefixes are
	// added.
	{"lpm 0xffffffff entries", Spec{Type: TypeLPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: 0xffffffff, Flags: FlagNoPrealloc}, syscall.ENOMEM, 0, 0},
	{"queue 16 PiB", Spec{Type: TypeQueue, ValueSize: 4 << 20, MaxEntries: 0xffffffff}, syscall.ENOMEM, 0, 16 << 50},
	{"stack 1 TiB", Spec{Type: TypeStack, ValueSize: 1 << 20, MaxEntries: 1 << 20}, syscall.ENOMEM, 0, tib},
	{"lru percpu hash 1 TiB", Spec{Type: TypeLRUPerCPUHash, KeySize: 1 << 20, ValueSize: 8, MaxEntries: 1 << 20}, syscall.ENOMEM, 0, tib},
	{"bloom value 4 MiB+1", Spec{Type: TypeBloomFilter, ValueSize: 4<<20 + 1, MaxEntries: 1}, syscall.E2BIG, 0, 0},
	{"bloom key 4 value 4 MiB+1", Spec{Type: TypeBloomFilter, KeySize: 4, ValueSize: 4<<20 + 1, MaxEntries: 1}, syscall.E2BIG, 0, 0},
	{"queue value 4 MiB+1", Spec{Type: TypeQueue, ValueSize: 4<<20 + 1, MaxEntries: 1}, syscall.E2BIG, 0, 0},
}

func init() {
	// The kernel's answers where ebpfvm's differ.
	for i := range hugeCases {
		switch hugeCases[i].name {
		case "hash 1 TiB no prealloc", "lpm 0xffffffff entries":
			hugeCases[i].kernel = 0 // created
		default:
			hugeCases[i].kernel = hugeCases[i].errno
		}
	}
}

// tooBigHere reports whether the machine has the memory a case expects
// to be refused for lack of (then the case does not apply).
func (c *hugeCase) tooBigHere() bool {
	return c.kernelBytes != 0 && physicalMemory() >= c.kernelBytes
}

// TestNewHuge creates maps of every type with huge sizes: ENOMEM or E2BIG,
// as the kernel answers, before anything is allocated, and the process
// lives. With the garbage collector off, an eager Go allocation of a
// prog array or array of maps of 0xffffffff slots (once a fatal "out of
// memory") would show.
func TestNewHuge(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, c := range hugeCases {
		t.Run(c.name, func(t *testing.T) {
			if c.tooBigHere() {
				t.Skipf("this machine has %d bytes of memory, the case needs more than %d", physicalMemory(), c.kernelBytes)
			}
			s := c.spec
			m, err := New(&s)
			if err == nil {
				m.Close()
			}
			wantErrno(t, "New", err, c.errno)
			if err != nil && !strings.Contains(err.Error(), "bytes") && c.errno == syscall.ENOMEM {
				t.Errorf("ENOMEM without the size: %v", err)
			}
		})
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grown := after.HeapAlloc - before.HeapAlloc; after.HeapAlloc > before.HeapAlloc && grown > 64<<20 {
		t.Errorf("the Go heap grew by %d bytes creating maps that were refused", grown)
	}
}

// TestProgArrayLazySlots: a prog array's slots are allocated as they are
// set, so a big one costs little until it is filled, and each slot still
// works.
func TestProgArrayLazySlots(t *testing.T) {
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m := mustNew(t, Spec{Type: TypeProgArray, KeySize: 4, ValueSize: 4, MaxEntries: 1 << 26})
	pa := m.(ProgArray)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 1<<20 {
		t.Errorf("a prog array of 2^26 slots took %d bytes of heap at creation", grown)
	}
	for _, i := range []uint32{0, slotChunk - 1, slotChunk, 1<<26 - 1} {
		if err := pa.SetProgram(i, "p"); err != nil {
			t.Fatalf("slot %d: %v", i, err)
		}
		if got := pa.Program(i); got != "p" {
			t.Errorf("slot %d holds %v", i, got)
		}
	}
	if got := pa.Program(1); got != nil {
		t.Errorf("slot 1 holds %v, never set", got)
	}
	wantErrno(t, "slot 2^26", pa.SetProgram(1<<26, "p"), syscall.E2BIG)
	next := make([]byte, 4)
	wantErrno(t, "next key after the last", m.NextKey(u32(1<<26-1), next), syscall.ENOENT)
	m.Close()
	if got := pa.Program(slotChunk); got != nil {
		t.Errorf("closing left %v in a slot", got)
	}
}

// TestLimit: maps are charged against a Limit at creation and the charge
// is returned when they are freed; past the limit, New fails with ENOMEM
// naming the map, its size and the limit.
func TestLimit(t *testing.T) {
	l := NewLimit(1 << 20)
	spec := Spec{Name: "big", Type: TypeArray, KeySize: 4, ValueSize: 1024, MaxEntries: 600, Limit: l}
	a, err := New(&spec)
	if err != nil {
		t.Fatal(err)
	}
	if l.Used() != Size(&spec) || l.Used() != 600*1024 {
		t.Errorf("used %d after one map of %d bytes", l.Used(), Size(&spec))
	}
	_, err = New(&spec)
	wantErrno(t, "second map", err, syscall.ENOMEM)
	if err != nil {
		for _, want := range []string{`"big"`, "614400 bytes", "limit 1048576 bytes", "614400 in use"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %s", err, want)
			}
		}
	}
	if l.Used() != 600*1024 {
		t.Errorf("a refused map left a charge: used %d", l.Used())
	}
	// Every type is charged, and uncharged when freed.
	for _, s := range []Spec{
		{Type: TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 100},
		{Type: TypeLRUPerCPUHash, KeySize: 4, ValueSize: 8, MaxEntries: 100, NumCPU: 2},
		{Type: TypePerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: 100, NumCPU: 2},
		{Type: TypeProgArray, KeySize: 4, ValueSize: 4, MaxEntries: 100},
		{Type: TypeArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 100, InnerMap: innerArray},
		{Type: TypeHashOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 100, InnerMap: innerArray},
		{Type: TypeLPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: 100, Flags: FlagNoPrealloc},
		{Type: TypeQueue, ValueSize: 8, MaxEntries: 100},
		{Type: TypeBloomFilter, ValueSize: 8, MaxEntries: 100},
		{Type: TypeRingBuf, MaxEntries: 4096},
	} {
		s.Limit = l
		m, err := New(&s)
		if err != nil {
			t.Fatalf("%v: %v", &s, err)
		}
		if got := l.Used() - 600*1024; got != Size(m.Spec()) || got == 0 {
			t.Errorf("%s: charged %d, size %d", s.Type, got, Size(m.Spec()))
		}
		m.Close()
		if l.Used() != 600*1024 {
			t.Errorf("%s: %d bytes still charged after Close", s.Type, l.Used()-600*1024)
		}
	}
	a.Close()
	if l.Used() != 0 {
		t.Errorf("%d bytes charged after every map was closed", l.Used())
	}
	// A map that fails after the charge (its name is bad, checked
	// before; an inner map missing, checked before): nothing is left.
	_, err = New(&Spec{Type: TypeArray, KeySize: 4, ValueSize: 2 << 20, MaxEntries: 1, Limit: l})
	if !errors.Is(err, syscall.ENOMEM) || l.Used() != 0 {
		t.Errorf("a 2 MiB map under a 1 MiB limit: %v, %d bytes charged", err, l.Used())
	}
}
