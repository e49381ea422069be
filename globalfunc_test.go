package ebpfvm_test

import (
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/testing/corpus"
	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
	"github.com/ebpfvm/ebpfvm/verifier"
)

// globalFuncVerdicts are the kernel's verdicts on the programs of
// testdata/globalfunc (Linux 6.18): "" for accepted, else lines of the
// kernel's error message. validating names the global function whose own
// verification fails ("Validating NAME() func#1..." in the log).
var globalFuncVerdicts = map[string]struct{ err, validating string }{
	// globalfunc.o
	"scalars":     {},
	"ctx_arg":     {},
	"struct_arg":  {},
	"packet_arg":  {},
	"nonnull_arg": {},
	"tagged_ctx":  {},
	"map_lookup":  {},
	"tc_skb":      {},
	"chain":       {},
	"dead_call":   {},
	// globalfunc_bad.o
	"unsafe_alone":     {"math between map_value pointer and register with unbounded min value is not allowed", "pick"},
	"null_deref":       {"R1 invalid mem access 'mem_or_null'", "sum_unchecked"},
	"pointer_return":   {"At subprogram exit the register R0 is not a scalar value (fp)", "frame_address"},
	"ctx_for_struct":   {"R1 type=ctx expected=fp\nCaller passes invalid args into func#1 ('sum_pair')", ""},
	"unchecked_packet": {"invalid access to packet, off=0 size=8, R1(id=0,off=0,r=0)\nR1 offset is outside of the packet\nCaller passes invalid args into func#1 ('sum_pair')", ""},
	"small_value":      {"invalid access to map value, value_size=8 off=0 size=32\nR1 min value is outside of the allowed memory range\nCaller passes invalid args into func#1 ('big_first')", ""},
	"pointer_for_int":  {"R1 is not a scalar\nCaller passes invalid args into func#1 ('is_big')", ""},
	"maybe_null":       {"arg#0 is expected to be non-NULL\nCaller passes invalid args into func#1 ('first')", ""},
	"void_return":      {"Global function log_it() doesn't return scalar. Only those are supported.\nCaller passes invalid args into func#1 ('log_it')", ""},
	"void_pointer":     {"arg#0 reference type('UNKNOWN ') size cannot be determined: -22\nCaller passes invalid args into func#1 ('non_null')", ""},
	"moved_packet":     {"R6 invalid mem access 'scalar'", ""},
	"call_under_lock":  {"global function calls are not allowed while holding a lock,\nuse static function instead", ""},
	"moved_ctx":        {"dereference of modified ctx ptr R1 off=4 disallowed\nCaller passes invalid args into func#1 ('ifindex')", ""},
	"stack_for_ctx":    {"arg#0 expects pointer to ctx\nCaller passes invalid args into func#1 ('ifindex')", ""},
}

// TestGlobalFuncFixtures verifies the C programs of testdata/globalfunc,
// whose non-static functions the kernel verifies on their own, and checks
// ebpfvm's verdicts and messages against globalFuncVerdicts, and those
// against the running kernel when bpf() is available.
func TestGlobalFuncFixtures(t *testing.T) {
	kerr := corpus.KernelAvailable()
	if kerr != nil {
		t.Logf("not comparing with the kernel: %v", kerr)
	}
	seen := map[string]bool{}
	for _, obj := range []string{"globalfunc.o", "globalfunc_bad.o"} {
		path := "testdata/globalfunc/" + obj
		spec, err := ebpf.LoadCollectionSpec(path)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for name := range spec.Programs {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			seen[name] = true
			want, ok := globalFuncVerdicts[name]
			if !ok {
				t.Errorf("%s/%s: not in globalFuncVerdicts", obj, name)
				continue
			}
			res, err := ebpfvm.VerifySpec(spec, name, nil, &ebpfvm.VerifyOptions{LogLevel: 1})
			checkGlobalVerdict(t, obj+"/"+name+": ebpfvm", err == nil, errLog(err), want.err, want.validating)
			if err != nil && !errors.As(err, new(*verifier.Error)) {
				t.Errorf("%s/%s: %v", obj, name, err)
			}
			if kerr != nil {
				continue
			}
			kacc, klog, kprocessed, err := kernelLoadOne(path, name)
			if err != nil {
				t.Errorf("%s/%s: kernel: %v", obj, name, err)
				continue
			}
			checkGlobalVerdict(t, obj+"/"+name+": kernel", kacc, klog, want.err, want.validating)
			if kacc && res != nil {
				t.Logf("%-16s processed %3d insns, kernel %3d", name, res.InsnsProcessed, kprocessed)
			}
		}
	}
	for name := range globalFuncVerdicts {
		if !seen[name] {
			t.Errorf("globalFuncVerdicts names %s, which no fixture has", name)
		}
	}
}

func checkGlobalVerdict(t *testing.T, who string, accepted bool, log, wantErr, validating string) {
	t.Helper()
	switch {
	case wantErr == "" && !accepted:
		t.Errorf("%s rejects it:\n%s", who, lastLines(log, 6))
	case wantErr != "" && accepted:
		t.Errorf("%s accepts it, want %q", who, wantErr)
	case wantErr != "" && !strings.Contains(log, wantErr):
		t.Errorf("%s: the log lacks %q:\n%s", who, wantErr, lastLines(log, 6))
	case validating != "" && !strings.Contains(log, "Validating "+validating+"() func#1...\n"):
		t.Errorf("%s: the failure is not in %s()'s own verification:\n%s", who, validating, lastLines(log, 6))
	}
}

func errLog(err error) string {
	var ve *verifier.Error
	if errors.As(err, &ve) {
		return ve.Log
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// kernelLoadOne loads one program of an object (with the object's maps and
// BTF) into the kernel at log level 1: the kernel's verdict, its log and,
// when accepted, the instructions it processed.
func kernelLoadOne(path, name string) (bool, string, int, error) {
	spec, err := ebpf.LoadCollectionSpec(path)
	if err != nil {
		return false, "", 0, err
	}
	for other := range spec.Programs {
		if other != name {
			delete(spec.Programs, other)
		}
	}
	coll, err := ebpf.NewCollectionWithOptions(spec, ebpf.CollectionOptions{
		Programs: ebpf.ProgramOptions{LogLevel: ebpf.LogLevelBranch},
	})
	if err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return false, strings.Join(ve.Log, "\n"), 0, nil
		}
		return false, "", 0, err
	}
	defer coll.Close()
	var st corpus.VerifierStat
	corpus.ParseVerifierStats(coll.Programs[name].VerifierLog, &st)
	return true, coll.Programs[name].VerifierLog, st.Processed, nil
}

// The accepted fixtures load with verification on and run: a call to a
// global function is an ordinary bpf-to-bpf call at run time.
func TestGlobalFuncRun(t *testing.T) { engines.Run(t, testGlobalFuncRun) }

func testGlobalFuncRun(t *testing.T, e engines.Engine) {
	coll, err := ebpfvm.LoadCollection("testdata/globalfunc/globalfunc.o", e.Collection(&ebpfvm.CollectionOptions{Programs: ebpfvm.ProgramOptions{Verify: ebpfvm.VerifyPrivileged}}))
	if err != nil {
		t.Fatal(err)
	}
	defer coll.Close()
	for _, p := range coll.Programs {
		if !p.Verified() {
			t.Errorf("%v is not verified", p)
		}
	}
	pkt := make([]byte, 100)
	// packet_len() > 64: XDP_PASS.
	if res, err := coll.Programs["ctx_arg"].Run(&ebpfvm.RunOptions{Data: pkt}); err != nil || res.ReturnValue != 2 {
		t.Errorf("ctx_arg: %v, %d", err, res.ReturnValue)
	}
	// bump(rx_queue_index 0) counts in counters[0].
	for range 3 {
		if res, err := coll.Programs["map_lookup"].Run(&ebpfvm.RunOptions{Data: pkt}); err != nil || res.ReturnValue != 2 {
			t.Fatalf("map_lookup: %v, %d", err, res.ReturnValue)
		}
	}
	var n uint64
	if err := coll.Maps["counters"].Lookup(uint32(0), &n); err != nil || n != 3 {
		t.Errorf("counters[0] = %d (%v), want 3", n, err)
	}
	// The bad object is refused at load.
	_, err = ebpfvm.LoadCollection("testdata/globalfunc/globalfunc_bad.o", e.Collection(&ebpfvm.CollectionOptions{Programs: ebpfvm.ProgramOptions{Verify: ebpfvm.VerifyPrivileged}}))
	var ve *verifier.Error
	if !errors.As(err, &ve) {
		t.Errorf("globalfunc_bad.o: got %v, want a verifier error", err)
	}
}
