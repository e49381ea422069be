package ebpfvm_test

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
	"github.com/ebpfvm/ebpfvm/isa"
)

// TestMisuseErrors: API misuse found by probing as an outsider gets an
// error that names what is wrong, never a panic and never a silent
// default.
func TestMisuseErrors(t *testing.T) {
	exit, err := isa.Assemble("r0 = 1\nexit")
	if err != nil {
		t.Fatal(err)
	}
	hash := &ebpf.MapSpec{Name: "h", Type: ebpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 4}
	tests := []struct {
		name  string
		call  func() error
		want  string
		errno syscall.Errno
	}{
		{"nil MapSpec in a CollectionSpec", func() error {
			c, err := ebpfvm.NewCollection(&ebpf.CollectionSpec{Maps: map[string]*ebpf.MapSpec{"m": nil}}, nil)
			c.Close()
			return err
		}, "map m: nil MapSpec", 0},
		{"nil ProgramSpec in a CollectionSpec", func() error {
			c, err := ebpfvm.NewCollection(&ebpf.CollectionSpec{Programs: map[string]*ebpf.ProgramSpec{"p": nil}}, nil)
			c.Close()
			return err
		}, "program p: nil ProgramSpec", 0},
		{"nil inner map", func() error {
			outer, err := ebpfvm.NewMap(&ebpf.MapSpec{Name: "outer", Type: ebpf.ArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 2, InnerMap: hash})
			if err != nil {
				return err
			}
			defer outer.Close()
			return outer.Update(uint32(0), (*ebpfvm.Map)(nil), 0)
		}, "nil *Map as the inner map", syscall.EBADF},
		{"ring buffer reader of nil", func() error {
			_, err := ebpfvm.NewRingbufReader(nil)
			return err
		}, "nil *Map", 0},
		{"negative NumCPU, collection", func() error {
			c, err := ebpfvm.NewCollection(&ebpf.CollectionSpec{}, &ebpfvm.CollectionOptions{Programs: ebpfvm.ProgramOptions{NumCPU: -1}})
			c.Close()
			return err
		}, "NumCPU -1: want 1 to 8192", syscall.EINVAL},
		{"negative NumCPU, map", func() error {
			m, err := ebpfvm.NewMapWithOptions(&ebpf.MapSpec{Type: ebpf.PerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: 1}, ebpfvm.MapOptions{NumCPU: -2})
			m.Close()
			return err
		}, "NumCPU -2: want 1 to 8192", syscall.EINVAL},
		{"negative NumCPU, program", func() error {
			p, err := ebpfvm.NewProgram(exit, &ebpfvm.ProgramOptions{NumCPU: -3})
			p.Close()
			return err
		}, "NumCPU -3: want 1 to 8192", syscall.EINVAL},
		{"NumCPU past MaxCPUs, map", func() error {
			// 2^20 CPUs: an update of a per-CPU hash element would
			// write a page per CPU, gigabytes.
			m, err := ebpfvm.NewMapWithOptions(&ebpf.MapSpec{Type: ebpf.PerCPUHash, KeySize: 4, ValueSize: 8, MaxEntries: 1024}, ebpfvm.MapOptions{NumCPU: 1 << 20})
			m.Close()
			return err
		}, "NumCPU 1048576: want 1 to 8192", syscall.EINVAL},
		{"NumCPU past MaxCPUs, collection", func() error {
			c, err := ebpfvm.NewCollection(&ebpf.CollectionSpec{}, &ebpfvm.CollectionOptions{Programs: ebpfvm.ProgramOptions{NumCPU: ebpfvm.MaxCPUs + 1}})
			c.Close()
			return err
		}, "NumCPU 8193: want 1 to 8192", syscall.EINVAL},
		{"NumCPU past MaxCPUs, program", func() error {
			p, err := ebpfvm.NewProgram(exit, &ebpfvm.ProgramOptions{NumCPU: ebpfvm.MaxCPUs + 1})
			p.Close()
			return err
		}, "NumCPU 8193: want 1 to 8192", syscall.EINVAL},
		{"negative ContextSize", func() error {
			p, err := ebpfvm.NewProgram(exit, &ebpfvm.ProgramOptions{ContextSize: -1})
			p.Close()
			return err
		}, "ContextSize -1 is negative", syscall.EINVAL},
		{"negative ContextSize, unverified", func() error {
			p, err := ebpfvm.NewProgram(exit, &ebpfvm.ProgramOptions{ContextSize: -1, Verify: ebpfvm.VerifyNone})
			p.Close()
			return err
		}, "ContextSize -1 is negative", syscall.EINVAL},
		{"negative ContextSize, VerifyInstructions", func() error {
			_, err := ebpfvm.VerifyInstructions(exit, &ebpfvm.ProgramOptions{ContextSize: -8}, nil)
			return err
		}, "ContextSize -8 is negative", syscall.EINVAL},
		{"run after Close, unnamed program", func() error {
			p, err := ebpfvm.NewProgram(exit, nil)
			if err != nil {
				return err
			}
			p.Close()
			_, err = p.Run(nil)
			if err != nil && strings.Contains(err.Error(), "program  ") {
				return fmt.Errorf("an empty name in %q", err)
			}
			return err
		}, "program #", syscall.EBADF},
		{"lookup in a ring buffer", func() error {
			rb, err := ebpfvm.NewMap(&ebpf.MapSpec{Type: ebpf.RingBuf, MaxEntries: 4096})
			if err != nil {
				return err
			}
			defer rb.Close()
			var v uint32
			return rb.Lookup(uint32(0), &v)
		}, "lookup: errno 524 (ENOTSUPP: not supported)", syscall.Errno(524)},
		{"a prog array as an inner map", func() error {
			m, err := ebpfvm.NewMap(&ebpf.MapSpec{Type: ebpf.HashOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 2,
				InnerMap: &ebpf.MapSpec{Type: ebpf.ProgramArray, KeySize: 4, ValueSize: 4, MaxEntries: 2}})
			m.Close()
			return err
		}, "a prog_array cannot be an inner map: errno 524 (ENOTSUPP: not supported)", syscall.Errno(524)},
		{"negative Repeat", func() error {
			p, err := ebpfvm.NewProgram(exit, nil)
			if err != nil {
				return err
			}
			defer p.Close()
			_, err = p.Run(&ebpfvm.RunOptions{Repeat: -5})
			return err
		}, "repeat -5 is negative", syscall.EINVAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("panic: %v", r)
					}
				}()
				err = tt.call()
			}()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one with %q", err, tt.want)
			}
			if tt.errno != 0 && !errors.Is(err, tt.errno) {
				t.Errorf("error %v does not wrap %v", err, tt.errno)
			}
		})
	}
}

// TestProgArrayOwner: a prog array takes the type of the first program
// that uses it, at load as in the kernel (bpf_check_tail_call), so that a
// program of another type cannot be stored in it and entered by a tail
// call with a context it was not made for.
func TestProgArrayOwner(t *testing.T) { engines.Run(t, testProgArrayOwner) }

func testProgArrayOwner(t *testing.T, e engines.Engine) {
	coll, err := ebpfvm.LoadCollection("testdata/corpus/tailcall.o", e.Collection(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer coll.Close()
	tc, err := ebpfvm.LoadCollection("testdata/corpus/tc.o", e.Collection(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	generic, err := ebpfvm.NewProgram(mustAssemble(t, "r0 = 1\nexit"), e.Program(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer generic.Close()
	progs := coll.Maps["tail_progs"]
	for _, p := range []*ebpfvm.Program{tc.Programs["tc_rewrite"], generic} {
		err := progs.Update(uint32(0), p, ebpfvm.UpdateAny)
		if !errors.Is(err, syscall.EINVAL) || !strings.Contains(err.Error(), "holds XDP programs, not "+p.Type().String()) {
			t.Errorf("storing a %s program in an XDP prog array: %v, want EINVAL", p.Type(), err)
		}
	}
	if err := progs.Update(uint32(0), coll.Programs["xdp_tcp"], ebpfvm.UpdateAny); err != nil {
		t.Errorf("storing an XDP program: %v", err)
	}

	// A program of another type that refers to the prog array is refused
	// at load.
	_, err = ebpfvm.NewProgram(mustAssemble(t, "r2 = map[idx:0]\nr3 = 0\ncall 12\nr0 = 0\nexit"), e.Program(&ebpfvm.ProgramOptions{
		Maps: []*ebpfvm.Map{progs}, Verify: ebpfvm.VerifyNone}))
	if !errors.Is(err, syscall.EINVAL) || !strings.Contains(err.Error(), "holds XDP programs, not Unspecified") {
		t.Errorf("loading a generic program that uses an XDP prog array: %v, want EINVAL", err)
	}
}

func mustAssemble(t *testing.T, src string) []isa.Instruction {
	t.Helper()
	insns, err := isa.Assemble(src)
	if err != nil {
		t.Fatal(err)
	}
	return insns
}

// TestConstantSectionsFrozen: .rodata and .rodata.* are frozen after
// loading, as libbpf and cilium/ebpf freeze them: an update from Go fails
// with EPERM, while .data stays writable.
func TestConstantSectionsFrozen(t *testing.T) {
	coll, err := ebpfvm.LoadCollection("testdata/corpus/globals.o", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer coll.Close()
	for name, wantErr := range map[string]error{".rodata": syscall.EPERM, ".rodata.limits": syscall.EPERM, ".data": nil, ".bss": nil} {
		m := coll.Maps[name]
		if m == nil {
			t.Fatalf("globals.o has no %s", name)
		}
		err := m.Update(uint32(0), make([]byte, m.ValueSize()), ebpfvm.UpdateAny)
		if !errors.Is(err, wantErr) || (wantErr == nil) != (err == nil) {
			t.Errorf("%s: update from Go: %v, want %v", name, err, wantErr)
		}
	}
}
