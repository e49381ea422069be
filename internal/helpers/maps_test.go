package helpers

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ebpfvm/ebpfvm/internal/maps"
	"github.com/ebpfvm/ebpfvm/internal/vm"
)

func newMap(t *testing.T, spec maps.Spec) maps.Map {
	t.Helper()
	m, err := maps.New(&spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// mapProg substitutes MAP in src with the map's handle as a 64-bit
// immediate.
func mapProg(src string, m maps.Map) string {
	return strings.ReplaceAll(src, "MAP", fmt.Sprintf("%#x ll", m.Handle()))
}

func TestMapHelpers(t *testing.T) {
	hs := Standard(nil)
	v := newVM(t)
	arr := newMap(t, maps.Spec{Type: maps.TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 4})
	hash := newMap(t, maps.Spec{Type: maps.TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 2})
	lookup, update, del := helper(t, hs, "map_lookup_elem"), helper(t, hs, "map_update_elem"), helper(t, hs, "map_delete_elem")
	next := 0 // each argument gets its own memory: the table is built before the calls
	key := func(k uint32) uint64 { next += 8; return v.put(next, u32(k)) }
	val := func(x uint64) uint64 { next += 8; return v.put(next, u64(x)) }

	// Array: update, lookup, no delete, indexes out of range.
	if r, err := v.call(update, arr.Handle(), key(1), val(77), 0); r != 0 || err != nil {
		t.Fatalf("update = %d, %v", int64(r), err)
	}
	addr, err := v.call(lookup, arr.Handle(), key(1))
	if addr == 0 || err != nil {
		t.Fatalf("lookup = %#x, %v", addr, err)
	}
	// The value's memory is now the run's.
	if b, err := v.env().Bytes(addr, 8, true); err != nil || binary.LittleEndian.Uint64(b) != 77 {
		t.Errorf("value at %#x: %v", addr, err)
	}
	for _, tc := range []struct {
		name string
		fn   vm.HelperFunc
		args []uint64
		want uint64
	}{
		{"lookup out of range", lookup, []uint64{arr.Handle(), key(4)}, 0},
		{"update out of range", update, []uint64{arr.Handle(), key(4), val(1), 0}, errno(e2big)},
		{"update NOEXIST", update, []uint64{arr.Handle(), key(0), val(1), maps.UpdateNoExist}, errno(syscallEEXIST)},
		{"update bad flags", update, []uint64{arr.Handle(), key(0), val(1), 8}, errno(einval)},
		{"delete from an array", del, []uint64{arr.Handle(), key(0)}, errno(einval)},
		{"hash update", update, []uint64{hash.Handle(), key(5), val(50), 0}, 0},
		{"hash update EXIST of a missing key", update, []uint64{hash.Handle(), key(6), val(60), maps.UpdateExist}, errno(enoent)},
		{"hash update 2", update, []uint64{hash.Handle(), key(6), val(60), 0}, 0},
		{"hash full", update, []uint64{hash.Handle(), key(7), val(70), 0}, errno(e2big)},
		{"hash delete", del, []uint64{hash.Handle(), key(6)}, 0},
		{"hash delete again", del, []uint64{hash.Handle(), key(6)}, errno(enoent)},
		{"hash lookup of a deleted key", lookup, []uint64{hash.Handle(), key(6)}, 0},
	} {
		if r, err := v.call(tc.fn, tc.args...); r != tc.want || err != nil {
			t.Errorf("%s = %d, %v; want %d", tc.name, int64(r), err, int64(tc.want))
		}
	}
	// Faults: no such map, a key outside the run's memory.
	if _, err := v.call(lookup, 0x1234, key(0)); err == nil {
		t.Error("lookup in a non-map succeeded")
	}
	if _, err := v.call(lookup, arr.Handle(), 0x10); !errors.Is(err, vm.ErrAccess) {
		t.Errorf("lookup with a bad key: %v", err)
	}
	if _, err := v.call(update, arr.Handle(), key(0), v.addr(vmBufSize-4), 0); !errors.Is(err, vm.ErrAccess) {
		t.Errorf("update with a short value: %v", err)
	}

	// A program: look up, write through the pointer in checked mode.
	r, err := v.run(mapProg(`
		r6 = r1
		r1 = 2
		*(u32 *)(r10 -4) = r1
		r1 = MAP
		r2 = r10
		r2 += -4
		call bpf_map_lookup_elem
		if r0 == 0 goto out
		r1 = 0x1234
		*(u64 *)(r0 +0) = r1
		r0 = 1
	out:
		exit`, arr), hs)
	out := make([]byte, 8)
	if r != 1 || err != nil || arr.Lookup(u32(2), out) != nil || binary.LittleEndian.Uint64(out) != 0x1234 {
		t.Errorf("program lookup = %d, %v; value %x", r, err, out)
	}
	// Without the lookup, the value's memory is not the program's.
	_, err = v.run(fmt.Sprintf("r1 = %#x ll\nr0 = *(u64 *)(r1 +0)\nexit", addr), hs)
	if !errors.Is(err, vm.ErrAccess) {
		t.Errorf("access to a map value without lookup: %v", err)
	}
}

func TestPerCPUMapHelpers(t *testing.T) {
	hs := Standard(nil)
	v := newVM(t)
	m := newMap(t, maps.Spec{Type: maps.TypePerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: 1, NumCPU: 4})
	k := v.put(0, u32(0))
	for cpu := range 4 {
		v.m.Env().CPU = cpu
		v.call(helper(t, hs, "map_update_elem"), m.Handle(), k, v.put(8, u64(uint64(100+cpu))), 0)
	}
	for cpu := range 4 {
		v.m.Env().CPU = cpu
		a, _ := v.call(helper(t, hs, "map_lookup_elem"), m.Handle(), k)
		if b, err := v.env().Bytes(a, 8, false); err != nil || binary.LittleEndian.Uint64(b) != uint64(100+cpu) {
			t.Errorf("CPU %d: %x, %v", cpu, b, err)
		}
	}
}

const syscallEEXIST = 17

func TestQueueHelpers(t *testing.T) {
	hs := Standard(nil)
	v := newVM(t)
	q := newMap(t, maps.Spec{Type: maps.TypeQueue, ValueSize: 8, MaxEntries: 2})
	st := newMap(t, maps.Spec{Type: maps.TypeStack, ValueSize: 8, MaxEntries: 2})
	push, pop, peek := helper(t, hs, "map_push_elem"), helper(t, hs, "map_pop_elem"), helper(t, hs, "map_peek_elem")
	val := func(x uint64) uint64 { return v.put(0, u64(x)) }
	got := func() uint64 { return binary.LittleEndian.Uint64(v.mem()[64:]) }
	out := v.addr(64)
	for _, m := range []maps.Map{q, st} {
		if r, _ := v.call(pop, m.Handle(), out); r != errno(enoent) {
			t.Errorf("%s: pop of empty = %d", m.Spec().Type, int64(r))
		}
		v.call(push, m.Handle(), val(1), 0)
		v.call(push, m.Handle(), val(2), 0)
		if r, _ := v.call(push, m.Handle(), val(3), 0); r != errno(e2big) {
			t.Errorf("%s: push to full = %d", m.Spec().Type, int64(r))
		}
		if r, _ := v.call(push, m.Handle(), val(3), 2 /* BPF_EXIST */); r != 0 {
			t.Errorf("%s: push BPF_EXIST = %d", m.Spec().Type, int64(r))
		}
		want := map[maps.Type][2]uint64{maps.TypeQueue: {2, 3}, maps.TypeStack: {3, 2}}[m.Spec().Type]
		if r, _ := v.call(peek, m.Handle(), out); r != 0 || got() != want[0] {
			t.Errorf("%s: peek = %d, %d", m.Spec().Type, r, got())
		}
		for _, w := range want {
			if r, _ := v.call(pop, m.Handle(), out); r != 0 || got() != w {
				t.Errorf("%s: pop = %d, %d; want %d", m.Spec().Type, r, got(), w)
			}
		}
	}
	arr := newMap(t, maps.Spec{Type: maps.TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	if _, err := v.call(push, arr.Handle(), val(1), 0); err == nil {
		t.Error("push to an array succeeded")
	}
}

func TestRingBufHelpers(t *testing.T) {
	hs := Standard(nil)
	v := newVM(t)
	rb := newMap(t, maps.Spec{Type: maps.TypeRingBuf, MaxEntries: 4096}).(maps.RingBufMap)
	reserve, submit, discard := helper(t, hs, "ringbuf_reserve"), helper(t, hs, "ringbuf_submit"), helper(t, hs, "ringbuf_discard")
	output, query := helper(t, hs, "ringbuf_output"), helper(t, hs, "ringbuf_query")

	// A program reserves, writes and submits a record.
	r, err := v.run(mapProg(`
		r1 = MAP
		r2 = 16
		r3 = 0
		call bpf_ringbuf_reserve
		if r0 == 0 goto out
		r1 = 0x1122334455667788 ll
		*(u64 *)(r0 +0) = r1
		*(u64 *)(r0 +8) = r1
		r1 = r0
		r2 = 0
		call bpf_ringbuf_submit
		r0 = 1
	out:
		exit`, rb), hs)
	if r != 1 || err != nil {
		t.Fatalf("program = %d, %v", r, err)
	}
	if err := EndRun(v.env()); err != nil {
		t.Error(err)
	}
	rec, err := rb.Read(time.Now().Add(time.Second))
	if err != nil || len(rec) != 16 || binary.LittleEndian.Uint64(rec) != 0x1122334455667788 {
		t.Errorf("read %x, %v", rec, err)
	}
	// Output, query.
	v.reset()
	data := v.put(0, []byte("abcdefgh"))
	if r, err := v.call(output, rb.Handle(), data, 8, 0); r != 0 || err != nil {
		t.Errorf("output = %d, %v", int64(r), err)
	}
	if r, _ := v.call(output, rb.Handle(), data, 8, 4); r != errno(einval) {
		t.Errorf("output with bad flags = %d", int64(r))
	}
	if r, _ := v.call(query, rb.Handle(), maps.RBAvailData); r != 16 {
		t.Errorf("available data = %d", r)
	}
	if r, _ := v.call(query, rb.Handle(), maps.RBRingSize); r != 4096 {
		t.Errorf("ring size = %d", r)
	}
	if r, _ := v.call(query, rb.Handle(), 99); r != 0 {
		t.Errorf("query 99 = %d", r)
	}
	if rec, err := rb.Read(time.Now().Add(time.Second)); err != nil || string(rec) != "abcdefgh" {
		t.Errorf("read %q, %v", rec, err)
	}
	// Reserve with flags, too big: 0.
	if r, _ := v.call(reserve, rb.Handle(), 8, 1); r != 0 {
		t.Errorf("reserve with flags = %#x", r)
	}
	if r, _ := v.call(reserve, rb.Handle(), 8192, 0); r != 0 {
		t.Errorf("reserve of 8192 bytes = %#x", r)
	}
	// Discard; submitting twice or a foreign address fails the run.
	a, _ := v.call(reserve, rb.Handle(), 8, 0)
	if r, err := v.call(discard, a, 0); r != 0 || err != nil {
		t.Errorf("discard = %d, %v", r, err)
	}
	if _, err := v.call(submit, a, 0); err == nil {
		t.Error("submit after discard succeeded")
	}
	if _, err := v.call(submit, v.addr(0), 0); err == nil {
		t.Error("submit of a non-record succeeded")
	}
	// A record left at exit: EndRun discards and reports it.
	a, _ = v.call(reserve, rb.Handle(), 8, 0)
	if a == 0 {
		t.Fatal("reserve failed")
	}
	if err := EndRun(v.env()); !errors.Is(err, ErrRecordNotHandled) {
		t.Errorf("EndRun = %v", err)
	}
	if _, err := v.call(submit, a, 0); err == nil {
		t.Error("submit of a record EndRun discarded succeeded")
	}
	// Discarded records stay in the ring until the consumer passes them.
	if r, _ := v.call(query, rb.Handle(), maps.RBAvailData); r != 32 {
		t.Errorf("available data after two discards = %d", r)
	}
	if _, err := v.call(output, newMap(t, maps.Spec{Type: maps.TypeArray, KeySize: 4, ValueSize: 4, MaxEntries: 1}).Handle(), data, 8, 0); err == nil {
		t.Error("output to an array succeeded")
	}
}

func TestForEachMapElem(t *testing.T) {
	hs := Standard(nil)
	v := newVM(t)
	arr := newMap(t, maps.Spec{Type: maps.TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 5})
	hash := newMap(t, maps.Spec{Type: maps.TypeHash, KeySize: 8, ValueSize: 8, MaxEntries: 16})
	for i := range uint32(5) {
		arr.Update(u32(i), u64(uint64(10*i)), 0)
	}
	for i := range uint64(7) {
		hash.Update(u64(100+i), u64(i), 0)
	}
	// ctx[0] = stop when the running sum of key+value reaches it; ctx[8]
	// accumulates; ctx[16] = flags.
	// The callback gets (map, key, value, ctx): it adds key (low 32
	// bits) + value to ctx[8] and stops once ctx[8] >= ctx[0].
	cb := `
		r6 = r1
		r1 = MAP
		r2 = subprog[cb]
		r3 = r6
		r4 = *(u64 *)(r6 +16)
		call bpf_for_each_map_elem
		exit
	cb:
		r0 = *(u64 *)(r4 +8)
		r5 = *(u32 *)(r2 +0)
		r0 += r5
		r5 = *(u64 *)(r3 +0)
		r0 += r5
		*(u64 *)(r4 +8) = r0
		r5 = *(u64 *)(r4 +0)
		r1 = r0
		r0 = 0
		if r1 < r5 goto out
		r0 = 1
	out:
		exit`
	for _, tc := range []struct {
		m         maps.Map
		stop      uint64
		flags     uint64
		want, sum uint64
	}{
		{arr, 1000, 0, 5, 0 + 1 + 2 + 3 + 4 + 10*(0+1+2+3+4)},
		{arr, 12, 0, 3, 0 + 11 + 22},
		{arr, 0, 0, 1, 0}, // stops at the first element
		{arr, 1000, 1, errno(einval), 0},
		{hash, 10000, 0, 7, 7*100 + 2*21},
	} {
		v.u64s(0, tc.stop, 0, tc.flags)
		r, err := v.run(mapProg(cb, tc.m), hs)
		if err != nil || r != tc.want || binary.LittleEndian.Uint64(v.mem()[8:]) != tc.sum {
			t.Errorf("%s stop %d: %d, %v, sum %d; want %d, %d", tc.m.Spec().Type, tc.stop, int64(r), err,
				binary.LittleEndian.Uint64(v.mem()[8:]), int64(tc.want), tc.sum)
		}
		if err := EndRun(v.env()); err != nil {
			t.Error(err)
		}
	}
	// The key is read-only to the callback; the value is writable.
	_, err := v.run(mapProg(`
		r1 = MAP
		r2 = subprog[cb]
		r3 = 0
		r4 = 0
		call bpf_for_each_map_elem
		exit
	cb:
		r1 = 7
		*(u64 *)(r3 +0) = r1
		*(u32 *)(r2 +0) = r1
		r0 = 0
		exit`, arr), hs)
	if !errors.Is(err, vm.ErrAccess) || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("writing the key: %v", err)
	}
	out := make([]byte, 8)
	arr.Lookup(u32(0), out)
	if binary.LittleEndian.Uint64(out) != 7 {
		t.Errorf("the value write before the fault: %x", out)
	}
	// Nested iteration: each level has its own key.
	v.u64s(0, 0, 0)
	r, err := v.run(mapProg(`
		r6 = r1
		r1 = MAP
		r2 = subprog[outer]
		r3 = r6
		r4 = 0
		call bpf_for_each_map_elem
		exit
	outer:
		r6 = r2
		r7 = r4
		r1 = MAP
		r2 = subprog[inner]
		r3 = r4
		r4 = 0
		call bpf_for_each_map_elem
		r1 = *(u32 *)(r6 +0)
		r2 = *(u64 *)(r7 +0)
		r2 += r1
		*(u64 *)(r7 +0) = r2
		r0 = 0
		exit
	inner:
		r1 = *(u64 *)(r4 +8)
		r5 = *(u32 *)(r2 +0)
		r1 += r5
		*(u64 *)(r4 +8) = r1
		r0 = 0
		exit`, arr), hs)
	if r != 5 || err != nil || binary.LittleEndian.Uint64(v.mem()) != 10 || binary.LittleEndian.Uint64(v.mem()[8:]) != 50 {
		t.Errorf("nested: %d, %v, %d %d", r, err, binary.LittleEndian.Uint64(v.mem()), binary.LittleEndian.Uint64(v.mem()[8:]))
	}
	// Maps that cannot be iterated fail the run.
	q := newMap(t, maps.Spec{Type: maps.TypeQueue, ValueSize: 8, MaxEntries: 2})
	if _, err := v.run(mapProg("r1 = MAP\nr2 = subprog[cb]\nr3 = 0\nr4 = 0\ncall bpf_for_each_map_elem\nexit\ncb:\nr0 = 0\nexit", q), hs); err == nil {
		t.Error("iterating a queue succeeded")
	}
}

func TestMapOfMapsLookup(t *testing.T) {
	hs := Standard(nil)
	v := newVM(t)
	inner := newMap(t, maps.Spec{Type: maps.TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	outer := newMap(t, maps.Spec{Type: maps.TypeArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 2,
		InnerMap: &maps.Spec{Type: maps.TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 1}}).(maps.MapOfMaps)
	if err := outer.SetInner(u32(1), inner); err != nil {
		t.Fatal(err)
	}
	inner.Update(u32(0), u64(99), 0)
	// Look up the inner map, then the value in it.
	r, err := v.run(mapProg(`
		r1 = 1
		*(u32 *)(r10 -4) = r1
		r1 = MAP
		r2 = r10
		r2 += -4
		call bpf_map_lookup_elem
		if r0 == 0 goto out
		r1 = r0
		r2 = 0
		*(u32 *)(r10 -4) = r2
		r2 = r10
		r2 += -4
		call bpf_map_lookup_elem
		if r0 == 0 goto out
		r0 = *(u64 *)(r0 +0)
	out:
		exit`, outer), hs)
	if r != 99 || err != nil {
		t.Errorf("lookup through a map of maps = %d, %v", r, err)
	}
	if a, _ := v.call(helper(t, hs, "map_lookup_elem"), outer.Handle(), v.put(0, u32(0))); a != 0 {
		t.Errorf("empty slot = %#x", a)
	}
}
