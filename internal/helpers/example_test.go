package helpers_test

import (
	"fmt"
	"os"

	"github.com/ebpfvm/ebpfvm/internal/helpers"
	"github.com/ebpfvm/ebpfvm/internal/testing/vmengines"
	"github.com/ebpfvm/ebpfvm/internal/vm"
	"github.com/ebpfvm/ebpfvm/isa"
)

// A program formats a message with bpf_trace_printk; the host decides
// where trace output goes and what task the program runs as.
func ExampleStandard() {
	var hs vm.Helpers
	helpers.Register(&hs, &helpers.Config{
		TraceOutput: os.Stdout,
		Task:        &helpers.Task{PID: 42, TGID: 42, Comm: "example"},
	})
	insns, _ := isa.Assemble(`
		r1 = 0x0a64253d78 ll   # "x=%d\n"
		*(u64 *)(r10 -8) = r1
		r1 = r10
		r1 += -8
		r2 = 8
		r3 = 7
		call bpf_trace_printk
		exit`)
	engine := vmengines.Reference()
	code, err := engine.Compile(insns, &hs, true, vm.Facts{})
	if err != nil {
		panic(err)
	}
	m, _ := engine.NewMachine()
	defer m.Close()
	m.Reset()
	m.Env().CPU = 1
	res, err := m.RunRepeat(code, [5]uint64{}, vm.RunOptions{Checked: true}, 1, nil)
	if err := helpers.EndRun(m.Env()); err != nil {
		panic(err)
	}
	fmt.Println(res.R0, err)
	// Output:
	// example-42 [001] bpf_trace_printk: x=7
	// 4 <nil>
}
