package ebpfvm

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"syscall"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"

	"github.com/ebpfvm/ebpfvm/internal/loader"
	"github.com/ebpfvm/ebpfvm/internal/maps"
	"github.com/ebpfvm/ebpfvm/isa"
	"github.com/ebpfvm/ebpfvm/verifier"
)

// CollectionOptions configure NewCollection. As in cilium/ebpf, the
// settings of the collection's programs nest in Programs, so that each
// setting is declared once.
type CollectionOptions struct {
	// Programs are the settings every program of the collection is
	// loaded with: Helpers (added to the standard helpers, replacing
	// those with the same ID), TraceOutput, Verify (by default every
	// program is verified before it is loaded, as BPF_PROG_LOAD does,
	// and the collection is refused if the verifier rejects one),
	// VerifierBudget and Engine. Its NumCPU is also the number of slots
	// of the per-CPU maps. What the spec says of each program (Type,
	// License, its maps) is taken from the spec: setting Type,
	// ContextSize, License or Maps here is an error.
	Programs ProgramOptions
	// Load names the programs to load; nil loads every program of the
	// spec. A named program is loaded with what it needs, and nothing
	// else is created, verified or prepared: the maps its instructions
	// refer to, and what the initial contents of those maps name, in
	// turn (the programs in a prog array's slots, with their own maps;
	// the inner maps of a map of maps). So a program that another one
	// reaches by tail call through a prog array initialised in the object
	// is loaded with it, and must pass the verifier too; a program
	// nothing named reaches is left out, even if the verifier would
	// reject it. libbpf's autoload flag does the same for programs
	// (bpf_program__set_autoload), though libbpf creates every map.
	Load []string
	// Maps are the settings of the maps the collection creates: its
	// MemoryLimit, when not nil, is charged for every one of them (see
	// MemoryLimit); creating one past the limit fails with ENOMEM. The
	// maps have a slot for each of the programs' CPUs
	// (Programs.NumCPU): setting Maps.NumCPU too is an error.
	Maps MapOptions
}

// check refuses program settings that the spec decides.
func (o *CollectionOptions) check() error {
	po := &o.Programs
	switch {
	case po.Type != ebpf.UnspecifiedProgram:
		return fmt.Errorf("CollectionOptions.Programs.Type is set (%v): the spec gives each program its type: %w", po.Type, syscall.EINVAL)
	case po.ContextSize != 0:
		return fmt.Errorf("CollectionOptions.Programs.ContextSize is set: it applies to the generic type, which ELF programs do not have: %w", syscall.EINVAL)
	case po.License != "":
		return fmt.Errorf("CollectionOptions.Programs.License is set: the object's license section gives it: %w", syscall.EINVAL)
	case po.Maps != nil:
		return fmt.Errorf("CollectionOptions.Programs.Maps is set: the collection's programs use its maps: %w", syscall.EINVAL)
	case o.Maps.NumCPU != 0:
		return fmt.Errorf("CollectionOptions.Maps.NumCPU is set: the collection's maps have a slot for each of its programs' CPUs (Programs.NumCPU): %w", syscall.EINVAL)
	}
	return po.check()
}

// Collection is the programs and maps of an ELF object, loaded into this
// process: the counterpart of cilium/ebpf's Collection.
type Collection struct {
	Programs map[string]*Program
	Maps     map[string]*Map
}

// LoadCollection reads an ELF object made by clang -target bpf and loads
// it.
func LoadCollection(path string, opts *CollectionOptions) (*Collection, error) {
	spec, err := ebpf.LoadCollectionSpec(path)
	if err != nil {
		return nil, err
	}
	return NewCollection(spec, opts)
}

// NewCollection creates the maps of spec, links its programs against them
// and prepares the programs to run: what libbpf and the kernel do between
// bpf_object__open and the first BPF_PROG_TEST_RUN. The spec is the one
// cilium/ebpf reads from an ELF object (ebpf.LoadCollectionSpec), so
// .rodata variables set with spec.Variables take effect here too.
func NewCollection(spec *ebpf.CollectionSpec, opts *CollectionOptions) (_ *Collection, err error) {
	if spec == nil {
		return nil, errors.New("nil CollectionSpec")
	}
	if opts == nil {
		opts = &CollectionOptions{}
	}
	if err := checkSpecs(spec); err != nil {
		return nil, err
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	progs, mapNames, err := loadSet(spec, opts.Load)
	if err != nil {
		return nil, err
	}
	cpus := numCPU(opts.Programs.NumCPU)
	c := &Collection{Programs: map[string]*Program{}, Maps: map[string]*Map{}}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	for _, name := range mapNames {
		m, err := createMap(name, spec.Maps[name], cpus, opts.Maps.MemoryLimit)
		if err != nil {
			return nil, fmt.Errorf("map %s: %w", name, err)
		}
		c.Maps[name] = newMap(name, m)
	}
	for _, name := range progs {
		p, err := c.loadProgram(spec.Programs[name], opts, cpus)
		if err != nil {
			return nil, fmt.Errorf("program %s: %w", name, err)
		}
		c.Programs[name] = p
	}
	for _, name := range mapNames {
		if err := c.fillMap(name, spec.Maps[name], spec.Variables); err != nil {
			return nil, fmt.Errorf("map %s: %w", name, err)
		}
	}
	return c, nil
}

// checkSpecs refuses a spec with nil entries in its maps of programs and
// maps, which cilium/ebpf's ELF reader never makes but a hand-built spec
// may hold.
func checkSpecs(spec *ebpf.CollectionSpec) error {
	for _, name := range sortedKeys(spec.Maps) {
		if spec.Maps[name] == nil {
			return fmt.Errorf("map %s: nil MapSpec", name)
		}
	}
	for _, name := range sortedKeys(spec.Programs) {
		if spec.Programs[name] == nil {
			return fmt.Errorf("program %s: nil ProgramSpec", name)
		}
	}
	return nil
}

// loadSet returns the names of the programs and maps of spec that loading
// the programs named (every program when names is nil) needs, each sorted:
// see CollectionOptions.Load.
func loadSet(spec *ebpf.CollectionSpec, names []string) (progs, mapNames []string, err error) {
	if names == nil {
		return sortedKeys(spec.Programs), sortedKeys(spec.Maps), nil
	}
	needProg, needMap := map[string]bool{}, map[string]bool{}
	var addMap func(name string, from string) error
	var addProg func(name string, from string) error
	addProg = func(name, from string) error {
		if needProg[name] {
			return nil
		}
		ps := spec.Programs[name]
		if ps == nil {
			return fmt.Errorf("%sno program %q in the collection (it has: %s)", from, name, strings.Join(sortedKeys(spec.Programs), ", "))
		}
		needProg[name] = true
		for _, ins := range ps.Instructions {
			if ref := ins.Reference(); ins.IsLoadFromMap() && ref != "" {
				if err := addMap(ref, fmt.Sprintf("program %s: ", name)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	addMap = func(name, from string) error {
		if needMap[name] {
			return nil
		}
		ms := spec.Maps[name]
		if ms == nil {
			return fmt.Errorf("%srefers to map %q, which is not in the collection", from, name)
		}
		needMap[name] = true
		for _, kv := range ms.Contents {
			ref, ok := kv.Value.(string)
			var err error
			switch {
			case !ok:
			case ms.Type == ebpf.ProgramArray:
				err = addProg(ref, fmt.Sprintf("map %s: slot %v: ", name, kv.Key))
			case ms.Type == ebpf.ArrayOfMaps || ms.Type == ebpf.HashOfMaps:
				err = addMap(ref, fmt.Sprintf("map %s: slot %v ", name, kv.Key))
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	for _, name := range names {
		if err := addProg(name, ""); err != nil {
			return nil, nil, err
		}
	}
	return sortedKeys(needProg), sortedKeys(needMap), nil
}

// Close releases the collection's programs and maps. A map's memory is
// freed once no program of any collection uses it. Closing a nil
// Collection does nothing, so that `defer coll.Close()` is safe before
// the error check.
func (c *Collection) Close() {
	if c == nil {
		return
	}
	for _, p := range c.Programs {
		p.Close()
	}
	for _, m := range c.Maps {
		m.Close()
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// mapSpec converts a cilium/ebpf MapSpec.
func mapSpec(name string, ms *ebpf.MapSpec, cpus int) (*maps.Spec, error) {
	s := &maps.Spec{
		Name:       name,
		Type:       maps.Type(ms.Type),
		KeySize:    ms.KeySize,
		ValueSize:  ms.ValueSize,
		MaxEntries: ms.MaxEntries,
		Flags:      ms.Flags,
		MapExtra:   ms.MapExtra,
		NumCPU:     cpus,
	}
	if off, ok := lockOffset(ms.Value); ok {
		s.HasLock, s.LockOffset = true, off
	}
	if ms.Type == ebpf.ProgramArray || ms.Type == ebpf.ArrayOfMaps || ms.Type == ebpf.HashOfMaps {
		if ms.ValueSize == 0 {
			s.ValueSize = 4 // BTF map definitions leave the fd size implicit
		}
	}
	if ms.InnerMap != nil {
		inner, err := mapSpec(name+".inner", ms.InnerMap, cpus)
		if err != nil {
			return nil, err
		}
		s.InnerMap = inner
	}
	return s, nil
}

// lockOffset finds a struct bpf_spin_lock at the top level of a value type,
// as the kernel does with the map's BTF.
func lockOffset(t btf.Type) (uint32, bool) {
	st, ok := btf.UnderlyingType(t).(*btf.Struct)
	if !ok {
		return 0, false
	}
	for _, mb := range st.Members {
		if s, ok := btf.UnderlyingType(mb.Type).(*btf.Struct); ok && s.Name == "bpf_spin_lock" {
			return mb.Offset.Bytes(), true
		}
	}
	return 0, false
}

func createMap(name string, ms *ebpf.MapSpec, cpus int, limit *MemoryLimit) (maps.Map, error) {
	s, err := mapSpec(name, ms, cpus)
	if err != nil {
		return nil, err
	}
	s.Limit = limit.internal()
	m, err := maps.New(s)
	return m, explainENOTSUPP(err)
}

// fillMap writes a map's initial contents: data sections, static
// initialisers, prog array and map-in-map slots that name programs and
// maps.
func (c *Collection) fillMap(name string, ms *ebpf.MapSpec, vars map[string]*ebpf.VariableSpec) error {
	m := c.Maps[name]
	contents, err := withVariables(name, ms, vars)
	if err != nil {
		return err
	}
	for _, kv := range contents {
		v := kv.Value
		if ref, ok := v.(string); ok {
			switch ms.Type {
			case ebpf.ProgramArray:
				p := c.Programs[ref]
				if p == nil {
					return fmt.Errorf("slot %v names program %q, which is not in the collection", kv.Key, ref)
				}
				v = p
			case ebpf.ArrayOfMaps, ebpf.HashOfMaps:
				inner := c.Maps[ref]
				if inner == nil {
					return fmt.Errorf("slot %v names map %q, which is not in the collection", kv.Key, ref)
				}
				v = inner
			}
		}
		if err := m.Update(kv.Key, v, UpdateAny); err != nil {
			return fmt.Errorf("initial contents: %w", err)
		}
	}
	if frozenSection(name) {
		if err := m.m.Freeze(); err != nil {
			return fmt.Errorf("freeze: %w", err)
		}
	}
	return nil
}

// frozenSection reports whether a map is frozen once its initial contents
// are written (BPF_MAP_FREEZE), as libbpf and cilium/ebpf freeze the maps
// of constant data sections (.rodata, .rodata.*) and .kconfig: Go code can
// no longer write them (EPERM), only the programs' view stays as the
// object declared it.
func frozenSection(name string) bool {
	return strings.HasPrefix(name, ".rodata") || name == ".kconfig"
}

func (c *Collection) loadProgram(ps *ebpf.ProgramSpec, opts *CollectionOptions, cpus int) (*Program, error) {
	po := opts.Programs
	po.Type, po.NumCPU = ps.Type, cpus
	linked, err := loader.LinkKfuncs(ps, kfuncResolver(po.Helpers))
	if err != nil {
		return nil, err
	}
	var vres *verifier.Result
	if po.Verify != VerifyNone {
		if vres, err = c.verifyLinked(ps, linked, &po); err != nil {
			return nil, err
		}
	}
	engine, err := po.Engine.pick(vres != nil)
	if err != nil {
		return nil, err
	}
	insns := linked.Insns
	use := mapUse{cpus: cpus, typ: ps.Type, engine: engine}
	p, err := func() (*Program, error) {
		for _, ref := range linked.Maps {
			mm := c.Maps[ref.Map]
			if mm == nil {
				return nil, fmt.Errorf("instruction %d refers to map %q, which is not in the collection", ref.Slot, ref.Map)
			}
			if err := use.load(insns, ref.Slot, mm, ref.Value, ref.Offset); err != nil {
				return nil, err
			}
		}
		if !gplCompatible(ps.License) {
			if err := checkGPLOnly(ps); err != nil {
				return nil, err
			}
		}
		return compileProgram(engine, insns, &po, vres)
	}()
	if err != nil {
		use.release()
		return nil, err
	}
	p.name = ps.Name
	p.maps = use.used
	return p, nil
}

// valueAddress is what a BPF_PSEUDO_MAP_VALUE load yields: the address of
// the single value of an array map, plus an offset.
func valueAddress(m *Map, off uint32) (uint64, error) {
	if m.Type() != ebpf.Array {
		return 0, fmt.Errorf("direct value access to %s, which is not an array", m)
	}
	if off >= m.ValueSize() {
		return 0, fmt.Errorf("direct value offset %d is outside the %d-byte value of %s", off, m.ValueSize(), m)
	}
	addr := m.m.LookupAddr(make([]byte, 4), 0)
	if addr == 0 {
		return 0, fmt.Errorf("%s has no element 0", m)
	}
	return addr + uint64(off), nil
}

// withVariables returns the contents of a data section map with the
// global variables set through spec.Variables (VariableSpec.Set) written
// over them, as cilium/ebpf does before it creates the map.
func withVariables(name string, ms *ebpf.MapSpec, vars map[string]*ebpf.VariableSpec) ([]ebpf.MapKV, error) {
	var mine []*ebpf.VariableSpec
	for _, v := range vars {
		if v.SectionName == name {
			mine = append(mine, v)
		}
	}
	if len(mine) == 0 {
		return ms.Contents, nil
	}
	if ms.Type != ebpf.Array || ms.MaxEntries != 1 {
		return nil, fmt.Errorf("variables in %s, which is not a data section", name)
	}
	data := make([]byte, ms.ValueSize)
	if len(ms.Contents) > 0 {
		b, ok := ms.Contents[0].Value.([]byte)
		if !ok {
			return nil, fmt.Errorf("data section %s has contents of type %T", name, ms.Contents[0].Value)
		}
		copy(data, b)
	}
	for _, v := range mine {
		end := uint64(v.Offset) + uint64(v.Size())
		if end > uint64(len(data)) || uint64(len(v.Value)) != uint64(v.Size()) {
			return nil, fmt.Errorf("variable %s (offset %d, %d bytes) does not fit %s", v.Name, v.Offset, v.Size(), name)
		}
		copy(data[v.Offset:end], v.Value)
	}
	return []ebpf.MapKV{{Key: uint32(0), Value: data}}, nil
}

// gplCompatible is the kernel's license_is_gpl_compatible.
func gplCompatible(license string) bool {
	switch license {
	case "GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL":
		return true
	}
	return false
}

// gplOnly lists the helpers the kernel marks gpl_only that ebpfvm provides.
var gplOnly = map[string]bool{
	"trace_printk": true, "probe_read_user": true, "probe_read_user_str": true,
	"probe_read_kernel": true, "probe_read_kernel_str": true, "snprintf": true,
}

// checkGPLOnly refuses calls to GPL-only helpers, as the kernel does for
// programs whose license is not GPL-compatible.
func checkGPLOnly(ps *ebpf.ProgramSpec) error {
	slot := 0
	for _, ins := range ps.Instructions {
		if ins.IsBuiltinCall() {
			name, _ := isa.HelperName(int32(ins.Constant))
			if gplOnly[strings.TrimPrefix(name, "bpf_")] {
				return fmt.Errorf("instruction %d: cannot call GPL-restricted function %s from non-GPL compatible program (%s)", slot, name, describeLicense(ps.License))
			}
		}
		slot += int(ins.Size() / 8)
	}
	return nil
}

// describeLicense is used in load errors.
func describeLicense(l string) string {
	if strings.TrimSpace(l) == "" {
		return "no license"
	}
	return fmt.Sprintf("license %q", l)
}
