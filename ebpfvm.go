// Package ebpfvm runs eBPF programs in user space, in any Go process, with
// the Linux kernel's semantics: the same bytecode, the same instruction
// semantics down to division by zero and 32-bit zero extension, helpers with
// the kernel's IDs, and memory safety for programs that were never verified.
//
// A program goes through five stages (docs/ARCHITECTURE.md has the
// packages, the import graph and the rules that keep them apart):
//
//	link     internal/loader: an ELF object's functions, map references
//	         and kfunc calls made one instruction stream (NewCollection)
//	verify   verifier: the kernel's rules, unless Verify is VerifyNone
//	fixup    map references patched, helpers bound, the engine chosen
//	         (ProgramOptions.Engine)
//	compile  the engine (internal/engine/...) turns the result into
//	         immutable code that concurrent runs share
//	run      Program.Run: a per-goroutine machine of that engine runs the
//	         code with the run state of internal/vm, the context framed as
//	         BPF_PROG_TEST_RUN frames it for the program type
//
// A minimal embedding:
//
//	insns, _ := isa.Assemble("r0 = 42\nexit")
//	prog, _ := ebpfvm.NewProgram(insns, nil)
//	res, _ := prog.Run(&ebpfvm.RunOptions{})
//	fmt.Println(res.ReturnValue) // 42
package ebpfvm

import (
	"github.com/ebpfvm/ebpfvm/internal/mem"
	"github.com/ebpfvm/ebpfvm/internal/vm"
	"github.com/ebpfvm/ebpfvm/verifier"
)

// Data and error types shared with the runtime. As cilium/ebpf does, the
// root aliases only data and error types; what a helper author calls
// (Env, Helpers) is declared here, with its methods.
type (
	// RunError is a run-time failure at one instruction.
	RunError = vm.Error
	// HelperProto is a helper's typed prototype for the verifier: the
	// kinds of its arguments and of its return value.
	HelperProto = verifier.HelperProto
)

// Run-time errors, wrapped in *RunError.
var (
	ErrBudget       = vm.ErrBudget
	ErrCallDepth    = vm.ErrCallDepth
	ErrMisaligned   = vm.ErrMisaligned
	ErrAccessDenied = mem.ErrAccessDenied
)
