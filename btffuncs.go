package ebpfvm

import (
	"github.com/cilium/ebpf/btf"

	"github.com/ebpfvm/ebpfvm/internal/loader"
	"github.com/ebpfvm/ebpfvm/verifier"
)

// verifierFuncs describes the functions of a linked program to the
// verifier from their BTF (func_info and prototypes), as BPF_PROG_LOAD
// passes them to the kernel: the verifier verifies the global ones on
// their own, against their prototypes.
func verifierFuncs(fns []loader.Func) []verifier.Func {
	if len(fns) == 0 {
		return nil
	}
	out := make([]verifier.Func, 0, len(fns))
	for _, f := range fns {
		vf := verifier.Func{
			Insn:   f.Slot,
			Name:   f.BTF.Name,
			Global: f.BTF.Linkage == btf.GlobalFunc,
			Ret:    verifier.FuncType{Kind: verifier.TypeVoid, Size: -1},
		}
		if proto, ok := f.BTF.Type.(*btf.FuncProto); ok {
			vf.Ret = funcType(proto.Return, true)
			for i, p := range proto.Params {
				vp := verifier.FuncParam{Type: funcType(p.Type, true)}
				if i < len(f.BTF.ParamTags) {
					vp.Tags = f.BTF.ParamTags[i]
				}
				vf.Params = append(vf.Params, vp)
			}
		}
		out = append(out, vf)
	}
	return out
}

// funcType resolves typedefs and qualifiers of a prototype's type (and,
// when elem is set, of what a pointer points to).
func funcType(t btf.Type, elem bool) verifier.FuncType {
	t = btf.UnderlyingType(t)
	ft := verifier.FuncType{Size: -1}
	if n, err := btf.Sizeof(t); err == nil {
		ft.Size = int64(n)
	}
	switch t := t.(type) {
	case *btf.Void:
		ft.Kind = verifier.TypeVoid
	case *btf.Int:
		ft.Kind, ft.Name = verifier.TypeInt, t.Name
	case *btf.Pointer:
		ft.Kind = verifier.TypePointer
		if elem {
			e := funcType(t.Target, false)
			ft.Elem = &e
		}
	case *btf.Array:
		ft.Kind = verifier.TypeArray
	case *btf.Struct:
		ft.Kind, ft.Name = verifier.TypeStruct, t.Name
	case *btf.Union:
		ft.Kind, ft.Name = verifier.TypeUnion, t.Name
	case *btf.Enum:
		ft.Kind, ft.Name = verifier.TypeEnum, t.Name
		if t.Size == 8 {
			ft.Kind = verifier.TypeEnum64
		}
	case *btf.Fwd:
		ft.Kind, ft.Name = verifier.TypeFwd, t.Name
	case *btf.FuncProto:
		ft.Kind = verifier.TypeFunc
	case *btf.Float:
		ft.Kind, ft.Name = verifier.TypeFloat, t.Name
	default:
		ft.Kind = verifier.TypeVoid
	}
	if ft.Kind == verifier.TypeVoid || ft.Kind == verifier.TypeFwd || ft.Kind == verifier.TypeFunc {
		ft.Size = -1
	}
	return ft
}
