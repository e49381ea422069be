package helpers

import (
	"time"

	"golang.org/x/sys/unix"
)

func newHostClock() *host {
	h := &host{}
	// Bracket the kernel's readings with the runtime's and take the
	// middle, so the offset is off by at most half a system call.
	var mono, boot unix.Timespec
	t0 := time.Now()
	errM := unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono)
	errB := unix.ClockGettime(unix.CLOCK_BOOTTIME, &boot)
	t1 := time.Now()
	h.start = t0.Add(t1.Sub(t0) / 2)
	if errM != nil {
		return &host{start: t0}
	}
	h.mono = uint64(mono.Nano())
	h.boot = h.mono
	if errB == nil {
		h.boot = uint64(boot.Nano())
	}
	return h
}
