package ebpfvm

import (
	"sync"

	"github.com/ebpfvm/ebpfvm/internal/helpers"
	"github.com/ebpfvm/ebpfvm/internal/loader"
	"github.com/ebpfvm/ebpfvm/internal/vm"
	"github.com/ebpfvm/ebpfvm/verifier"
)

// Built-in kfuncs: kernel kfuncs that ebpfvm implements and gives every
// program, of every type, without registration, as Linux gives them to
// every program type: the numeric open-coded iterator
// (bpf_iter_num_new/next/destroy, used by bpf_for and bpf_repeat). Their
// IDs are reserved; a kfunc the embedder registers under one of these
// IDs, or under one of these names, takes precedence.
const (
	KfuncIterNumNew     int32 = 0x7fff_0001
	KfuncIterNumNext    int32 = 0x7fff_0002
	KfuncIterNumDestroy int32 = 0x7fff_0003
)

// builtinKfuncs is the set of built-in kfuncs, made once.
var builtinKfuncs = sync.OnceValue(func() *vm.Helpers {
	h := &vm.Helpers{}
	pNew, pNext, pDestroy := verifier.IterNumKfuncs()
	for _, k := range []vm.Helper{
		{ID: KfuncIterNumNew, Name: pNew.Name, Func: helpers.IterNumNew, Proto: pNew},
		{ID: KfuncIterNumNext, Name: pNext.Name, Func: helpers.IterNumNext, Proto: pNext},
		{ID: KfuncIterNumDestroy, Name: pDestroy.Name, Func: helpers.IterNumDestroy, Proto: pDestroy},
	} {
		if err := h.RegisterKfunc(k); err != nil {
			panic(err) // a Func is missing: a bug here
		}
	}
	return h
})

// lookupKfunc finds the kfunc with this ID among the embedder's, then the
// built-in ones.
func lookupKfunc(user *Helpers, id int32) (vm.Helper, bool) {
	if hp, ok := user.vm().LookupKfunc(id); ok {
		return hp, true
	}
	return builtinKfuncs().LookupKfunc(id)
}

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
			hp, ok, err = builtinKfuncs().KfuncByName(name)
		}
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
	hp, ok := lookupKfunc(k.user, id)
	if !ok {
		return "", nil, false
	}
	return hp.Name, hp.Proto, true
}
