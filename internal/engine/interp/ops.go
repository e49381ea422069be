package interp

// Internal opcodes of the decoded form. Every variant that the raw encoding
// distinguishes by a field other than the opcode byte (sdiv by offset, movsx
// by offset, atomics by imm, call kinds by src_reg, ...) gets its own internal
// opcode, so the run loop dispatches once per instruction through one dense
// switch, which Go compiles to a jump table.
const (
	opInvalid uint8 = iota // the second slot of ld_imm64; never executed

	// ALU64 with an immediate (already sign-extended into imm).
	opAdd64K
	opSub64K
	opMul64K
	opDiv64K
	opSdiv64K
	opOr64K
	opAnd64K
	opLsh64K
	opRsh64K
	opMod64K
	opSmod64K
	opXor64K
	opMov64K
	opArsh64K
	opNeg64
	opBswap16
	opBswap32
	opBswap64

	// ALU64 with a register.
	opAdd64X
	opSub64X
	opMul64X
	opDiv64X
	opSdiv64X
	opOr64X
	opAnd64X
	opLsh64X
	opRsh64X
	opMod64X
	opSmod64X
	opXor64X
	opMov64X
	opMovsx64X8
	opMovsx64X16
	opMovsx64X32
	opArsh64X

	// ALU32 with an immediate.
	opAdd32K
	opSub32K
	opMul32K
	opDiv32K
	opSdiv32K
	opOr32K
	opAnd32K
	opLsh32K
	opRsh32K
	opMod32K
	opSmod32K
	opXor32K
	opMov32K
	opArsh32K
	opNeg32
	opLe16
	opLe32
	opLe64
	opBe16
	opBe32
	opBe64

	// ALU32 with a register.
	opAdd32X
	opSub32X
	opMul32X
	opDiv32X
	opSdiv32X
	opOr32X
	opAnd32X
	opLsh32X
	opRsh32X
	opMod32X
	opSmod32X
	opXor32X
	opMov32X
	opMovsx32X8
	opMovsx32X16
	opArsh32X

	// Jumps. off holds the absolute target index.
	opJa
	opJeq64K
	opJgt64K
	opJge64K
	opJset64K
	opJne64K
	opJsgt64K
	opJsge64K
	opJlt64K
	opJle64K
	opJslt64K
	opJsle64K
	opJeq64X
	opJgt64X
	opJge64X
	opJset64X
	opJne64X
	opJsgt64X
	opJsge64X
	opJlt64X
	opJle64X
	opJslt64X
	opJsle64X
	opJeq32K
	opJgt32K
	opJge32K
	opJset32K
	opJne32K
	opJsgt32K
	opJsge32K
	opJlt32K
	opJle32K
	opJslt32K
	opJsle32K
	opJeq32X
	opJgt32X
	opJge32X
	opJset32X
	opJne32X
	opJsgt32X
	opJsge32X
	opJlt32X
	opJle32X
	opJslt32X
	opJsle32X
	opMayGoto

	opCallHelper // imm indexes Code.helpers
	opCallLocal  // off is the callee's first instruction
	opCallX      // dst holds a helper ID
	opCallKfunc  // imm indexes Code.helpers
	opExit
	opTailCall   // bpf_tail_call, helper 12
	opLoopInline // bpf_loop as the kernel's verifier inlines it

	// Memory.
	opLdImm64
	opFuncAddr // ld_imm64 of a callback: imm is its function handle
	opLdxB
	opLdxH
	opLdxW
	opLdxDW
	opLdxsB
	opLdxsH
	opLdxsW
	opStB
	opStH
	opStW
	opStDW
	opStxB
	opStxH
	opStxW
	opStxDW
	opAtomicAdd32
	opAtomicOr32
	opAtomicAnd32
	opAtomicXor32
	opAtomicFetchAdd32
	opAtomicFetchOr32
	opAtomicFetchAnd32
	opAtomicFetchXor32
	opAtomicXchg32
	opAtomicCmpXchg32
	opAtomicAdd64
	opAtomicOr64
	opAtomicAnd64
	opAtomicXor64
	opAtomicFetchAdd64
	opAtomicFetchOr64
	opAtomicFetchAnd64
	opAtomicFetchXor64
	opAtomicXchg64
	opAtomicCmpXchg64
	opLoadAcquire  // size in src2
	opStoreRelease // size in src2
	opLdAbs        // size in src2
	opLdInd        // size in src2

	opCount
)
