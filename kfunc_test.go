package ebpfvm

import (
	"errors"
	"strings"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm/isa"
	"github.com/ebpfvm/ebpfvm/verifier"
)

// testKfuncHelpers registers the kfuncs that testdata/kfunc/*.c call:
// ebpfvm_mix(a, b) = a*1000 + b and ebpfvm_sum(buf, size), the sum of the
// bytes of buf. withProto false registers them without prototypes.
func testKfuncHelpers(t *testing.T, withProto bool) *Helpers {
	t.Helper()
	h := &Helpers{}
	mix := Helper{
		ID:   1000,
		Name: "ebpfvm_mix",
		Func: func(_ *Env, r1, r2, _, _, _ uint64) (uint64, error) { return r1*1000 + r2, nil },
	}
	sum := Helper{
		ID:   1001,
		Name: "ebpfvm_sum",
		Func: func(env *Env, r1, r2, _, _, _ uint64) (uint64, error) {
			b, err := env.Bytes(r1, r2, false)
			if err != nil {
				return 0, err
			}
			var s uint64
			for _, c := range b {
				s += uint64(c)
			}
			return s, nil
		},
	}
	if withProto {
		mix.Proto = &HelperProto{Name: "ebpfvm_mix", Ret: verifier.RetInteger,
			Args: [5]verifier.ArgKind{verifier.ArgAnything, verifier.ArgAnything}}
		sum.Proto = &HelperProto{Name: "ebpfvm_sum", Ret: verifier.RetInteger,
			Args: [5]verifier.ArgKind{verifier.ArgPtrToMem | verifier.ArgReadOnly, verifier.ArgConstSize}}
	}
	for _, k := range []Helper{mix, sum} {
		if err := h.RegisterKfunc(k); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// An ELF object calls Go kfuncs by name; the loader resolves the names,
// the verifier checks the calls against the prototypes, and the program
// gets what the kfuncs computed.
func TestKfuncELF(t *testing.T) { forEachEngine(t, testKfuncELF) }

func testKfuncELF(t *testing.T, e Engine) {
	coll, err := LoadCollection("testdata/kfunc/kfunc.o", &CollectionOptions{Programs: ProgramOptions{Engine: e, Helpers: testKfuncHelpers(t, true), Verify: VerifyPrivileged}})
	if err != nil {
		t.Fatal(err)
	}
	defer coll.Close()
	res, err := coll.Programs["call_kfuncs"].Run(nil)
	if err != nil {
		t.Fatal(err)
	}
	// ebpfvm_mix(6, 7) + ebpfvm_sum({1, ..., 8}) = 6007 + 36
	if res.ReturnValue != 6043 {
		t.Fatalf("returned %d, want 6043", res.ReturnValue)
	}
}

// The verifier refuses a kfunc call whose memory argument is smaller than
// its size argument, at the call.
func TestKfuncELFRejected(t *testing.T) {
	_, err := LoadCollection("testdata/kfunc/kfunc_bad.o", &CollectionOptions{Programs: ProgramOptions{Helpers: testKfuncHelpers(t, true), Verify: VerifyPrivileged}})
	var ve *verifier.Error
	if !errors.As(err, &ve) {
		t.Fatalf("got %v, want a verifier error", err)
	}
	want := "invalid read from stack R1 off=-8 size=16\narg#0 arg#1 memory, len pair leads to invalid memory access"
	if ve.Insn != 6 || ve.Msg != want {
		t.Fatalf("got %q at %d, want %q at 6", ve.Msg, ve.Insn, want)
	}
	// VerifySpec says the same.
	spec, err := ebpf.LoadCollectionSpec("testdata/kfunc/kfunc_bad.o")
	if err != nil {
		t.Fatal(err)
	}
	_, err = VerifySpec(spec, "short_buffer", &CollectionOptions{Programs: ProgramOptions{Verify: VerifyPrivileged, Helpers: testKfuncHelpers(t, true)}}, nil)
	if !errors.As(err, &ve) || ve.Insn != 6 || ve.Msg != want {
		t.Fatalf("VerifySpec: got %v", err)
	}
}

// A kfunc name that no registered kfunc has is a load error naming the
// extern and the instruction.
func TestKfuncELFUnknownName(t *testing.T) {
	for _, h := range []*Helpers{nil, {}} {
		_, err := LoadCollection("testdata/kfunc/kfunc.o", &CollectionOptions{Programs: ProgramOptions{Helpers: h, Verify: VerifyPrivileged}})
		if err == nil || !strings.Contains(err.Error(), "instruction 5: call to kfunc ebpfvm_mix") {
			t.Fatalf("got %v", err)
		}
	}
	h := testKfuncHelpers(t, true)
	h.RegisterKfunc(Helper{ID: 2000, Name: "ebpfvm_mix", Func: func(*Env, uint64, uint64, uint64, uint64, uint64) (uint64, error) { return 0, nil }})
	_, err := LoadCollection("testdata/kfunc/kfunc.o", &CollectionOptions{Programs: ProgramOptions{Helpers: h, Verify: VerifyPrivileged}})
	if err == nil || !strings.Contains(err.Error(), "2 kfuncs are registered as ebpfvm_mix (IDs [1000 2000])") {
		t.Fatalf("got %v", err)
	}
}

// A kfunc registered without a prototype cannot be called by a verified
// program; unverified programs call it in checked mode.
func TestKfuncWithoutProto(t *testing.T) { forEachEngine(t, testKfuncWithoutProto) }

func testKfuncWithoutProto(t *testing.T, e Engine) {
	_, err := LoadCollection("testdata/kfunc/kfunc.o", &CollectionOptions{Programs: ProgramOptions{Engine: e, Helpers: testKfuncHelpers(t, false), Verify: VerifyPrivileged}})
	var ve *verifier.Error
	if !errors.As(err, &ve) || ve.Insn != 5 || ve.Msg != "calling kernel function ebpfvm_mix is not allowed" {
		t.Fatalf("got %v", err)
	}
	coll, err := LoadCollection("testdata/kfunc/kfunc.o", &CollectionOptions{Programs: ProgramOptions{Engine: e, Helpers: testKfuncHelpers(t, false), Verify: VerifyNone}})
	if err != nil {
		t.Fatal(err)
	}
	defer coll.Close()
	res, err := coll.Programs["call_kfuncs"].Run(nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.ReturnValue != 6043 {
		t.Fatalf("returned %d, want 6043", res.ReturnValue)
	}
}

// Programs from instructions call kfuncs by ID.
func TestKfuncInstructions(t *testing.T) { forEachEngine(t, testKfuncInstructions) }

func testKfuncInstructions(t *testing.T, e Engine) {
	insns, err := isa.Assemble(`
		r1 = 4
		r2 = 2
		call kernel-function#1000
		exit`)
	if err != nil {
		t.Fatal(err)
	}
	opts := &ProgramOptions{Engine: e, Helpers: testKfuncHelpers(t, true), License: "GPL", Verify: VerifyPrivileged}
	prog, err := NewProgram(insns, opts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := prog.Run(nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.ReturnValue != 4002 {
		t.Fatalf("returned %d, want 4002", res.ReturnValue)
	}
	// The kernel's rule: kfuncs only for GPL-compatible programs.
	opts.License = "MIT"
	_, err = NewProgram(insns, opts)
	var ve *verifier.Error
	if !errors.As(err, &ve) || ve.Msg != "cannot call kernel function from non-GPL compatible program" {
		t.Fatalf("got %v", err)
	}
}
