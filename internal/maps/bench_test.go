package maps

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// TestProgramSideAllocs: the helpers' fast paths do not allocate.
func TestProgramSideAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	specs := []Spec{
		{Type: TypeHash, KeySize: 8, ValueSize: 16, MaxEntries: 64},
		{Type: TypeHash, KeySize: 8, ValueSize: 16, MaxEntries: 64, HasLock: true, LockOffset: 8},
		{Type: TypePerCPUHash, KeySize: 8, ValueSize: 16, MaxEntries: 64, NumCPU: 2},
		{Type: TypeLRUHash, KeySize: 8, ValueSize: 16, MaxEntries: 4},
		{Type: TypeLRUPerCPUHash, KeySize: 8, ValueSize: 16, MaxEntries: 4, NumCPU: 2},
		{Type: TypeArray, KeySize: 4, ValueSize: 16, MaxEntries: 64},
		{Type: TypePerCPUArray, KeySize: 4, ValueSize: 16, MaxEntries: 64, NumCPU: 2},
	}
	for _, s := range specs {
		t.Run(fmt.Sprintf("%s/lock=%v", s.Type, s.HasLock), func(t *testing.T) {
			m := mustNew(t, s)
			key := make([]byte, s.KeySize)
			val := make([]byte, 16)
			var flags uint64
			if s.HasLock {
				flags = UpdateLock
			}
			i := uint32(0)
			n := testing.AllocsPerRun(1000, func() {
				i++
				ne.PutUint32(key, i%8) // LRU maps of 4 evict
				m.UpdateElem(key, val, flags, 1)
				m.LookupAddr(key, 1)
				if i%3 == 0 && s.Type != TypeArray && s.Type != TypePerCPUArray {
					m.DeleteElem(key)
				}
			})
			if n != 0 {
				t.Errorf("%v allocations per run", n)
			}
		})
	}
	t.Run("queue", func(t *testing.T) {
		q := mustNew(t, Spec{Type: TypeQueue, ValueSize: 8, MaxEntries: 4}).(QueueMap)
		v := make([]byte, 8)
		if n := testing.AllocsPerRun(1000, func() { q.Push(v, UpdateExist); q.Peek(v); q.Pop(v) }); n != 0 {
			t.Errorf("%v allocations per run", n)
		}
	})
	t.Run("bloom", func(t *testing.T) {
		b := mustNew(t, Spec{Type: TypeBloomFilter, ValueSize: 8, MaxEntries: 4}).(QueueMap)
		v := make([]byte, 8)
		if n := testing.AllocsPerRun(1000, func() { b.Push(v, 0); b.Peek(v) }); n != 0 {
			t.Errorf("%v allocations per run", n)
		}
	})
	t.Run("ringbuf", func(t *testing.T) {
		rb := mustNew(t, Spec{Type: TypeRingBuf, MaxEntries: 1 << 20}).(RingBufMap)
		data := make([]byte, 32)
		i := 0
		if n := testing.AllocsPerRun(1000, func() {
			i++
			if a := rb.Reserve(24, 0); a != 0 {
				if i%2 == 0 {
					rb.Submit(a, 0)
				} else {
					rb.Discard(a, RBNoWakeup)
				}
			}
			rb.Output(data, 0)
			rb.Query(RBAvailData)
		}); n != 0 {
			t.Errorf("%v allocations per run", n)
		}
	})
	t.Run("lpm lookup", func(t *testing.T) {
		m := mustNew(t, Spec{Type: TypeLPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: 4, Flags: FlagNoPrealloc})
		m.Update(lpmKey("10.0.0.0/8"), u64(1), 0)
		k := lpmKey("10.1.2.3/32")
		if n := testing.AllocsPerRun(1000, func() { m.LookupAddr(k, 0) }); n != 0 {
			t.Errorf("%v allocations per run", n)
		}
	})
	t.Run("handles", func(t *testing.T) {
		m := mustNew(t, Spec{Type: TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 1})
		h := m.Handle()
		if n := testing.AllocsPerRun(1000, func() { FromHandle(h) }); n != 0 {
			t.Errorf("%v allocations per run", n)
		}
	})
}

// fill puts n keys 0..n-1 in m.
func fill(b *testing.B, m Map, n int, keySize int) {
	key := make([]byte, keySize)
	val := make([]byte, m.Spec().ValueSize)
	for i := range n {
		ne.PutUint32(key, uint32(i))
		if err := m.UpdateElem(key, val, UpdateAny, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func benchMap(b *testing.B, s Spec) Map {
	m, err := New(&s)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	return m
}

func BenchmarkHashLookup(b *testing.B) {
	for _, n := range []int{100, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			m := benchMap(b, Spec{Type: TypeHash, KeySize: 8, ValueSize: 8, MaxEntries: uint32(n)})
			fill(b, m, n, 8)
			b.RunParallel(func(pb *testing.PB) {
				key := make([]byte, 8)
				i := uint32(0)
				for pb.Next() {
					i++
					ne.PutUint32(key, i%uint32(n))
					if m.LookupAddr(key, 0) == 0 {
						b.Fatal("miss")
					}
				}
			})
		})
	}
}

func BenchmarkHashUpdate(b *testing.B) {
	for _, typ := range []Type{TypeHash, TypePerCPUHash} {
		b.Run(typ.String(), func(b *testing.B) {
			const n = 10000
			m := benchMap(b, Spec{Type: typ, KeySize: 8, ValueSize: 8, MaxEntries: n})
			fill(b, m, n, 8)
			var cpus atomic.Int32
			b.RunParallel(func(pb *testing.PB) {
				cpu := int(cpus.Add(1)-1) % m.Spec().NumCPU
				key := make([]byte, 8)
				val := make([]byte, 8)
				i := uint32(cpu * 7919)
				for pb.Next() {
					i++
					ne.PutUint32(key, i%n)
					if err := m.UpdateElem(key, val, UpdateAny, cpu); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func BenchmarkArrayLookup(b *testing.B) {
	m := benchMap(b, Spec{Type: TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 1024})
	b.RunParallel(func(pb *testing.PB) {
		key := make([]byte, 4)
		i := uint32(0)
		for pb.Next() {
			i++
			ne.PutUint32(key, i%1024)
			if m.LookupAddr(key, 0) == 0 {
				b.Fatal("miss")
			}
		}
	})
}

func BenchmarkLRU(b *testing.B) {
	// Twice as many keys as room: half the updates evict.
	const n = 4096
	m := benchMap(b, Spec{Type: TypeLRUHash, KeySize: 8, ValueSize: 8, MaxEntries: n})
	var cpus atomic.Int32
	b.RunParallel(func(pb *testing.PB) {
		cpu := int(cpus.Add(1) - 1)
		key := make([]byte, 8)
		val := make([]byte, 8)
		i := uint32(cpu * 7919)
		for pb.Next() {
			i++
			ne.PutUint32(key, (i*2654435761)%(2*n))
			if m.LookupAddr(key, cpu) == 0 {
				if err := m.UpdateElem(key, val, UpdateAny, cpu); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

func BenchmarkLPM(b *testing.B) {
	m := benchMap(b, Spec{Type: TypeLPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: 10000, Flags: FlagNoPrealloc})
	// 10000 /24 prefixes under 10.0.0.0/8.
	m.Update(lpmKey("10.0.0.0/8"), u64(1), 0)
	for i := range 9999 {
		m.Update(lpmKey(fmt.Sprintf("10.%d.%d.0/24", i/256, i%256)), u64(2), 0)
	}
	keys := make([][]byte, 1024)
	for i := range keys {
		keys[i] = lpmKey(fmt.Sprintf("10.%d.%d.%d/32", i%40, (i*7)%256, i%256))
	}
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			if m.LookupAddr(keys[i%1024], 0) == 0 {
				b.Fatal("miss")
			}
		}
	})
}

func BenchmarkRingBufOutput(b *testing.B) {
	rb := benchMap(b, Spec{Type: TypeRingBuf, MaxEntries: 1 << 22}).(RingBufMap)
	data := make([]byte, 64)
	for b.Loop() {
		if rb.Output(data, RBNoWakeup) != nil {
			for {
				if _, err := rb.Read(benchNoWait); err != nil {
					break
				}
			}
		}
	}
}

// benchNoWait is a deadline in the past: Read returns at once.
var benchNoWait = time.Unix(1, 0)
