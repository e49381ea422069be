package maps

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// goSide is what the kernel map and ours have in common.
type goSide interface {
	LookupWithFlags(key, out []byte, flags uint64) error
	Update(key, value []byte, flags uint64) error
	Delete(key []byte) error
	NextKey(key, out []byte) error
	LookupAndDeleteWithFlags(key, out []byte, flags uint64) error
	Freeze() error
}

type diffCase struct {
	name  string
	spec  Spec
	keys  func(r *rand.Rand) []byte // a random key (nil for keyless maps)
	walk  bool                      // compare whole NextKey walks
	steps int
}

// keySet returns a generator of keys drawn from n fixed random keys.
func keySet(seed uint64, n, size int) func(r *rand.Rand) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	set := make([][]byte, n)
	for i := range set {
		set[i] = make([]byte, size)
		for j := range set[i] {
			set[i][j] = byte(r.Uint32())
		}
	}
	return func(r *rand.Rand) []byte { return bytes.Clone(set[r.IntN(n)]) }
}

func indexKeys(n uint32) func(r *rand.Rand) []byte {
	return func(r *rand.Rand) []byte { return u32(r.Uint32N(n)) }
}

// lpmKeys draws prefixes of 10.x.y.z addresses with a few lengths,
// including an invalid one.
func lpmKeys(r *rand.Rand) []byte {
	k := make([]byte, 8)
	binary.NativeEndian.PutUint32(k, []uint32{0, 1, 8, 9, 16, 23, 24, 31, 32, 32, 33}[r.IntN(11)])
	k[4] = 10
	k[5] = []byte{0, 1, 128, 255}[r.IntN(4)]
	k[6] = []byte{0, 7, 200}[r.IntN(3)]
	k[7] = byte(r.IntN(3))
	return k
}

// lpm6Keys draws prefixes of a few IPv6 addresses.
func lpm6Keys(r *rand.Rand) []byte {
	k := make([]byte, 20)
	binary.NativeEndian.PutUint32(k, []uint32{0, 16, 48, 63, 64, 65, 96, 127, 128, 128, 129}[r.IntN(11)])
	k[4], k[5] = 0x20, 0x01
	for i := 6; i < 20; i++ {
		k[i] = []byte{0, 0xff, 0x80}[r.IntN(3)*(r.IntN(4)/3)]
	}
	return k
}

func TestKernelDifferential(t *testing.T) {
	needKernel(t)
	ncpu := possibleCPUs(t)
	cases := []diffCase{
		{"hash", Spec{Type: TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 8, Flags: FlagZeroSeed}, keySet(1, 16, 4), true, 3000},
		{"hash odd key", Spec{Type: TypeHash, KeySize: 6, ValueSize: 5, MaxEntries: 12, Flags: FlagZeroSeed}, keySet(2, 20, 6), true, 3000},
		{"hash long key", Spec{Type: TypeHash, KeySize: 29, ValueSize: 8, MaxEntries: 6, Flags: FlagZeroSeed | FlagNoPrealloc}, keySet(3, 10, 29), true, 2000},
		{"hash 12-byte key", Spec{Type: TypeHash, KeySize: 12, ValueSize: 8, MaxEntries: 100, Flags: FlagZeroSeed}, keySet(4, 150, 12), true, 3000},
		{"percpu hash", Spec{Type: TypePerCPUHash, KeySize: 8, ValueSize: 12, MaxEntries: 8, Flags: FlagZeroSeed, NumCPU: ncpu}, keySet(5, 14, 8), true, 2000},
		{"lru hash not full", Spec{Type: TypeLRUHash, KeySize: 4, ValueSize: 8, MaxEntries: 256, Flags: FlagZeroSeed}, keySet(6, 16, 4), true, 2000},
		{"lru percpu hash not full", Spec{Type: TypeLRUPerCPUHash, KeySize: 4, ValueSize: 4, MaxEntries: 256, Flags: FlagZeroSeed, NumCPU: ncpu}, keySet(7, 16, 4), true, 2000},
		{"array", Spec{Type: TypeArray, KeySize: 4, ValueSize: 12, MaxEntries: 5}, indexKeys(7), true, 1000},
		{"percpu array", Spec{Type: TypePerCPUArray, KeySize: 4, ValueSize: 4, MaxEntries: 3, NumCPU: ncpu}, indexKeys(5), true, 1000},
		{"lpm", Spec{Type: TypeLPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: 12, Flags: FlagNoPrealloc}, lpmKeys, true, 5000},
		{"lpm ipv6", Spec{Type: TypeLPMTrie, KeySize: 20, ValueSize: 3, MaxEntries: 20, Flags: FlagNoPrealloc}, lpm6Keys, true, 5000},
		{"queue", Spec{Type: TypeQueue, ValueSize: 8, MaxEntries: 4}, nil, false, 1000},
		{"stack", Spec{Type: TypeStack, ValueSize: 3, MaxEntries: 3}, nil, false, 1000},
		{"bloom", Spec{Type: TypeBloomFilter, ValueSize: 4, MaxEntries: 3, MapExtra: 2, Flags: FlagZeroSeed}, nil, false, 1000},
		{"bloom odd value", Spec{Type: TypeBloomFilter, ValueSize: 7, MaxEntries: 2, Flags: FlagZeroSeed}, nil, false, 1000},
		{"ringbuf", Spec{Type: TypeRingBuf, MaxEntries: 4096}, nil, false, 50},
		{"rdonly hash", Spec{Type: TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 8, Flags: FlagZeroSeed | FlagRdonly}, keySet(8, 8, 4), true, 200},
		{"wronly array", Spec{Type: TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 4, Flags: FlagWronly}, indexKeys(5), false, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			km := newKernelMap(t, c.spec)
			ours := mustNew(t, c.spec)
			runDiff(t, c, ours, km)
		})
	}
}

func runDiff(t *testing.T, c diffCase, ours Map, km *kernelMap) {
	r := rand.New(rand.NewPCG(uint64(len(c.name)), 7))
	vsize := ours.(interface{ sysValueSize() int }).sysValueSize()
	if c.spec.Type == TypeRingBuf {
		vsize = 0
	}
	var log []string
	fail := func(format string, args ...any) {
		t.Helper()
		start := max(0, len(log)-15)
		t.Fatalf("%s\nlast operations:\n%s", fmt.Sprintf(format, args...), strings.Join(log[start:], "\n"))
	}
	key := func() []byte {
		if c.keys == nil {
			return nil
		}
		return c.keys(r)
	}
	value := func() []byte {
		v := make([]byte, vsize)
		for i := range v {
			v[i] = byte(r.IntN(4)) // few distinct values: bloom filters collide
		}
		return v
	}
	flagsFor := func() uint64 {
		return []uint64{0, 0, 0, 1, 2, 2, 3, 4, 5, 1 << 40}[r.IntN(10)]
	}
	both := func(name string, f func(m goSide, out []byte) error, nout int) {
		o1, o2 := make([]byte, nout), make([]byte, nout)
		e1, e2 := f(ours, o1), f(km, o2)
		log = append(log, fmt.Sprintf("%s -> ours %v, kernel %v", name, errnoOf(e1), errnoOf(e2)))
		if errnoOf(e1) != errnoOf(e2) {
			fail("%s: ours %v, kernel %v", name, e1, e2)
		}
		if !bytes.Equal(o1, o2) && e1 == nil {
			fail("%s: ours %x, kernel %x", name, o1, o2)
		}
	}
	for step := range c.steps {
		k := key()
		switch op := r.IntN(10); {
		case op < 4:
			v, f := value(), flagsFor()
			both(fmt.Sprintf("update %x %x flags %d", k, v, f), func(m goSide, _ []byte) error { return m.Update(k, v, f) }, 0)
		case op < 6:
			f := []uint64{0, 0, 0, 4, 8}[r.IntN(5)]
			in := value() // bloom filters test this value
			both(fmt.Sprintf("lookup %x %x flags %d", k, in, f), func(m goSide, out []byte) error {
				copy(out, in)
				return m.LookupWithFlags(k, out, f)
			}, vsize)
		case op < 7:
			both(fmt.Sprintf("delete %x", k), func(m goSide, _ []byte) error { return m.Delete(k) }, 0)
		case op < 8:
			f := []uint64{0, 0, 4, 2}[r.IntN(4)]
			both(fmt.Sprintf("lookup and delete %x flags %d", k, f), func(m goSide, out []byte) error { return m.LookupAndDeleteWithFlags(k, out, f) }, vsize)
		default:
			if r.IntN(3) == 0 {
				k = nil
			}
			both(fmt.Sprintf("next key %x", k), func(m goSide, out []byte) error { return m.NextKey(k, out) }, int(c.spec.KeySize))
		}
		if c.walk && step%5 == 0 {
			w1, e1 := walk(ours, int(c.spec.KeySize))
			w2, e2 := walk(km, int(c.spec.KeySize))
			if errnoOf(e1) != errnoOf(e2) || w1 != w2 {
				fail("walk after step %d:\nours   %s (%v)\nkernel %s (%v)", step, w1, e1, w2, e2)
			}
		}
	}
	if c.spec.Flags&FlagRdonly == 0 {
		both("freeze", func(m goSide, _ []byte) error { return m.Freeze() }, 0)
		both("freeze again", func(m goSide, _ []byte) error { return m.Freeze() }, 0)
		k, v := key(), value()
		both("update after freeze", func(m goSide, _ []byte) error { return m.Update(k, v, 0) }, 0)
		both("delete after freeze", func(m goSide, _ []byte) error { return m.Delete(k) }, 0)
	}
}

// walk lists a map's keys in NextKey order.
func walk(m goSide, keySize int) (string, error) {
	var sb strings.Builder
	var k []byte
	for range 10000 {
		next := make([]byte, keySize)
		if err := m.NextKey(k, next); err != nil {
			if errnoOf(err) == 2 { // ENOENT
				return sb.String(), nil
			}
			return sb.String(), err
		}
		fmt.Fprintf(&sb, "%x ", next)
		k = next
	}
	return sb.String(), fmt.Errorf("endless walk")
}
