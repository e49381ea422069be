package isa_test

import (
	"fmt"

	"github.com/ebpfvm/ebpfvm/isa"
)

func Example() {
	// The two syntaxes mix freely; labels work in both.
	insns, err := isa.Assemble(`
		r1 = 0x1122334455667788 ll  // kernel/LLVM syntax
		mov32 %r0, 0                # uBPF syntax
		jeq %r1, 0, out
		r0 = be16 r0
	out:
		exit
	`)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := isa.Validate(insns); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(isa.Disassemble(insns))
	// Output:
	// 0: (18) r1 = 0x1122334455667788 ll
	// 2: (b4) w0 = 0
	// 3: (15) if r1 == 0x0 goto pc+1
	// 4: (dc) r0 = be16 r0
	// 5: (95) exit
}

func ExampleAssemble_error() {
	_, err := isa.Assemble("r0 = 0\nr11 = 1\nexit")
	fmt.Println(err)
	// Output:
	// line 2: unknown register r11
}

func ExampleDecode() {
	code := []byte{
		0xb7, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x00, // r0 = 42
		0x95, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // exit
	}
	insns, err := isa.Decode(code)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range insns {
		fmt.Println(isa.FormatInstruction(insns, i))
	}
	// Output:
	// r0 = 42
	// exit
}

func ExampleInstruction_String() {
	fmt.Println(isa.LoadMem(isa.SizeW, isa.R0, isa.R1, 4))
	fmt.Println(isa.Atomic(isa.SizeDW, isa.AtomicAdd|isa.AtomicFetch, isa.R10, isa.R1, -8))
	fmt.Println(isa.Instruction{Opcode: 0xff})
	// Output:
	// r0 = *(u32 *)(r1 +4)
	// r1 = atomic64_fetch_add((u64 *)(r10 -8), r1)
	// .insn op=0xff dst=0 src=0 off=0 imm=0
}
