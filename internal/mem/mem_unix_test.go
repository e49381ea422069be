//go:build unix

package mem

import "testing"

// TestReserveAtHint exercises the path that systems without MAP_32BIT
// (darwin, linux/arm64, freebsd/arm64) take for AllocLow: a mapping asked
// for at low hint addresses must land below 4 GiB and be usable once made
// readable and writable.
func TestReserveAtHint(t *testing.T) {
	size := 3 * PageSize
	m, err := reserveAtHint(size)
	if err != nil {
		t.Fatal(err)
	}
	defer release(m)
	if !isLow(m) || len(m) != size {
		t.Fatalf("mapping at %p, %d bytes: want %d bytes below 4 GiB", &m[0], len(m), size)
	}
	if err := protectReadWrite(m[PageSize : 2*PageSize]); err != nil {
		t.Fatal(err)
	}
	m[PageSize] = 0xab
	if m[PageSize] != 0xab {
		t.Fatal("write to the reserved page was lost")
	}
}
