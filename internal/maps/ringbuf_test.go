package maps

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ebpfvm/ebpfvm/internal/mem"
)

func newRing(t *testing.T, size uint32, shadow bool) RingBufMap {
	forceShadow = shadow
	defer func() { forceShadow = false }()
	rb := mustNew(t, Spec{Type: TypeRingBuf, MaxEntries: size}).(RingBufMap)
	if rb.(*ringBuf).shadow != shadow {
		t.Fatalf("shadow = %v", rb.(*ringBuf).shadow)
	}
	return rb
}

func bothModes(t *testing.T, f func(t *testing.T, shadow bool)) {
	t.Run("double-mapped", func(t *testing.T) { f(t, false) })
	t.Run("shadow", func(t *testing.T) { f(t, true) })
}

func TestRingBufBasics(t *testing.T) {
	bothModes(t, func(t *testing.T, shadow bool) {
		rb := newRing(t, 4096, shadow)
		if rb.Query(RBRingSize) != 4096 || rb.Query(RBAvailData) != 0 || rb.Query(99) != 0 {
			t.Error("Query on an empty ring")
		}
		a := rb.Reserve(10, 0)
		if a == 0 || !inRegions(rb, a, 10) {
			t.Fatalf("Reserve = %#x, regions %v", a, rb.Regions())
		}
		// The header: length with the busy bit, then the page offset.
		if h := mem.Load32(a - 8); h != 10|RingBufBusyBit {
			t.Errorf("header %#x", h)
		}
		if p := rb.Query(RBProdPos); p != 24 { // 8 + 10 rounded up to 8
			t.Errorf("producer position %d, want 24", p)
		}
		copy(mem.Slice(a, 10), "0123456789")
		// Not committed: nothing to read yet.
		if _, err := rb.Read(time.Now().Add(5 * time.Millisecond)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Read of a busy record: %v", err)
		}
		b := rb.Reserve(3, 0)
		copy(mem.Slice(b, 3), "abc")
		if err := rb.Discard(a, 0); err != nil {
			t.Fatal(err)
		}
		if err := rb.Submit(b, 0); err != nil {
			t.Fatal(err)
		}
		wantErrno(t, "double submit", rb.Submit(b, 0), syscall.EINVAL)
		wantErrno(t, "submit of a bad address", rb.Submit(b+4, 0), syscall.EINVAL)
		if err := rb.Output([]byte("out"), RBNoWakeup); err != nil {
			t.Fatal(err)
		}
		wantErrno(t, "output flags", rb.Output([]byte("x"), 4), syscall.EINVAL)
		if rb.Reserve(1, 1) != 0 {
			t.Error("Reserve with flags")
		}
		// The discarded record is skipped.
		for _, want := range []string{"abc", "out"} {
			got, err := rb.Read(time.Time{})
			if err != nil || string(got) != want {
				t.Errorf("Read = %q %v, want %q", got, err, want)
			}
		}
		if c, p := rb.Query(RBConsPos), rb.Query(RBProdPos); c != p || c != 24+16+16 {
			t.Errorf("positions consumer %d producer %d, want 56", c, p)
		}
		wantErrno(t, "lookup", rb.Lookup(nil, nil), ENOTSUPP)
		wantErrno(t, "update", rb.Update(nil, nil, 0), ENOTSUPP)
		wantErrno(t, "lookup with a key", rb.Lookup(u32(1), nil), syscall.EINVAL)
	})
}

func TestRingBufFullAndWrap(t *testing.T) {
	bothModes(t, func(t *testing.T, shadow bool) {
		rb := newRing(t, 4096, shadow)
		if rb.Reserve(4096-8, 0) != 0 {
			t.Error("a record as large as the ring fits (the kernel keeps one byte free)")
		}
		if rb.Reserve(4096, 0) != 0 || rb.Reserve(1<<31, 0) != 0 {
			t.Error("oversized Reserve")
		}
		// Fill with 1000-byte records: four fit (4*1008 = 4032).
		var recs []uint64
		for i := range 4 {
			a := rb.Reserve(1000, 0)
			if a == 0 {
				t.Fatalf("record %d does not fit", i)
			}
			recs = append(recs, a)
		}
		if rb.Reserve(1000, 0) != 0 {
			t.Fatal("a fifth record fits")
		}
		wantErrno(t, "output when full", rb.Output(make([]byte, 1000), 0), syscall.EAGAIN)
		for i, a := range recs {
			for j := range uint64(1000) {
				mem.Store8(a+j, uint64(i))
			}
			rb.Submit(a, 0)
		}
		for range 2 {
			if _, err := rb.Read(time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
		// The next record wraps around the end of the ring; the program
		// sees contiguous memory.
		a := rb.Reserve(1500, 0)
		if a == 0 {
			t.Fatal("no room after consuming")
		}
		if off := a - rb.(*ringBuf).dataAddr; off+1500 <= 4096 {
			t.Fatalf("record at offset %d does not wrap", off)
		}
		want := make([]byte, 1500)
		for i := range want {
			want[i] = byte(i * 7)
		}
		copy(mem.Slice(a, 1500), want)
		rb.Submit(a, 0)
		for range 2 {
			rb.Read(time.Time{})
		}
		got, err := rb.Read(time.Time{})
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("wrapped record: %v, equal %v", err, bytes.Equal(got, want))
		}
		if rb.Query(RBAvailData) != 0 {
			t.Errorf("available %d", rb.Query(RBAvailData))
		}
	})
}

func TestRingBufReadDeadlineAndClose(t *testing.T) {
	rb := newRing(t, 4096, false)
	start := time.Now()
	if _, err := rb.Read(start.Add(20 * time.Millisecond)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read: %v", err)
	}
	if d := time.Since(start); d < 20*time.Millisecond || d > 2*time.Second {
		t.Errorf("Read returned after %v", d)
	}
	if _, err := rb.Read(time.Now().Add(-time.Second)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Read with a past deadline: %v", err)
	}
	// A blocked reader is woken by a commit.
	got := make(chan string)
	go func() {
		b, err := rb.Read(time.Now().Add(10 * time.Second))
		got <- fmt.Sprint(string(b), err)
	}()
	time.Sleep(10 * time.Millisecond)
	rb.Output([]byte("wake"), 0)
	if s := <-got; s != "wake<nil>" {
		t.Errorf("reader got %q", s)
	}
	// And by Close.
	go func() {
		_, err := rb.Read(time.Time{})
		got <- fmt.Sprint(err)
	}()
	time.Sleep(10 * time.Millisecond)
	rb.Close()
	if s := <-got; s != os.ErrClosed.Error() {
		t.Errorf("reader got %q after Close", s)
	}
	if _, err := rb.Read(time.Time{}); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
}

func TestRingBufRecordRing(t *testing.T) {
	r1 := newRing(t, 4096, false)
	r2 := newRing(t, 8192, true)
	a1, a2 := r1.Reserve(8, 0), r2.Reserve(8, 0)
	for _, c := range []struct {
		addr uint64
		want RingBufMap
	}{{a1, r1}, {a2, r2}} {
		if got, ok := RecordRing(c.addr); !ok || got != c.want {
			t.Errorf("RecordRing(%#x) = %v %v", c.addr, got, ok)
		}
	}
	if _, ok := RecordRing(12345); ok {
		t.Error("RecordRing of a random address")
	}
	if err := SubmitRecord(a1, 0); err != nil {
		t.Fatal(err)
	}
	if err := DiscardRecord(a2, 0); err != nil {
		t.Fatal(err)
	}
	wantErrno(t, "submit of a random address", SubmitRecord(8, 0), syscall.EINVAL)
	r1.Close()
	if _, ok := RecordRing(a1); ok {
		t.Error("RecordRing finds a closed ring")
	}
}

// TestConcurrentRingBuf runs producers against one consumer: every record
// arrives once, whole, in each producer's order.
func TestConcurrentRingBuf(t *testing.T) {
	bothModes(t, func(t *testing.T, shadow bool) {
		rb := newRing(t, 1<<14, shadow)
		const producers, perProducer = 4, 3000
		var wg sync.WaitGroup
		for p := range producers {
			wg.Go(func() {
				for i := 0; i < perProducer; {
					size := 8 + (i*13+p*7)%300
					a := rb.Reserve(uint64(size), 0)
					if a == 0 {
						time.Sleep(10 * time.Microsecond) // full: let the consumer catch up
						continue
					}
					rec := mem.Slice(a, size)
					ne.PutUint32(rec, uint32(p))
					ne.PutUint32(rec[4:], uint32(i))
					for j := 8; j < size; j++ {
						rec[j] = byte(i + j)
					}
					if i%10 == 9 {
						rb.Discard(a, 0)
					} else {
						rb.Submit(a, 0)
					}
					i++
				}
			})
		}
		next := make([]int, producers)
		for n := 0; n < producers*perProducer*9/10; n++ {
			rec, err := rb.Read(time.Now().Add(10 * time.Second))
			if err != nil {
				t.Fatalf("after %d records: %v", n, err)
			}
			p, i := int(ne.Uint32(rec)), int(ne.Uint32(rec[4:]))
			if i%10 == 9 {
				t.Fatalf("discarded record %d/%d was read", p, i)
			}
			if i != next[p] {
				t.Fatalf("producer %d: record %d, want %d", p, i, next[p])
			}
			if next[p] = i + 1; next[p]%10 == 9 {
				next[p]++
			}
			if size := 8 + (i*13+p*7)%300; len(rec) != size {
				t.Fatalf("record %d/%d has %d bytes, want %d", p, i, len(rec), size)
			}
			for j := 8; j < len(rec); j++ {
				if rec[j] != byte(i+j) {
					t.Fatalf("record %d/%d byte %d corrupt", p, i, j)
				}
			}
		}
		wg.Wait()
	})
}
