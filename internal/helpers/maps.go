package helpers

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/ebpfvm/ebpfvm/internal/maps"
	"github.com/ebpfvm/ebpfvm/internal/mem"
	"github.com/ebpfvm/ebpfvm/internal/vm"
)

// mapFuncs returns the map, ring buffer and bpf_for_each_map_elem helpers.
func (s *set) mapFuncs() []namedFunc {
	return []namedFunc{
		{"map_lookup_elem", mapLookupElem},
		{"map_update_elem", mapUpdateElem},
		{"map_delete_elem", mapDeleteElem},
		{"map_push_elem", mapPushElem},
		{"map_pop_elem", mapPopElem},
		{"map_peek_elem", mapPeekElem},
		{"ringbuf_output", ringbufOutput},
		{"ringbuf_reserve", ringbufReserve},
		{"ringbuf_submit", ringbufSubmit},
		{"ringbuf_discard", ringbufDiscard},
		{"ringbuf_query", ringbufQuery},
		{"for_each_map_elem", forEachMapElem},
	}
}

// lookupMap resolves the map a program passes (its handle) and makes sure
// it stays alive for the rest of the run. The maps a verified program can
// name are its own (which the program holds) and inner maps it looked up
// (which mapLookupElem holds); an unverified program may pass the handle
// of any open map, which the run then holds.
func lookupMap(env *vm.Env, helper string, h uint64) (maps.Map, error) {
	m, _, err := useMap(env, helper, h)
	return m, err
}

// useMap is lookupMap that also reports whether the map's memory is
// granted to this repeat of the run already.
func useMap(env *vm.Env, helper string, h uint64) (m maps.Map, granted bool, err error) {
	m, ok := maps.FromHandle(h)
	if ok {
		granted = env.Granted(h)
	}
	if !ok || (!granted && env.Hold(m) != nil) {
		return nil, false, argError(helper, "%#x is not a map", h)
	}
	return m, granted, nil
}

// result turns a map operation's error into the helper's return value:
// 0, or the negated errno. An error that is no errno fails the run.
func result(err error) (uint64, error) {
	if err == nil {
		return 0, nil
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		return errno(e), nil
	}
	return 0, err
}

// bpf_map_lookup_elem(map, key): the address of the value (of this CPU's
// slot for per-CPU maps), or 0. The map's memory is granted to the run.
// For maps of maps the result is the inner map's handle, which is no
// memory.
func mapLookupElem(env *vm.Env, h, key, _, _, _ uint64) (uint64, error) {
	m, granted, err := useMap(env, "map_lookup_elem", h)
	if err != nil {
		return 0, err
	}
	k, err := env.Bytes(key, uint64(m.Spec().KeySize), false)
	if err != nil {
		return 0, err
	}
	if t := m.Spec().Type; t == maps.TypeArrayOfMaps || t == maps.TypeHashOfMaps {
		return lookupInner(env, m, k), nil
	}
	addr := m.LookupAddr(k, env.CPU)
	if addr != 0 && !granted {
		// useMap holds the map for the run.
		if err := env.GrantMemory(h, m.Regions()); err != nil {
			return 0, err
		}
	}
	return addr, nil
}

// lookupInner is a lookup in a map of maps: the handle of the inner map
// under k, or 0. The run holds the inner map from then on, as the kernel's
// RCU grace period keeps a removed inner map alive for the programs that
// still use it. Taking the reference races with Go code that replaces or
// removes the inner map: after Retain the slot is read again, and the
// handle is returned only if the map of maps still holds it, which
// proves that the map retained is the one the slot named (a freed map's
// handle could otherwise name a newer map). After a few lost races it
// gives up and returns 0, as if the element had gone.
func lookupInner(env *vm.Env, outer maps.Map, k []byte) uint64 {
	for range 4 {
		h := outer.LookupAddr(k, env.CPU)
		if h == 0 {
			return 0
		}
		inner, ok := maps.FromHandle(h)
		if !ok {
			continue // freed since the read
		}
		if env.Holds(inner) || env.Granted(h) {
			// Held since before the read: the slot named it.
			return h
		}
		if inner.Retain() != nil {
			continue
		}
		if outer.LookupAddr(k, env.CPU) != h {
			inner.Release()
			continue
		}
		env.HoldRetained(inner)
		return h
	}
	return 0
}

// bpf_map_update_elem(map, key, value, flags): 0 or -errno (-EEXIST,
// -ENOENT, -E2BIG, -EINVAL, ...), from a program on this CPU.
func mapUpdateElem(env *vm.Env, h, key, value, flags, _ uint64) (uint64, error) {
	m, err := lookupMap(env, "map_update_elem", h)
	if err != nil {
		return 0, err
	}
	s := m.Spec()
	k, err := env.Bytes(key, uint64(s.KeySize), false)
	if err != nil {
		return 0, err
	}
	v, err := env.Bytes(value, uint64(s.ValueSize), false)
	if err != nil {
		return 0, err
	}
	return result(m.UpdateElem(k, v, flags, env.CPU))
}

// bpf_map_delete_elem(map, key): 0 or -errno (-ENOENT; -EINVAL for arrays).
func mapDeleteElem(env *vm.Env, h, key, _, _, _ uint64) (uint64, error) {
	m, err := lookupMap(env, "map_delete_elem", h)
	if err != nil {
		return 0, err
	}
	k, err := env.Bytes(key, uint64(m.Spec().KeySize), false)
	if err != nil {
		return 0, err
	}
	return result(m.DeleteElem(k))
}

// queueArg resolves a queue, stack or bloom filter and its value argument.
func queueArg(env *vm.Env, helper string, h, value uint64, write bool) (maps.QueueMap, []byte, error) {
	m, err := lookupMap(env, helper, h)
	if err != nil {
		return nil, nil, err
	}
	q, ok := m.(maps.QueueMap)
	if !ok {
		return nil, nil, argError(helper, "a %s map is not a queue, stack or bloom filter", m.Spec().Type)
	}
	v, err := env.Bytes(value, uint64(m.Spec().ValueSize), write)
	return q, v, err
}

// bpf_map_push_elem(map, value, flags): 0, -E2BIG when full (unless
// BPF_EXIST, which makes room), -EINVAL for bad flags.
func mapPushElem(env *vm.Env, h, value, flags, _, _ uint64) (uint64, error) {
	q, v, err := queueArg(env, "map_push_elem", h, value, false)
	if err != nil {
		return 0, err
	}
	return result(q.Push(v, flags))
}

// bpf_map_pop_elem(map, value): 0 or -ENOENT when empty.
func mapPopElem(env *vm.Env, h, value, _, _, _ uint64) (uint64, error) {
	q, v, err := queueArg(env, "map_pop_elem", h, value, true)
	if err != nil {
		return 0, err
	}
	return result(q.Pop(v))
}

// bpf_map_peek_elem(map, value): 0 or -ENOENT. For a bloom filter, value
// is the element to test.
func mapPeekElem(env *vm.Env, h, value, _, _, _ uint64) (uint64, error) {
	q, v, err := queueArg(env, "map_peek_elem", h, value, true)
	if err != nil {
		return 0, err
	}
	return result(q.Peek(v))
}

func ringArg(env *vm.Env, helper string, h uint64) (maps.RingBufMap, error) {
	m, err := lookupMap(env, helper, h)
	if err != nil {
		return nil, err
	}
	rb, ok := m.(maps.RingBufMap)
	if !ok {
		return nil, argError(helper, "a %s map is not a ring buffer", m.Spec().Type)
	}
	return rb, nil
}

// bpf_ringbuf_output(ringbuf, data, size, flags): copy a record in; 0,
// -EAGAIN when there is no room, -EINVAL for flags other than
// BPF_RB_NO_WAKEUP and BPF_RB_FORCE_WAKEUP.
func ringbufOutput(env *vm.Env, h, data, size, flags, _ uint64) (uint64, error) {
	rb, err := ringArg(env, "ringbuf_output", h)
	if err != nil {
		return 0, err
	}
	d, err := env.Bytes(data, size, false)
	if err != nil {
		return 0, err
	}
	return result(rb.Output(d, flags))
}

// bpf_ringbuf_reserve(ringbuf, size, flags): the address of a record of
// size bytes, or 0 (no room, flags not 0). The ring's memory is granted to
// the run, and the record is remembered until it is submitted or
// discarded (EndRun discards it otherwise).
func ringbufReserve(env *vm.Env, h, size, flags, _, _ uint64) (uint64, error) {
	rb, err := ringArg(env, "ringbuf_reserve", h)
	if err != nil {
		return 0, err
	}
	st, err := begin(env)
	if err != nil {
		return 0, err
	}
	addr := rb.Reserve(size, flags)
	if addr == 0 {
		return 0, nil
	}
	if err := env.GrantMap(rb); err != nil {
		rb.Discard(addr, 0)
		return 0, err
	}
	st.reserved = append(st.reserved, reservation{addr, rb})
	return addr, nil
}

// commitRecord is bpf_ringbuf_submit and bpf_ringbuf_discard: the record
// must be one this run reserved and has not committed.
func commitRecord(env *vm.Env, helper string, addr, flags uint64, discard bool) (uint64, error) {
	st := lookupState(env)
	i := -1
	if st != nil {
		if _, ok := env.Regions.Find(st.scratch.Addr()); ok {
			for k, r := range st.reserved {
				if r.addr == addr {
					i = k
				}
			}
		}
	}
	if i < 0 {
		return 0, argError(helper, "%#x is not a ring buffer record this run reserved and has not submitted or discarded", addr)
	}
	rb := st.reserved[i].ring
	st.reserved = append(st.reserved[:i], st.reserved[i+1:]...)
	var err error
	if discard {
		err = rb.Discard(addr, flags)
	} else {
		err = rb.Submit(addr, flags)
	}
	if err != nil {
		return 0, fmt.Errorf("bpf_%s: %w", helper, err)
	}
	return 0, nil
}

// bpf_ringbuf_submit(data, flags).
func ringbufSubmit(env *vm.Env, addr, flags, _, _, _ uint64) (uint64, error) {
	return commitRecord(env, "ringbuf_submit", addr, flags, false)
}

// bpf_ringbuf_discard(data, flags).
func ringbufDiscard(env *vm.Env, addr, flags, _, _, _ uint64) (uint64, error) {
	return commitRecord(env, "ringbuf_discard", addr, flags, true)
}

// bpf_ringbuf_query(ringbuf, flags): BPF_RB_AVAIL_DATA, BPF_RB_RING_SIZE,
// BPF_RB_CONS_POS, BPF_RB_PROD_POS; 0 for other flags.
func ringbufQuery(env *vm.Env, h, flags, _, _, _ uint64) (uint64, error) {
	rb, err := ringArg(env, "ringbuf_query", h)
	if err != nil {
		return 0, err
	}
	return rb.Query(flags), nil
}

// bpf_for_each_map_elem(map, callback_fn, callback_ctx, flags) calls
// callback_fn(map, key, value, callback_ctx) for each element of an array,
// per-CPU array or hash map of any kind (per-CPU maps give this CPU's
// value) until the callback returns non-zero (the verifier allows 0 and
// 1). It returns the number of elements visited, the last one included;
// -EINVAL for non-zero flags. The key the callback gets is a copy in
// read-only scratch memory of the run (the kernel passes a pointer to the
// element's key, or to an index on its stack for arrays).
func forEachMapElem(env *vm.Env, h, fn, ctx, flags, _ uint64) (uint64, error) {
	m, err := lookupMap(env, "for_each_map_elem", h)
	if err != nil {
		return 0, err
	}
	it, ok := m.(maps.Iterable)
	switch m.Spec().Type {
	case maps.TypeArray, maps.TypePerCPUArray, maps.TypeHash, maps.TypePerCPUHash, maps.TypeLRUHash, maps.TypeLRUPerCPUHash:
	default:
		ok = false
	}
	if !ok {
		return 0, argError("for_each_map_elem", "%s maps cannot be iterated", m.Spec().Type)
	}
	if flags != 0 {
		return errno(einval), nil
	}
	ks := int(m.Spec().KeySize)
	if ks > scratchSlot {
		return 0, argError("for_each_map_elem", "key of %d bytes (at most %d)", ks, scratchSlot)
	}
	st, err := begin(env)
	if err != nil {
		return 0, err
	}
	if st.depth >= vm.MaxFrames {
		return 0, fmt.Errorf("%w: bpf_for_each_map_elem nested %d deep", vm.ErrCallDepth, st.depth)
	}
	if err := env.GrantMap(m); err != nil {
		return 0, err
	}
	keyAddr := st.scratch.Addr() + uint64(st.depth*scratchSlot)
	keyBuf := mem.Slice(keyAddr, ks)
	st.depth++
	defer func() { st.depth-- }()
	var cbErr error
	n := it.ForEach(env.CPU, func(key []byte, valueAddr uint64) bool {
		copy(keyBuf, key)
		r, err := env.Call(fn, [5]uint64{h, keyAddr, valueAddr, ctx})
		if err != nil {
			cbErr = err
			return false
		}
		return r == 0
	})
	if cbErr != nil {
		return 0, cbErr
	}
	return uint64(n), nil
}
