package helpers

import "testing"

// TestKernelAddressAllowed pins copy_from_kernel_nofault_allowed's rule
// for both paging modes, whatever the machine running the test uses.
func TestKernelAddressAllowed(t *testing.T) {
	for _, c := range []struct {
		addr     uint64
		ok48     bool
		ok57     bool
		describe string
	}{
		{0, false, false, "null"},
		{0x7ffffffff000, false, false, "top of the 48-bit user half"},
		{1 << 47, false, false, "non-canonical (48), user half (57)"},
		{1<<56 - 4096, false, false, "top of the 57-bit user half"},
		{1 << 56, false, false, "non-canonical in both"},
		{0xfeffffffffffffff, false, false, "just below the 57-bit kernel half"},
		{0xff00000000000000, false, true, "start of the 57-bit kernel half"},
		{0xffff7fffffffffff, false, true, "just below the 48-bit kernel half"},
		{0xffff800000000000, true, true, "start of the 48-bit kernel half"},
		{0xffffffff81000000, true, true, "kernel text"},
		{0xffffffffff600000, false, false, "vsyscall page"},
		{0xffffffffff600ff8, false, false, "inside the vsyscall page"},
		{0xffffffffff601000, true, true, "above the vsyscall page"},
		{^uint64(7), true, true, "last word"},
	} {
		if got := kernelAddressAllowed(c.addr, 48); got != c.ok48 {
			t.Errorf("48-bit: %#x (%s): allowed %v, want %v", c.addr, c.describe, got, c.ok48)
		}
		if got := kernelAddressAllowed(c.addr, 57); got != c.ok57 {
			t.Errorf("57-bit: %#x (%s): allowed %v, want %v", c.addr, c.describe, got, c.ok57)
		}
	}
	if b := virtualAddressBits(); b != 48 && b != 57 {
		t.Errorf("virtualAddressBits() = %d, want 48 or 57", b)
	}
}
