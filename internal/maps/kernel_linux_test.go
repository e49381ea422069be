package maps

import (
	"encoding/binary"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ebpfvm/ebpfvm/internal/testing/kernel"
)

// The kernel as an oracle: maps created with the raw bpf() syscall, so
// that errno values are exactly the kernel's.

const (
	bpfMapCreate       = 0
	bpfMapLookupElem   = 1
	bpfMapUpdateElem   = 2
	bpfMapDeleteElem   = 3
	bpfMapGetNextKey   = 4
	bpfMapLookupAndDel = 21
	bpfMapFreeze       = 22
)

var kernelOnce struct {
	sync.Once
	err error
}

// needKernel skips the test when bpf() cannot create maps here.
func needKernel(t testing.TB) {
	t.Helper()
	kernelOnce.Do(func() {
		if runtime.GOARCH != "amd64" {
			kernelOnce.err = errString("the oracle's size limits are x86-64's")
			return
		}
		if err := kernel.Available(); err != nil {
			kernelOnce.err = err
			return
		}
		fd, err := kernelCreate(&Spec{Type: TypeArray, KeySize: 4, ValueSize: 4, MaxEntries: 1}, -1)
		if err != nil {
			kernelOnce.err = err
			return
		}
		unix.Close(fd)
	})
	if kernelOnce.err != nil {
		t.Skipf("kernel oracle unavailable: %v", kernelOnce.err)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func bpfCall(cmd uintptr, attr *[128]byte) (int, error) {
	for {
		r, _, e := unix.Syscall(unix.SYS_BPF, cmd, uintptr(unsafe.Pointer(attr)), 128)
		if e == unix.EINTR || e == unix.EAGAIN && cmd == bpfMapCreate {
			continue
		}
		if e != 0 {
			return -1, e
		}
		return int(r), nil
	}
}

func kernelCreate(s *Spec, innerFD int) (int, error) {
	var a [128]byte
	le := binary.NativeEndian
	le.PutUint32(a[0:], uint32(s.Type))
	le.PutUint32(a[4:], s.KeySize)
	le.PutUint32(a[8:], s.ValueSize)
	le.PutUint32(a[12:], s.MaxEntries)
	le.PutUint32(a[16:], s.Flags)
	if innerFD >= 0 {
		le.PutUint32(a[20:], uint32(innerFD))
	}
	copy(a[28:43], s.Name)
	le.PutUint64(a[64:], s.MapExtra)
	return bpfCall(bpfMapCreate, &a)
}

// kernelMap is a kernel map with the Go-side operations of Map.
type kernelMap struct {
	fd    int
	inner int
}

func newKernelMap(t testing.TB, s Spec) *kernelMap {
	t.Helper()
	km, err := createKernelMap(s)
	if err != nil {
		t.Fatalf("kernel BPF_MAP_CREATE %v: %v", &s, err)
	}
	t.Cleanup(km.close)
	return km
}

func createKernelMap(s Spec) (*kernelMap, error) {
	km := &kernelMap{fd: -1, inner: -1}
	if s.InnerMap != nil {
		fd, err := kernelCreate(s.InnerMap, -1)
		if err != nil {
			return nil, err
		}
		km.inner = fd
	}
	fd, err := kernelCreate(&s, km.inner)
	if err != nil {
		km.close()
		return nil, err
	}
	km.fd = fd
	return km, nil
}

func (km *kernelMap) close() {
	if km.fd >= 0 {
		unix.Close(km.fd)
	}
	if km.inner >= 0 {
		unix.Close(km.inner)
	}
}

func ptr(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(&b[0])))
}

func (km *kernelMap) elemOp(cmd uintptr, key, value []byte, flags uint64) error {
	var a [128]byte
	le := binary.NativeEndian
	le.PutUint32(a[0:], uint32(km.fd))
	le.PutUint64(a[8:], ptr(key))
	le.PutUint64(a[16:], ptr(value))
	le.PutUint64(a[24:], flags)
	_, err := bpfCall(cmd, &a)
	runtime.KeepAlive(key)
	runtime.KeepAlive(value)
	return err
}

func (km *kernelMap) Lookup(key, out []byte) error { return km.elemOp(bpfMapLookupElem, key, out, 0) }
func (km *kernelMap) LookupWithFlags(key, out []byte, f uint64) error {
	return km.elemOp(bpfMapLookupElem, key, out, f)
}
func (km *kernelMap) Update(key, v []byte, f uint64) error {
	return km.elemOp(bpfMapUpdateElem, key, v, f)
}
func (km *kernelMap) Delete(key []byte) error { return km.elemOp(bpfMapDeleteElem, key, nil, 0) }
func (km *kernelMap) NextKey(key, out []byte) error {
	return km.elemOp(bpfMapGetNextKey, key, out, 0)
}
func (km *kernelMap) LookupAndDelete(key, out []byte) error {
	return km.elemOp(bpfMapLookupAndDel, key, out, 0)
}
func (km *kernelMap) LookupAndDeleteWithFlags(key, out []byte, f uint64) error {
	return km.elemOp(bpfMapLookupAndDel, key, out, f)
}
func (km *kernelMap) Freeze() error {
	var a [128]byte
	binary.NativeEndian.PutUint32(a[0:], uint32(km.fd))
	_, err := bpfCall(bpfMapFreeze, &a)
	return err
}

// possibleCPUs is the kernel's num_possible_cpus(), the slot count of
// per-CPU values on the syscall side.
func possibleCPUs(t testing.TB) int {
	b, err := os.ReadFile("/sys/devices/system/cpu/possible")
	if err != nil {
		t.Skipf("cannot count possible CPUs: %v", err)
	}
	n := 0
	for _, r := range strings.Split(strings.TrimSpace(string(b)), ",") {
		lo, hi, found := strings.Cut(r, "-")
		a, _ := strconv.Atoi(lo)
		z := a
		if found {
			z, _ = strconv.Atoi(hi)
		}
		n += z - a + 1
	}
	return n
}

func TestKernelCreateErrors(t *testing.T) {
	needKernel(t)
	for _, c := range createCases {
		if c.noKernel {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			km, err := createKernelMap(c.spec)
			if err == nil {
				km.close()
			}
			if got := errnoOf(err); got != c.errno {
				t.Errorf("kernel: %v (errno %d), table says errno %d", err, got, c.errno)
			}
		})
	}
}

var _ = syscall.EINVAL

// kernelMapID is the ID of the kernel map fd (BPF_OBJ_GET_INFO_BY_FD).
func kernelMapID(t testing.TB, fd int) uint32 {
	var info [88]byte
	var a [128]byte
	binary.NativeEndian.PutUint32(a[0:], uint32(fd))
	binary.NativeEndian.PutUint32(a[4:], uint32(len(info)))
	binary.NativeEndian.PutUint64(a[8:], uint64(uintptr(unsafe.Pointer(&info[0]))))
	if _, err := bpfCall(15, &a); err != nil {
		t.Fatalf("BPF_OBJ_GET_INFO_BY_FD: %v", err)
	}
	runtime.KeepAlive(&info)
	return binary.NativeEndian.Uint32(info[4:])
}

// TestKernelCreateHuge runs hugeCases against the kernel: the same errno
// as ebpfvm's, except where the table records the kernel's own (lazily
// allocated maps). Cases whose refusal rests on the machine's memory are
// skipped on a machine that has it.
func TestKernelCreateHuge(t *testing.T) {
	needKernel(t)
	for _, c := range hugeCases {
		t.Run(c.name, func(t *testing.T) {
			if c.tooBigHere() {
				t.Skipf("this machine has %d bytes of memory: the kernel would allocate the %d bytes", physicalMemory(), c.kernelBytes)
			}
			km, err := createKernelMap(c.spec)
			if err == nil {
				km.close()
			}
			if got := errnoOf(err); got != c.kernel {
				t.Errorf("kernel: %v (errno %d), table says errno %d", err, got, c.kernel)
			}
		})
	}
}
