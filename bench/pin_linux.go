package bench

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// pinCPU locks the calling goroutine to its thread and the thread to cpu
// (nothing for cpu < 0); the returned function undoes both.
func pinCPU(cpu int) (func(), error) {
	if cpu < 0 {
		return func() {}, nil
	}
	runtime.LockOSThread()
	var old, one unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("sched_getaffinity: %w", err)
	}
	if !old.IsSet(cpu) {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("CPU %d is not available to this process", cpu)
	}
	one.Set(cpu)
	if err := unix.SchedSetaffinity(0, &one); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("sched_setaffinity: %w", err)
	}
	return func() {
		unix.SchedSetaffinity(0, &old)
		runtime.UnlockOSThread()
	}, nil
}

// DefaultCPU is the last CPU this process may run on: away from CPU 0,
// which takes most interrupts.
func DefaultCPU() int {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return -1
	}
	last := -1
	for i := range 1024 {
		if set.IsSet(i) {
			last = i
		}
	}
	return last
}
