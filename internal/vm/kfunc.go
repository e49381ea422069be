package vm

import (
	"fmt"
	"sort"
)

// LookupKfunc returns the kfunc registered under id.
func (h *Helpers) LookupKfunc(id int32) (Helper, bool) {
	if h == nil {
		return Helper{}, false
	}
	hp, ok := h.kfuncs[id]
	return hp, ok
}

// KfuncByName returns the kfunc registered under this name, which ELF
// objects call it by (an extern declared __ksym in C). ok is false when
// none is; it is an error when several are.
func (h *Helpers) KfuncByName(name string) (hp Helper, ok bool, err error) {
	if h == nil {
		return Helper{}, false, nil
	}
	var ids []int32
	for id, k := range h.kfuncs {
		if k.Name == name {
			hp, ok = k, true
			ids = append(ids, id)
		}
	}
	if len(ids) > 1 {
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		return Helper{}, false, fmt.Errorf("%d kfuncs are registered as %s (IDs %v)", len(ids), name, ids)
	}
	return hp, ok, nil
}
