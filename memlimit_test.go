package ebpfvm_test

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm"
)

// TestHugeMapsRefused: maps of 0xffffffff entries are refused with
// ENOMEM, as the kernel refuses them, instead of ending the process (a
// prog array or array of maps was allocated on the Go heap at once:
// "fatal error: runtime: out of memory").
func TestHugeMapsRefused(t *testing.T) {
	inner := &ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1}
	for _, ms := range []*ebpf.MapSpec{
		{Name: "progs", Type: ebpf.ProgramArray, KeySize: 4, ValueSize: 4, MaxEntries: 0xffffffff},
		{Name: "outer", Type: ebpf.ArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 0xffffffff, InnerMap: inner},
		{Name: "values", Type: ebpf.Array, KeySize: 4, ValueSize: 1 << 20, MaxEntries: 1 << 20},
	} {
		limit := ebpfvm.NewMemoryLimit(1 << 30)
		coll, err := ebpfvm.NewCollection(&ebpf.CollectionSpec{Maps: map[string]*ebpf.MapSpec{ms.Name: ms}},
			&ebpfvm.CollectionOptions{Maps: ebpfvm.MapOptions{MemoryLimit: limit}})
		coll.Close()
		if !errors.Is(err, syscall.ENOMEM) || !strings.Contains(err.Error(), ms.Name) {
			t.Errorf("%s: %v, want ENOMEM naming the map", ms.Name, err)
		}
		if limit.Used() != 0 {
			t.Errorf("%s: refused, but %d bytes charged", ms.Name, limit.Used())
		}
		// Without a limit, the machine's memory bounds what is created.
		m, err := ebpfvm.NewMap(ms)
		if err == nil {
			m.Close()
		} else if !errors.Is(err, syscall.ENOMEM) {
			t.Errorf("%s without a limit: %v, want ENOMEM or a map", ms.Name, err)
		}
	}
}

// TestMemoryLimit: a collection's maps are charged against its
// Maps.MemoryLimit, shared by collections; closing returns the charge.
func TestMemoryLimit(t *testing.T) {
	spec := &ebpf.CollectionSpec{Maps: map[string]*ebpf.MapSpec{
		"a": {Type: ebpf.Array, KeySize: 4, ValueSize: 1024, MaxEntries: 512},
		"h": {Type: ebpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 128},
	}}
	limit := ebpfvm.NewMemoryLimit(1 << 20)
	c1, err := ebpfvm.NewCollection(spec, &ebpfvm.CollectionOptions{Programs: ebpfvm.ProgramOptions{NumCPU: 2}, Maps: ebpfvm.MapOptions{MemoryLimit: limit}})
	if err != nil {
		t.Fatal(err)
	}
	one := limit.Used()
	if one < 512*1024 || one > 1<<20 {
		t.Fatalf("one collection charged %d bytes, want at least the array's %d", one, 512*1024)
	}
	_, err = ebpfvm.NewCollection(spec, &ebpfvm.CollectionOptions{Programs: ebpfvm.ProgramOptions{NumCPU: 2}, Maps: ebpfvm.MapOptions{MemoryLimit: limit}})
	if !errors.Is(err, syscall.ENOMEM) || !strings.Contains(err.Error(), "memory limit 1048576 bytes") {
		t.Errorf("second collection: %v, want ENOMEM saying the limit", err)
	}
	if limit.Used() != one {
		t.Errorf("the refused collection left %d bytes charged", limit.Used()-one)
	}
	m, err := ebpfvm.NewMapWithOptions(&ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1 << 20}, ebpfvm.MapOptions{MemoryLimit: limit})
	if err == nil {
		m.Close()
		t.Error("an 8 MiB map created under a 1 MiB limit")
	}
	c1.Close()
	if limit.Used() != 0 {
		t.Errorf("%d bytes charged after Close", limit.Used())
	}
	c2, err := ebpfvm.NewCollection(spec, &ebpfvm.CollectionOptions{Programs: ebpfvm.ProgramOptions{NumCPU: 2}, Maps: ebpfvm.MapOptions{MemoryLimit: limit}})
	if err != nil {
		t.Fatalf("after Close, the budget is back: %v", err)
	}
	c2.Close()
}
