package ebpfvm_test

import (
	"fmt"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/testing/kernel"
)

// Map benchmarks: the same programs run in ebpfvm and in the kernel
// (BPF_PROG_TEST_RUN through cilium/ebpf), each doing mapBenchOps map
// operations per run; the reported metric is ns per map operation.

const (
	mapBenchOps     = 1000
	mapBenchEntries = 256
)

type mapBench struct {
	name string
	spec *ebpf.MapSpec
	key  func(i uint32) []byte // the key of element i, for filling the map
}

var mapBenches = []mapBench{
	{"hash", &ebpf.MapSpec{Type: ebpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: mapBenchEntries}, u32Key},
	{"array", &ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: mapBenchEntries}, u32Key},
	{"lru", &ebpf.MapSpec{Type: ebpf.LRUHash, KeySize: 4, ValueSize: 8, MaxEntries: mapBenchEntries}, u32Key},
	{"lpm", &ebpf.MapSpec{Type: ebpf.LPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: mapBenchEntries, Flags: 1}, lpmKey},
}

func u32Key(i uint32) []byte { return []byte{byte(i), byte(i >> 8), byte(i >> 16), byte(i >> 24)} }

// lpmKey is a /32 prefix for 10.0.x.y.
func lpmKey(i uint32) []byte { return []byte{32, 0, 0, 0, 10, 0, byte(i >> 8), byte(i)} }

// mapOpProgram loops mapBenchOps times over keys 0..entries-1, doing a
// lookup or an update each time.
func mapOpProgram(b mapBench, update bool) asm.Instructions {
	insns := asm.Instructions{
		asm.Mov.Imm(asm.R6, 0),
		asm.Mov.Imm(asm.R8, 7),
		asm.StoreMem(asm.R10, -16, asm.R8, asm.DWord), // the value for updates
		asm.Mov.Reg(asm.R7, asm.R6).WithSymbol("loop"),
		asm.And.Imm(asm.R7, mapBenchEntries-1),
	}
	if b.spec.Type == ebpf.LPMTrie {
		insns = append(insns,
			asm.Mov.Imm(asm.R8, 32),
			asm.StoreMem(asm.R10, -8, asm.R8, asm.Word),
			asm.Mov.Imm(asm.R8, 10),
			asm.StoreMem(asm.R10, -4, asm.R8, asm.Byte),
			asm.Mov.Imm(asm.R8, 0),
			asm.StoreMem(asm.R10, -3, asm.R8, asm.Byte),
			asm.StoreMem(asm.R10, -1, asm.R7, asm.Byte),
			asm.RSh.Imm(asm.R7, 8),
			asm.StoreMem(asm.R10, -2, asm.R7, asm.Byte),
		)
	} else {
		insns = append(insns, asm.StoreMem(asm.R10, -8, asm.R7, asm.Word))
	}
	insns = append(insns,
		asm.LoadMapPtr(asm.R1, 0).WithReference("m"),
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, -8),
	)
	if update {
		insns = append(insns,
			asm.Mov.Reg(asm.R3, asm.R10),
			asm.Add.Imm(asm.R3, -16),
			asm.Mov.Imm(asm.R4, 0),
			asm.FnMapUpdateElem.Call(),
		)
	} else {
		insns = append(insns, asm.FnMapLookupElem.Call())
	}
	return append(insns,
		asm.Add.Imm(asm.R6, 1),
		asm.JLT.Imm(asm.R6, mapBenchOps, "loop"),
		asm.Mov.Imm(asm.R0, 0),
		asm.Return(),
	)
}

func mapBenchSpec(b mapBench, update bool) *ebpf.CollectionSpec {
	return &ebpf.CollectionSpec{
		Maps: map[string]*ebpf.MapSpec{"m": b.spec.Copy()},
		Programs: map[string]*ebpf.ProgramSpec{"p": {
			Name: "p", Type: ebpf.SocketFilter, License: "GPL", Instructions: mapOpProgram(b, update),
		}},
	}
}

func fill(update func(k, v []byte) error, b mapBench) error {
	for i := range uint32(mapBenchEntries) {
		if err := update(b.key(i), make([]byte, 8)); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkMapOps reports ns per map operation done by a program, in
// ebpfvm and in the kernel, and done from Go in ebpfvm.
func BenchmarkMapOps(b *testing.B) {
	for _, mb := range mapBenches {
		for _, update := range []bool{false, true} {
			op := map[bool]string{false: "lookup", true: "update"}[update]
			b.Run(fmt.Sprintf("%s/%s/ebpfvm", mb.name, op), func(b *testing.B) { benchVMProgram(b, mb, update) })
			b.Run(fmt.Sprintf("%s/%s/kernel", mb.name, op), func(b *testing.B) { benchKernelProgram(b, mb, update) })
			b.Run(fmt.Sprintf("%s/%s/ebpfvm-go", mb.name, op), func(b *testing.B) { benchVMGo(b, mb, update) })
		}
	}
}

func benchVMProgram(b *testing.B, mb mapBench, update bool) {
	c, err := ebpfvm.NewCollection(mapBenchSpec(mb, update), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	m := c.Maps["m"]
	if err := fill(func(k, v []byte) error { return m.Update(k, v, ebpfvm.UpdateAny) }, mb); err != nil {
		b.Fatal(err)
	}
	p := c.Programs["p"]
	opts := &ebpfvm.RunOptions{Data: testPacket()}
	b.ResetTimer()
	for b.Loop() {
		if _, err := p.Run(opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/mapBenchOps, "ns/mapop")
}

func benchKernelProgram(b *testing.B, mb mapBench, update bool) {
	if err := kernel.Available(); err != nil {
		b.Skip(err)
	}
	c, err := ebpf.NewCollection(mapBenchSpec(mb, update))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	m := c.Maps["m"]
	if err := fill(func(k, v []byte) error { return m.Update(k, v, ebpf.UpdateAny) }, mb); err != nil {
		b.Fatal(err)
	}
	// The kernel times the runs itself; b.N runs are made in one call.
	b.ResetTimer()
	_, perRun, err := c.Programs["p"].Benchmark(testPacket(), b.N, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(perRun.Nanoseconds())/mapBenchOps, "ns/mapop")
}

func benchVMGo(b *testing.B, mb mapBench, update bool) {
	c, err := ebpfvm.NewCollection(mapBenchSpec(mb, update), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	m := c.Maps["m"]
	if err := fill(func(k, v []byte) error { return m.Update(k, v, ebpfvm.UpdateAny) }, mb); err != nil {
		b.Fatal(err)
	}
	keys := make([][]byte, mapBenchEntries)
	for i := range keys {
		keys[i] = mb.key(uint32(i))
	}
	val := make([]byte, 8)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		k := keys[i&(mapBenchEntries-1)]
		i++
		if update {
			err = m.Update(k, val, ebpfvm.UpdateAny)
		} else {
			err = m.Lookup(k, val)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/mapop")
}
