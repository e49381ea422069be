package ebpfvm_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
	"github.com/ebpfvm/ebpfvm/verifier"
)

const autoloadObject = "testdata/autoload/autoload.o"

func sortedNames[V any](m map[string]V) []string {
	var names []string
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// TestCollectionPrograms: CollectionOptions.Programs loads the named
// programs and what they need; a program the verifier rejects that
// nothing named needs does not block them.
func TestCollectionPrograms(t *testing.T) { engines.Run(t, testCollectionPrograms) }

func testCollectionPrograms(t *testing.T, e engines.Engine) {
	spec, err := ebpf.LoadCollectionSpec(autoloadObject)
	if err != nil {
		t.Fatal(err)
	}
	// Everything: xdp_bad is rejected, and the collection with it.
	_, err = ebpfvm.NewCollection(spec, e.Collection(nil))
	var ve *verifier.Error
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "program xdp_bad") {
		t.Fatalf("loading every program: %v, want xdp_bad's verifier error", err)
	}

	cases := []struct {
		load          []string
		progs, maps   []string
		rejectMessage string
	}{
		// xdp_good, its map, its prog array, and the program the prog
		// array's slot 0 holds.
		{[]string{"xdp_good"}, []string{"xdp_good", "xdp_target"}, []string{"good_runs", "jumps"}, ""},
		{[]string{"xdp_target"}, []string{"xdp_target"}, nil, ""},
		{[]string{"xdp_bad"}, nil, nil, "invalid access to packet, off=0 size=1"},
		{[]string{"xdp_good", "xdp_bad"}, nil, nil, "invalid access to packet"},
		{[]string{"nosuch"}, nil, nil, `no program "nosuch" in the collection (it has: xdp_bad, xdp_good, xdp_target)`},
	}
	for _, c := range cases {
		coll, err := ebpfvm.NewCollection(spec, e.Collection(&ebpfvm.CollectionOptions{Load: c.load}))
		if c.rejectMessage != "" {
			if err == nil || !strings.Contains(err.Error(), c.rejectMessage) {
				t.Errorf("%v: %v, want an error with %q", c.load, err, c.rejectMessage)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", c.load, err)
			continue
		}
		if got := sortedNames(coll.Programs); !slices.Equal(got, c.progs) {
			t.Errorf("%v: programs %v, want %v", c.load, got, c.progs)
		}
		if got := sortedNames(coll.Maps); !slices.Equal(got, c.maps) {
			t.Errorf("%v: maps %v, want %v", c.load, got, c.maps)
		}
		coll.Close()
	}
}

// TestCollectionProgramsRun: the program loaded alone runs, tail-calls the
// program its prog array was initialised with (XDP_TX) and counts itself.
func TestCollectionProgramsRun(t *testing.T) { engines.Run(t, testCollectionProgramsRun) }

func testCollectionProgramsRun(t *testing.T, e engines.Engine) {
	coll, err := ebpfvm.LoadCollection(autoloadObject, e.Collection(&ebpfvm.CollectionOptions{Load: []string{"xdp_good"}}))
	if err != nil {
		t.Fatal(err)
	}
	defer coll.Close()
	res, err := coll.Programs["xdp_good"].Run(&ebpfvm.RunOptions{Data: make([]byte, 64), Repeat: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.ReturnValue != 3 {
		t.Errorf("retval %d, want 3 (XDP_TX, from xdp_target)", res.ReturnValue)
	}
	var runs uint64
	if err := coll.Maps["good_runs"].Lookup(uint32(0), &runs); err != nil || runs != 3 {
		t.Errorf("good_runs = %d (%v), want 3", runs, err)
	}
}
