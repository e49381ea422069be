//go:build linux

package helpers

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ebpfvm/ebpfvm/internal/testing/kernel"
	"github.com/ebpfvm/ebpfvm/isa"
)

// The differential tests run the helpers in the kernel (Linux 6.18 on the
// project's machines) through BPF_PROG_TEST_RUN and compare. They skip
// where bpf() is not available.

func requireKernel(t testing.TB) {
	t.Helper()
	if err := kernel.Available(); err != nil {
		t.Skipf("kernel differential test skipped: %v", err)
	}
}

// rodata is a frozen, program-read-only array map with one value: what
// bpf_snprintf's fmt and bpf_strncmp's s2 must point into.
type rodata struct {
	fd   int
	offs map[string]int // string -> offset in the value
}

const (
	bpfMapCreate     = 0
	bpfMapUpdateElem = 2
	bpfMapFreeze     = 22
	bpfFRdonlyProg   = 1 << 7
	mapTypeArray     = 2
)

func bpfCall(cmd uintptr, attr unsafe.Pointer, size uintptr) (int, error) {
	for {
		r, _, e := unix.Syscall(unix.SYS_BPF, cmd, uintptr(attr), size)
		runtime.KeepAlive(attr)
		if e == unix.EINTR || e == unix.EAGAIN {
			continue
		}
		if e != 0 {
			return -1, e
		}
		return int(r), nil
	}
}

// newRodata stores the NUL-terminated strings in one frozen map value.
func newRodata(t testing.TB, strs []string) *rodata {
	t.Helper()
	rd := &rodata{offs: map[string]int{}}
	var val []byte
	for _, s := range strs {
		if _, ok := rd.offs[s]; ok {
			continue
		}
		rd.offs[s] = len(val)
		val = append(val, s...)
		val = append(val, 0)
	}
	for len(val)%8 != 0 || len(val) == 0 {
		val = append(val, 0)
	}
	create := struct {
		typ, keySize, valueSize, maxEntries, flags uint32
	}{mapTypeArray, 4, uint32(len(val)), 1, bpfFRdonlyProg}
	fd, err := bpfCall(bpfMapCreate, unsafe.Pointer(&create), unsafe.Sizeof(create))
	if err != nil {
		t.Skipf("kernel differential test skipped: BPF_MAP_CREATE: %v", err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	key := uint32(0)
	update := struct {
		fd         uint32
		_          uint32
		key, value unsafe.Pointer
		flags      uint64
	}{fd: uint32(fd), key: unsafe.Pointer(&key), value: unsafe.Pointer(&val[0])}
	if _, err := bpfCall(bpfMapUpdateElem, unsafe.Pointer(&update), unsafe.Sizeof(update)); err != nil {
		t.Fatalf("BPF_MAP_UPDATE_ELEM: %v", err)
	}
	freeze := struct{ fd uint32 }{uint32(fd)}
	if _, err := bpfCall(bpfMapFreeze, unsafe.Pointer(&freeze), unsafe.Sizeof(freeze)); err != nil {
		t.Fatalf("BPF_MAP_FREEZE: %v", err)
	}
	rd.fd = fd
	return rd
}

// ref is the assembly of "dst = address of s in the map".
func (rd *rodata) ref(dst, s string) string {
	off, ok := rd.offs[s]
	if !ok {
		panic("rodata: no string " + s)
	}
	return fmt.Sprintf("%s = map[fd:%d][0]+%d", dst, rd.fd, off)
}

var loadMu sync.Mutex

// loadKernel loads a program of the given type.
func loadKernel(t testing.TB, typ kernel.ProgType, src string) *kernel.Program {
	t.Helper()
	insns, err := isa.Assemble(src)
	if err != nil {
		t.Fatalf("assembling %q: %v", src, err)
	}
	p, err := kernel.Load(insns, kernel.LoadOptions{Type: typ, Name: "helpers_test"})
	if err != nil {
		var ve *kernel.VerifierError
		if errors.As(err, &ve) {
			t.Fatalf("kernel rejected:\n%s\n%s", src, ve.Log)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

var isaAssemble = isa.Assemble
