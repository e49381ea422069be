package corpus

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cilium/ebpf"
)

// dumpableMap is what the kernel's maps (cilium/ebpf) and ebpfvm's have in
// common for dumping.
type dumpableMap interface {
	Type() ebpf.MapType
	LookupAndDelete(key, valueOut any) error
}

type mapIterator interface {
	Next(keyOut, valueOut any) bool
	Err() error
}

// dumpMap reads a map's contents: queues and stacks are popped until
// empty, other maps iterated (per-CPU maps with every CPU's value).
func dumpMap(m dumpableMap, iterate func() mapIterator) ([]RawEntry, error) {
	switch m.Type() {
	case ebpf.Queue, ebpf.Stack:
		var out []RawEntry
		for {
			var val []byte
			if err := m.LookupAndDelete(nil, &val); err != nil {
				if errors.Is(err, ebpf.ErrKeyNotExist) {
					return out, nil
				}
				return nil, err
			}
			out = append(out, RawEntry{Values: [][]byte{val}})
		}
	case ebpf.ProgramArray, ebpf.ArrayOfMaps, ebpf.HashOfMaps, ebpf.RingBuf, ebpf.BloomFilter, ebpf.PerfEventArray:
		return nil, fmt.Errorf("cannot dump a %s", m.Type())
	}
	var out []RawEntry
	it := iterate()
	if perCPU(m.Type()) {
		var key []byte
		var values [][]byte
		for it.Next(&key, &values) {
			e := RawEntry{Key: append([]byte(nil), key...)}
			for _, val := range values {
				e.Values = append(e.Values, append([]byte(nil), val...))
			}
			out = append(out, e)
		}
	} else {
		var key, val []byte
		for it.Next(&key, &val) {
			out = append(out, RawEntry{Key: append([]byte(nil), key...), Values: [][]byte{append([]byte(nil), val...)}})
		}
	}
	return out, it.Err()
}

// drainRecords reads the records a ring buffer holds now, without waiting
// for more: the deadline is set in the past.
func drainRecords(setDeadline func(time.Time), read func() ([]byte, error)) ([][]byte, error) {
	setDeadline(time.Now())
	var recs [][]byte
	for {
		rec, err := read()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return recs, nil
		}
		if err != nil {
			return nil, err
		}
		recs = append(recs, append([]byte(nil), rec...))
	}
}
