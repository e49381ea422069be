//go:build !(linux && (amd64 || arm64 || loong64 || mips64 || mips64le || ppc64 || ppc64le || riscv64 || s390x))

package kernel

import (
	"fmt"
	"runtime"

	"github.com/ebpfvm/ebpfvm/isa"
)

var errPlatform = fmt.Errorf("%w: not supported on %s/%s (needs 64-bit Linux)", ErrUnavailable, runtime.GOOS, runtime.GOARCH)

// Available reports why bpf() cannot be used on this platform.
func Available() error { return errPlatform }

func load([]isa.Instruction, LoadOptions) (*Program, error) { return nil, errPlatform }

func closeFD(int) error { return nil }

func (p *Program) testRun(TestRunOptions) (TestRunResult, error) {
	return TestRunResult{}, errPlatform
}
