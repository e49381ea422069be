package maps

import (
	"encoding/binary"
	"errors"
	"syscall"
	"testing"
)

func mustNew(t testing.TB, s Spec) Map {
	t.Helper()
	m, err := New(&s)
	if err != nil {
		t.Fatalf("New(%v): %v", &s, err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func u32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.NativeEndian.AppendUint64(nil, v) }

func getU64(b []byte) uint64 { return binary.NativeEndian.Uint64(b) }

// errnoOf returns the errno err wraps, 0 for nil, -1 for other errors.
func errnoOf(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return ^syscall.Errno(0)
}

func wantErrno(t testing.TB, what string, err error, want syscall.Errno) {
	t.Helper()
	if got := errnoOf(err); got != want {
		t.Errorf("%s: got %v (errno %d), want errno %d (%v)", what, err, got, want, want)
	}
}
