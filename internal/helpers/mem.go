package helpers

import (
	"math/rand/v2"
	"syscall"

	"github.com/ebpfvm/ebpfvm/internal/mem"
	"github.com/ebpfvm/ebpfvm/internal/vm"
)

// The errno values helpers return (negated).
const (
	eperm   = syscall.EPERM
	enoent  = syscall.ENOENT
	e2big   = syscall.E2BIG
	eagain  = syscall.EAGAIN
	ebusy   = syscall.EBUSY
	efault  = syscall.EFAULT
	einval  = syscall.EINVAL
	enospc  = syscall.ENOSPC
	erange  = syscall.ERANGE
	enotsup = syscall.Errno(524) // the kernel's internal ENOTSUPP
)

var randUint32 = rand.Uint32

// readable returns how many bytes from addr on lie in one region of the
// run (0 when addr is in none).
func readable(env *vm.Env, addr uint64) uint64 {
	r, ok := env.Regions.Find(addr)
	if !ok {
		return 0
	}
	return r.End - addr
}

// copyString copies the NUL-terminated string at addr into dst as the
// kernel's strncpy_from_kernel_nofault does: bytes up to and including the
// NUL, at most len(dst) of them, the last one replaced by a NUL when the
// string is longer. It returns the number of bytes written, NUL included,
// or ok = false when the string runs into memory outside the run's
// regions (the bytes before the fault have been copied).
func copyString(env *vm.Env, dst []byte, addr uint64) (n int, ok bool) {
	for n < len(dst) {
		avail := readable(env, addr+uint64(n))
		if avail == 0 {
			return n, false
		}
		chunk := len(dst) - n
		if avail < uint64(chunk) {
			chunk = int(avail)
		}
		src := mem.Slice(addr+uint64(n), chunk)
		for _, c := range src {
			dst[n] = c
			n++
			if c == 0 {
				return n, true
			}
		}
	}
	if n > 0 {
		dst[n-1] = 0
	}
	return n, true
}

// cString returns the NUL-terminated string at addr, without its NUL, as
// a slice of program memory, or ok = false when no NUL follows within the
// region addr lies in.
func cString(env *vm.Env, addr uint64) ([]byte, bool) {
	avail := readable(env, addr)
	if avail == 0 {
		return nil, false
	}
	if avail > 1<<20 {
		avail = 1 << 20
	}
	b := mem.Slice(addr, int(avail))
	if i := indexByte(b, 0); i >= 0 {
		return b[:i], true
	}
	return nil, false
}

// badSource is the error of a probe read from src that is not readable.
// User memory reads fail with -EFAULT. Kernel memory reads refuse, as
// x86-64's copy_from_kernel_nofault_allowed does, an address that cannot
// be the kernel's (the user half, a non-canonical address, the vsyscall
// page; where the halves meet depends on the paging mode, see
// virtualAddressBits) with -ERANGE before trying, and fail with -EFAULT
// on a kernel address that is not mapped. Here every region lies in the
// user half, so a region is "kernel memory" as much as "user memory": the
// address class only decides the errno when the read fails at its first
// byte.
func badSource(kernelMem bool, src uint64) syscall.Errno {
	if kernelMem && !kernelAddressAllowed(src, virtualAddressBits()) {
		return erange
	}
	return efault
}

// probeRead is bpf_probe_read_user and bpf_probe_read_kernel (dst, size,
// src): copy size bytes; when src is not readable, zero dst and return
// the error (badSource).
func probeRead(kernelMem bool) vm.HelperFunc {
	return func(env *vm.Env, dst, size, src, _, _ uint64) (uint64, error) {
		size = uint64(uint32(size))
		d, err := env.Bytes(dst, size, true)
		if err != nil {
			return 0, err
		}
		if size == 0 {
			return 0, nil
		}
		if !allReadable(env, src, size) {
			clear(d)
			if readable(env, src) > 0 {
				return errno(efault), nil
			}
			return errno(badSource(kernelMem, src)), nil
		}
		copy(d, mem.Slice(src, int(size)))
		return 0, nil
	}
}

// bpf_probe_read_kernel_str (dst, size, src): strncpy_from_kernel_nofault.
// It returns the length copied, NUL included; on a fault dst is zeroed
// and the result is the error (badSource).
func probeReadKernelStr(env *vm.Env, dst, size, src, _, _ uint64) (uint64, error) {
	size = uint64(uint32(size))
	d, err := env.Bytes(dst, size, true)
	if err != nil {
		return 0, err
	}
	if size == 0 {
		return 0, nil
	}
	n, ok := copyString(env, d, src)
	if !ok {
		clear(d)
		if n > 0 {
			return errno(efault), nil
		}
		return errno(badSource(true, src)), nil
	}
	return uint64(n), nil
}

// bpf_probe_read_user_str (dst, size, src): strncpy_from_user_nofault.
// It differs from the kernel variant in a detail the kernel has too: x86's
// strncpy_from_user copies a word at a time while at least 8 bytes of the
// buffer remain, and stores the word that holds the NUL with the bytes
// after the NUL cleared (so that strings used as map keys compare equal).
func probeReadUserStr(env *vm.Env, dst, size, src, _, _ uint64) (uint64, error) {
	size = uint64(uint32(size))
	d, err := env.Bytes(dst, size, true)
	if err != nil {
		return 0, err
	}
	if size == 0 {
		return 0, nil
	}
	n, ok := copyString(env, d, src)
	if !ok {
		clear(d)
		return errno(efault), nil
	}
	if n < len(d) { // the NUL at n-1 is the string's own
		end := (n-1)&^7 + 8 // the end of its word
		if end <= len(d) && allReadable(env, src+uint64(n), uint64(end-n)) {
			clear(d[n:end])
		}
	}
	return uint64(n), nil
}

// allReadable reports whether each of the n bytes at addr lies in some
// region of the run (adjacent regions are contiguous memory).
func allReadable(env *vm.Env, addr, n uint64) bool {
	for n > 0 {
		a := readable(env, addr)
		if a == 0 {
			return false
		}
		a = min(a, n)
		addr, n = addr+a, n-a
	}
	return true
}
