package bench

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/isa"
)

// Options configure Run.
type Options struct {
	// Engines, in the order of the table's columns.
	Engines []Engine
	// Filter selects the programs of the main table; nil selects all.
	Filter func(name string) bool
	// Rounds is the number of measurements per program and engine; the
	// table shows their median. Default 5.
	Rounds int
	// Batch is how long one measurement should take: the number of runs
	// it makes is chosen from a calibration run. Default 100ms.
	Batch time.Duration
	// Growth measures how run time grows with the work size.
	Growth bool
	// Overhead measures the empty program.
	Overhead bool
	// Progress receives a progress line that is rewritten as the run
	// goes on (ProgressTTY) or a line per program; nil for none.
	Progress    io.Writer
	ProgressTTY bool
	// CPU is the CPU every engine runs on; -1 leaves scheduling alone.
	CPU int
}

// Report is the outcome of Run.
type Report struct {
	Machine  Machine       `json:"machine"`
	Engines  []EngineInfo  `json:"engines"`
	Rounds   int           `json:"rounds"`
	BatchMS  float64       `json:"batch_ms"`
	Results  []*Result     `json:"results"`
	Growth   []*Growth     `json:"growth,omitempty"`
	Overhead *Overhead     `json:"overhead,omitempty"`
	Elapsed  time.Duration `json:"elapsed_ns"`
}

// EngineInfo describes an engine of the report.
type EngineInfo struct {
	Name      string `json:"name"`
	Label     string `json:"label"`
	Available bool   `json:"available"`
	Reason    string `json:"reason,omitempty"` // why it is not available
}

// Result is one program's measurements.
type Result struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	N        uint32 `json:"n,omitempty"`
	Checksum uint32 `json:"checksum"`
	// Instructions is the number of eBPF instructions a run executes
	// (counted by ebpfvm, including callbacks and tail-called programs).
	Instructions uint64                  `json:"instructions,omitempty"`
	Engines      map[string]*Measurement `json:"engines"`
}

// Measurement is one engine's time per run for one program and input.
type Measurement struct {
	MedianNS  float64   `json:"median_ns,omitempty"`
	MinNS     float64   `json:"min_ns,omitempty"`
	MaxNS     float64   `json:"max_ns,omitempty"`
	SamplesNS []float64 `json:"samples_ns,omitempty"`
	Repeat    int       `json:"repeat,omitempty"` // runs per sample
	Error     string    `json:"error,omitempty"`  // the engine could not run the program
	// Checked says why an engine that verifies programs ran this one
	// unverified, in checked mode (its time is marked *).
	Checked string `json:"checked,omitempty"`
}

// OK reports whether m holds a time.
func (m *Measurement) OK() bool { return m != nil && m.Error == "" && m.MedianNS > 0 }

// Growth is one program measured at growing work sizes.
type Growth struct {
	Name    string    `json:"name"`
	Unit    string    `json:"unit"` // what one unit of N is
	Factors []int     `json:"factors"`
	N       []uint32  `json:"n"`
	Results []*Result `json:"results"` // one per factor
}

// Overhead is the fixed cost of a run: the empty program.
type Overhead struct {
	Result *Result `json:"result"`
	// GenericNS is ebpfvm's interpreter running the same instructions
	// as its generic program type (no packet, no context to set up).
	GenericNS float64 `json:"generic_ns,omitempty"`
}

// ChecksumError is returned when engines disagree.
type ChecksumError struct {
	Program string
	N       uint32
	Got     map[string]uint32 // by engine
}

func (e *ChecksumError) Error() string {
	var parts []string
	for _, name := range sortedKeys(e.Got) {
		parts = append(parts, fmt.Sprintf("%s %#08x", name, e.Got[name]))
	}
	return fmt.Sprintf("CHECKSUM MISMATCH: program %s (n=%d): %s", e.Program, e.N, strings.Join(parts, ", "))
}

// growthSpec says which programs the growth section measures.
var growthSpec = []struct {
	name string
	base uint32
	unit string
}{
	{"bpfloop", 16, "iteration"},
	{"hashmap", 16, "key"},
}

// GrowthFactors are the work sizes of the growth section, as multiples of
// the smallest.
var GrowthFactors = []int{1, 10, 100, 1000}

// Run runs the suite.
func Run(opts Options) (*Report, error) {
	start := time.Now()
	if opts.Rounds <= 0 {
		opts.Rounds = 5
	}
	if opts.Batch <= 0 {
		opts.Batch = 100 * time.Millisecond
	}
	unpin, err := pinCPU(opts.CPU)
	if err != nil {
		return nil, err
	}
	defer unpin()
	r := &runner{opts: opts}
	defer r.progress("")
	rep := &Report{Machine: describeMachine(opts.CPU), Rounds: opts.Rounds, BatchMS: float64(opts.Batch) / 1e6}
	for _, e := range opts.Engines {
		info := EngineInfo{Name: e.Name(), Label: e.Label(), Available: true}
		if err := e.Available(); err != nil {
			info.Available, info.Reason = false, err.Error()
		}
		rep.Engines = append(rep.Engines, info)
	}
	var reasons []string
	for _, e := range rep.Engines {
		if e.Available {
			reasons = nil
			break
		}
		reasons = append(reasons, e.Label+": "+e.Reason)
	}
	if len(reasons) > 0 {
		return nil, fmt.Errorf("no engine can run here (%s)", strings.Join(reasons, "; "))
	}
	var selected []*Benchmark
	for _, b := range Benchmarks {
		if opts.Filter == nil || opts.Filter(b.Name) {
			selected = append(selected, b)
		}
	}
	r.total = len(selected)
	if opts.Growth {
		r.total += len(growthSpec)
	}
	if opts.Overhead {
		r.total++
	}
	for _, b := range selected {
		r.step(b.Name)
		res, err := r.benchmark(b, []uint32{b.N})
		if err != nil {
			return nil, err
		}
		rep.Results = append(rep.Results, res[0])
	}
	if opts.Growth {
		for _, g := range growthSpec {
			r.step(g.name + " growth")
			b := Lookup(g.name)
			gr := &Growth{Name: g.name, Unit: g.unit, Factors: GrowthFactors}
			for _, f := range GrowthFactors {
				gr.N = append(gr.N, g.base*uint32(f))
			}
			if gr.Results, err = r.benchmark(b, gr.N); err != nil {
				return nil, err
			}
			rep.Growth = append(rep.Growth, gr)
		}
	}
	if opts.Overhead {
		r.step("empty")
		res, err := r.benchmark(Empty, []uint32{0})
		if err != nil {
			return nil, err
		}
		rep.Overhead = &Overhead{Result: res[0]}
		if slices.ContainsFunc(opts.Engines, func(e Engine) bool { return e.Name() == Interp }) {
			rep.Overhead.GenericNS, err = r.generic()
			if err != nil {
				return nil, err
			}
		}
	}
	rep.Machine.LoadAfter = loadAverage()
	rep.Elapsed = time.Since(start)
	return rep, nil
}

type runner struct {
	opts        Options
	done, total int
	name        string
}

func (r *runner) step(name string) {
	r.done++
	r.name = name
	if r.opts.Progress != nil && !r.opts.ProgressTTY {
		fmt.Fprintf(r.opts.Progress, "[%2d/%d] %s\n", r.done, r.total, name)
	}
	r.progress("loading")
}

func (r *runner) progress(what string) {
	if r.opts.Progress == nil || !r.opts.ProgressTTY {
		return
	}
	if what == "" {
		fmt.Fprintf(r.opts.Progress, "\r%-78s\r", "")
		return
	}
	line := fmt.Sprintf("[%2d/%d] %s: %s", r.done, r.total, r.name, what)
	if len(line) > 78 {
		line = line[:78]
	}
	fmt.Fprintf(r.opts.Progress, "\r%-78s", line)
}

// benchmark loads b in every available engine and measures it with each
// work size.
func (r *runner) benchmark(b *Benchmark, sizes []uint32) ([]*Result, error) {
	type loaded struct {
		e    Engine
		inst Instance
	}
	var engines []loaded
	loadErr := map[string]string{}
	defer func() {
		for _, l := range engines {
			l.inst.Close()
		}
	}()
	for _, e := range r.opts.Engines {
		if err := e.Available(); err != nil {
			loadErr[e.Name()] = "n/a: " + err.Error()
			continue
		}
		r.progress("loading in " + e.Name())
		inst, err := e.Load(b)
		if err != nil {
			loadErr[e.Name()] = "load failed: " + err.Error()
			continue
		}
		engines = append(engines, loaded{e, inst})
	}
	var out []*Result
	for _, n := range sizes {
		packet := b.Packet(n)
		res := &Result{Name: b.Name, Kind: b.Kind, N: n, Engines: map[string]*Measurement{}}
		for name, msg := range loadErr {
			res.Engines[name] = &Measurement{Error: msg}
		}
		// One run each: the checksums must agree, and the time of
		// this run sizes a warm-up, which sizes the measurements.
		got := map[string]uint32{}
		repeat := map[string]int{}
		live := engines[:0:0]
		for _, l := range engines {
			name := l.e.Name()
			r.progress(fmt.Sprintf("n=%d, checking %s", n, name))
			ret, ns, err := l.inst.Run(packet, 1)
			if err == nil {
				got[name] = ret
				ret2, ns2, err2 := l.inst.Run(packet, r.calibrate(ns, r.opts.Batch/10))
				if err2 == nil && ret2 != ret {
					err2 = fmt.Errorf("returned %#x, then %#x: the program's result depends on earlier runs", ret, ret2)
				}
				err, ns = err2, ns2
			}
			if err != nil {
				res.Engines[name] = &Measurement{Error: "run failed: " + err.Error()}
				continue
			}
			repeat[name] = r.calibrate(ns, r.opts.Batch)
			live = append(live, l)
			if c, ok := l.inst.(interface{ Instructions() uint64 }); ok && res.Instructions == 0 {
				res.Instructions = c.Instructions()
			}
		}
		for _, sum := range got {
			res.Checksum = sum
			for _, other := range got {
				if other != sum {
					return nil, &ChecksumError{Program: b.Name, N: n, Got: got}
				}
			}
		}
		samples := map[string][]float64{}
		for round := range r.opts.Rounds {
			// Start each round with a different engine, so that a
			// slow drift of the machine spreads over all of them.
			for k := range live {
				l := live[(k+round)%len(live)]
				name := l.e.Name()
				r.progress(fmt.Sprintf("n=%d, %s round %d/%d", n, name, round+1, r.opts.Rounds))
				ret, ns, err := l.inst.Run(packet, repeat[name])
				if err != nil {
					return nil, fmt.Errorf("%s in %s: %w", b.Name, name, err)
				}
				if ret != res.Checksum {
					got[name] = ret
					return nil, &ChecksumError{Program: b.Name, N: n, Got: got}
				}
				samples[name] = append(samples[name], ns)
			}
		}
		for _, l := range live {
			m := summarize(samples[l.e.Name()], repeat[l.e.Name()])
			if c, ok := l.inst.(interface{ Checked() string }); ok {
				m.Checked = c.Checked()
			}
			res.Engines[l.e.Name()] = m
		}
		out = append(out, res)
	}
	return out, nil
}

// calibrate returns how many runs of nsPerRun fit in d.
func (r *runner) calibrate(nsPerRun float64, d time.Duration) int {
	n := float64(d.Nanoseconds()) / math.Max(nsPerRun, 1)
	return int(math.Max(1, math.Min(n, 1<<24)))
}

func summarize(s []float64, repeat int) *Measurement {
	sorted := slices.Clone(s)
	slices.Sort(sorted)
	return &Measurement{
		MedianNS:  median(sorted),
		MinNS:     sorted[0],
		MaxNS:     sorted[len(sorted)-1],
		SamplesNS: s,
		Repeat:    repeat,
	}
}

// median of sorted values.
func median(s []float64) float64 {
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// generic measures `r0 = 0; exit` as ebpfvm's generic program type.
func (r *runner) generic() (float64, error) {
	insns, err := isa.Assemble("r0 = 0\nexit")
	if err != nil {
		return 0, err
	}
	prog, err := ebpfvm.NewProgram(insns, nil)
	if err != nil {
		return 0, err
	}
	defer prog.Close()
	run := func(n int) (float64, error) {
		res, err := prog.Run(&ebpfvm.RunOptions{Repeat: n})
		if err != nil {
			return 0, err
		}
		if res.ReturnValue != 0 {
			return 0, errors.New("r0 = 0; exit returned non-zero")
		}
		return float64(res.Duration.Nanoseconds()), nil
	}
	ns, err := run(1000)
	if err != nil {
		return 0, err
	}
	n := r.calibrate(ns, r.opts.Batch)
	var s []float64
	for range r.opts.Rounds {
		ns, err := run(n)
		if err != nil {
			return 0, err
		}
		s = append(s, ns)
	}
	slices.Sort(s)
	return median(s), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
