package verifier

// Context describes the memory r1 points to at program entry: which
// accesses at a fixed offset are allowed and what a load yields (the
// kernel's is_valid_access callbacks of struct bpf_verifier_ops).
type Context interface {
	// Access reports whether an access of size bytes (1, 2, 4 or 8) at
	// offset off is allowed, and for a load the type of the loaded value:
	// Scalar, or a packet pointer type for fields such as xdp_md.data.
	Access(off, size int, write bool) (loaded RegType, ok bool)
}

// ProgramType is what the verifier needs to know of a program type.
type ProgramType struct {
	Name    string
	Context Context
	// Helpers available to the type; nil means none.
	Helpers HelperSet
	// DirectPacketRead and DirectPacketWrite allow loads and stores
	// through packet pointers.
	DirectPacketRead, DirectPacketWrite bool
	// LegacyPacketLoads allows LD_ABS/LD_IND (socket buffer programs).
	LegacyPacketLoads bool
	// ReturnRange, when set, is the range r0 must be in at exit.
	ReturnRange *[2]int64
	// GenericArgs: r2 holds the context size at entry (ebpfvm's generic
	// type passes it), an unknown scalar to the verifier.
	GenericArgs bool
}

// Field is one field of a structured context.
type Field struct {
	Name   string
	Off    int
	Size   int
	Read   bool
	Write  bool
	Narrow bool    // loads of 1, 2 (and 4) bytes inside the field are allowed
	Type   RegType // what a full-size load yields (Scalar by default)
}

// FieldContext is a context made of fields (xdp_md, __sk_buff).
type FieldContext struct {
	Size   int
	Fields []Field
}

// Access implements Context.
func (c *FieldContext) Access(off, size int, write bool) (RegType, bool) {
	if off < 0 || off >= c.Size || off%size != 0 {
		return 0, false
	}
	for i := range c.Fields {
		f := &c.Fields[i]
		if off < f.Off || off >= f.Off+f.Size {
			continue
		}
		if write && !f.Write || !write && !f.Read {
			return 0, false
		}
		if off+size > f.Off+f.Size {
			return 0, false
		}
		if size != f.Size {
			if f.Type != Scalar && f.Type != NotInit {
				return 0, false
			}
			if !f.Narrow || write {
				return 0, false
			}
		}
		if f.Type == NotInit {
			return Scalar, true
		}
		return f.Type, true
	}
	return 0, false
}

// MemoryContext is a context that is plain memory of Size bytes
// (ebpfvm's generic type, syscall programs), optionally read-only.
type MemoryContext struct {
	Size     int
	ReadOnly bool
}

// Access implements Context.
func (c *MemoryContext) Access(off, size int, write bool) (RegType, bool) {
	if off < 0 || off+size > c.Size || (write && c.ReadOnly) {
		return 0, false
	}
	return Scalar, true
}

// alignedMemoryContext is plain memory that must be accessed at aligned
// offsets (syscall and tracing contexts).
type alignedMemoryContext struct {
	MemoryContext
}

func (c *alignedMemoryContext) Access(off, size int, write bool) (RegType, bool) {
	if off%size != 0 {
		return 0, false
	}
	return c.MemoryContext.Access(off, size, write)
}

var xdpHelpers = helperSet(baseHelpers, []int32{FuncXdpAdjustHead, FuncXdpAdjustMeta, FuncXdpAdjustTail,
	FuncXdpGetBuffLen, FuncXdpLoadBytes, FuncXdpStoreBytes, FuncCsumDiff, FuncRedirect, FuncRedirectMap, FuncPerfEventOutput})

var tcHelpers = helperSet(baseHelpers, []int32{FuncSkbLoadBytes, FuncSkbStoreBytes, FuncCsumDiff,
	FuncL3CsumReplace, FuncL4CsumReplace, FuncRedirect, FuncRedirectMap, FuncPerfEventOutput})

var socketHelpers = helperSet(baseHelpers, []int32{FuncSkbLoadBytes, FuncPerfEventOutput})

var tracingHelpers = helperSet(baseHelpers, []int32{FuncProbeRead, FuncProbeReadStr, FuncGetCurrentComm,
	FuncGetCurrentUIDGid, FuncPerfEventOutput})

// XDP is BPF_PROG_TYPE_XDP: r1 is a struct xdp_md.
func XDP() *ProgramType {
	return &ProgramType{
		Name: "xdp",
		Context: &FieldContext{Size: 24, Fields: []Field{
			{Name: "data", Off: 0, Size: 4, Read: true, Type: PtrToPacket},
			{Name: "data_end", Off: 4, Size: 4, Read: true, Type: PtrToPacketEnd},
			{Name: "data_meta", Off: 8, Size: 4, Read: true, Type: PtrToPacketMeta},
			{Name: "ingress_ifindex", Off: 12, Size: 4, Read: true},
			{Name: "rx_queue_index", Off: 16, Size: 4, Read: true},
		}},
		Helpers:          xdpHelpers,
		DirectPacketRead: true, DirectPacketWrite: true,
	}
}

// skbFields is struct __sk_buff; write permissions are set per type.
func skbFields(tc bool) []Field {
	n := func(name string, off int) Field {
		return Field{Name: name, Off: off, Size: 4, Read: true, Narrow: true}
	}
	f := []Field{
		n("len", 0), n("pkt_type", 4), n("mark", 8), n("queue_mapping", 12), n("protocol", 16),
		n("vlan_present", 20), n("vlan_tci", 24), n("vlan_proto", 28), n("priority", 32),
		n("ingress_ifindex", 36), n("ifindex", 40), n("tc_index", 44),
		{Name: "cb", Off: 48, Size: 20, Read: true, Write: true, Narrow: true},
		n("hash", 68),
	}
	if tc {
		f = append(f,
			n("tc_classid", 72),
			Field{Name: "data", Off: 76, Size: 4, Read: true, Type: PtrToPacket},
			Field{Name: "data_end", Off: 80, Size: 4, Read: true, Type: PtrToPacketEnd},
			n("napi_id", 84),
			Field{Name: "data_meta", Off: 140, Size: 4, Read: true, Type: PtrToPacketMeta},
			Field{Name: "tstamp", Off: 152, Size: 8, Read: true, Write: true},
			n("wire_len", 160),
		)
	} else {
		f = append(f, n("napi_id", 84))
	}
	f = append(f, n("gso_segs", 164), n("gso_size", 176))
	for i := range f {
		if !tc {
			continue
		}
		switch f[i].Name {
		case "mark", "tc_index", "priority", "tc_classid", "queue_mapping":
			f[i].Write = true
		}
	}
	return f
}

// cb is 20 bytes of 4-byte words: loads and stores of 1-8 bytes inside it.
type skbContext struct{ FieldContext }

func (c *skbContext) Access(off, size int, write bool) (RegType, bool) {
	if off >= 48 && off < 68 {
		if off%size != 0 || off+size > 68 {
			return 0, false
		}
		return Scalar, true
	}
	if write {
		// Stores must be full-size.
		for _, f := range c.Fields {
			if off == f.Off && size != f.Size {
				return 0, false
			}
		}
	}
	return c.FieldContext.Access(off, size, write)
}

// SchedCLS is BPF_PROG_TYPE_SCHED_CLS (tc): r1 is a struct __sk_buff with
// direct packet access.
func SchedCLS() *ProgramType {
	return &ProgramType{
		Name:             "sched_cls",
		Context:          &skbContext{FieldContext{Size: 192, Fields: skbFields(true)}},
		Helpers:          tcHelpers,
		DirectPacketRead: true, DirectPacketWrite: true,
		LegacyPacketLoads: true,
	}
}

// SocketFilter is BPF_PROG_TYPE_SOCKET_FILTER: r1 is a struct __sk_buff
// without direct packet access.
func SocketFilter() *ProgramType {
	return &ProgramType{
		Name:              "socket_filter",
		Context:           &skbContext{FieldContext{Size: 192, Fields: skbFields(false)}},
		Helpers:           socketHelpers,
		LegacyPacketLoads: true,
	}
}

// Syscall is BPF_PROG_TYPE_SYSCALL: r1 is a user-supplied blob of up to
// 65535 bytes, read and written at aligned offsets.
func Syscall() *ProgramType {
	return &ProgramType{
		Name:    "syscall",
		Context: &alignedMemoryContext{MemoryContext{Size: 65535}},
		Helpers: tracingHelpers,
	}
}

// RawTracepoint is BPF_PROG_TYPE_RAW_TRACEPOINT: r1 points to up to 12
// u64 arguments, read-only.
func RawTracepoint() *ProgramType {
	return &ProgramType{
		Name:    "raw_tracepoint",
		Context: &alignedMemoryContext{MemoryContext{Size: 96, ReadOnly: true}},
		Helpers: tracingHelpers,
	}
}

// Tracing is BPF_PROG_TYPE_TRACING (fentry, fexit, fmod_ret): r1 points
// to the traced function's arguments, up to 12 u64 words, read-only. The
// kernel types each word from the function's BTF; without BTF they are
// scalars here.
func Tracing() *ProgramType {
	return &ProgramType{
		Name:    "tracing",
		Context: &alignedMemoryContext{MemoryContext{Size: 96, ReadOnly: true}},
		Helpers: tracingHelpers,
	}
}

// Generic is ebpfvm's program type for embedding: r1 points to ctxSize
// bytes of plain memory, r2 holds that size. Helpers are the kernel's
// base set unless the embedder provides its own.
func Generic(ctxSize int) *ProgramType {
	return &ProgramType{
		Name:        "generic",
		Context:     &MemoryContext{Size: ctxSize},
		Helpers:     helperSet(baseHelpers),
		GenericArgs: true,
	}
}

// ProgramTypeByName returns one of the built-in program types by its
// kernel name ("xdp", "sched_cls", "socket_filter", "syscall",
// "raw_tracepoint") or "generic".
func ProgramTypeByName(name string) (*ProgramType, bool) {
	switch name {
	case "xdp":
		return XDP(), true
	case "sched_cls", "tc":
		return SchedCLS(), true
	case "socket_filter", "socket":
		return SocketFilter(), true
	case "syscall":
		return Syscall(), true
	case "raw_tracepoint", "raw_tp":
		return RawTracepoint(), true
	case "tracing":
		return Tracing(), true
	case "generic":
		return Generic(64), true
	}
	return nil, false
}
