package ebpfvm_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/testing/corpus"
	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
	"github.com/ebpfvm/ebpfvm/isa"
	"github.com/ebpfvm/ebpfvm/verifier"
)

// verifierGaps lists the corpus programs ("object/program") on which
// ebpfvm's verifier is known to give another verdict than the kernel's,
// with the reason. TestVerifyCorpusAgreement fails on any disagreement
// not listed here, and on any entry that no longer disagrees.
var verifierGaps = map[string]string{}

// kernelVerdicts reads the kernel verifier's verdicts and times on the
// corpus (testdata/corpus/kernel-verifier.json, recorded by
// go test ./internal/corpus -run KernelVerifierStats -corpus.record).
func kernelVerdicts(t testing.TB) (string, []corpus.VerifierStat) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpus.Dir(), "kernel-verifier.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Kernel   string                `json:"kernel"`
		Programs []corpus.VerifierStat `json:"programs"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Programs) == 0 {
		t.Fatal("kernel-verifier.json lists no programs")
	}
	return f.Kernel, f.Programs
}

// verifyCorpusProgram verifies one corpus program as NewCollection would.
func verifyCorpusProgram(t testing.TB, st corpus.VerifierStat, logLevel int) (*verifier.Result, error) {
	spec, err := corpus.LoadSpec(st.Object)
	if err != nil {
		t.Fatal(err)
	}
	return ebpfvm.VerifySpec(spec, st.Program, nil, &ebpfvm.VerifyOptions{LogLevel: logLevel})
}

// TestVerifyCorpusAgreement gives every program of testdata/corpus to
// ebpfvm's verifier and compares its verdict with the kernel's.
func TestVerifyCorpusAgreement(t *testing.T) {
	release, stats := kernelVerdicts(t)
	agree := 0
	seen := map[string]bool{}
	for _, st := range stats {
		name := st.Object + "/" + st.Program
		seen[name] = true
		res, err := verifyCorpusProgram(t, st, 1)
		var ve *verifier.Error
		if err != nil && !errors.As(err, &ve) {
			t.Errorf("%s: %v", name, err)
			continue
		}
		ours := err == nil
		gap, known := verifierGaps[name]
		switch {
		case ours == st.Accepted && known:
			t.Errorf("%s: now agrees with the kernel; remove it from verifierGaps (%s)", name, gap)
		case ours == st.Accepted:
			agree++
			if ours {
				t.Logf("%-30s accepted: %6d insns processed (kernel %6d), %3d states (kernel %3d)", name, res.InsnsProcessed, st.Processed, res.States, st.TotalStates)
			}
		case known:
			t.Logf("%s: known gap (%s): %v", name, gap, err)
		case ours:
			t.Errorf("%s: ebpfvm accepts, the kernel (%s) rejected it: %s", name, release, st.Error)
		default:
			t.Errorf("%s: ebpfvm rejects, the kernel (%s) accepts: %v\n%s", name, release, err, lastLines(ve.Log, 12))
		}
	}
	for name := range verifierGaps {
		if !seen[name] {
			t.Errorf("verifierGaps names %s, which is not in the corpus", name)
		}
	}
	t.Logf("corpus: %d programs, ebpfvm's verdict is the kernel's for %d; %d known gaps", len(stats), agree, len(verifierGaps))
}

// TestVerifyAtLoad loads every corpus object with verification on.
func TestVerifyAtLoad(t *testing.T) {
	objs, err := corpus.Objects()
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range objs {
		spec, err := corpus.LoadSpec(obj)
		if err != nil {
			t.Fatal(err)
		}
		gapped := false
		for name := range spec.Programs {
			if _, ok := verifierGaps[obj+"/"+name]; ok {
				gapped = true
			}
		}
		coll, err := ebpfvm.NewCollection(spec, &ebpfvm.CollectionOptions{Programs: ebpfvm.ProgramOptions{Verify: ebpfvm.VerifyPrivileged}})
		if gapped {
			if err == nil {
				coll.Close()
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", obj, err)
			continue
		}
		coll.Close()
	}
}

func TestVerifyRejectsAtLoad(t *testing.T) { engines.RunChecked(t, testVerifyRejectsAtLoad) }

func testVerifyRejectsAtLoad(t *testing.T, e engines.Engine) {
	// Reads 8 bytes past a 4-byte context.
	insns, err := isa.Assemble("r0 = *(u64 *)(r1 +0)\nexit")
	if err != nil {
		t.Fatal(err)
	}
	// Unverified: loads, and the run's checks catch it.
	p, err := ebpfvm.NewProgram(insns, e.Program(&ebpfvm.ProgramOptions{Verify: ebpfvm.VerifyNone, ContextSize: 4}))
	if err != nil {
		t.Fatalf("unverified load: %v", err)
	}
	if _, err := p.Run(&ebpfvm.RunOptions{Context: []byte{1, 2, 3, 4}}); !errors.Is(err, ebpfvm.ErrAccessDenied) {
		t.Errorf("unverified run: %v", err)
	}
	// Verified by default.
	if _, err := ebpfvm.NewProgram(insns, e.Program(&ebpfvm.ProgramOptions{ContextSize: 4})); err == nil {
		t.Error("the default options do not verify")
	}
	for _, mode := range []ebpfvm.VerifyMode{ebpfvm.VerifyPrivileged, ebpfvm.VerifyUntrusted} {
		_, err = ebpfvm.NewProgram(insns, e.Program(&ebpfvm.ProgramOptions{Verify: mode, ContextSize: 4}))
		var ve *verifier.Error
		if !errors.As(err, &ve) || ve.Insn != 0 || !strings.Contains(ve.Msg, "invalid") {
			t.Errorf("%v: want a verifier error at instruction 0, got %v", mode, err)
		}
		p, err := ebpfvm.NewProgram(insns, e.Program(&ebpfvm.ProgramOptions{Verify: mode, ContextSize: 8}))
		if err != nil {
			t.Errorf("%v: 8-byte context: %v", mode, err)
			continue
		}
		res, err := p.Run(&ebpfvm.RunOptions{Context: []byte{1, 2, 3, 4, 5, 6, 7, 8}})
		if err != nil || res.ReturnValue != 0x0807060504030201 {
			t.Errorf("%v: run: %v, %#x", mode, err, res.ReturnValue)
		}
	}
	// Untrusted mode refuses a pointer leak that privileged mode allows.
	leak, _ := isa.Assemble("r0 = r10\nexit")
	if _, err := ebpfvm.NewProgram(leak, e.Program(&ebpfvm.ProgramOptions{Verify: ebpfvm.VerifyPrivileged})); err != nil {
		t.Errorf("privileged: %v", err)
	}
	if _, err := ebpfvm.NewProgram(leak, e.Program(&ebpfvm.ProgramOptions{Verify: ebpfvm.VerifyUntrusted})); err == nil {
		t.Error("untrusted: a stack pointer in r0 was accepted")
	}
}

func TestVerifyHelpers(t *testing.T) { engines.Run(t, testVerifyHelpers) }

func testVerifyHelpers(t *testing.T, e engines.Engine) {
	// An embedder's helper with a prototype is checked against it; one
	// without cannot be called by a verified program.
	insns, _ := isa.Assemble("r1 = 7\ncall 1000\nexit")
	fn := func(_ *ebpfvm.Env, r1, _, _, _, _ uint64) (uint64, error) { return r1 * 6, nil }
	h := &ebpfvm.Helpers{}
	h.Register(ebpfvm.Helper{ID: 1000, Name: "times6", Func: fn, Proto: &ebpfvm.HelperProto{Name: "times6", Args: [5]verifier.ArgKind{verifier.ArgAnything}}})
	p, err := ebpfvm.NewProgram(insns, e.Program(&ebpfvm.ProgramOptions{Helpers: h, Verify: ebpfvm.VerifyUntrusted}))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := p.Run(nil); err != nil || res.ReturnValue != 42 {
		t.Fatalf("run: %v, %d", err, res.ReturnValue)
	}
	bad, _ := isa.Assemble("r1 = r10\ncall 1000\nexit")
	// (Privileged programs may pass pointers as scalars, as in the kernel.)
	if _, err := ebpfvm.NewProgram(bad, e.Program(&ebpfvm.ProgramOptions{Helpers: h, Verify: ebpfvm.VerifyUntrusted})); err == nil || !strings.Contains(err.Error(), "leaks addr") {
		t.Errorf("untrusted: a stack pointer passed as ArgAnything: %v", err)
	}
	noProto := &ebpfvm.Helpers{}
	noProto.Register(ebpfvm.Helper{ID: 1000, Name: "times6", Func: fn})
	if _, err := ebpfvm.NewProgram(insns, e.Program(&ebpfvm.ProgramOptions{Helpers: noProto, Verify: ebpfvm.VerifyPrivileged})); err == nil {
		t.Error("a helper without a prototype was accepted")
	}
	// The kernel's program types keep the kernel's helper availability.
	xdp, _ := isa.Assemble("r2 = 0\ncall bpf_skb_load_bytes\nr0 = 2\nexit")
	_, err = ebpfvm.NewProgram(xdp, e.Program(&ebpfvm.ProgramOptions{Type: ebpf.XDP, Verify: ebpfvm.VerifyPrivileged}))
	if err == nil || !strings.Contains(err.Error(), "cannot use helper") {
		t.Errorf("XDP calling skb_load_bytes: %v", err)
	}
}

// BenchmarkVerifyCorpus compares ebpfvm's verification time of each
// corpus program with the kernel's "verification time" recorded in
// testdata/corpus/kernel-verifier.json (the median of 5 loads on the
// machine that recorded it). It reports both per program and the ratio of
// the totals; -v logs each program.
func BenchmarkVerifyCorpus(b *testing.B) {
	_, stats := kernelVerdicts(b)
	type prog struct {
		st   corpus.VerifierStat
		spec *ebpf.CollectionSpec
	}
	var progs []prog
	kernelTotal := 0
	for _, st := range stats {
		if _, gap := verifierGaps[st.Object+"/"+st.Program]; gap || !st.Accepted {
			continue
		}
		spec, err := corpus.LoadSpec(st.Object)
		if err != nil {
			b.Fatal(err)
		}
		progs = append(progs, prog{st, spec})
		kernelTotal += st.TimeUsec
	}
	// per is the verifier's own time (Result.Duration), the scope of the
	// kernel's "verification time" line; withLoad adds ebpfvm's linking
	// of the ELF program (the kernel's figure leaves its loader out).
	per := make([]time.Duration, len(progs))
	var withLoad time.Duration
	b.ResetTimer()
	for range b.N {
		for i, p := range progs {
			start := time.Now()
			res, err := ebpfvm.VerifySpec(p.spec, p.st.Program, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			withLoad += time.Since(start)
			per[i] += res.Duration
		}
	}
	b.StopTimer()
	var ours time.Duration
	ratios := make([]float64, len(progs))
	for i, p := range progs {
		d := per[i] / time.Duration(b.N)
		ours += d
		ratios[i] = float64(d.Nanoseconds()) / 1000 / float64(p.st.TimeUsec)
		b.Logf("%-30s ebpfvm %9.0f us, kernel %6d us, ratio %5.2f", p.st.Object+"/"+p.st.Program,
			float64(d.Nanoseconds())/1000, p.st.TimeUsec, float64(d.Nanoseconds())/1000/float64(p.st.TimeUsec))
	}
	b.ReportMetric(float64(ours.Nanoseconds())/1000, "ebpfvm-us/corpus")
	b.ReportMetric(float64(kernelTotal), "kernel-us/corpus")
	b.ReportMetric(float64(ours.Nanoseconds())/1000/float64(kernelTotal), "ratio")
	b.ReportMetric(float64(withLoad.Nanoseconds())/1000/float64(b.N), "ebpfvm-with-linking-us/corpus")
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "median-ratio")
	b.ReportMetric(ratios[len(ratios)-1], "max-ratio")
	b.ReportMetric(0, "ns/op")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
