package ebpfvm_test

import (
	"errors"
	"syscall"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm"
)

// TestNewMap creates maps on their own, as cilium/ebpf's NewMap does:
// contents written, kernel errors for bad specs, names refused.
func TestNewMap(t *testing.T) {
	m, err := ebpfvm.NewMap(&ebpf.MapSpec{Name: "counts", Type: ebpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 4,
		Contents: []ebpf.MapKV{{Key: uint32(1), Value: uint64(10)}, {Key: uint32(2), Value: uint64(20)}}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var v uint64
	if err := m.Lookup(uint32(2), &v); err != nil || v != 20 {
		t.Errorf("lookup 2: %d, %v; want 20", v, err)
	}
	if err := m.Update(uint32(3), uint64(30), ebpfvm.UpdateAny); err != nil {
		t.Error(err)
	}

	pc, err := ebpfvm.NewMapWithOptions(&ebpf.MapSpec{Type: ebpf.PerCPUArray, KeySize: 4, ValueSize: 4, MaxEntries: 1}, ebpfvm.MapOptions{NumCPU: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	var vals []uint32
	if err := pc.Lookup(uint32(0), &vals); err != nil || len(vals) != 3 {
		t.Errorf("per-CPU lookup: %v, %v; want 3 values", vals, err)
	}

	for _, c := range []struct {
		name string
		spec *ebpf.MapSpec
		want error
	}{
		{"nil", nil, nil},
		{"zero key", &ebpf.MapSpec{Type: ebpf.Hash, ValueSize: 8, MaxEntries: 1}, syscall.EINVAL},
		{"bad contents", &ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1,
			Contents: []ebpf.MapKV{{Key: uint32(5), Value: uint64(1)}}}, syscall.E2BIG},
		{"named program", &ebpf.MapSpec{Type: ebpf.ProgramArray, KeySize: 4, ValueSize: 4, MaxEntries: 1,
			Contents: []ebpf.MapKV{{Key: uint32(0), Value: "prog"}}}, nil},
	} {
		m, err := ebpfvm.NewMap(c.spec)
		if err == nil {
			m.Close()
			t.Errorf("%s: created", c.name)
			continue
		}
		if c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// TestCloseNil: Close on nil objects does nothing, so that the
// `coll, err := ...; defer coll.Close()` pattern is safe when loading
// failed.
func TestCloseNil(t *testing.T) {
	coll, err := ebpfvm.NewCollection(&ebpf.CollectionSpec{Maps: map[string]*ebpf.MapSpec{
		"bad": {Type: ebpf.Hash, KeySize: 0, ValueSize: 8, MaxEntries: 1},
	}}, nil)
	defer coll.Close()
	if err == nil {
		t.Fatal("a map with key size 0 loaded")
	}
	var p *ebpfvm.Program
	if err := p.Close(); err != nil {
		t.Error(err)
	}
	var m *ebpfvm.Map
	if err := m.Close(); err != nil {
		t.Error(err)
	}
}
