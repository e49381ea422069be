package main

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/loader"
	"github.com/ebpfvm/ebpfvm/isa"
)

var elfMagic = []byte{0x7f, 'E', 'L', 'F'}

// object is what OBJ holds: raw bytecode or an ELF object.
type object struct {
	path string
	raw  []isa.Instruction
	spec *ebpf.CollectionSpec
}

func openObject(path string, raw bool) (*object, error) {
	limit := maxELFObject
	if raw {
		limit = maxRawObject
	}
	b, err := readLimited(path, limit)
	if isTooLarge(err) && raw {
		return nil, fmt.Errorf("%w: raw bytecode is at most %d instructions (the kernel's BPF_COMPLEXITY_LIMIT_INSNS)", err, maxRawObject/8)
	}
	if isTooLarge(err) {
		return nil, fmt.Errorf("%w: ebpfvm reads ELF objects of at most %d MiB", err, maxELFObject>>20)
	}
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("%s is empty", path)
	}
	isELF := bytes.HasPrefix(b, elfMagic)
	switch {
	case raw && isELF:
		return nil, fmt.Errorf("%s is an ELF object, not raw bytecode: drop --raw", path)
	case raw:
		insns, err := isa.Decode(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return &object{path: path, raw: insns}, nil
	case isELF:
		spec, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(b))
		if err != nil {
			if trunc := elfTruncation(b); trunc != nil {
				return nil, fmt.Errorf("%s: %w (%w)", path, trunc, err)
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return &object{path: path, spec: spec}, nil
	}
	return nil, fmt.Errorf("%s is not an ELF object; use --raw to run raw bytecode", path)
}

// programName picks PROG: the one named, or the object's only program.
func (o *object) programName(name string) (string, error) {
	if o.raw != nil {
		if name != "" {
			return "", usageError("raw bytecode holds one program: PROG %q makes no sense with --raw", name)
		}
		return "", nil
	}
	var names []string
	for n := range o.spec.Programs {
		names = append(names, n)
	}
	slices.Sort(names)
	switch {
	case name != "" && o.spec.Programs[name] != nil:
		return name, nil
	case name != "":
		return "", fmt.Errorf("%s has no program %q (it has: %s)", o.path, name, strings.Join(names, ", "))
	case len(names) == 1:
		return names[0], nil
	case len(names) == 0:
		return "", fmt.Errorf("%s holds no programs", o.path)
	}
	return "", usageError("%s holds %d programs: name one of %s", o.path, len(names), strings.Join(names, ", "))
}

// programType is the type of PROG (named as programName accepts it);
// raw bytecode has rawType.
func (o *object) programType(name string, rawType ebpf.ProgramType) (ebpf.ProgramType, error) {
	name, err := o.programName(name)
	if err != nil {
		return 0, err
	}
	if o.raw != nil {
		return rawType, nil
	}
	return o.spec.Programs[name].Type, nil
}

// loaded is a program ready to run, and the collection it belongs to
// (nil for raw bytecode).
type loaded struct {
	prog *ebpfvm.Program
	coll *ebpfvm.Collection
}

// program loads PROG ready to run with the settings po (verifier mode,
// engine, trace output); from an ELF object, PROG loads with what it needs
// (its maps, the programs its prog arrays are initialised with), not the
// object's other programs. Raw bytecode is of rawType; of the generic
// type, with a context of ctxSize bytes.
func (o *object) program(name string, po ebpfvm.ProgramOptions, rawType ebpf.ProgramType, ctxSize int) (*loaded, error) {
	name, err := o.programName(name)
	if err != nil {
		return nil, err
	}
	if o.raw != nil {
		opts := po
		opts.Type = rawType
		if rawType == ebpf.UnspecifiedProgram {
			opts.ContextSize = ctxSize
		}
		p, err := ebpfvm.NewProgram(o.raw, &opts)
		if err != nil {
			return nil, err
		}
		return &loaded{prog: p}, nil
	}
	coll, err := ebpfvm.NewCollection(o.spec, &ebpfvm.CollectionOptions{Programs: po, Load: []string{name}})
	if err != nil {
		return nil, err
	}
	return &loaded{prog: coll.Programs[name], coll: coll}, nil
}

// listing disassembles PROG (every program when name is empty).
func (o *object) listing(name string) (string, error) {
	if o.raw != nil {
		if _, err := o.programName(name); err != nil {
			return "", err
		}
		return isa.Disassemble(o.raw), nil
	}
	names := []string{name}
	if name == "" {
		names = nil
		for n := range o.spec.Programs {
			names = append(names, n)
		}
		slices.Sort(names)
	} else if _, err := o.programName(name); err != nil {
		return "", err
	}
	var b strings.Builder
	for i, n := range names {
		ps := o.spec.Programs[n]
		linked, err := loader.Link(ps)
		if err != nil {
			return "", fmt.Errorf("program %s: %w", n, err)
		}
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s: section %s, type %s, license %q\n", n, ps.SectionName, ps.Type, ps.License)
		b.WriteString(isa.Disassemble(linked.Insns))
	}
	return b.String(), nil
}
