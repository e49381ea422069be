package helpers

import (
	"sync/atomic"
	"time"

	"github.com/ebpfvm/ebpfvm/internal/vm"
)

// Clock is the time source of the time helpers. Each method returns
// nanoseconds on one of the kernel's clocks.
type Clock interface {
	// Monotonic is CLOCK_MONOTONIC, what bpf_ktime_get_ns returns.
	Monotonic() uint64
	// Boottime is CLOCK_BOOTTIME (monotonic plus time spent suspended),
	// what bpf_ktime_get_boot_ns returns.
	Boottime() uint64
	// Coarse is CLOCK_MONOTONIC_COARSE, what bpf_ktime_get_coarse_ns
	// returns: the monotonic time of the last tick.
	Coarse() uint64
}

// HostClock returns the host's clocks. On Linux its readings are those of
// clock_gettime(CLOCK_MONOTONIC) and CLOCK_BOOTTIME, read through the Go
// runtime's monotonic clock (no system call per reading): the offsets
// between the runtime's clock and the kernel's are measured once, so time
// the machine spends suspended while the process runs does not show in
// Boottime. Coarse is Monotonic rounded down to a multiple of 4 ms, the
// tick of a CONFIG_HZ=250 kernel. Elsewhere the clocks count from the
// start of the process.
func HostClock() Clock { return hostClock }

type host struct {
	start      time.Time
	mono, boot uint64 // the kernel's clocks at start
}

var hostClock = newHostClock()

func (h *host) Monotonic() uint64 { return h.mono + uint64(time.Since(h.start)) }
func (h *host) Boottime() uint64  { return h.boot + uint64(time.Since(h.start)) }
func (h *host) Coarse() uint64 {
	const tick = uint64(time.Second / DefaultHZ)
	t := h.Monotonic()
	return t - t%tick
}

// ManualClock is a Clock for tests: it returns what was set, and Advance
// moves all three clocks. The zero value reads 0. It is safe for
// concurrent use.
type ManualClock struct{ ns atomic.Uint64 }

func (c *ManualClock) Monotonic() uint64       { return c.ns.Load() }
func (c *ManualClock) Boottime() uint64        { return c.ns.Load() }
func (c *ManualClock) Coarse() uint64          { return c.ns.Load() }
func (c *ManualClock) Set(ns uint64)           { c.ns.Store(ns) }
func (c *ManualClock) Advance(d time.Duration) { c.ns.Add(uint64(d)) }

// initialJiffies is the kernel's INITIAL_JIFFIES on 64-bit: jiffies start
// five minutes before they would wrap a 32-bit counter, so that wrap bugs
// show early.
func initialJiffies(hz uint64) uint64 { return uint64(uint32(-int32(300 * hz))) }

func (s *set) ktimeGetNS(*vm.Env, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
	return s.clock.Monotonic(), nil
}

func (s *set) ktimeGetBootNS(*vm.Env, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
	return s.clock.Boottime(), nil
}

func (s *set) ktimeGetCoarseNS(*vm.Env, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
	return s.clock.Coarse(), nil
}

// jiffies64 counts ticks of s.hz since boot, from INITIAL_JIFFIES, as the
// kernel's jiffies_64 does: the monotonic time divided by the tick.
func (s *set) jiffies64(*vm.Env, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
	t := s.clock.Monotonic()
	ticks := t/uint64(time.Second)*s.hz + t%uint64(time.Second)*s.hz/uint64(time.Second)
	return initialJiffies(s.hz) + ticks, nil
}
