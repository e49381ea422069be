package ebpfvm_test

import (
	"errors"
	"syscall"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
)

func newCollection(t *testing.T, spec *ebpf.CollectionSpec) *ebpfvm.Collection {
	t.Helper()
	return newCollectionOn(t, engines.Reference(), spec)
}

// newCollectionOn is newCollection with the programs on engine e.
func newCollectionOn(t *testing.T, e engines.Engine, spec *ebpf.CollectionSpec) *ebpfvm.Collection {
	t.Helper()
	c, err := ebpfvm.NewCollection(spec, e.Collection(&ebpfvm.CollectionOptions{Programs: ebpfvm.ProgramOptions{NumCPU: 4}}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestMapAPI(t *testing.T) {
	c := newCollection(t, &ebpf.CollectionSpec{Maps: map[string]*ebpf.MapSpec{
		"hash":  {Type: ebpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 2},
		"array": {Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 4},
		"pcpu":  {Type: ebpf.PerCPUArray, KeySize: 4, ValueSize: 4, MaxEntries: 2},
		"queue": {Type: ebpf.Queue, ValueSize: 2, MaxEntries: 2},
	}})
	h := c.Maps["hash"]
	if err := h.Update(uint32(1), uint64(10), ebpfvm.UpdateNoExist); err != nil {
		t.Fatal(err)
	}
	if err := h.Update(uint32(1), uint64(11), ebpfvm.UpdateNoExist); !errors.Is(err, ebpfvm.ErrKeyExist) || !errors.Is(err, syscall.EEXIST) {
		t.Fatalf("NOEXIST on an existing key: %v", err)
	}
	if err := h.Update(uint32(2), uint64(20), ebpfvm.UpdateAny); err != nil {
		t.Fatal(err)
	}
	if err := h.Update(uint32(3), uint64(30), ebpfvm.UpdateAny); !errors.Is(err, syscall.E2BIG) {
		t.Fatalf("update of a full hash map: %v, want E2BIG", err)
	}
	var v uint64
	if err := h.Lookup(uint32(2), &v); err != nil || v != 20 {
		t.Fatalf("lookup: %d, %v", v, err)
	}
	if err := h.Lookup(uint32(9), &v); !errors.Is(err, ebpfvm.ErrKeyNotExist) || !errors.Is(err, ebpf.ErrKeyNotExist) || !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("lookup of a missing key: %v", err)
	}
	sum := uint64(0)
	var k uint32
	it := h.Iterate()
	for it.Next(&k, &v) {
		sum += uint64(k)*100 + v
	}
	if it.Err() != nil || sum != 330 {
		t.Fatalf("iteration sum %d, err %v", sum, it.Err())
	}
	if err := h.Delete(uint32(1)); err != nil {
		t.Fatal(err)
	}
	if err := c.Maps["array"].Delete(uint32(0)); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("array delete: %v, want EINVAL", err)
	}
	// Per-CPU values are one slot per CPU.
	pc := c.Maps["pcpu"]
	if err := pc.Update(uint32(1), []uint32{1, 2, 3, 4}, ebpfvm.UpdateAny); err != nil {
		t.Fatal(err)
	}
	var per []uint32
	if err := pc.Lookup(uint32(1), &per); err != nil || len(per) != 4 || per[3] != 4 {
		t.Fatalf("per-CPU lookup: %v, %v", per, err)
	}
	// Queues push with a nil key and pop with LookupAndDelete.
	q := c.Maps["queue"]
	q.Update(nil, uint16(5), ebpfvm.UpdateAny)
	q.Update(nil, uint16(6), ebpfvm.UpdateAny)
	var x uint16
	if err := q.LookupAndDelete(nil, &x); err != nil || x != 5 {
		t.Fatalf("pop: %d, %v", x, err)
	}
}

// TestGlobalData loads a value from .rodata by direct value access and
// writes .bss, as clang's code for global variables does.
func TestGlobalData(t *testing.T) { engines.Run(t, testGlobalData) }

func testGlobalData(t *testing.T, e engines.Engine) {
	insns := asm.Instructions{
		asm.LoadMapValue(asm.R1, 0, 4).WithReference(".rodata"),
		asm.LoadMem(asm.R0, asm.R1, 0, asm.Word),
		asm.LoadMapValue(asm.R2, 0, 0).WithReference(".bss"),
		asm.StoreMem(asm.R2, 8, asm.R0, asm.DWord),
		asm.Return(),
	}
	rodata := []byte{1, 0, 0, 0, 42, 0, 0, 0}
	c := newCollectionOn(t, e, &ebpf.CollectionSpec{
		Maps: map[string]*ebpf.MapSpec{
			".rodata": {Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1, Flags: 1 << 7,
				Contents: []ebpf.MapKV{{Key: uint32(0), Value: rodata}}},
			".bss": {Type: ebpf.Array, KeySize: 4, ValueSize: 16, MaxEntries: 1},
		},
		Programs: map[string]*ebpf.ProgramSpec{
			"globals": {Name: "globals", Type: ebpf.SocketFilter, License: "GPL", Instructions: insns},
		},
	})
	res, err := c.Programs["globals"].Run(&ebpfvm.RunOptions{Data: testPacket()})
	if err != nil {
		t.Fatal(err)
	}
	if res.ReturnValue != 42 {
		t.Fatalf("r0 = %d, want 42", res.ReturnValue)
	}
	var bss [16]byte
	if err := c.Maps[".bss"].Lookup(uint32(0), &bss); err != nil || bss[8] != 42 {
		t.Fatalf(".bss = %v, %v", bss, err)
	}
}

// TestTailCalls checks the kernel's rules: a tail call into a filled slot
// replaces the program, an empty slot or an index past the end falls
// through, and one invocation makes at most 33 tail calls.
func TestTailCalls(t *testing.T) { engines.Run(t, testTailCalls) }

func testTailCalls(t *testing.T, e engines.Engine) {
	tailCall := func(index int32) asm.Instructions {
		return asm.Instructions{
			asm.Mov.Reg(asm.R6, asm.R1),
			asm.LoadMapPtr(asm.R2, 0).WithReference("jump"),
			asm.Mov.Imm(asm.R3, index),
			asm.FnTailCall.Call(),
			asm.Mov.Reg(asm.R1, asm.R6),
		}
	}
	// "again" counts its runs in .bss and tail-calls itself through slot 0.
	again := append(asm.Instructions{
		asm.LoadMapValue(asm.R7, 0, 0).WithReference(".bss"),
		asm.LoadMem(asm.R0, asm.R7, 0, asm.DWord),
		asm.Add.Imm(asm.R0, 1),
		asm.StoreMem(asm.R7, 0, asm.R0, asm.DWord),
	}, append(tailCall(0), asm.Mov.Imm(asm.R0, 1), asm.Return())...)
	progs := map[string]*ebpf.ProgramSpec{
		"seven":   {Name: "seven", Type: ebpf.SocketFilter, License: "GPL", Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 7), asm.Return()}},
		"to_one":  {Name: "to_one", Type: ebpf.SocketFilter, License: "GPL", Instructions: append(tailCall(1), asm.Mov.Imm(asm.R0, 2), asm.Return())},
		"to_two":  {Name: "to_two", Type: ebpf.SocketFilter, License: "GPL", Instructions: append(tailCall(2), asm.Mov.Imm(asm.R0, 3), asm.Return())},
		"to_nine": {Name: "to_nine", Type: ebpf.SocketFilter, License: "GPL", Instructions: append(tailCall(9), asm.Mov.Imm(asm.R0, 4), asm.Return())},
		"again":   {Name: "again", Type: ebpf.SocketFilter, License: "GPL", Instructions: again},
	}
	c := newCollectionOn(t, e, &ebpf.CollectionSpec{Maps: map[string]*ebpf.MapSpec{
		"jump": {Type: ebpf.ProgramArray, KeySize: 4, ValueSize: 4, MaxEntries: 4},
		".bss": {Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1},
	}, Programs: progs})
	if err := c.Maps["jump"].Update(uint32(1), c.Programs["seven"], ebpfvm.UpdateAny); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]uint64{"to_one": 7, "to_two": 3, "to_nine": 4} {
		res, err := c.Programs[name].Run(&ebpfvm.RunOptions{Data: testPacket()})
		if err != nil || res.ReturnValue != want {
			t.Errorf("%s: r0 = %d, %v; want %d", name, res.ReturnValue, err, want)
		}
	}
	if err := c.Maps["jump"].Update(uint32(0), c.Programs["again"], ebpfvm.UpdateAny); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Programs["again"].Run(&ebpfvm.RunOptions{Data: testPacket()}); err != nil {
		t.Fatal(err)
	}
	var runs uint64
	if err := c.Maps[".bss"].Lookup(uint32(0), &runs); err != nil || runs != 34 {
		t.Fatalf("runs = %d, %v; want 34 (the entry program and 33 tail calls)", runs, err)
	}
}

func TestMapBatch(t *testing.T) {
	c := newCollection(t, &ebpf.CollectionSpec{Maps: map[string]*ebpf.MapSpec{
		"hash": {Type: ebpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 16},
	}})
	m := c.Maps["hash"]
	keys := []uint32{1, 2, 3, 4, 5}
	vals := []uint64{10, 20, 30, 40, 50}
	if n, err := m.BatchUpdate(keys, vals, nil); n != 5 || err != nil {
		t.Fatalf("BatchUpdate = %d, %v", n, err)
	}
	var cur ebpfvm.MapBatchCursor
	gotK, gotV := make([]uint32, 2), make([]uint64, 2)
	sum, total := uint64(0), 0
	for {
		n, err := m.BatchLookup(&cur, gotK, gotV, nil)
		for i := range n {
			sum += uint64(gotK[i]) + gotV[i]
		}
		total += n
		if errors.Is(err, ebpfvm.ErrKeyNotExist) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if total != 5 || sum != 165 {
		t.Fatalf("batch lookup read %d entries, sum %d", total, sum)
	}
	if n, err := m.BatchDelete([]uint32{1, 2}, nil); n != 2 || err != nil {
		t.Fatalf("BatchDelete = %d, %v", n, err)
	}
	if n, err := m.BatchDelete([]uint32{9}, nil); n != 0 || !errors.Is(err, ebpfvm.ErrKeyNotExist) {
		t.Fatalf("BatchDelete of a missing key = %d, %v", n, err)
	}
	var cur2 ebpfvm.MapBatchCursor
	n, err := m.BatchLookupAndDelete(&cur2, make([]byte, 4*4), make([]byte, 4*8), nil)
	if n != 3 || !errors.Is(err, ebpfvm.ErrKeyNotExist) {
		t.Fatalf("BatchLookupAndDelete = %d, %v", n, err)
	}
	var k uint32
	if err := m.NextKey(nil, &k); !errors.Is(err, ebpfvm.ErrKeyNotExist) {
		t.Fatalf("map not empty after lookup-and-delete: %v", err)
	}
}

func TestBloomFilterLookup(t *testing.T) {
	c := newCollection(t, &ebpf.CollectionSpec{Maps: map[string]*ebpf.MapSpec{
		"bloom": {Type: ebpf.BloomFilter, ValueSize: 8, MaxEntries: 100},
	}})
	m := c.Maps["bloom"]
	if err := m.Update(nil, uint64(42), ebpfvm.UpdateAny); err != nil {
		t.Fatal(err)
	}
	v := uint64(42)
	if err := m.Lookup(nil, &v); err != nil {
		t.Fatalf("lookup of a pushed value: %v", err)
	}
	v = 7
	if err := m.Lookup(nil, &v); !errors.Is(err, ebpfvm.ErrKeyNotExist) {
		t.Fatalf("lookup of an absent value: %v", err)
	}
}
