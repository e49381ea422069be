package bench

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/big"
	"os"
	"slices"
	"strings"
	"testing"
)

// golden are the checksums at the test sizes (TestN, else N). Every engine
// must return them; when a program changes, the kernel (or native code)
// says what the new value is.
var golden = map[string]uint32{
	"bittricks": 0x02190039,
	"bpfloop":   0xc59832f3,
	"bytemove":  0x40f44d4c,
	"calltree":  0x84134824,
	"collatz":   0x45d9066f,
	"crc32":     0x82ad5f00,
	"empty":     0x00000000,
	"hashmap":   0xc0516c3e,
	"histogram": 0xa0eaffa8,
	"lpm":       0xee763b6d,
	"parser":    0xebaf6bc0,
	"primes":    0x1fc41c8c,
	"sort":      0x0040a8f9,
	"strsearch": 0x440d0b2f,
	"tailcall":  0x02e2f93a,
}

// TestReferences recomputes some checksums in Go, so that the golden
// values do not rest on the engines alone.
func TestReferences(t *testing.T) {
	// crc32: CRC_PASSES = 4 chained CRC-32s of the payload.
	crc := uint32(0)
	for range 4 {
		crc = crc32.Update(crc, crc32.IEEETable, Lookup("crc32").Payload())
	}
	if crc != golden["crc32"] {
		t.Errorf("crc32: Go says %#08x, golden is %#08x", crc, golden["crc32"])
	}
	// primes: PRIMES_N = 400 odd numbers from the seed.
	start := uint32(Seed&0xfffff) | 1
	var count, sum uint32
	for i := range uint32(400) {
		x := start + 2*i
		if big.NewInt(int64(x)).ProbablyPrime(0) {
			count++
			sum = sum*31 + x
		}
	}
	if got := sum ^ count<<20; got != golden["primes"] {
		t.Errorf("primes: Go says %#08x, golden is %#08x", got, golden["primes"])
	}
	// sort: SORT_ROUNDS = 8 slices of 64 words, sorted and folded.
	p := Lookup("sort").Payload()
	sum = 0
	for r := range 8 {
		a := make([]uint32, 64)
		for i := range a {
			a[i] = binary.LittleEndian.Uint32(p[4*(64*r+i):])
		}
		slices.Sort(a)
		for i, v := range a {
			sum = sum*31 + (v ^ uint32(i))
		}
	}
	if sum != golden["sort"] {
		t.Errorf("sort: Go says %#08x, golden is %#08x", sum, golden["sort"])
	}
}

// testN is the work size the checksum test uses.
func (b *Benchmark) testN() uint32 {
	if b.TestN != 0 {
		return b.TestN
	}
	return b.N
}

func allBenchmarks() []*Benchmark { return append(append([]*Benchmark{}, Benchmarks...), Empty) }

// checkEngine runs every program once (and then twice more, which must not
// change the result) in e and compares with the golden checksums.
func checkEngine(t *testing.T, e Engine) {
	t.Helper()
	if err := e.Available(); err != nil {
		t.Skipf("%s: %v", e.Label(), err)
	}
	got := map[string]uint32{}
	for _, b := range allBenchmarks() {
		inst, err := e.Load(b)
		if err != nil {
			t.Errorf("%s: load: %v", b.Name, err)
			continue
		}
		packet := b.Packet(b.testN())
		ret, _, err := inst.Run(packet, 1)
		if err != nil {
			t.Errorf("%s: %v", b.Name, err)
		} else {
			got[b.Name] = ret
			if want, ok := golden[b.Name]; !ok || ret != want {
				t.Errorf("%s: checksum %#08x, want %#08x", b.Name, ret, want)
			}
			if again, _, err := inst.Run(packet, 2); err != nil || again != ret {
				t.Errorf("%s: second run: %#08x, %v; first: %#08x", b.Name, again, err, ret)
			}
		}
		if err := inst.Close(); err != nil {
			t.Errorf("%s: close: %v", b.Name, err)
		}
	}
	if t.Failed() {
		var b strings.Builder
		for _, name := range sortedKeys(got) {
			fmt.Fprintf(&b, "\t%q: %#08x,\n", name, got[name])
		}
		t.Logf("checksums in %s:\n%s", e.Label(), b.String())
	}
}

func TestChecksumsInterp(t *testing.T) {
	e, _ := NewEngine(Interp, -1)
	checkEngine(t, e)
}

func TestChecksumsInterpChecked(t *testing.T) {
	e, _ := NewEngine(InterpChecked, -1)
	checkEngine(t, e)
}

func TestChecksumsKernel(t *testing.T) {
	e, _ := NewEngine(Kernel, -1)
	checkEngine(t, e)
}

func TestChecksumsNative(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles every program with gcc")
	}
	e, _ := NewEngine(Native, -1)
	defer CloseEngines([]Engine{e})
	checkEngine(t, e)
}

func TestJITNotYet(t *testing.T) {
	e, err := NewEngine(JIT, -1)
	if err != nil {
		t.Fatal(err)
	}
	if e.Available() == nil {
		t.Fatal("the JIT engine says it is available: update the suite's docs and this test")
	}
	if _, err := NewEngine("llvm", -1); err == nil {
		t.Fatal("an unknown engine was accepted")
	}
}

func TestSuite(t *testing.T) {
	kinds := map[string]bool{}
	for _, b := range allBenchmarks() {
		if kinds[b.Name] {
			t.Errorf("%s: listed twice", b.Name)
		}
		kinds[b.Name] = true
		spec, err := b.Spec()
		if err != nil {
			t.Errorf("%s: %v", b.Name, err)
			continue
		}
		if b.Setup != "" && spec.Programs[b.Setup] == nil {
			t.Errorf("%s: no setup program %s", b.Name, b.Setup)
		}
		if p := b.Packet(b.N); len(p) > hdrLen+payloadMax {
			t.Errorf("%s: packet of %d bytes", b.Name, len(p))
		}
		if _, err := sources.ReadFile("progs/" + b.Name + ".c"); err != nil {
			t.Errorf("%s: no source: %v", b.Name, err)
		}
	}
	if len(Benchmarks) < 12 {
		t.Errorf("%d programs, the suite needs at least 12", len(Benchmarks))
	}
	// The objects must be up to date with their sources; a stale object
	// would benchmark other code than the native engine compiles. build.sh
	// is deterministic, so only a changed source can make them differ;
	// checking that needs clang, which the objects exist to avoid.
	if o, _ := Empty.Object(); !strings.Contains(objectCompiler(o), "clang") {
		t.Errorf("objects made by %q, not clang", objectCompiler(o))
	}
	if Lookup("primes") == nil || Lookup("empty") != Empty || Lookup("nope") != nil {
		t.Error("Lookup")
	}
}

// A run with one engine, one program and tiny batches: the whole
// pipeline, fast.
func TestRun(t *testing.T) {
	e, _ := NewEngine(Interp, -1)
	jit, _ := NewEngine(JIT, -1)
	var progress bytes.Buffer
	rep, err := Run(Options{
		Engines:  []Engine{e, jit},
		Filter:   func(name string) bool { return name == "primes" || name == "hashmap" },
		Rounds:   3,
		Batch:    1e6, // 1ms
		Overhead: true,
		Progress: &progress,
		CPU:      DefaultCPU(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 2 || rep.Results[0].Name != "primes" {
		t.Fatalf("results: %+v", rep.Results)
	}
	m := rep.Results[0].Engines[Interp]
	if !m.OK() || len(m.SamplesNS) != 3 || m.MinNS > m.MedianNS || m.MaxNS < m.MedianNS {
		t.Errorf("primes in interp: %+v", m)
	}
	if m := rep.Results[0].Engines[JIT]; m.OK() || !strings.HasPrefix(m.Error, "n/a") {
		t.Errorf("primes in the JIT: %+v", m)
	}
	if rep.Results[0].Instructions < 10000 {
		t.Errorf("primes: %d instructions per run", rep.Results[0].Instructions)
	}
	if rep.Results[0].Checksum != golden["primes"] {
		t.Errorf("checksum %#x", rep.Results[0].Checksum)
	}
	if rep.Overhead == nil || !rep.Overhead.Result.Engines[Interp].OK() || rep.Overhead.GenericNS <= 0 {
		t.Errorf("overhead: %+v", rep.Overhead)
	}
	if !strings.Contains(progress.String(), "[ 1/3] primes") {
		t.Errorf("progress: %q", progress.String())
	}
}

// fakeReport is a report as Run makes them, with made-up times.
func fakeReport() *Report {
	rep := &Report{
		Machine: Machine{CPU: "Test CPU", Kernel: "6.18", PinnedCPU: 1},
		Engines: []EngineInfo{
			{Name: Kernel, Label: "kernel JIT", Available: true},
			{Name: Native, Label: "native gcc -O2", Available: true},
			{Name: Interp, Label: "ebpfvm interp", Available: true},
			{Name: JIT, Label: "ebpfvm JIT", Reason: "ebpfvm has no JIT yet"},
		},
		Rounds: 5, BatchMS: 100,
	}
	for i, name := range []string{"primes", "crc32", "hashmap"} {
		k := 1000 * math.Pow(10, float64(i))
		rep.Results = append(rep.Results, &Result{Name: name, Engines: map[string]*Measurement{
			Kernel: {MedianNS: k, MinNS: k, MaxNS: k},
			Native: {MedianNS: k / 2, MinNS: k / 2, MaxNS: k / 2},
			Interp: {MedianNS: k * 10 * float64(i+1), MinNS: k, MaxNS: 100 * k},
			JIT:    {Error: "n/a: ebpfvm has no JIT yet"},
		}})
	}
	rep.Growth = []*Growth{{Name: "bpfloop", Unit: "iteration", Factors: []int{1, 10}, N: []uint32{16, 160},
		Results: []*Result{rep.Results[0], rep.Results[1]}}}
	rep.Overhead = &Overhead{Result: rep.Results[0], GenericNS: 40}
	return rep
}

func TestReport(t *testing.T) {
	rep := fakeReport()
	// interp/kernel: 10, 20, 30; geometric mean 18.17.
	if g, n := rep.Geomean(Interp, Kernel); n != 3 || math.Abs(g-18.171) > 0.01 {
		t.Errorf("geomean %v over %d", g, n)
	}
	if g, n := rep.Geomean(JIT, Kernel); n != 0 || !math.IsNaN(g) {
		t.Errorf("JIT geomean %v over %d", g, n)
	}
	var text, md bytes.Buffer
	rep.WriteText(&text, false)
	rep.WriteText(&md, true)
	for _, want := range []string{"interp / kernel", "18.2×", "2.00×", "n/a (ebpfvm has no JIT yet)", "Cost growth: bpfloop", "generic program type"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
	if strings.Contains(text.String(), "ebpfvm JIT / kernel") {
		t.Errorf("a ratio column for an engine that is not available:\n%s", text.String())
	}
	if !strings.Contains(md.String(), "| **geometric mean** |") || !strings.Contains(md.String(), "| :--- | ---: |") {
		t.Errorf("markdown report:\n%s", md.String())
	}
	var svg bytes.Buffer
	if err := rep.WriteSVG(&svg); err != nil {
		t.Fatal(err)
	}
	// Well-formed XML, one bar per time, decades from 1 µs to 10 ms.
	dec := xml.NewDecoder(bytes.NewReader(svg.Bytes()))
	rects := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			rects++
		}
	}
	if want := 1 + 4 + 9; rects != want { // background, legend, bars
		t.Errorf("%d rects, want %d", rects, want)
	}
	for _, want := range []string{">1 µs<", ">10 ms<", "ebpfvm JIT (n/a)"} {
		if !strings.Contains(svg.String(), want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Results) != 3 || back.Results[2].Engines[Interp].MedianNS != 3e6 {
		t.Errorf("JSON round trip: %v %+v", err, back)
	}
	if os.Getenv("BENCH_SHOW_REPORT") != "" {
		t.Log("\n" + text.String())
	}
}

// TestReportChecked: the interpreter's checked mode gets a ratio column
// against its verified mode, and a verified engine's time for a program it
// ran checked is marked, with the reason in the notes.
func TestReportChecked(t *testing.T) {
	rep := fakeReport()
	rep.Engines = append(rep.Engines, EngineInfo{Name: InterpChecked, Label: "ebpfvm interp, checked", Available: true})
	for _, res := range rep.Results {
		m := *res.Engines[Interp]
		m.MedianNS *= 1.5
		res.Engines[InterpChecked] = &m
	}
	rep.Results[0].Engines[Interp].Checked = "ebpfvm's verifier refused it: verifier: instruction 3: too large"
	var text bytes.Buffer
	rep.WriteText(&text, false)
	for _, want := range []string{"interp checked / interp", "1.50×", "10.0 µs*",
		"* primes in ebpfvm interp ran unverified, in checked mode: ebpfvm's verifier refused it: verifier: instruction 3: too large"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
	if strings.Contains(text.String(), "100.0 µs*") {
		t.Errorf("a time marked that was verified:\n%s", text.String())
	}
}

func TestFormat(t *testing.T) {
	for ns, want := range map[float64]string{0: "n/a", 1.55: "1.6 ns", 41: "41 ns", 1234: "1.23 µs", 45678: "45.7 µs", 2.345e6: "2.35 ms", 12.3e6: "12.3 ms"} {
		if got := FormatNS(ns); got != want {
			t.Errorf("FormatNS(%v) = %q, want %q", ns, got, want)
		}
	}
	for r, want := range map[float64]string{0.5: "0.50×", 12.34: "12.3×", 345.6: "346×", math.NaN(): "n/a"} {
		if got := FormatRatio(r); got != want {
			t.Errorf("FormatRatio(%v) = %q, want %q", r, got, want)
		}
	}
	for d, want := range map[int]string{0: "1 ns", 2: "100 ns", 3: "1 µs", 7: "10 ms", 9: "1 s"} {
		if got := decadeLabel(d); got != want {
			t.Errorf("decadeLabel(%d) = %q, want %q", d, got, want)
		}
	}
}

func TestChecksumError(t *testing.T) {
	err := &ChecksumError{Program: "crc32", N: 0, Got: map[string]uint32{Kernel: 1, Interp: 2}}
	if got := err.Error(); got != "CHECKSUM MISMATCH: program crc32 (n=0): interp 0x00000002, kernel 0x00000001" {
		t.Error(got)
	}
}
