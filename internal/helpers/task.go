package helpers

import (
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ebpfvm/ebpfvm/internal/vm"
)

var currentTask = sync.OnceValue(func() Task {
	pid := uint32(os.Getpid())
	t := Task{PID: pid, TGID: pid, UID: uint32(os.Getuid()), GID: uint32(os.Getgid())}
	if b, err := os.ReadFile("/proc/self/comm"); err == nil {
		t.Comm = strings.TrimSuffix(string(b), "\n")
	} else if len(os.Args) > 0 {
		t.Comm = filepath.Base(os.Args[0])
	}
	if len(t.Comm) > 15 {
		t.Comm = t.Comm[:15]
	}
	return t
})

// CurrentTask returns the identity of the current process: its PID as
// both PID and TGID (the main thread's ID; Go moves goroutines between
// threads, so the thread of a particular call means nothing), its real
// UID and GID, and its comm (/proc/self/comm, or the base name of
// os.Args[0]), truncated to 15 bytes.
func CurrentTask() Task { return currentTask() }

// bpf_get_current_pid_tgid: tgid << 32 | pid.
func (s *set) getCurrentPIDTGID(*vm.Env, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
	return uint64(s.task.TGID)<<32 | uint64(s.task.PID), nil
}

// bpf_get_current_uid_gid: gid << 32 | uid.
func (s *set) getCurrentUIDGID(*vm.Env, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
	return uint64(s.task.GID)<<32 | uint64(s.task.UID), nil
}

// bpf_get_current_comm(buf, size) copies the comm as strscpy_pad does: at
// most size-1 bytes, a NUL, and zeros to the end of the buffer.
func (s *set) getCurrentComm(env *vm.Env, buf, size, _, _, _ uint64) (uint64, error) {
	size = uint64(uint32(size))
	dst, err := env.Bytes(buf, size, true)
	if err != nil {
		return 0, err
	}
	if size == 0 {
		return errno(einval), nil // the verifier demands size > 0
	}
	n := copy(dst[:size-1], s.comm[:])
	clear(dst[n:])
	if i := indexByte(dst[:n], 0); i >= 0 {
		clear(dst[i:])
	}
	return 0, nil
}

func getSMPProcessorID(env *vm.Env, _, _, _, _, _ uint64) (uint64, error) {
	return uint64(uint32(env.CPU)), nil
}

func (s *set) getNUMANodeID(*vm.Env, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
	return uint64(s.cfg.NUMANode), nil
}

// bpf_get_prandom_u32.
func (s *set) getPrandomU32(*vm.Env, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
	if s.cfg.Rand == nil {
		return uint64(randUint32()), nil
	}
	s.randMu.Lock()
	v := uint32(s.cfg.Rand.Uint64() >> 32)
	s.randMu.Unlock()
	return uint64(v), nil
}
