package ebpfvm

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/ebpfvm/ebpfvm/internal/maps"
)

// RingbufRecord is one record read from a ring buffer, as in cilium/ebpf's
// ringbuf package.
type RingbufRecord struct {
	RawSample []byte
	// Remaining is the number of bytes still in the ring after this record.
	Remaining int
}

// RingbufReader reads the records that programs submit to a
// BPF_MAP_TYPE_RINGBUF map, like cilium/ebpf's ringbuf.Reader: Read blocks
// until a record is there, the deadline passes (os.ErrDeadlineExceeded) or
// the reader is closed (os.ErrClosed).
type RingbufReader struct {
	m        *Map // keeps the map from being collected while the reader is in use
	rb       maps.RingBufMap
	mu       sync.Mutex
	deadline time.Time
	closed   chan struct{}
	once     sync.Once
}

// ErrRingbufClosed is returned by Read after Close.
var ErrRingbufClosed = os.ErrClosed

// NewRingbufReader returns a reader of m, which must be a ring buffer.
func NewRingbufReader(m *Map) (*RingbufReader, error) {
	if m == nil {
		return nil, errors.New("ring buffer reader of a nil *Map")
	}
	rb, ok := m.m.(maps.RingBufMap)
	if !ok {
		return nil, fmt.Errorf("%s is not a ring buffer", m)
	}
	return &RingbufReader{m: m, rb: rb, closed: make(chan struct{})}, nil
}

// SetDeadline sets the time after which Read returns
// os.ErrDeadlineExceeded; the zero time means no deadline.
func (r *RingbufReader) SetDeadline(t time.Time) {
	r.mu.Lock()
	r.deadline = t
	r.mu.Unlock()
}

// Read returns the next record.
func (r *RingbufReader) Read() (RingbufRecord, error) {
	var rec RingbufRecord
	err := r.ReadInto(&rec)
	return rec, err
}

// ReadInto reads the next record into rec, reusing its buffer.
func (r *RingbufReader) ReadInto(rec *RingbufRecord) error {
	for {
		select {
		case <-r.closed:
			return ErrRingbufClosed
		default:
		}
		r.mu.Lock()
		deadline := r.deadline
		r.mu.Unlock()
		// Wait in short slices so that Close interrupts a Read that has
		// no deadline.
		wait := time.Now().Add(50 * time.Millisecond)
		if !deadline.IsZero() && deadline.Before(wait) {
			wait = deadline
		}
		b, err := r.rb.ReadInto(rec.RawSample[:0], wait)
		if err == nil {
			rec.RawSample = b
			rec.Remaining = int(r.rb.Query(maps.RBAvailData))
			return nil
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return err
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			return err
		}
	}
}

// AvailableBytes returns how many bytes of records wait to be read.
func (r *RingbufReader) AvailableBytes() int { return int(r.rb.Query(maps.RBAvailData)) }

// Close makes pending and later Reads return ErrRingbufClosed.
func (r *RingbufReader) Close() error {
	r.once.Do(func() { close(r.closed) })
	return nil
}
