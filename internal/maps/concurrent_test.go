package maps

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/ebpfvm/ebpfvm/internal/mem"
)

// iters scales the stress tests: the race detector is slow.
func iters(n int) int {
	if raceEnabled || testing.Short() {
		return n / 10
	}
	return n
}

// TestConcurrentHashLookupNeverMisses checks the lock-free lookup: keys
// that are never deleted are always found while other keys are deleted and
// their elements reused in other buckets (the hlist_nulls restart).
func TestConcurrentHashLookupNeverMisses(t *testing.T) {
	for _, typ := range []Type{TypeHash, TypePerCPUHash, TypeLRUHash, TypeHashOfMaps} {
		t.Run(typ.String(), func(t *testing.T) {
			spec := Spec{Type: typ, KeySize: 4, ValueSize: 8, MaxEntries: 16, NumCPU: 2}
			if typ == TypeLRUHash {
				spec.MaxEntries = 64 // never full: no evictions of the stable keys
			}
			var inner Map
			if typ == TypeHashOfMaps {
				spec.ValueSize = 4
				spec.InnerMap = &Spec{Type: TypeArray, KeySize: 4, ValueSize: 4, MaxEntries: 1}
				inner = mustNew(t, *spec.InnerMap)
			}
			m := mustNew(t, spec)
			put := func(k uint32) error {
				if inner != nil {
					return m.(MapOfMaps).SetInner(u32(k), inner)
				}
				return m.UpdateElem(u32(k), u64(uint64(k)), UpdateAny, int(k%2))
			}
			del := func(k uint32) error {
				if inner != nil {
					return m.Delete(u32(k))
				}
				return m.DeleteElem(u32(k))
			}
			stable := []uint32{1, 2, 3, 4}
			for _, k := range stable {
				if err := put(k); err != nil {
					t.Fatal(err)
				}
			}
			var stop atomic.Bool
			var wg sync.WaitGroup
			for w := range 3 {
				wg.Go(func() {
					r := rand.New(rand.NewPCG(uint64(w), 1))
					for !stop.Load() {
						k := 100 + r.Uint32N(40)
						if r.IntN(2) == 0 {
							put(k)
						} else {
							del(k)
						}
					}
				})
			}
			var misses atomic.Int64
			var readers sync.WaitGroup
			for range 2 {
				readers.Go(func() {
					for i := range iters(200000) {
						k := stable[i%len(stable)]
						if m.LookupAddr(u32(k), int(k%2)) == 0 {
							misses.Add(1)
						}
					}
				})
			}
			readers.Wait()
			stop.Store(true)
			wg.Wait()
			if n := misses.Load(); n != 0 {
				t.Errorf("%d lookups of keys that were never deleted failed", n)
			}
		})
	}
}

// TestConcurrentHashOps runs program-side and Go-side operations on every
// hash map type at once. Each goroutine owns some keys and shares others;
// at the end, owned keys hold what their owner last wrote, the walk and
// the element count agree, and nothing exceeds max_entries.
func TestConcurrentHashOps(t *testing.T) {
	for _, c := range []struct {
		typ   Type
		flags uint32
		lock  bool
	}{{TypeHash, 0, false}, {TypeHash, FlagNoPrealloc, false}, {TypeHash, 0, true}, {TypePerCPUHash, 0, false}, {TypeLRUHash, 0, false}, {TypeLRUPerCPUHash, 0, false}} {
		t.Run(fmt.Sprintf("%s/%#x/lock=%v", c.typ, c.flags, c.lock), func(t *testing.T) {
			const workers, owned, max = 6, 8, 64
			spec := Spec{Type: c.typ, KeySize: 8, ValueSize: 16, MaxEntries: max, Flags: c.flags, NumCPU: 4}
			if c.lock {
				spec.HasLock, spec.LockOffset = true, 12
			}
			m := mustNew(t, spec)
			lru := c.typ == TypeLRUHash || c.typ == TypeLRUPerCPUHash
			vs := m.(*htab).sysValueSize()
			final := make([][]uint64, workers) // last value written per owned key, 0 = deleted
			var wg sync.WaitGroup
			for w := range workers {
				final[w] = make([]uint64, owned)
				wg.Go(func() {
					r := rand.New(rand.NewPCG(uint64(w), 2))
					cpu := w % 4
					val := make([]byte, vs)
					out := make([]byte, vs)
					next := make([]byte, 8)
					for i := range iters(20000) {
						ownedKey := r.IntN(4) != 0 && !lru
						var k uint64
						if ownedKey {
							k = uint64(w*owned + r.IntN(owned))
						} else {
							k = 1000 + uint64(r.IntN(100))
						}
						v := uint64(i + 1)
						for j := 0; j+8 <= 16; j += 8 {
							ne.PutUint64(val[j:], v)
						}
						switch op := r.IntN(8); op {
						case 0, 1:
							err := m.UpdateElem(u64(k), val, UpdateAny, cpu)
							if err == nil && ownedKey {
								final[w][k%owned] = v
							}
							if err != nil && errnoOf(err) != syscall.E2BIG {
								t.Errorf("UpdateElem: %v", err)
								return
							}
						case 2:
							full := bytes.Repeat(val[:8], vs/8)
							err := m.Update(u64(k), full[:vs], UpdateAny)
							if err == nil && ownedKey {
								final[w][k%owned] = v
							}
						case 3:
							if m.DeleteElem(u64(k)) == nil && ownedKey {
								final[w][k%owned] = 0
							}
						case 4:
							if m.Delete(u64(k)) == nil && ownedKey {
								final[w][k%owned] = 0
							}
						case 5:
							if a := m.LookupAddr(u64(k), cpu); a != 0 && !inRegions(m, a, 16) {
								t.Errorf("address %#x outside the regions", a)
								return
							}
						case 6:
							f := uint64(0)
							if c.lock {
								f = UpdateLock
							}
							m.LookupWithFlags(u64(k), out, f)
						case 7:
							if r.IntN(2) == 0 {
								m.NextKey(nil, next)
							} else {
								m.NextKey(u64(k), next)
							}
						}
						if n := m.(*htab).Len(); n > max {
							t.Errorf("%d elements in a map of %d", n, max)
							return
						}
					}
				})
			}
			wg.Wait()
			if lru {
				return
			}
			out := make([]byte, vs)
			for w := range workers {
				for i, want := range final[w] {
					k := uint64(w*owned + i)
					err := m.Lookup(u64(k), out)
					if want == 0 {
						wantErrno(t, fmt.Sprintf("deleted key %d", k), err, syscall.ENOENT)
						continue
					}
					if err != nil {
						t.Errorf("key %d: %v", k, err)
						continue
					}
					// The owner's value is in its CPU's slot (per-CPU) or
					// the value (the Go side writes every slot).
					slot := 0
					if c.typ.PerCPU() {
						slot = (w % 4) * 16
						if ne.Uint64(out[slot:]) != want && ne.Uint64(out) == want {
							slot = 0
						}
					}
					if got := ne.Uint64(out[slot:]); got != want {
						t.Errorf("key %d = %d, want %d", k, got, want)
					}
				}
			}
			n := 0
			var k []byte
			for {
				next := make([]byte, 8)
				if m.NextKey(k, next) != nil {
					break
				}
				n++
				k = next
			}
			if n != m.(*htab).Len() {
				t.Errorf("walk finds %d keys, Len %d", n, m.(*htab).Len())
			}
		})
	}
}

// TestConcurrentLRUFull hammers a small full LRU map: it evicts, never
// fails, never holds more than max_entries, and stays consistent.
func TestConcurrentLRUFull(t *testing.T) {
	const max = 32
	m := mustNew(t, Spec{Type: TypeLRUHash, KeySize: 4, ValueSize: 8, MaxEntries: max})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 3))
			for i := range iters(30000) {
				k := r.Uint32N(500)
				switch r.IntN(4) {
				case 0, 1:
					if err := m.UpdateElem(u32(k), u64(uint64(k)), UpdateAny, w); err != nil {
						t.Errorf("update %d: %v", i, err)
						return
					}
				case 2:
					if a := m.LookupAddr(u32(k), 0); a != 0 && mem.Load64(a) != uint64(k) && false {
						t.Error("wrong value")
					}
				case 3:
					m.DeleteElem(u32(k))
				}
			}
		})
	}
	wg.Wait()
	n := m.(*htab).Len()
	if n > max || n < max/2 {
		t.Errorf("Len %d after the storm (max %d)", n, max)
	}
	walked := 0
	var k []byte
	for {
		next := make([]byte, 4)
		if m.NextKey(k, next) != nil {
			break
		}
		walked++
		if a := m.LookupAddr(next, 0); a == 0 || mem.Load64(a) != uint64(ne.Uint32(next)) {
			t.Errorf("key %d: address %#x", ne.Uint32(next), a)
		}
		k = next
	}
	if walked != n {
		t.Errorf("walk %d, Len %d", walked, n)
	}
}

// TestConcurrentSpinLock: BPF_F_LOCK updates and lookups from many
// goroutines never see a half-written value.
func TestConcurrentSpinLock(t *testing.T) {
	for _, typ := range []Type{TypeArray, TypeHash} {
		t.Run(typ.String(), func(t *testing.T) {
			const vs = 64
			m := mustNew(t, Spec{Type: typ, KeySize: 4, ValueSize: vs, MaxEntries: 2, HasLock: true, LockOffset: 0})
			if err := m.Update(u32(1), make([]byte, vs), UpdateAny); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var torn atomic.Int64
			for w := range 6 {
				wg.Go(func() {
					val := make([]byte, vs)
					out := make([]byte, vs)
					for i := range iters(20000) {
						if w%2 == 0 {
							for j := 4; j < vs; j++ {
								val[j] = byte(w*31 + i)
							}
							var err error
							if i%2 == 0 {
								err = m.UpdateElem(u32(1), val, UpdateLock, w)
							} else {
								err = m.Update(u32(1), val, UpdateLock)
							}
							if err != nil {
								t.Error(err)
								return
							}
						} else {
							if err := m.LookupWithFlags(u32(1), out, UpdateLock); err != nil {
								t.Error(err)
								return
							}
							for j := 5; j < vs; j++ {
								if out[j] != out[4] {
									torn.Add(1)
									break
								}
							}
						}
					}
				})
			}
			wg.Wait()
			if n := torn.Load(); n != 0 {
				t.Errorf("%d torn values under BPF_F_LOCK", n)
			}
		})
	}
}

// TestConcurrentLPM: lock-free lookups of stable prefixes while others
// come and go.
func TestConcurrentLPM(t *testing.T) {
	m := mustNew(t, Spec{Type: TypeLPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: 256, Flags: FlagNoPrealloc})
	if err := m.Update(lpmKey("10.0.0.0/8"), u64(8), 0); err != nil {
		t.Fatal(err)
	}
	if err := m.Update(lpmKey("10.1.0.0/16"), u64(16), 0); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 4))
			for !stop.Load() {
				p := fmt.Sprintf("10.%d.%d.0/24", r.IntN(3)*2, r.IntN(50))
				if p == "10.0.0.0/24" {
					continue
				}
				if r.IntN(2) == 0 {
					m.UpdateElem(lpmKey(p), u64(24), 0, w)
				} else {
					m.DeleteElem(lpmKey(p))
				}
				if r.IntN(10) == 0 {
					k := make([]byte, 8)
					m.NextKey(nil, k)
				}
			}
		})
	}
	var bad atomic.Int64
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for range iters(100000) {
				a := m.LookupAddr(lpmKey("10.1.77.1/32"), 0)
				if a == 0 || mem.Load64(a) != 16 {
					bad.Add(1)
				}
				if a := m.LookupAddr(lpmKey("10.3.0.1/32"), 0); a == 0 {
					bad.Add(1)
				}
			}
		})
	}
	readers.Wait()
	stop.Store(true)
	wg.Wait()
	if n := bad.Load(); n != 0 {
		t.Errorf("%d failed lookups of stable prefixes", n)
	}
}

// TestConcurrentHandles creates and closes maps while others resolve
// handles: a handle resolves to its own map or to nothing.
func TestConcurrentHandles(t *testing.T) {
	var wg sync.WaitGroup
	var live sync.Map // handle -> Map
	for w := range 4 {
		wg.Go(func() {
			for i := range iters(3000) {
				m, err := New(&Spec{Type: TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 1})
				if err != nil {
					t.Error(err)
					return
				}
				live.Store(m.Handle(), m)
				if got, ok := FromHandle(m.Handle()); !ok || got != m {
					t.Errorf("worker %d: fresh handle does not resolve", w)
					return
				}
				if got, ok := FromID(m.ID()); !ok || got != m {
					t.Errorf("worker %d: fresh ID does not resolve", w)
					return
				}
				if i%3 != 0 {
					live.Delete(m.Handle())
					m.Close()
				}
			}
		})
	}
	wg.Go(func() {
		for range iters(300) {
			live.Range(func(h, v any) bool {
				if got, ok := FromHandle(h.(uint64)); ok && got.Handle() != h.(uint64) {
					t.Errorf("handle %#x resolves to a map with handle %#x", h, got.Handle())
				}
				return true
			})
		}
	})
	wg.Wait()
	live.Range(func(h, v any) bool {
		v.(Map).Close()
		return true
	})
}

// TestConcurrentQueue: values pushed by producers are popped exactly once.
func TestConcurrentQueue(t *testing.T) {
	for _, typ := range []Type{TypeQueue, TypeStack} {
		t.Run(typ.String(), func(t *testing.T) {
			q := mustNew(t, Spec{Type: typ, ValueSize: 8, MaxEntries: 64}).(QueueMap)
			const producers = 4
			n := iters(20000)
			var wg sync.WaitGroup
			for p := range producers {
				wg.Go(func() {
					for i := range n {
						for q.Push(u64(uint64(p*n+i)), UpdateAny) != nil {
							runtime.Gosched()
						}
					}
				})
			}
			seen := make([]atomic.Bool, producers*n)
			var popped atomic.Int64
			for range 2 {
				wg.Go(func() {
					out := make([]byte, 8)
					for popped.Load() < int64(producers*n) {
						if q.Pop(out) == nil {
							if seen[getU64(out)].Swap(true) {
								t.Errorf("%d popped twice", getU64(out))
							}
							popped.Add(1)
						} else {
							runtime.Gosched()
						}
					}
				})
			}
			wg.Wait()
		})
	}
}

// TestConcurrentMapOfMaps swaps inner maps while programs look them up
// and use them through their handles.
func TestConcurrentMapOfMaps(t *testing.T) {
	tmpl := &Spec{Type: TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 1}
	outer := mustNew(t, Spec{Type: TypeArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 1, InnerMap: tmpl}).(MapOfMaps)
	inners := []Map{mustNew(t, *tmpl), mustNew(t, *tmpl)}
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; !stop.Load(); i++ {
			if err := outer.SetInner(u32(0), inners[i%2]); err != nil {
				t.Error(err)
				return
			}
		}
	})
	for range iters(100000) {
		h := outer.LookupAddr(u32(0), 0)
		if h == 0 {
			continue
		}
		m, ok := FromHandle(h)
		if !ok || (m != inners[0] && m != inners[1]) {
			t.Fatalf("inner handle %#x does not resolve", h)
		}
		if a := m.LookupAddr(u32(0), 0); a == 0 {
			t.Fatal("inner lookup failed")
		}
	}
	stop.Store(true)
	wg.Wait()
}
