package verifier

import "github.com/ebpfvm/ebpfvm/isa"

// ArgKind is the kind of a helper argument (enum bpf_arg_type): a base
// kind plus modifier bits.
type ArgKind uint16

// Argument base kinds.
const (
	ArgNone                 ArgKind = iota  // unused argument (ARG_DONTCARE)
	ArgAnything                             // any initialized scalar; no pointers
	ArgConstMapPtr                          // a map from ld_imm64
	ArgPtrToMapKey                          // memory of the map's key size
	ArgPtrToMapValue                        // memory of the map's value size
	ArgPtrToMem                             // memory whose size the next argument gives
	ArgConstSize                            // the size of the previous argument, > 0
	ArgConstSizeOrZero                      // likewise, may be 0
	ArgPtrToCtx                             // the context
	ArgPtrToSpinLock                        // a struct bpf_spin_lock in a map value
	ArgPtrToRingbufMem                      // a ring buffer record
	ArgConstAllocSizeOrZero                 // a constant size of memory to allocate
	ArgPtrToFunc                            // a callback subprogram
	ArgPtrToStack                           // the stack
	ArgPtrToConstStr                        // a NUL-terminated string in a read-only map
	argKindBase                     = 0x3f  // mask of the base kind
	ArgOrNull               ArgKind = 0x40  // PTR_MAYBE_NULL: 0 is accepted
	ArgReadOnly             ArgKind = 0x80  // MEM_RDONLY: the helper only reads
	ArgUninit               ArgKind = 0x100 // MEM_UNINIT: the helper writes, need not be initialized
	ArgRelease              ArgKind = 0x200 // OBJ_RELEASE: the helper releases the reference
	ArgFixedSize            ArgKind = 0x400 // MEM_FIXED_SIZE: the size is HelperProto.ArgSize
	ArgAligned              ArgKind = 0x800 // MEM_ALIGNED
)

// Base returns the kind without modifiers.
func (a ArgKind) Base() ArgKind { return a & argKindBase }

// RetKind is what a helper returns in r0 (enum bpf_return_type).
type RetKind uint8

// Return kinds.
const (
	RetInteger               RetKind = iota // a scalar
	RetVoid                                 // nothing: r0 is not readable
	RetPtrToMapValueOrNull                  // a value of the map argument, or NULL
	RetPtrToRingbufMemOrNull                // a ring buffer record (a reference), or NULL
	RetPtrToMemOrNull                       // memory of RetSize bytes, or NULL
)

// HelperProto is the prototype of a helper function, as the verifier
// checks calls to it (struct bpf_func_proto).
type HelperProto struct {
	Name    string
	Ret     RetKind
	Args    [5]ArgKind
	ArgSize [5]uint32 // sizes of ArgFixedSize arguments
	RetSize uint32    // RetPtrToMemOrNull size
	GPLOnly bool
	// PacketAccess: the helper may be given packet pointers.
	PacketAccess bool
	// ChangesPacketData: the helper may move or resize the packet, so
	// every packet pointer is invalidated after the call.
	ChangesPacketData bool
	// Privileged: only available in privileged mode (CAP_BPF/CAP_PERFMON
	// helpers of the kernel's bpf_base_func_proto).
	Privileged bool
	// Iter makes a kfunc one of an open-coded iterator's (iter.go).
	Iter *IterKfunc
}

// HelperSet gives the prototype of a helper by its ID, or nil when the
// helper does not exist for the program. Embedders that register their own
// helpers wrap KernelHelpers.
type HelperSet interface {
	Helper(id int32) *HelperProto
}

// HelperMap is a HelperSet backed by a map.
type HelperMap map[int32]*HelperProto

// Helper implements HelperSet.
func (m HelperMap) Helper(id int32) *HelperProto { return m[id] }

// Helper IDs used by the verifier itself (enum bpf_func_id).
const (
	FuncMapLookupElem      = 1
	FuncMapUpdateElem      = 2
	FuncMapDeleteElem      = 3
	FuncProbeRead          = 4
	FuncKtimeGetNs         = 5
	FuncTracePrintk        = 6
	FuncGetPrandomU32      = 7
	FuncGetSmpProcessorID  = 8
	FuncSkbStoreBytes      = 9
	FuncL3CsumReplace      = 10
	FuncL4CsumReplace      = 11
	FuncTailCall           = 12
	FuncGetCurrentPidTgid  = 14
	FuncGetCurrentUIDGid   = 15
	FuncGetCurrentComm     = 16
	FuncRedirect           = 23
	FuncPerfEventOutput    = 25
	FuncSkbLoadBytes       = 26
	FuncCsumDiff           = 28
	FuncXdpAdjustHead      = 44
	FuncProbeReadStr       = 45
	FuncRedirectMap        = 51
	FuncXdpAdjustMeta      = 54
	FuncMapPushElem        = 87
	FuncMapPopElem         = 88
	FuncMapPeekElem        = 89
	FuncSpinLock           = 93
	FuncSpinUnlock         = 94
	FuncStrtol             = 105
	FuncStrtoul            = 106
	FuncXdpAdjustTail      = 65
	FuncProbeReadUser      = 112
	FuncProbeReadKernel    = 113
	FuncProbeReadUserStr   = 114
	FuncProbeReadKernelStr = 115
	FuncJiffies64          = 118
	FuncRingbufOutput      = 130
	FuncRingbufReserve     = 131
	FuncRingbufSubmit      = 132
	FuncRingbufDiscard     = 133
	FuncRingbufQuery       = 134
	FuncKtimeGetBootNs     = 125
	FuncForEachMapElem     = 164
	FuncSnprintf           = 165
	FuncLoop               = 181
	FuncStrncmp            = 182
	FuncGetNumaNodeID      = 42
	FuncXdpGetBuffLen      = 188
	FuncXdpLoadBytes       = 189
	FuncXdpStoreBytes      = 190
)

func proto(id int32, ret RetKind, args ...ArgKind) *HelperProto {
	name, _ := isa.HelperName(id)
	p := &HelperProto{Name: name, Ret: ret}
	copy(p.Args[:], args)
	return p
}

// kernelProtos are the kernel's prototypes of the common helpers.
var kernelProtos = func() map[int32]*HelperProto {
	m := map[int32]*HelperProto{}
	add := func(id int32, ret RetKind, args ...ArgKind) *HelperProto {
		p := proto(id, ret, args...)
		m[id] = p
		return p
	}
	rdMem := ArgPtrToMem | ArgReadOnly
	uninitMem := ArgPtrToMem | ArgUninit
	// The map helpers take packet pointers (pkt_access in the kernel).
	for _, p := range []*HelperProto{
		add(FuncMapLookupElem, RetPtrToMapValueOrNull, ArgConstMapPtr, ArgPtrToMapKey),
		add(FuncMapUpdateElem, RetInteger, ArgConstMapPtr, ArgPtrToMapKey, ArgPtrToMapValue, ArgAnything),
		add(FuncMapDeleteElem, RetInteger, ArgConstMapPtr, ArgPtrToMapKey),
		add(FuncMapPushElem, RetInteger, ArgConstMapPtr, ArgPtrToMapValue, ArgAnything),
		add(FuncMapPopElem, RetInteger, ArgConstMapPtr, ArgPtrToMapValue|ArgUninit),
		add(FuncMapPeekElem, RetInteger, ArgConstMapPtr, ArgPtrToMapValue|ArgUninit),
	} {
		p.PacketAccess = true
	}
	add(FuncKtimeGetNs, RetInteger)
	add(FuncKtimeGetBootNs, RetInteger)
	add(FuncGetPrandomU32, RetInteger)
	add(FuncGetSmpProcessorID, RetInteger)
	add(FuncGetNumaNodeID, RetInteger)
	add(FuncGetCurrentPidTgid, RetInteger)
	add(FuncJiffies64, RetInteger).Privileged = true
	add(FuncTailCall, RetVoid, ArgPtrToCtx, ArgConstMapPtr, ArgAnything)
	add(FuncRingbufOutput, RetInteger, ArgConstMapPtr, rdMem, ArgConstSizeOrZero, ArgAnything)
	add(FuncRingbufReserve, RetPtrToRingbufMemOrNull, ArgConstMapPtr, ArgConstAllocSizeOrZero, ArgAnything)
	add(FuncRingbufSubmit, RetVoid, ArgPtrToRingbufMem|ArgRelease, ArgAnything)
	add(FuncRingbufDiscard, RetVoid, ArgPtrToRingbufMem|ArgRelease, ArgAnything)
	add(FuncRingbufQuery, RetInteger, ArgConstMapPtr, ArgAnything)
	add(FuncStrncmp, RetInteger, rdMem, ArgConstSize, ArgPtrToConstStr)
	p := add(FuncStrtol, RetInteger, rdMem, ArgConstSize, ArgAnything, ArgPtrToMem|ArgUninit|ArgFixedSize|ArgAligned)
	p.ArgSize[3] = 8
	p = add(FuncStrtoul, RetInteger, rdMem, ArgConstSize, ArgAnything, ArgPtrToMem|ArgUninit|ArgFixedSize|ArgAligned)
	p.ArgSize[3] = 8
	for _, id := range []int32{FuncSpinLock, FuncSpinUnlock} {
		add(id, RetVoid, ArgPtrToSpinLock).Privileged = true
	}
	add(FuncLoop, RetInteger, ArgAnything, ArgPtrToFunc, ArgPtrToStack|ArgOrNull, ArgAnything).Privileged = true
	add(FuncForEachMapElem, RetInteger, ArgConstMapPtr, ArgPtrToFunc, ArgPtrToStack|ArgOrNull, ArgAnything).Privileged = true
	p = add(FuncSnprintf, RetInteger, ArgPtrToMem|ArgOrNull|ArgUninit, ArgConstSizeOrZero, ArgPtrToConstStr, ArgPtrToMem|ArgOrNull|ArgReadOnly, ArgConstSizeOrZero)
	p.Privileged = true
	p = add(FuncTracePrintk, RetInteger, rdMem, ArgConstSize)
	p.GPLOnly, p.Privileged = true, true
	for _, id := range []int32{FuncProbeRead, FuncProbeReadUser, FuncProbeReadKernel, FuncProbeReadStr, FuncProbeReadUserStr, FuncProbeReadKernelStr} {
		p = add(id, RetInteger, uninitMem, ArgConstSizeOrZero, ArgAnything)
		p.GPLOnly, p.Privileged = true, true
	}
	p = add(FuncGetCurrentComm, RetInteger, uninitMem, ArgConstSize)
	p = add(FuncGetCurrentUIDGid, RetInteger)
	// Packet helpers.
	p = add(FuncXdpAdjustHead, RetInteger, ArgPtrToCtx, ArgAnything)
	p.ChangesPacketData = true
	p = add(FuncXdpAdjustMeta, RetInteger, ArgPtrToCtx, ArgAnything)
	p.ChangesPacketData = true
	p = add(FuncXdpAdjustTail, RetInteger, ArgPtrToCtx, ArgAnything)
	p.ChangesPacketData = true
	add(FuncXdpGetBuffLen, RetInteger, ArgPtrToCtx)
	add(FuncXdpLoadBytes, RetInteger, ArgPtrToCtx, ArgAnything, uninitMem, ArgConstSize)
	add(FuncXdpStoreBytes, RetInteger, ArgPtrToCtx, ArgAnything, rdMem, ArgConstSize)
	p = add(FuncSkbLoadBytes, RetInteger, ArgPtrToCtx, ArgAnything, uninitMem, ArgConstSize)
	p = add(FuncSkbStoreBytes, RetInteger, ArgPtrToCtx, ArgAnything, rdMem, ArgConstSize, ArgAnything)
	p.ChangesPacketData = true
	p = add(FuncCsumDiff, RetInteger, rdMem|ArgOrNull, ArgConstSizeOrZero, rdMem|ArgOrNull, ArgConstSizeOrZero, ArgAnything)
	p.PacketAccess = true
	p = add(FuncL3CsumReplace, RetInteger, ArgPtrToCtx, ArgAnything, ArgAnything, ArgAnything, ArgAnything)
	p.ChangesPacketData = true
	p = add(FuncL4CsumReplace, RetInteger, ArgPtrToCtx, ArgAnything, ArgAnything, ArgAnything, ArgAnything)
	p.ChangesPacketData = true
	add(FuncRedirect, RetInteger, ArgAnything, ArgAnything)
	add(FuncRedirectMap, RetInteger, ArgConstMapPtr, ArgAnything, ArgAnything)
	p = add(FuncPerfEventOutput, RetInteger, ArgPtrToCtx, ArgConstMapPtr, ArgAnything, rdMem, ArgConstSizeOrZero)
	return m
}()

// KernelHelper returns the kernel's prototype of a helper, or nil when this
// package has none for it.
func KernelHelper(id int32) *HelperProto { return kernelProtos[id] }

// baseHelpers are available to every program type (bpf_base_func_proto).
var baseHelpers = []int32{
	FuncMapLookupElem, FuncMapUpdateElem, FuncMapDeleteElem, FuncMapPushElem,
	FuncMapPopElem, FuncMapPeekElem, FuncGetPrandomU32, FuncGetSmpProcessorID,
	FuncGetNumaNodeID, FuncTailCall, FuncKtimeGetNs, FuncKtimeGetBootNs,
	FuncRingbufOutput, FuncRingbufReserve, FuncRingbufSubmit, FuncRingbufDiscard,
	FuncRingbufQuery, FuncStrncmp, FuncStrtol, FuncStrtoul, FuncGetCurrentPidTgid,
	FuncSpinLock, FuncSpinUnlock, FuncJiffies64, FuncForEachMapElem, FuncLoop,
	FuncTracePrintk, FuncSnprintf, FuncProbeReadUser, FuncProbeReadKernel,
	FuncProbeReadUserStr, FuncProbeReadKernelStr,
}

func helperSet(ids ...[]int32) HelperMap {
	m := HelperMap{}
	for _, l := range ids {
		for _, id := range l {
			if p := kernelProtos[id]; p != nil {
				m[id] = p
			}
		}
	}
	return m
}
