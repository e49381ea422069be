// Package corpus runs a corpus of real eBPF C programs
// (testdata/corpus/*.c, compiled to *.o with clang -target bpf) on
// several engines and compares what they do.
//
// A Scenario names an object and a program, sets the object's global
// variables, fills maps and prog_array slots, runs a list of inputs
// (packets and/or context blobs), and names the maps to dump and the ring
// buffers to drain. An Engine loads a *ebpf.CollectionSpec (from
// github.com/cilium/ebpf) into an Instance that can do all of that. The
// same Scenario runs on every engine; Run returns a Result, and Compare
// lists the differences between two Results.
//
// KernelEngine is the reference: the running Linux kernel through
// cilium/ebpf (BPF_PROG_LOAD, BPF_PROG_TEST_RUN). The engine under test is
// ebpfvm itself.
//
// # What is compared
//
//   - The return value of every run, as 32 bits: BPF_PROG_TEST_RUN reports
//     only the low 32 bits of r0.
//   - The packet after every run (data out) and the context after every run
//     (context out), when the input had them.
//   - Ring buffer records drained after every run, in order.
//   - Map contents after chosen runs and after the last run: every key and
//     value, sorted by key bytes (the iteration order of hash maps is
//     engine-specific); queues and stacks as the sequence of values they
//     pop.
//   - Per-CPU maps are compared folded: the values of all CPUs are added
//     up as little-endian 64-bit words (a short tail as bytes).
//     Which CPU a run lands on, and how many CPUs there are, differ between
//     engines and between runs, but the corpus programs only ever touch
//     the current CPU's copy, and the kernel engine pins its thread to one
//     CPU, so every per-CPU value lives on a single CPU: its fold is that
//     value exactly, whatever it means (counter, flags, scratch state).
//     Counters stay right even without pinning, since sums commute.
//
// Spin lock words read back as zero from user space (the kernel clears
// them on lookup); engines must do the same.
package corpus

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/cilium/ebpf"
)

//go:generate sh ../../../testdata/corpus/build.sh

// Dir is the directory of the corpus sources and objects.
func Dir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return filepath.Join("testdata", "corpus")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "corpus")
}

var specs sync.Map // object name -> *ebpf.CollectionSpec

// LoadSpec parses an object of the corpus (e.g. "xdp_lb.o") and returns a
// copy of its spec that the caller may modify.
func LoadSpec(object string) (*ebpf.CollectionSpec, error) {
	if s, ok := specs.Load(object); ok {
		return s.(*ebpf.CollectionSpec).Copy(), nil
	}
	spec, err := ebpf.LoadCollectionSpec(filepath.Join(Dir(), object))
	if err != nil {
		return nil, err
	}
	specs.Store(object, spec)
	return spec.Copy(), nil
}

// Scenario is one engine-neutral test of a corpus program.
type Scenario struct {
	Name    string
	Object  string // file in testdata/corpus, e.g. "xdp_parser.o"
	Program string // the program inputs run unless they name another

	// Variables are set in the spec (VariableSpec.Set) before the load:
	// .rodata constants that configure the program, initial .data values.
	Variables map[string]any

	// Setup runs after the load, in order.
	Setup []Op

	Inputs []Input

	// Dump lists the maps dumped after the last input.
	Dump []string
	// Ringbufs lists the ring buffers drained after every input.
	Ringbufs []string

	// Check, if set, tests a Result against what the program should do,
	// on every engine.
	Check func(*Result) error
}

// Op is a setup step.
type Op interface {
	apply(Instance) error
	String() string
}

// MapUpdate sets Map[Key] = Value. For a per-CPU map, Value is stored for
// CPU 0 and zeros for the other CPUs.
type MapUpdate struct {
	Map        string
	Key, Value []byte
}

func (u MapUpdate) apply(i Instance) error { return i.Update(u.Map, u.Key, u.Value) }
func (u MapUpdate) String() string {
	return fmt.Sprintf("%s[%x] = %x", u.Map, u.Key, u.Value)
}

// ProgSlot puts a program of the collection into a prog_array slot.
type ProgSlot struct {
	Map     string
	Slot    uint32
	Program string
}

func (p ProgSlot) apply(i Instance) error { return i.SetProg(p.Map, p.Slot, p.Program) }
func (p ProgSlot) String() string         { return fmt.Sprintf("%s[%d] = prog %s", p.Map, p.Slot, p.Program) }

// InnerMap puts a map of the collection into a map-in-map slot.
type InnerMap struct {
	Map   string
	Key   []byte
	Inner string
}

func (m InnerMap) apply(i Instance) error { return i.SetInner(m.Map, m.Key, m.Inner) }
func (m InnerMap) String() string         { return fmt.Sprintf("%s[%x] = map %s", m.Map, m.Key, m.Inner) }

// Input is one run of a program.
type Input struct {
	Name    string
	Program string // empty: the scenario's
	Data    []byte // the packet (XDP, tc)
	Context []byte // the context blob (tc: struct __sk_buff; syscall: anything)
	// Repeat runs the program this many times (at least once) on the same
	// memory, as BPF_PROG_TEST_RUN's repeat does: changes to the packet
	// and the context carry over from one repetition to the next.
	Repeat int
	// Dump lists maps dumped right after this input.
	Dump []string

	// Expectations, checked on every engine; nil: not checked.
	WantRet  *uint32
	WantData []byte
}

// Ret makes a WantRet.
func Ret(v uint32) *uint32 { return &v }

// Engine loads collections.
type Engine interface {
	Name() string
	// Load creates the collection's maps and programs. The spec is the
	// engine's to keep and modify.
	Load(spec *ebpf.CollectionSpec) (Instance, error)
}

// Instance is a loaded collection.
type Instance interface {
	// Update sets a map element. For per-CPU maps value is CPU 0's value
	// and the other CPUs get zeros.
	Update(mapName string, key, value []byte) error
	// SetProg stores the collection's program prog in slot of a prog_array.
	SetProg(mapName string, slot uint32, prog string) error
	// SetInner stores the collection's map inner in a map-in-map.
	SetInner(mapName string, key []byte, inner string) error
	// Run runs a program once (Repeat times).
	Run(prog string, in RunInput) (RunOutput, error)
	// Dump returns a map's contents in any order: for per-CPU maps one
	// value per CPU, for queues and stacks (which it empties) the popped
	// values in order with nil keys, for other maps one value.
	Dump(mapName string) ([]RawEntry, error)
	// Records drains a ring buffer: the records available now, in order.
	Records(mapName string) ([][]byte, error)
	Close() error
}

// RunInput is what Instance.Run gets.
type RunInput struct {
	Data    []byte
	Context []byte
	Repeat  int
}

// RunOutput is what Instance.Run returns. Data and Context are nil when
// the input had none.
type RunOutput struct {
	Ret     uint64
	Data    []byte
	Context []byte
}

// RawEntry is a map element as an engine returns it.
type RawEntry struct {
	Key    []byte
	Values [][]byte
}

// Entry is a map element in a Result.
type Entry struct {
	Key, Value []byte
}

// MapDump is a map's contents in a Result.
type MapDump struct {
	Name    string
	Entries []Entry
	// Sequence marks a queue or a stack: Entries are the values popped,
	// in order, with nil keys.
	Sequence bool
}

// RunRecord is the outcome of one Input.
type RunRecord struct {
	Input   string
	Ret     uint32
	Data    []byte
	Context []byte
	Records []RingRecords // one per scenario ring buffer
	Maps    []MapDump     // the input's Dump
}

// RingRecords are the records drained from one ring buffer.
type RingRecords struct {
	Name    string
	Records [][]byte
}

// Result is what a scenario did on one engine.
type Result struct {
	Scenario string
	Engine   string
	Runs     []RunRecord
	Maps     []MapDump // the scenario's Dump, after the last input
}

// Run runs s on e.
func Run(e Engine, s *Scenario) (*Result, error) {
	spec, err := LoadSpec(s.Object)
	if err != nil {
		return nil, err
	}
	for name, v := range s.Variables {
		vs, ok := spec.Variables[name]
		if !ok {
			return nil, fmt.Errorf("%s: no variable %q", s.Object, name)
		}
		if err := vs.Set(v); err != nil {
			return nil, fmt.Errorf("setting %s: %w", name, err)
		}
	}
	mapTypes := make(map[string]ebpf.MapType, len(spec.Maps))
	for name, m := range spec.Maps {
		mapTypes[name] = m.Type
	}
	inst, err := e.Load(spec)
	if err != nil {
		return nil, fmt.Errorf("%s: loading %s: %w", e.Name(), s.Object, err)
	}
	defer inst.Close()

	for _, op := range s.Setup {
		if err := op.apply(inst); err != nil {
			return nil, fmt.Errorf("%s: setup %s: %w", e.Name(), op, err)
		}
	}
	dump := func(names []string) ([]MapDump, error) {
		var out []MapDump
		for _, name := range names {
			raw, err := inst.Dump(name)
			if err != nil {
				return nil, fmt.Errorf("%s: dumping %s: %w", e.Name(), name, err)
			}
			out = append(out, normalize(name, mapTypes[name], raw))
		}
		return out, nil
	}

	res := &Result{Scenario: s.Name, Engine: e.Name()}
	for i, in := range s.Inputs {
		prog := in.Program
		if prog == "" {
			prog = s.Program
		}
		name := in.Name
		if name == "" {
			name = fmt.Sprintf("#%d", i)
		}
		out, err := inst.Run(prog, RunInput{Data: in.Data, Context: in.Context, Repeat: max(in.Repeat, 1)})
		if err != nil {
			return nil, fmt.Errorf("%s: input %s: running %s: %w", e.Name(), name, prog, err)
		}
		rec := RunRecord{Input: name, Ret: uint32(out.Ret), Data: out.Data, Context: out.Context}
		for _, rb := range s.Ringbufs {
			recs, err := inst.Records(rb)
			if err != nil {
				return nil, fmt.Errorf("%s: input %s: draining %s: %w", e.Name(), name, rb, err)
			}
			rec.Records = append(rec.Records, RingRecords{Name: rb, Records: recs})
		}
		if rec.Maps, err = dump(in.Dump); err != nil {
			return nil, err
		}
		res.Runs = append(res.Runs, rec)
	}
	if res.Maps, err = dump(s.Dump); err != nil {
		return nil, err
	}
	return res, nil
}

// perCPU reports whether values of maps of type t are per CPU.
func perCPU(t ebpf.MapType) bool {
	switch t {
	case ebpf.PerCPUArray, ebpf.PerCPUHash, ebpf.LRUCPUHash, ebpf.PerCPUCGroupStorage:
		return true
	}
	return false
}

// normalize turns raw entries into sorted, folded entries.
func normalize(name string, t ebpf.MapType, raw []RawEntry) MapDump {
	d := MapDump{Name: name, Sequence: t == ebpf.Queue || t == ebpf.Stack}
	for _, r := range raw {
		var v []byte
		switch {
		case perCPU(t):
			v = Fold(r.Values)
		case len(r.Values) > 0:
			v = r.Values[0]
		}
		d.Entries = append(d.Entries, Entry{Key: r.Key, Value: v})
	}
	if !d.Sequence {
		sort.SliceStable(d.Entries, func(i, j int) bool {
			return bytes.Compare(d.Entries[i].Key, d.Entries[j].Key) < 0
		})
	}
	return d
}

// Fold adds per-CPU values up as little-endian 64-bit words, wrapping; a
// tail shorter than 8 bytes is added byte by byte. When at most one CPU's
// value is non-zero, the fold is that value.
func Fold(values [][]byte) []byte {
	if len(values) == 0 {
		return nil
	}
	out := make([]byte, len(values[0]))
	for _, v := range values {
		n := min(len(v), len(out))
		i := 0
		for ; i+8 <= n; i += 8 {
			binary.LittleEndian.PutUint64(out[i:], binary.LittleEndian.Uint64(out[i:])+binary.LittleEndian.Uint64(v[i:]))
		}
		for ; i < n; i++ {
			out[i] += v[i]
		}
	}
	return out
}

// Verify checks r against the scenario's expectations: the inputs'
// WantRet and WantData, and Check.
func (s *Scenario) Verify(r *Result) error {
	var errs []error
	for i, in := range s.Inputs {
		if i >= len(r.Runs) {
			errs = append(errs, fmt.Errorf("input %d: no result", i))
			break
		}
		run := r.Runs[i]
		if in.WantRet != nil && run.Ret != *in.WantRet {
			errs = append(errs, fmt.Errorf("input %s: retval %d, want %d", run.Input, run.Ret, *in.WantRet))
		}
		if in.WantData != nil && !bytes.Equal(run.Data, in.WantData) {
			errs = append(errs, fmt.Errorf("input %s: data out differs from the expected packet:\n%s", run.Input, hexDiff(run.Data, in.WantData)))
		}
	}
	if s.Check != nil {
		if err := s.Check(r); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Compare lists the differences between two results of one scenario.
func Compare(a, b *Result) []string {
	var diffs []string
	add := func(format string, args ...any) { diffs = append(diffs, fmt.Sprintf(format, args...)) }
	an, bn := a.Engine, b.Engine
	if len(a.Runs) != len(b.Runs) {
		add("%s ran %d inputs, %s %d", an, len(a.Runs), bn, len(b.Runs))
	}
	for i := range min(len(a.Runs), len(b.Runs)) {
		ra, rb := &a.Runs[i], &b.Runs[i]
		where := "input " + ra.Input
		if ra.Ret != rb.Ret {
			add("%s: retval: %s %d (%#x), %s %d (%#x)", where, an, ra.Ret, ra.Ret, bn, rb.Ret, rb.Ret)
		}
		if !bytes.Equal(ra.Data, rb.Data) {
			add("%s: data out (-%s +%s):\n%s", where, an, bn, hexDiff(ra.Data, rb.Data))
		}
		if !bytes.Equal(ra.Context, rb.Context) {
			add("%s: context out (-%s +%s):\n%s", where, an, bn, hexDiff(ra.Context, rb.Context))
		}
		for j := range min(len(ra.Records), len(rb.Records)) {
			diffs = append(diffs, compareRecords(where, an, bn, ra.Records[j], rb.Records[j])...)
		}
		diffs = append(diffs, compareMaps(where, an, bn, ra.Maps, rb.Maps)...)
	}
	diffs = append(diffs, compareMaps("after the last input", an, bn, a.Maps, b.Maps)...)
	return diffs
}

func compareRecords(where, an, bn string, a, b RingRecords) []string {
	var diffs []string
	if len(a.Records) != len(b.Records) {
		diffs = append(diffs, fmt.Sprintf("%s: ring buffer %s: %s has %d records, %s %d", where, a.Name, an, len(a.Records), bn, len(b.Records)))
	}
	for k := range min(len(a.Records), len(b.Records)) {
		if !bytes.Equal(a.Records[k], b.Records[k]) {
			diffs = append(diffs, fmt.Sprintf("%s: ring buffer %s record %d (-%s +%s):\n%s", where, a.Name, k, an, bn, hexDiff(a.Records[k], b.Records[k])))
		}
	}
	return diffs
}

func compareMaps(where, an, bn string, a, b []MapDump) []string {
	var diffs []string
	for i := range min(len(a), len(b)) {
		ma, mb := a[i], b[i]
		ka := make(map[string][]byte, len(ma.Entries))
		for _, e := range ma.Entries {
			ka[string(e.Key)] = e.Value
		}
		kb := make(map[string][]byte, len(mb.Entries))
		for _, e := range mb.Entries {
			kb[string(e.Key)] = e.Value
		}
		if ma.Sequence {
			if len(ma.Entries) != len(mb.Entries) {
				diffs = append(diffs, fmt.Sprintf("%s: map %s: %s pops %d values, %s %d", where, ma.Name, an, len(ma.Entries), bn, len(mb.Entries)))
			}
			for k := range min(len(ma.Entries), len(mb.Entries)) {
				if !bytes.Equal(ma.Entries[k].Value, mb.Entries[k].Value) {
					diffs = append(diffs, fmt.Sprintf("%s: map %s: pop %d: %s %x, %s %x", where, ma.Name, k, an, ma.Entries[k].Value, bn, mb.Entries[k].Value))
				}
			}
			continue
		}
		for _, e := range ma.Entries {
			v, ok := kb[string(e.Key)]
			switch {
			case !ok:
				diffs = append(diffs, fmt.Sprintf("%s: map %s: key %x only in %s (value %x)", where, ma.Name, e.Key, an, e.Value))
			case !bytes.Equal(v, e.Value):
				diffs = append(diffs, fmt.Sprintf("%s: map %s: key %x (-%s +%s):\n%s", where, ma.Name, e.Key, an, bn, hexDiff(e.Value, v)))
			}
		}
		for _, e := range mb.Entries {
			if _, ok := ka[string(e.Key)]; !ok {
				diffs = append(diffs, fmt.Sprintf("%s: map %s: key %x only in %s (value %x)", where, ma.Name, e.Key, bn, e.Value))
			}
		}
	}
	return diffs
}

// hexDiff shows two byte strings 16 bytes a line, marking the lines that
// differ.
func hexDiff(a, b []byte) string {
	var sb strings.Builder
	if len(a) != len(b) {
		fmt.Fprintf(&sb, "  lengths %d and %d\n", len(a), len(b))
	}
	for off := 0; off < max(len(a), len(b)); off += 16 {
		la, lb := line(a, off), line(b, off)
		if bytes.Equal(la, lb) && len(la) == len(lb) {
			continue
		}
		fmt.Fprintf(&sb, "  -%04x: %s\n  +%04x: %s\n", off, hex.EncodeToString(la), off, hex.EncodeToString(lb))
	}
	return strings.TrimRight(sb.String(), "\n")
}

func line(b []byte, off int) []byte {
	if off >= len(b) {
		return nil
	}
	return b[off:min(off+16, len(b))]
}

// Find returns the dump of map name in dumps, or nil.
func Find(dumps []MapDump, name string) *MapDump {
	for i := range dumps {
		if dumps[i].Name == name {
			return &dumps[i]
		}
	}
	return nil
}

// Value returns the value stored under key, or nil.
func (d *MapDump) Value(key []byte) []byte {
	if d == nil {
		return nil
	}
	for _, e := range d.Entries {
		if bytes.Equal(e.Key, key) {
			return e.Value
		}
	}
	return nil
}

// String prints a result in full, for logs and for eyes.
func (r *Result) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "scenario %s on %s\n", r.Scenario, r.Engine)
	dumpMaps := func(indent string, maps []MapDump) {
		for _, m := range maps {
			fmt.Fprintf(&sb, "%smap %s (%d entries)\n", indent, m.Name, len(m.Entries))
			for _, e := range m.Entries {
				if m.Sequence {
					fmt.Fprintf(&sb, "%s  %x\n", indent, e.Value)
				} else {
					fmt.Fprintf(&sb, "%s  %x: %x\n", indent, e.Key, e.Value)
				}
			}
		}
	}
	for _, run := range r.Runs {
		fmt.Fprintf(&sb, "input %s: retval %d (%#x)\n", run.Input, run.Ret, run.Ret)
		if run.Data != nil {
			fmt.Fprintf(&sb, "  data out %x\n", run.Data)
		}
		if run.Context != nil {
			fmt.Fprintf(&sb, "  context out %x\n", run.Context)
		}
		for _, rr := range run.Records {
			for _, rec := range rr.Records {
				fmt.Fprintf(&sb, "  record %s: %x\n", rr.Name, rec)
			}
		}
		dumpMaps("  ", run.Maps)
	}
	dumpMaps("", r.Maps)
	return sb.String()
}
