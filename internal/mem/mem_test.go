package mem

import (
	"strings"
	"sync"
	"testing"
)

func TestRegionsCheck(t *testing.T) {
	var rs Regions
	rs.Add(Region{Start: 0x1000, End: 0x1200, Writable: true, Kind: KindStack})
	rs.Add(Region{Start: 0x2000, End: 0x2008, Kind: KindContext})
	rs.Add(Region{Start: 0x3000, End: 0x3000, Kind: KindPacket}) // empty: grants nothing
	cases := []struct {
		addr, size uint64
		write, ok  bool
	}{
		{0x1000, 8, true, true},
		{0x11f8, 8, true, true},
		{0x11f9, 8, false, false}, // runs past the end
		{0x0fff, 1, false, false},
		{0x1ff8, 8, false, false},
		{0x2000, 8, false, true},
		{0x2000, 8, true, false}, // read-only
		{0x3000, 1, false, false},
		{^uint64(0) - 3, 8, false, false}, // wraps around
	}
	for _, c := range cases {
		if got := rs.Check(c.addr, c.size, c.write); got != c.ok {
			t.Errorf("Check(%#x, %d, %v) = %v, want %v", c.addr, c.size, c.write, got, c.ok)
		}
	}
	if rs.Len() != 2 {
		t.Errorf("Len = %d, want 2 (empty regions are not added)", rs.Len())
	}
	for _, c := range []struct {
		addr, size uint64
		write      bool
		want       string
	}{
		{0x11fc, 8, false, "runs past the end of stack"},
		{0x0ff8, 8, false, "null"},
		{0x2000, 4, true, "context is read-only"},
		{0x10, 1, false, "null"},
		{0x1ff8, 8, false, "8 bytes before the start of context"},
		{0x7f0000000000, 1, false, "outside every region"},
	} {
		if got := rs.Describe(c.addr, c.size, c.write); !strings.Contains(got, c.want) {
			t.Errorf("Describe(%#x) = %q, want it to mention %q", c.addr, got, c.want)
		}
	}
}

func TestBufferAndNarrowAtomics(t *testing.T) {
	b, err := Alloc(16)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Free()
	if len(b.Bytes()) != 16 || cap(b.Bytes()) < PageSize {
		t.Fatalf("len %d cap %d", len(b.Bytes()), cap(b.Bytes()))
	}
	a := b.Addr()
	Store64(a, 0x1122334455667788)
	if LoadAcquire(a+1, 1) != 0x77 || LoadAcquire(a+2, 2) != 0x5566 || LoadAcquire(a+4, 4) != 0x11223344 {
		t.Fatalf("narrow acquire loads wrong: %x", b.Bytes()[:8])
	}
	// Concurrent narrow release stores to neighbouring bytes lose nothing.
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for v := range 1000 {
				StoreRelease(a+8+uint64(i), 1, uint64(v))
			}
		})
	}
	wg.Wait()
	for i := range 4 {
		if got := Load8(a + 8 + uint64(i)); got != 999&0xff {
			t.Errorf("byte %d = %d, want %d", i, got, 999&0xff)
		}
	}
	StoreRelease(a+12, 2, 0xbeef)
	if Load16(a+12) != 0xbeef || Load8(a+8) != 999&0xff {
		t.Errorf("16-bit release store wrong: %x", b.Bytes()[8:16])
	}
}

func TestAllocLow(t *testing.T) {
	b, err := AllocLow(100)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Free()
	if b.Addr()+100 > 1<<32 {
		t.Fatalf("AllocLow gave %#x, above 4 GiB", b.Addr())
	}
}
