package ebpfvm_test

import (
	"errors"
	"fmt"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/isa"
	"github.com/ebpfvm/ebpfvm/verifier"
)

// A program reads its context and returns a value.
func Example() {
	insns, err := isa.Assemble(`
		r0 = *(u32 *)(r1 +0)   # r1 points to a copy of Context
		r0 *= 3
		exit`)
	if err != nil {
		panic(err)
	}
	// Verified at load (the verifier proves the read stays inside a
	// 4-byte context), then run without per-access checks.
	prog, err := ebpfvm.NewProgram(insns, &ebpfvm.ProgramOptions{ContextSize: 4})
	if err != nil {
		panic(err)
	}
	res, err := prog.Run(&ebpfvm.RunOptions{Context: []byte{14, 0, 0, 0}})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.ReturnValue)
	// Output: 42
}

// Helpers are Go functions registered under Linux helper IDs.
func ExampleHelpers() {
	helpers := &ebpfvm.Helpers{}
	helpers.Register(ebpfvm.Helper{
		ID:   5, // bpf_ktime_get_ns
		Name: "bpf_ktime_get_ns",
		Func: func(env *ebpfvm.Env, r1, r2, r3, r4, r5 uint64) (uint64, error) {
			return 1_000_000, nil // a fixed clock for a test
		},
		// What the verifier checks calls against: no arguments, a scalar.
		Proto: &ebpfvm.HelperProto{Name: "bpf_ktime_get_ns", Ret: verifier.RetInteger},
	})
	insns, _ := isa.Assemble("call bpf_ktime_get_ns\nr0 /= 1000\nexit")
	prog, err := ebpfvm.NewProgram(insns, &ebpfvm.ProgramOptions{Helpers: helpers})
	if err != nil {
		panic(err)
	}
	res, _ := prog.Run(nil)
	fmt.Println(res.ReturnValue)
	// Output: 1000
}

// The verifier refuses an unsafe program at load, naming the instruction.
func ExampleNewProgram() {
	insns, _ := isa.Assemble("r0 = *(u64 *)(r1 +4)\nexit") // 4 bytes past an 8-byte context
	_, err := ebpfvm.NewProgram(insns, &ebpfvm.ProgramOptions{ContextSize: 8})
	var ve *verifier.Error
	if errors.As(err, &ve) {
		fmt.Println(ve.Insn, ve.Msg)
	}
	// Output: 0 invalid bpf_context access off=4 size=8
}

// An unverified program runs in checked mode: a memory error ends the run
// with an error that names the instruction and the region.
func ExampleRunError() {
	insns, _ := isa.Assemble("r0 = *(u64 *)(r1 +4)\nexit")
	prog, _ := ebpfvm.NewProgram(insns, &ebpfvm.ProgramOptions{Verify: ebpfvm.VerifyNone})
	_, err := prog.Run(&ebpfvm.RunOptions{Context: make([]byte, 8)})
	if re, ok := err.(*ebpfvm.RunError); ok {
		fmt.Println(re.Index, re.Insn)
	}
	// Output: 0 r0 = *(u64 *)(r1 +4)
}

// Programs from an ELF object run as the kernel's BPF_PROG_TEST_RUN would
// run them, with their maps.
func ExampleLoadCollection() {
	coll, err := ebpfvm.LoadCollection("testdata/corpus/xdp_parser.o", nil)
	if err != nil {
		panic(err)
	}
	defer coll.Close()
	// An Ethernet + IPv4 + UDP packet.
	packet := make([]byte, 60)
	packet[12], packet[13] = 0x08, 0x00 // EtherType IPv4
	packet[14], packet[22], packet[23] = 0x45, 64, 17
	packet[16], packet[17] = 0, 46 // IPv4 total length
	packet[39] = 26                // UDP length
	res, err := coll.Programs["xdp_parse"].Run(&ebpfvm.RunOptions{Data: packet})
	if err != nil {
		panic(err)
	}
	fmt.Println("verdict:", res.ReturnValue) // XDP_PASS
	fmt.Println("maps:", len(coll.Maps))
	// Output:
	// verdict: 2
	// maps: 2
}
