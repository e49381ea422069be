package ebpfvm_test

import (
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"syscall"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
	"github.com/ebpfvm/ebpfvm/isa"
)

// collectUntil runs the garbage collector until done reports true, at most
// 100 times (cleanups run on their own goroutine, after a cycle).
func collectUntil(done func() bool) bool {
	for range 100 {
		if done() {
			return true
		}
		runtime.GC()
		runtime.Gosched()
	}
	return done()
}

// TestMemoryOutlivesMap: a Memory keeps the map's memory alive after
// Close (once a slice of it faulted with SIGSEGV), sees what programs
// wrote before, and frees the memory, returning its MemoryLimit charge,
// once it is unreachable.
func TestMemoryOutlivesMap(t *testing.T) { engines.Run(t, testMemoryOutlivesMap) }

func testMemoryOutlivesMap(t *testing.T, e engines.Engine) {
	limit := ebpfvm.NewMemoryLimit(1 << 20)
	m, err := ebpfvm.NewMapWithOptions(&ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 32, MaxEntries: 1, Flags: 1 << 10},
		ebpfvm.MapOptions{MemoryLimit: limit})
	if err != nil {
		t.Fatal(err)
	}
	insns, err := isa.Assemble(`
		r1 = map[fd:0][0]+0
		r2 = 42
		*(u64 *)(r1 +16) = r2
		r0 = 0
		exit`)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ebpfvm.NewProgram(insns, e.Program(&ebpfvm.ProgramOptions{Maps: []*ebpfvm.Map{m}}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(nil); err != nil {
		t.Fatal(err)
	}
	p.Close()
	mem, err := m.Memory()
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := m.Memory(); again != mem {
		t.Error("a second Memory call made another Memory")
	}
	if mem.Size() != 4096 || mem.ReadOnly() {
		t.Errorf("size %d read-only %v, want one writable page", mem.Size(), mem.ReadOnly())
	}
	m.Close()
	m = nil
	runtime.GC()
	runtime.GC()
	buf := make([]byte, 8)
	if _, err := mem.ReadAt(buf, 16); err != nil || binary.NativeEndian.Uint64(buf) != 42 {
		t.Errorf("after Close: read %d, %v; want the program's 42", binary.NativeEndian.Uint64(buf), err)
	}
	if _, err := mem.WriteAt([]byte{1, 2, 3}, 4093); err != nil {
		t.Errorf("write after Close: %v", err)
	}
	if n, err := mem.ReadAt(make([]byte, 8), 4092); n != 4 || !errors.Is(err, io.EOF) {
		t.Errorf("read past the end: %d, %v; want 4, EOF", n, err)
	}
	if _, err := mem.WriteAt(buf, 4096); err == nil {
		t.Error("write at the end succeeded")
	}
	if limit.Used() == 0 {
		t.Error("the memory was uncharged while the Memory is in use")
	}
	runtime.KeepAlive(mem)
	mem = nil
	if !collectUntil(func() bool { return limit.Used() == 0 }) {
		t.Errorf("%d bytes still charged after the map was closed and its Memory dropped", limit.Used())
	}
}

// TestMemoryErrors: only BPF_F_MMAPABLE arrays have Memory; a closed map
// gives none; a read-only one is read-only.
func TestMemoryErrors(t *testing.T) {
	plain, err := ebpfvm.NewMap(&ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if _, err := plain.Memory(); !errors.Is(err, ebpf.ErrNotSupported) {
		t.Errorf("Memory of a plain array: %v", err)
	}
	ro, err := ebpfvm.NewMap(&ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1, Flags: 1<<10 | 1<<7})
	if err != nil {
		t.Fatal(err)
	}
	mem, err := ro.Memory()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mem.WriteAt([]byte{1}, 0); !mem.ReadOnly() || !errors.Is(err, syscall.EPERM) {
		t.Errorf("BPF_F_RDONLY_PROG memory: read-only %v, write %v", mem.ReadOnly(), err)
	}
	closed, err := ebpfvm.NewMap(&ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1, Flags: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	if _, err := closed.Memory(); !errors.Is(err, syscall.EBADF) {
		t.Errorf("Memory after Close: %v, want EBADF", err)
	}
}
