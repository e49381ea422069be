package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm"
)

// sortedMapNames lists the maps of coll (none for raw bytecode).
func sortedMapNames(coll *ebpfvm.Collection) []string {
	if coll == nil {
		return nil
	}
	var names []string
	for n := range coll.Maps {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ringbufNames lists the ring buffers of coll.
func ringbufNames(coll *ebpfvm.Collection) []string {
	var names []string
	for _, n := range sortedMapNames(coll) {
		if coll.Maps[n].Type() == ebpf.RingBuf {
			names = append(names, n)
		}
	}
	return names
}

// unlisted are the map types without keys to list, and what to say
// instead.
var unlisted = map[ebpf.MapType]string{
	ebpf.RingBuf:     "a ring buffer: --ringbuf prints its records",
	ebpf.Queue:       "a queue: its values have no keys to list",
	ebpf.Stack:       "a stack: its values have no keys to list",
	ebpf.BloomFilter: "a bloom filter: its values cannot be listed",
}

// dumpMaps prints every map of coll with its entries, key: value in hex;
// per-CPU values one slot per CPU.
func dumpMaps(w io.Writer, coll *ebpfvm.Collection) error {
	for _, name := range sortedMapNames(coll) {
		m := coll.Maps[name]
		fmt.Fprintf(w, "map %s: %s, key %d bytes, value %d bytes, max entries %d\n", name, m.Type(), m.KeySize(), m.ValueSize(), m.MaxEntries())
		if why, ok := unlisted[m.Type()]; ok {
			fmt.Fprintf(w, "  (%s)\n", why)
			continue
		}
		var key, value []byte
		it := m.Iterate()
		n := 0
		for it.Next(&key, &value) {
			fmt.Fprintf(w, "  %s: %s\n", hex.EncodeToString(key), formatValue(m, value))
			n++
		}
		if err := it.Err(); err != nil {
			fmt.Fprintf(w, "  (listing stopped after %d entries: %v)\n", n, err)
		} else if n == 0 {
			fmt.Fprintln(w, "  (empty)")
		}
	}
	return nil
}

// formatValue shows a value in hex, a per-CPU value as its slots.
func formatValue(m *ebpfvm.Map, v []byte) string {
	if !perCPU(m.Type()) {
		return hex.EncodeToString(v)
	}
	stride := (int(m.ValueSize()) + 7) &^ 7
	var slots []string
	for cpu := 0; (cpu+1)*stride <= len(v); cpu++ {
		slots = append(slots, fmt.Sprintf("cpu%d %s", cpu, hex.EncodeToString(v[cpu*stride:cpu*stride+int(m.ValueSize())])))
	}
	return strings.Join(slots, " ")
}

func perCPU(t ebpf.MapType) bool {
	switch t {
	case ebpf.PerCPUArray, ebpf.PerCPUHash, ebpf.LRUCPUHash, ebpf.PerCPUCGroupStorage:
		return true
	}
	return false
}

// dumpRingbufs prints the records waiting in the ring buffers of coll,
// and consumes them.
func dumpRingbufs(w io.Writer, coll *ebpfvm.Collection) error {
	for _, name := range ringbufNames(coll) {
		r, err := ebpfvm.NewRingbufReader(coll.Maps[name])
		if err != nil {
			return err
		}
		var recs []string
		for r.AvailableBytes() > 0 {
			r.SetDeadline(time.Now())
			rec, err := r.Read()
			if errors.Is(err, os.ErrDeadlineExceeded) {
				// What was left were discarded records
				// (bpf_ringbuf_discard): available bytes that
				// no reader sees.
				break
			}
			if err != nil {
				r.Close()
				return fmt.Errorf("ring buffer %s: %w", name, err)
			}
			recs = append(recs, hex.EncodeToString(rec.RawSample))
		}
		r.Close()
		fmt.Fprintf(w, "ringbuf %s: %d records\n", name, len(recs))
		for i, rec := range recs {
			fmt.Fprintf(w, "  %d: %s\n", i, rec)
		}
	}
	return nil
}

// Progress lines wait this long after the start, and this long between
// updates (variables for the tests).
var (
	progressDelay    = time.Second
	progressInterval = 250 * time.Millisecond
)

// progress shows how many of a long run's repeats are done. It reads the
// clock every step runs, step doubled while checks come less than 10 ms
// apart, so that a fast program's runs are not slowed by clock reads.
type progress struct {
	w                  io.Writer
	total              int
	tty                bool
	start, last, check time.Time
	next, step         int
	printed            bool
}

func newProgress(w io.Writer, total int, tty bool) *progress {
	now := time.Now()
	return &progress{w: w, total: total, tty: tty, start: now, check: now, next: 1, step: 1}
}

// update is RunOptions.Progress.
func (p *progress) update(done int) {
	if done < p.next && done != p.total {
		return
	}
	now := time.Now()
	if now.Sub(p.check) < 10*time.Millisecond && p.step < 1<<20 {
		p.step *= 2
	}
	p.check, p.next = now, done+p.step
	last := done == p.total && p.printed
	if !last && (now.Sub(p.start) < progressDelay || p.printed && now.Sub(p.last) < progressInterval) {
		return
	}
	p.last, p.printed = now, true
	p.print(done)
}

func (p *progress) print(done int) {
	line := fmt.Sprintf("run %d/%d (%d%%), %v", done, p.total, int(uint64(done)*100/uint64(p.total)), time.Since(p.start).Round(time.Millisecond))
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		return
	}
	fmt.Fprintln(p.w, line)
}

// finish ends the progress display: a terminal's line is cleared.
func (p *progress) finish() {
	if p.printed && p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
