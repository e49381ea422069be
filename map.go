package ebpfvm

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"sync"
	"syscall"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm/internal/maps"
	"github.com/ebpfvm/ebpfvm/internal/vm"
)

// Map errors, the same values as cilium/ebpf's so that errors.Is works
// across both. The errors also wrap the kernel's errno (syscall.ENOENT,
// syscall.EEXIST, ...).
var (
	ErrKeyNotExist = ebpf.ErrKeyNotExist
	ErrKeyExist    = ebpf.ErrKeyExist
)

// UpdateFlags are the flags of Map.Update, with the kernel's values.
type UpdateFlags = ebpf.MapUpdateFlags

// Update flags.
const (
	UpdateAny     = ebpf.UpdateAny
	UpdateNoExist = ebpf.UpdateNoExist
	UpdateExist   = ebpf.UpdateExist
	UpdateLock    = ebpf.UpdateLock
)

// Map is a BPF map living in this process. Its methods mirror
// cilium/ebpf's Map; it is safe for concurrent use, also while programs
// run and use it. Close it when done; a Map that becomes unreachable
// without Close is closed by the garbage collector (runtime.AddCleanup),
// as cilium/ebpf closes the file descriptors of maps it drops. Its memory
// is freed once nothing else uses it either: the programs and maps of
// maps that hold it, runs in flight, Memory and RingbufReader objects.
type Map struct {
	name    string
	m       maps.Map
	cleanup runtime.Cleanup
	memory  *Memory // made by Memory, once

	mu          sync.Mutex
	owner       ebpf.ProgramType // of a prog array: the type of its programs
	ownerEngine vm.Engine        // and the engine that runs them
	owned       bool
}

func newMap(name string, m maps.Map) *Map {
	w := &Map{name: name, m: m}
	w.cleanup = runtime.AddCleanup(w, closeMap, m)
	return w
}

func closeMap(m maps.Map) { m.Close() }

// MapOptions configure NewMapWithOptions.
type MapOptions struct {
	// NumCPU is the number of virtual CPUs: a per-CPU map has a slot for
	// each: 1 to MaxCPUs, or 0 for runtime.NumCPU().
	NumCPU int
	// MemoryLimit, when not nil, is charged for the map (see MemoryLimit).
	MemoryLimit *MemoryLimit
}

// MemoryLimit is a memory budget for maps, as the kernel charges a map's
// memory to its creator's memory cgroup (RLIMIT_MEMLOCK before Linux
// 5.11): a map is charged its full size when it is created, before any
// memory is allocated, and the charge is returned when its memory is
// freed (when it is closed, or collected, and no program, map of maps or
// Memory slice uses it any more). A map that would take the charges past
// the limit is refused with an error that wraps syscall.ENOMEM and names
// the map, its size, the limit and what is in use. Share one MemoryLimit
// between the collections and maps of one tenant to bound what they take
// together; it is safe for concurrent use.
//
// A map's size is what it takes when full: value_size rounded up to 8
// times max_entries (times the CPUs for per-CPU maps) for arrays; for
// hash maps the buckets, keys, links and values of every element
// (preallocated or not: ebpfvm reserves them all and touches pages as
// elements are first used); 24 bytes a slot for prog arrays and arrays
// of maps; the value slots and trie nodes of an LPM trie; the ring of a
// ring buffer; the bit array of a bloom filter.
//
// Without a limit, maps are still refused (ENOMEM) when they are larger
// than the machine's memory, as the kernel refuses them.
type MemoryLimit struct{ l *maps.Limit }

// NewMemoryLimit returns a limit of bytes.
func NewMemoryLimit(bytes uint64) *MemoryLimit { return &MemoryLimit{maps.NewLimit(bytes)} }

// Limit returns the limit in bytes.
func (l *MemoryLimit) Limit() uint64 { return l.l.Max() }

// Used returns the bytes charged by the maps alive now.
func (l *MemoryLimit) Used() uint64 { return l.l.Used() }

func (l *MemoryLimit) internal() *maps.Limit {
	if l == nil {
		return nil
	}
	return l.l
}

// NewMap creates a map from spec, as cilium/ebpf's NewMap creates one in
// the kernel: with spec.Contents written into it. Contents cannot name
// programs or maps (there is no collection to find them in): fill prog
// arrays and maps of maps with Update. Close it when done; a map that
// becomes unreachable without Close is released by the garbage collector.
func NewMap(spec *ebpf.MapSpec) (*Map, error) { return NewMapWithOptions(spec, MapOptions{}) }

// NewMapWithOptions is NewMap with options.
func NewMapWithOptions(spec *ebpf.MapSpec, opts MapOptions) (_ *Map, err error) {
	if spec == nil {
		return nil, errors.New("nil MapSpec")
	}
	if err := checkNumCPU(opts.NumCPU); err != nil {
		return nil, err
	}
	mm, err := createMap(spec.Name, spec, numCPU(opts.NumCPU), opts.MemoryLimit)
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", spec.Name, err)
	}
	m := newMap(spec.Name, mm)
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	for _, kv := range spec.Contents {
		if ref, ok := kv.Value.(string); ok {
			return nil, fmt.Errorf("map %s: slot %v names %q: NewMap cannot resolve names, use Update", spec.Name, kv.Key, ref)
		}
		if err := m.Update(kv.Key, kv.Value, UpdateAny); err != nil {
			return nil, fmt.Errorf("map %s: initial contents: %w", spec.Name, err)
		}
	}
	return m, nil
}

func (m *Map) String() string {
	s := m.m.Spec()
	return fmt.Sprintf("%s(%s, key %d, value %d, max %d)", m.name, ebpf.MapType(s.Type), s.KeySize, s.ValueSize, s.MaxEntries)
}

// Type returns the map type.
func (m *Map) Type() ebpf.MapType { return ebpf.MapType(m.m.Spec().Type) }

// KeySize returns the key size in bytes.
func (m *Map) KeySize() uint32 { return m.m.Spec().KeySize }

// ValueSize returns the value size in bytes.
func (m *Map) ValueSize() uint32 { return m.m.Spec().ValueSize }

// MaxEntries returns the capacity.
func (m *Map) MaxEntries() uint32 { return m.m.Spec().MaxEntries }

// Flags returns the BPF_F_* flags the map was created with.
func (m *Map) Flags() uint32 { return m.m.Spec().Flags }

// Close releases the map's memory once no program uses it. Closing a nil
// Map does nothing.
func (m *Map) Close() error {
	if m == nil {
		return nil
	}
	m.cleanup.Stop()
	return m.m.Close()
}

func (m *Map) perCPU() bool { return m.m.Spec().Type.PerCPU() }

func (m *Map) cpus() int { return m.m.Spec().NumCPU }

// valueBytes is the size of a value as Go code sees it: per-CPU values are
// one 8-byte-aligned slot per CPU.
func (m *Map) valueBytes() int {
	vs := int(m.ValueSize())
	if m.perCPU() {
		return (vs + 7) &^ 7 * m.cpus()
	}
	return vs
}

// explainENOTSUPP names the kernel-internal errno 524 that bpf() returns
// for what a map type does not support, which Go prints as "errno 524".
func explainENOTSUPP(err error) error {
	if errors.Is(err, maps.ENOTSUPP) {
		return fmt.Errorf("%w (ENOTSUPP: not supported)", err)
	}
	return err
}

func mapError(op string, err error) error {
	if err == nil {
		return nil
	}
	err = explainENOTSUPP(err)
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.ENOENT:
			return fmt.Errorf("%s: %w (%w)", op, ErrKeyNotExist, err)
		case syscall.EEXIST:
			return fmt.Errorf("%s: %w (%w)", op, ErrKeyExist, err)
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

func (m *Map) key(key any) ([]byte, error) {
	if m.KeySize() == 0 {
		return nil, nil
	}
	b, err := marshal(key, int(m.KeySize()))
	if err != nil {
		return nil, fmt.Errorf("key: %w", err)
	}
	return b, nil
}

// Lookup copies the value of key into valueOut. For per-CPU maps valueOut
// is a pointer to a slice (one element per CPU) or a []byte holding all
// slots. For queues and stacks, key is nil and Lookup peeks.
func (m *Map) Lookup(key, valueOut any) error {
	defer runtime.KeepAlive(m) // its cleanup must not close the map during the call
	buf, direct := valueOut.([]byte)
	if !direct || len(buf) != m.valueBytes() {
		buf, direct = make([]byte, m.valueBytes()), false
	}
	if q, ok := m.m.(maps.QueueMap); ok && key == nil {
		if m.Type() == ebpf.BloomFilter {
			// A bloom filter tests valueOut: nil when it may be present,
			// ErrKeyNotExist when it certainly is not.
			v, err := m.encodeValue(derefValue(valueOut))
			if err != nil {
				return err
			}
			return mapError("bloom filter lookup", q.Peek(v))
		}
		if err := q.Peek(buf); err != nil {
			return mapError("peek", err)
		}
		return m.decodeValue(valueOut, buf)
	}
	k, err := m.key(key)
	if err != nil {
		return err
	}
	if err := m.m.Lookup(k, buf); err != nil {
		return mapError("lookup", err)
	}
	if direct {
		return nil
	}
	return m.decodeValue(valueOut, buf)
}

// LookupAndDelete looks up and deletes key; for queues and stacks (key
// nil) it pops.
func (m *Map) LookupAndDelete(key, valueOut any) error {
	defer runtime.KeepAlive(m) // its cleanup must not close the map during the call
	buf := make([]byte, m.valueBytes())
	if q, ok := m.m.(maps.QueueMap); ok && key == nil {
		if err := q.Pop(buf); err != nil {
			return mapError("pop", err)
		}
		return m.decodeValue(valueOut, buf)
	}
	k, err := m.key(key)
	if err != nil {
		return err
	}
	if err := m.m.LookupAndDelete(k, buf); err != nil {
		return mapError("lookup and delete", err)
	}
	return m.decodeValue(valueOut, buf)
}

// Update sets the value of key. For prog arrays the value is a *Program
// (or nil to clear the slot), for maps of maps a *Map; for queues, stacks
// and bloom filters key is nil and Update pushes.
func (m *Map) Update(key, value any, flags UpdateFlags) error {
	defer runtime.KeepAlive(m) // its cleanup must not close the map during the call
	switch v := value.(type) {
	case *Program:
		return m.setProgram(key, v)
	case *Map:
		return m.setInner(key, v)
	}
	val, err := m.encodeValue(value)
	if err != nil {
		return err
	}
	if q, ok := m.m.(maps.QueueMap); ok && key == nil {
		return mapError("push", q.Push(val, uint64(flags)))
	}
	k, err := m.key(key)
	if err != nil {
		return err
	}
	return mapError("update", m.m.Update(k, val, uint64(flags)))
}

func (m *Map) setProgram(key any, p *Program) error {
	pa, ok := m.m.(maps.ProgArray)
	if !ok {
		return fmt.Errorf("update: %s is not a prog array", m)
	}
	var idx uint32
	k, err := m.key(key)
	if err != nil {
		return err
	}
	if len(k) != 4 {
		return fmt.Errorf("update: prog array keys are 4 bytes")
	}
	idx = uint32(k[0]) | uint32(k[1])<<8 | uint32(k[2])<<16 | uint32(k[3])<<24
	if p == nil {
		return mapError("update", pa.SetProgram(idx, nil))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.claimLocked(p.typ, p.code.Engine()); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	defer runtime.KeepAlive(p) // the program must not be collected before the slot holds it
	return mapError("update", pa.SetProgram(idx, progRef{p.program}))
}

// claim makes a prog array hold programs of type t run by engine e only,
// or refuses if it already holds another type or engine. Like the
// kernel's bpf_prog_map_compatible, the first program that uses the prog
// array (loaded with a reference to it, or stored in it) decides its type
// and engine (the kernel's owner.jited), so that a tail call never enters a
// program made for another context, nor code of another engine: an
// engine's run continues on its own code.
func (m *Map) claim(t ebpf.ProgramType, e vm.Engine) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.claimLocked(t, e)
}

func (m *Map) claimLocked(t ebpf.ProgramType, e vm.Engine) error {
	if m.owned && m.owner != t {
		return fmt.Errorf("%s holds %s programs, not %s: %w", m, m.owner, t, syscall.EINVAL)
	}
	if m.owned && m.ownerEngine != e {
		return fmt.Errorf("%s holds programs run by the %s engine, not %s: %w", m, m.ownerEngine.Name(), e.Name(), syscall.EINVAL)
	}
	m.owner, m.ownerEngine, m.owned = t, e, true
	return nil
}

func (m *Map) setInner(key any, inner *Map) error {
	mm, ok := m.m.(maps.MapOfMaps)
	if !ok {
		return fmt.Errorf("update: %s is not a map of maps", m)
	}
	k, err := m.key(key)
	if err != nil {
		return err
	}
	if inner == nil {
		return fmt.Errorf("update: %s: nil *Map as the inner map (Delete empties a slot): %w", m, syscall.EBADF)
	}
	err = mapError("update", mm.SetInner(k, inner.m))
	runtime.KeepAlive(inner) // the map must not be collected before the slot holds it
	return err
}

// Delete removes key.
func (m *Map) Delete(key any) error {
	defer runtime.KeepAlive(m) // its cleanup must not close the map during the call
	k, err := m.key(key)
	if err != nil {
		return err
	}
	return mapError("delete", m.m.Delete(k))
}

// NextKey writes the key after key (the first key when key is nil) into
// nextKeyOut; it returns ErrKeyNotExist at the end.
func (m *Map) NextKey(key, nextKeyOut any) error {
	defer runtime.KeepAlive(m) // its cleanup must not close the map during the call
	var k []byte
	if key != nil {
		var err error
		if k, err = m.key(key); err != nil {
			return err
		}
	}
	next := make([]byte, m.KeySize())
	if err := m.m.NextKey(k, next); err != nil {
		return mapError("next key", err)
	}
	return unmarshal(nextKeyOut, next)
}

// Memory returns the live value memory of a BPF_F_MMAPABLE array, as
// cilium/ebpf's Memory maps a kernel map's: Go code reads and writes it
// while programs run. Repeated calls return the same Memory.
func (m *Map) Memory() (*Memory, error) {
	defer runtime.KeepAlive(m)
	b, ok := m.m.(interface{ Bytes() []byte })
	if !ok || m.Flags()&uint32(maps.FlagMmapable) == 0 {
		return nil, fmt.Errorf("%s is not a BPF_F_MMAPABLE array: %w", m, ebpf.ErrNotSupported)
	}
	h, ok := m.m.(interface {
		Hold() error
		Frozen() bool
	})
	if !ok {
		return nil, fmt.Errorf("%s cannot be held", m)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.memory != nil {
		return m.memory, nil
	}
	if err := h.Hold(); err != nil {
		return nil, fmt.Errorf("memory of %s: %w", m, err)
	}
	mem := &Memory{b: b.Bytes(), ro: m.Flags()&uint32(maps.FlagRdonlyProg) != 0 || h.Frozen()}
	runtime.AddCleanup(mem, releaseMap, m.m)
	m.memory = mem
	return mem, nil
}

func releaseMap(m maps.Map) { m.Release() }

// Memory is the value memory of a BPF_F_MMAPABLE array map (Map.Memory):
// value_size rounded up to 8 bytes, times max_entries, rounded up to
// whole pages, shared with the programs that use the map. It keeps the
// memory alive: reads and writes through a Memory are valid after the
// map is closed, and the memory is freed once the map is closed, no
// program uses it and the Memory is unreachable. As with cilium/ebpf,
// the memory itself is only reachable through ReadAt and WriteAt, so no
// slice of it can outlive it. Read-only when programs may not write the
// map (BPF_F_RDONLY_PROG) or it was frozen before Memory was called, as
// the kernel maps such maps read-only.
type Memory struct {
	b  []byte
	ro bool
}

// Size returns the size of the memory in bytes.
func (mm *Memory) Size() int { return len(mm.b) }

// ReadOnly reports whether WriteAt is refused.
func (mm *Memory) ReadOnly() bool { return mm.ro }

// ReadAt implements io.ReaderAt: it copies the memory at off into p, and
// returns io.EOF when p reaches past the end.
func (mm *Memory) ReadAt(p []byte, off int64) (int, error) {
	defer runtime.KeepAlive(mm) // the memory lives while mm does
	if off < 0 || off >= int64(len(mm.b)) {
		return 0, fmt.Errorf("read at offset %d of %d bytes of memory: out of range", off, len(mm.b))
	}
	n := copy(p, mm.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt implements io.WriterAt: it copies p into the memory at off, and
// returns io.EOF when p reaches past the end.
func (mm *Memory) WriteAt(p []byte, off int64) (int, error) {
	defer runtime.KeepAlive(mm)
	if mm.ro {
		return 0, fmt.Errorf("write to read-only map memory: %w", syscall.EPERM)
	}
	if off < 0 || off >= int64(len(mm.b)) {
		return 0, fmt.Errorf("write at offset %d of %d bytes of memory: out of range", off, len(mm.b))
	}
	n := copy(mm.b[off:], p)
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// derefValue turns a pointer to a fixed-size value into the value, so that
// an output argument can serve as input (bloom filter lookups).
func derefValue(v any) any {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && !rv.IsNil() {
		if _, ok := v.(*[]byte); ok {
			return *v.(*[]byte)
		}
		return rv.Elem().Interface()
	}
	return v
}

func (m *Map) encodeValue(value any) ([]byte, error) {
	if !m.perCPU() {
		b, err := marshal(value, int(m.ValueSize()))
		if err != nil {
			return nil, fmt.Errorf("value: %w", err)
		}
		return b, nil
	}
	if b, ok := value.([]byte); ok && len(b) == m.valueBytes() {
		return b, nil
	}
	rv := reflect.ValueOf(value)
	if rv.Kind() != reflect.Slice || rv.Len() != m.cpus() {
		return nil, fmt.Errorf("per-CPU value: want a slice of %d values or %d bytes, got %T", m.cpus(), m.valueBytes(), value)
	}
	stride := (int(m.ValueSize()) + 7) &^ 7
	out := make([]byte, m.valueBytes())
	for i := range m.cpus() {
		b, err := marshal(rv.Index(i).Interface(), int(m.ValueSize()))
		if err != nil {
			return nil, fmt.Errorf("per-CPU value %d: %w", i, err)
		}
		copy(out[i*stride:], b)
	}
	return out, nil
}

func (m *Map) decodeValue(out any, b []byte) error {
	if !m.perCPU() {
		return unmarshal(out, b)
	}
	rv := reflect.ValueOf(out)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Slice || rv.Elem().Type().Elem().Kind() == reflect.Uint8 {
		return unmarshal(out, b)
	}
	stride := (int(m.ValueSize()) + 7) &^ 7
	s := reflect.MakeSlice(rv.Elem().Type(), m.cpus(), m.cpus())
	for i := range m.cpus() {
		if err := unmarshal(s.Index(i).Addr().Interface(), b[i*stride:i*stride+int(m.ValueSize())]); err != nil {
			return fmt.Errorf("per-CPU value %d: %w", i, err)
		}
	}
	rv.Elem().Set(s)
	return nil
}

// MapIterator walks a map's keys and values.
type MapIterator struct {
	m       *Map
	key     []byte
	started bool
	err     error
}

// Iterate returns an iterator over the map.
func (m *Map) Iterate() *MapIterator { return &MapIterator{m: m} }

// Next decodes the next key and value; it returns false at the end or on an
// error (see Err). Entries deleted or added during the iteration may or may
// not be seen, as with the kernel.
func (it *MapIterator) Next(keyOut, valueOut any) bool {
	defer runtime.KeepAlive(it.m)
	if it.err != nil {
		return false
	}
	for tries := 0; tries < 16; tries++ {
		next := make([]byte, it.m.KeySize())
		var prev []byte
		if it.started {
			prev = it.key
		}
		if err := it.m.m.NextKey(prev, next); err != nil {
			if !errors.Is(err, syscall.ENOENT) {
				it.err = mapError("next key", err)
			}
			return false
		}
		it.key, it.started = next, true
		val := make([]byte, it.m.valueBytes())
		if err := it.m.m.Lookup(next, val); err != nil {
			if errors.Is(err, syscall.ENOENT) {
				continue // deleted meanwhile
			}
			it.err = mapError("lookup", err)
			return false
		}
		if err := unmarshal(keyOut, next); err != nil {
			it.err = err
			return false
		}
		if err := it.m.decodeValue(valueOut, val); err != nil {
			it.err = err
			return false
		}
		return true
	}
	it.err = errors.New("iteration aborted: keys keep disappearing")
	return false
}

// Err returns the error that stopped the iteration, if any.
func (it *MapIterator) Err() error { return it.err }
