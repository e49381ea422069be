package ebpfvm

import (
	"github.com/ebpfvm/ebpfvm/internal/loader"
	"github.com/ebpfvm/ebpfvm/verifier"
)

// Kfuncs are registered with Helpers.RegisterKfunc under an ID and a name.
// ELF objects call them by name (extern ... __ksym in C): the loader gives
// each call the ID of the kfunc registered under that name. The verifier
// checks calls against the kfunc's Proto; a kfunc without one can be
// called only by programs loaded with VerifyNone.

// kfuncResolver resolves the kfunc names of an ELF object's calls against
// the embedder's kfuncs.
func kfuncResolver(h *Helpers) loader.KfuncResolver {
	return func(name string) (int32, error) {
		hp, ok, err := h.vm().KfuncByName(name)
		if err != nil {
			return 0, err
		}
		if !ok {
			return 0, loader.ErrKfuncNotFound
		}
		return hp.ID, nil
	}
}

// kfuncProtos is the verifier's view of the embedder's kfuncs: their names
// and prototypes. A kfunc registered without a prototype exists (the
// loader resolves calls to it) but a verified program may not call it:
// the verifier says "calling kernel function NAME is not allowed".
type kfuncProtos struct{ user *Helpers }

func (k kfuncProtos) Kfunc(id int32) (string, *verifier.HelperProto, bool) {
	hp, ok := k.user.vm().LookupKfunc(id)
	if !ok {
		return "", nil, false
	}
	return hp.Name, hp.Proto, true
}
