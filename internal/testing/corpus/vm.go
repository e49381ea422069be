package corpus

import (
	"fmt"
	"runtime"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm"
)

// VMEngine runs scenarios in ebpfvm.
type VMEngine struct {
	// Options are passed to ebpfvm.NewCollection; nil for the defaults.
	Options *ebpfvm.CollectionOptions
}

// Name is "ebpfvm".
func (VMEngine) Name() string { return "ebpfvm" }

// Load creates the collection in ebpfvm.
func (e VMEngine) Load(spec *ebpf.CollectionSpec) (Instance, error) {
	opts := ebpfvm.CollectionOptions{}
	if e.Options != nil {
		opts = *e.Options
	}
	if opts.Programs.NumCPU <= 0 {
		opts.Programs.NumCPU = runtime.NumCPU()
	}
	coll, err := ebpfvm.NewCollection(spec, &opts)
	if err != nil {
		return nil, err
	}
	return &vmInstance{coll: coll, cpus: opts.Programs.NumCPU}, nil
}

type vmInstance struct {
	coll    *ebpfvm.Collection
	cpus    int // virtual CPUs: per-CPU maps have this many values
	readers map[string]*ebpfvm.RingbufReader
}

func (v *vmInstance) m(name string) (*ebpfvm.Map, error) {
	m := v.coll.Maps[name]
	if m == nil {
		return nil, fmt.Errorf("no map %q", name)
	}
	return m, nil
}

func (v *vmInstance) Update(name string, key, value []byte) error {
	m, err := v.m(name)
	if err != nil {
		return err
	}
	if perCPU(m.Type()) {
		values := make([][]byte, v.cpus)
		values[0] = value
		for i := 1; i < v.cpus; i++ {
			values[i] = make([]byte, len(value))
		}
		return m.Update(key, values, ebpfvm.UpdateAny)
	}
	return m.Update(key, value, ebpfvm.UpdateAny)
}

func (v *vmInstance) SetProg(name string, slot uint32, prog string) error {
	m, err := v.m(name)
	if err != nil {
		return err
	}
	p := v.coll.Programs[prog]
	if p == nil {
		return fmt.Errorf("no program %q", prog)
	}
	return m.Update(slot, p, ebpfvm.UpdateAny)
}

func (v *vmInstance) SetInner(name string, key []byte, inner string) error {
	m, err := v.m(name)
	if err != nil {
		return err
	}
	im, err := v.m(inner)
	if err != nil {
		return err
	}
	return m.Update(key, im, ebpfvm.UpdateAny)
}

func (v *vmInstance) Run(name string, in RunInput) (RunOutput, error) {
	p := v.coll.Programs[name]
	if p == nil {
		return RunOutput{}, fmt.Errorf("no program %q", name)
	}
	res, err := p.Run(&ebpfvm.RunOptions{Data: in.Data, Context: in.Context, Repeat: max(in.Repeat, 1)})
	if err != nil {
		return RunOutput{}, err
	}
	out := RunOutput{Ret: res.ReturnValue}
	if in.Data != nil {
		out.Data = res.DataOut
		if out.Data == nil {
			out.Data = []byte{}
		}
	}
	if in.Context != nil {
		out.Context = res.ContextOut
	}
	return out, nil
}

func (v *vmInstance) Close() error {
	for _, rd := range v.readers {
		rd.Close()
	}
	v.coll.Close()
	return nil
}

func (v *vmInstance) Dump(name string) ([]RawEntry, error) {
	m, err := v.m(name)
	if err != nil {
		return nil, err
	}
	return dumpMap(m, func() mapIterator { return m.Iterate() })
}

// Records drains the records committed to ring buffer name.
func (v *vmInstance) Records(name string) ([][]byte, error) {
	rd := v.readers[name]
	if rd == nil {
		m, err := v.m(name)
		if err != nil {
			return nil, err
		}
		if rd, err = ebpfvm.NewRingbufReader(m); err != nil {
			return nil, err
		}
		if v.readers == nil {
			v.readers = map[string]*ebpfvm.RingbufReader{}
		}
		v.readers[name] = rd
	}
	return drainRecords(rd.SetDeadline, func() ([]byte, error) {
		rec, err := rd.Read()
		return rec.RawSample, err
	})
}
