package loader

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf/asm"
)

// KfuncResolver gives the ID of the kfunc with this name, or an error
// saying why there is none (not registered, several of that name).
type KfuncResolver func(name string) (int32, error)

// linkKfunc gives a kfunc call the ID of the kfunc it names, as libbpf
// gives it the kernel BTF ID of the extern __ksym function. src_reg stays
// BPF_PSEUDO_KFUNC_CALL and off is 0 (the kfunc is not in a module).
func linkKfunc(ins *asm.Instruction, slot int, kfuncs KfuncResolver) error {
	name := ins.Reference()
	if name == "" {
		// Built with cilium/ebpf's asm rather than read from an ELF
		// object: the instruction carries its ID already.
		return nil
	}
	if kfuncs == nil {
		return fmt.Errorf("instruction %d: call to kfunc %s: no kfuncs are registered (Helpers.RegisterKfunc)", slot, name)
	}
	id, err := kfuncs(name)
	if err != nil {
		return fmt.Errorf("instruction %d: call to kfunc %s: %w", slot, name, err)
	}
	*ins = ins.WithReference("")
	ins.Constant = int64(id)
	ins.Offset = 0
	return nil
}

// ErrKfuncNotFound is the error of a KfuncResolver that knows no kfunc of
// the name.
var ErrKfuncNotFound = errors.New("no kfunc of this name is registered (Helpers.RegisterKfunc)")
