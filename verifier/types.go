package verifier

// RegType is the abstract type of a register or spilled stack slot, the
// kernel's enum bpf_reg_type (base types; modifiers are in RegFlags).
type RegType uint8

// Register types.
const (
	NotInit         RegType = iota // never written: reading it is an error
	Scalar                         // a number (SCALAR_VALUE)
	PtrToCtx                       // the program's context (r1 at entry)
	ConstPtrToMap                  // a map, from ld_imm64 (map_ptr)
	PtrToMapValue                  // into a map value
	PtrToMapKey                    // a map key (callback arguments)
	PtrToStack                     // into a stack frame (fp)
	PtrToPacketMeta                // packet metadata (pkt_meta)
	PtrToPacket                    // packet data (pkt)
	PtrToPacketEnd                 // the end of packet data (pkt_end)
	PtrToMem                       // memory of a known size from a helper (mem)
	PtrToFunc                      // a subprogram (callback)
)

// RegFlags are the type modifiers of the kernel (PTR_MAYBE_NULL,
// MEM_RDONLY, MEM_RINGBUF, MEM_UNINIT).
type RegFlags uint8

// Register type modifiers.
const (
	MaybeNull RegFlags = 1 << iota // _or_null: must be checked against 0
	ReadOnly                       // rdonly_: no stores
	Ringbuf                        // ringbuf_: a ring buffer record, a reference
	Uninit                         // memory the helper writes (arguments only)
)

var regTypeNames = [...]string{
	NotInit:         "?",
	Scalar:          "scalar",
	PtrToCtx:        "ctx",
	ConstPtrToMap:   "map_ptr",
	PtrToMapValue:   "map_value",
	PtrToMapKey:     "map_key",
	PtrToStack:      "fp",
	PtrToPacketMeta: "pkt_meta",
	PtrToPacket:     "pkt",
	PtrToPacketEnd:  "pkt_end",
	PtrToMem:        "mem",
	PtrToFunc:       "func",
}

func (t RegType) String() string {
	if int(t) < len(regTypeNames) {
		return regTypeNames[t]
	}
	return "?"
}

// typeString is the kernel's reg_type_str: prefixes for the modifiers,
// "_or_null" for a possibly null pointer.
func typeString(t RegType, f RegFlags) string {
	s := t.String()
	if t == Scalar || t == NotInit {
		return s
	}
	if f&Ringbuf != 0 {
		s = "ringbuf_" + s
	}
	if f&ReadOnly != 0 {
		s = "rdonly_" + s
	}
	if f&MaybeNull != 0 {
		s += "_or_null"
	}
	return s
}

// reg is the abstract value of a register (struct bpf_reg_state).
type reg struct {
	typ   RegType
	flags RegFlags
	frame uint8 // PtrToStack: the frame it points into
	// off is the fixed part of a pointer's offset; vo and the ranges are
	// the variable part (or, for scalars, the value).
	off            int32
	vo             tnum
	smin, smax     int64
	umin, umax     uint64
	s32min, s32max int32
	u32min, u32max uint32
	// id links copies of one pointer (null checks, packet ranges) or of
	// one scalar (range refinements); refID is the reference it holds.
	id, refID uint32
	// rng is the number of bytes proven readable past a packet pointer.
	rng int32
	// memSize is the size of PtrToMem memory.
	memSize uint32
	// mapIdx names the map of map pointers, map values and keys (an
	// index into Options.Maps order, see verifier.maps).
	m *Map
	// subprog is the target subprogram of PtrToFunc.
	subprog int32
	// precise: a stored state's scalar whose value some check on a path
	// from that state depended on (see precision.go).
	precise bool
}

func (r *reg) isPointer() bool { return r.typ != Scalar && r.typ != NotInit }

func (r *reg) isPkt() bool { return r.typ == PtrToPacket || r.typ == PtrToPacketMeta }

func (r *reg) isNullable() bool { return r.flags&MaybeNull != 0 }

// typeName is the reg_type_str of the register.
func (r *reg) typeName() string { return typeString(r.typ, r.flags) }

// mayBeNull reports whether the pointer may be 0.
func (r *reg) notNull() bool {
	if r.flags&MaybeNull != 0 {
		return false
	}
	if r.smin <= -maxVarOff || r.smax >= maxVarOff {
		return false
	}
	switch r.typ {
	case ConstPtrToMap, PtrToMapValue, PtrToMapKey, PtrToMem:
		return true
	}
	return false
}

// stack slot byte kinds (enum bpf_stack_slot_type).
const (
	stackInvalid uint8 = iota // never written
	stackSpill                // part of a spilled register
	stackMisc                 // some scalar data
	stackZero                 // known zero
	stackIter                 // part of an open-coded iterator (iter.go)
)

// slot is 8 bytes of stack: the kind of each byte and, for spills, the
// register that was spilled.
type slot struct {
	kinds [8]uint8
	spill reg
	// iter is the iterator whose first slot this is (kinds all stackIter).
	iter iterSlot
}

func (s *slot) isSpill() bool { return s.kinds[7] == stackSpill }
