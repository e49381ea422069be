package ebpfvm

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"syscall"

	"github.com/cilium/ebpf"
)

// BatchOptions are the flags of batch operations, as in cilium/ebpf.
type BatchOptions = ebpf.BatchOptions

// MapBatchCursor remembers where a BatchLookup stopped. The zero value
// starts at the first key.
type MapBatchCursor struct {
	next    []byte // the key to start from; nil at the beginning
	started bool
	done    bool
}

// batchSlots describes the keys or values slice of a batch operation:
// a []byte of n packed elements or a slice of fixed-size values.
type batchSlots struct {
	v    reflect.Value
	raw  []byte
	size int
}

func newBatchSlots(s any, size int) (batchSlots, int, error) {
	if b, ok := s.([]byte); ok {
		if size == 0 || len(b)%size != 0 {
			return batchSlots{}, 0, fmt.Errorf("a []byte of %d bytes does not hold whole %d-byte elements", len(b), size)
		}
		return batchSlots{raw: b, size: size}, len(b) / size, nil
	}
	v := reflect.ValueOf(s)
	if v.Kind() != reflect.Slice {
		return batchSlots{}, 0, fmt.Errorf("%T is not a slice", s)
	}
	return batchSlots{v: v, size: size}, v.Len(), nil
}

func (b batchSlots) get(i int) any {
	if b.raw != nil {
		return b.raw[i*b.size : (i+1)*b.size]
	}
	return b.v.Index(i).Addr().Interface()
}

func (b batchSlots) put(i int, data []byte) error {
	if b.raw != nil {
		copy(b.raw[i*b.size:], data)
		return nil
	}
	return unmarshal(b.v.Index(i).Addr().Interface(), data)
}

// elemBytes returns element i encoded.
func (b batchSlots) elemBytes(i int) ([]byte, error) {
	if b.raw != nil {
		return b.raw[i*b.size : (i+1)*b.size], nil
	}
	return marshal(b.v.Index(i).Interface(), b.size)
}

// BatchLookup reads up to len(keysOut) entries from where cursor stopped;
// it returns how many it read, and ErrKeyNotExist (wrapping ENOENT) once
// the map has no more, like BPF_MAP_LOOKUP_BATCH. Per-CPU maps take
// []byte values of NumCPU slots per entry.
func (m *Map) BatchLookup(cursor *MapBatchCursor, keysOut, valuesOut any, opts *BatchOptions) (int, error) {
	return m.batchLookup(cursor, keysOut, valuesOut, false)
}

// BatchLookupAndDelete is BatchLookup that also deletes what it read.
func (m *Map) BatchLookupAndDelete(cursor *MapBatchCursor, keysOut, valuesOut any, opts *BatchOptions) (int, error) {
	return m.batchLookup(cursor, keysOut, valuesOut, true)
}

func (m *Map) batchLookup(cursor *MapBatchCursor, keysOut, valuesOut any, del bool) (int, error) {
	defer runtime.KeepAlive(m) // its cleanup must not close the map during the call
	if cursor == nil {
		return 0, errors.New("batch lookup: nil cursor")
	}
	keys, n, err := newBatchSlots(keysOut, int(m.KeySize()))
	if err != nil {
		return 0, fmt.Errorf("batch lookup: keys: %w", err)
	}
	values, nv, err := newBatchSlots(valuesOut, m.valueBytes())
	if err != nil || nv < n {
		return 0, fmt.Errorf("batch lookup: values: want room for %d, %v", n, err)
	}
	if cursor.done {
		return 0, mapError("batch lookup", syscall.ENOENT)
	}
	count := 0
	key := make([]byte, m.KeySize())
	val := make([]byte, m.valueBytes())
	var prev []byte
	if cursor.started {
		prev = cursor.next
	}
	for count < n {
		if err := m.m.NextKey(prev, key); err != nil {
			if errors.Is(err, syscall.ENOENT) {
				cursor.done = true
				return count, mapError("batch lookup", err)
			}
			return count, mapError("batch lookup", err)
		}
		prev = append(prev[:0], key...)
		cursor.started = true
		var lerr error
		if del {
			lerr = m.m.LookupAndDelete(key, val)
		} else {
			lerr = m.m.Lookup(key, val)
		}
		if errors.Is(lerr, syscall.ENOENT) {
			continue // deleted meanwhile
		}
		if lerr != nil {
			return count, mapError("batch lookup", lerr)
		}
		if err := keys.put(count, key); err != nil {
			return count, err
		}
		if err := values.put(count, val); err != nil {
			return count, err
		}
		count++
	}
	cursor.next = append(cursor.next[:0], prev...)
	if del {
		// Deleted keys cannot serve as the cursor: start over at the
		// first remaining key, as the kernel's hash batch does.
		cursor.next, cursor.started = nil, false
	}
	return count, nil
}

// BatchUpdate updates keys[i] to values[i] for every i, stopping at the
// first error; it returns how many it updated.
func (m *Map) BatchUpdate(keys, values any, opts *BatchOptions) (int, error) {
	defer runtime.KeepAlive(m) // its cleanup must not close the map during the call
	ks, n, err := newBatchSlots(keys, int(m.KeySize()))
	if err != nil {
		return 0, fmt.Errorf("batch update: keys: %w", err)
	}
	vs, nv, err := newBatchSlots(values, m.valueBytes())
	if err != nil || nv != n {
		return 0, fmt.Errorf("batch update: want %d values: %v", n, err)
	}
	var flags uint64
	if opts != nil {
		flags = opts.ElemFlags
	}
	for i := range n {
		k, err := ks.elemBytes(i)
		if err != nil {
			return i, err
		}
		v, err := vs.elemBytes(i)
		if err != nil {
			return i, err
		}
		if err := m.m.Update(k, v, flags); err != nil {
			return i, mapError("batch update", err)
		}
	}
	return n, nil
}

// BatchDelete deletes every key, stopping at the first error; it returns
// how many it deleted.
func (m *Map) BatchDelete(keys any, opts *BatchOptions) (int, error) {
	defer runtime.KeepAlive(m) // its cleanup must not close the map during the call
	ks, n, err := newBatchSlots(keys, int(m.KeySize()))
	if err != nil {
		return 0, fmt.Errorf("batch delete: keys: %w", err)
	}
	for i := range n {
		k, err := ks.elemBytes(i)
		if err != nil {
			return i, err
		}
		if err := m.m.Delete(k); err != nil {
			return i, mapError("batch delete", err)
		}
	}
	return n, nil
}
