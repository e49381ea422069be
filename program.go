package ebpfvm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm/internal/helpers"
	"github.com/ebpfvm/ebpfvm/internal/maps"
	"github.com/ebpfvm/ebpfvm/internal/mem"
	"github.com/ebpfvm/ebpfvm/internal/progtype"
	"github.com/ebpfvm/ebpfvm/internal/vm"
	"github.com/ebpfvm/ebpfvm/isa"
	"github.com/ebpfvm/ebpfvm/verifier"
)

// ProgramOptions configure NewProgram.
type ProgramOptions struct {
	// Type is the program type; it decides what the context is and which
	// helpers exist. The zero value, ebpf.UnspecifiedProgram, is ebpfvm's
	// generic type for embedding: r1 points to a copy of RunOptions.Context
	// and r2 holds its length.
	Type ebpf.ProgramType
	// Helpers the program may call, besides the kernel's helpers that
	// programs of the kernel's types get (the generic type gets none);
	// they replace standard helpers with the same ID. Calls to helpers
	// that do not exist are refused at load time.
	Helpers *Helpers
	// TraceOutput receives bpf_trace_printk output; nil discards it.
	TraceOutput io.Writer
	// NumCPU is the number of virtual CPUs (RunOptions.CPU ranges over
	// them): 1 to MaxCPUs, or 0 for runtime.NumCPU().
	NumCPU int
	// Verify chooses the verifier's rules. By default (VerifyPrivileged)
	// the verifier runs before the program is loaded and refuses the
	// program if it rejects it, with the verifier's error (a
	// *verifier.Error); a program it accepts runs without per-access
	// checks. VerifyNone loads the program unverified, to run in checked
	// mode: every load, store and atomic tested against the run's memory.
	Verify VerifyMode
	// VerifierBudget bounds the verifier's work on the program
	// (processed instructions, stored states, state memory, wall time);
	// zero fields are the kernel's limits. It is not the run budget
	// (RunOptions.Budget).
	VerifierBudget verifier.Budget
	// ContextSize is the size of the context the verifier assumes for the
	// generic type (ebpf.UnspecifiedProgram): accesses through r1 must
	// stay below it. A verified program's run with a shorter Context
	// sees it zero-padded to what the program may access (r2 still holds
	// len(Context)).
	ContextSize int
	// License is the program's license; GPL-only helpers need a
	// GPL-compatible one when the program is verified.
	License string
	// Maps are the maps the program's ld_imm64 instructions refer to, as
	// the kernel's fd_array: one with src BPF_PSEUDO_MAP_FD or
	// BPF_PSEUDO_MAP_IDX and imm N (map[fd:N], map[idx:N] in assembly)
	// loads Maps[N]; BPF_PSEUDO_MAP_VALUE or BPF_PSEUDO_MAP_IDX_VALUE,
	// imm N and off in the second slot (map[fd:N][0]+off, map[idx:N]+off)
	// load the address of byte off of the single value of Maps[N], an
	// array. The verifier checks accesses against the maps' sizes. The
	// program holds the maps until it is closed.
	Maps []*Map
	// Engine chooses what runs the program; the zero value, EngineAuto,
	// is the best engine the platform and the program allow. A prog
	// array holds programs of one engine (the first program that uses it
	// decides), as the kernel's prog arrays hold only JITed or only
	// interpreted programs.
	Engine Engine
}

// Program is a loaded program. It is safe to run from many goroutines at
// once. Close it when done; a Program that becomes unreachable without
// Close is closed by the garbage collector (runtime.AddCleanup), as
// cilium/ebpf closes the file descriptors of programs it drops. The prog
// arrays that hold it and the runs in flight keep it running until they
// let it go.
type Program struct {
	*program
	cleanup runtime.Cleanup
}

// program is the state of a loaded program, shared by its Program (the
// creator's handle) and by the prog arrays and runs that hold it (a
// progRef): the collector may free the Program while they hold this.
type program struct {
	id      uint32
	name    string
	typ     ebpf.ProgramType
	code    vm.Code
	helpers *Helpers
	maps    []maps.Map // maps the program references: granted at run start
	cpus    int
	ctxNeed int // context bytes a verified program may access (types whose context is a blob)

	// refs counts the references to the program: its creator's (until
	// Close), one per run in flight, one per prog array slot holding it,
	// one per run that tail-called it. The last one releases its maps.
	refs   atomic.Int64
	closed atomic.Bool
}

// describe names p in errors: "program NAME", or its ID when it has no
// name (NewProgram's programs).
func (p *program) describe() string {
	if p.name == "" {
		return fmt.Sprintf("program #%d", p.id)
	}
	return "program " + p.name
}

// retain takes a reference to p; it fails once the last one is gone.
func (p *program) retain() error {
	for {
		n := p.refs.Load()
		if n <= 0 {
			return fmt.Errorf("%s is closed: %w", p.describe(), syscall.EBADF)
		}
		if p.refs.CompareAndSwap(n, n+1) {
			return nil
		}
	}
}

// release drops a reference; the last one releases the program's maps.
func (p *program) release() {
	if p.refs.Add(-1) == 0 {
		for _, m := range p.maps {
			m.Release()
		}
		p.maps = nil
	}
}

// progRef is a Program as prog arrays and runs hold it (maps.Ref,
// vm.Ref): a counted reference. Prog array slots hold progRefs.
type progRef struct{ p *program }

func (r progRef) Retain() error { return r.p.retain() }
func (r progRef) Release()      { r.p.release() }

// ID is what a Go-side lookup in a prog array returns.
func (r progRef) ID() uint32 { return r.p.id }

// NewProgram verifies the program (unless opts.Verify is VerifyNone),
// resolves its map references and prepares it to run. Verified programs
// run without per-access checks; unverified ones in checked mode, each
// memory access tested against the regions the run was given.
func NewProgram(insns []isa.Instruction, opts *ProgramOptions) (*Program, error) {
	if opts == nil {
		opts = &ProgramOptions{}
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	var vres *verifier.Result
	if opts.Verify != VerifyNone {
		var err error
		if vres, err = VerifyInstructions(insns, opts, nil); err != nil {
			return nil, err
		}
	}
	engine, err := opts.Engine.pick(vres != nil)
	if err != nil {
		return nil, err
	}
	use := mapUse{cpus: numCPU(opts.NumCPU), typ: opts.Type, engine: engine}
	linked, err := use.resolve(insns, opts.Maps)
	if err != nil {
		use.release()
		return nil, err
	}
	p, err := compileProgram(engine, linked, opts, vres)
	if err != nil {
		use.release()
		return nil, err
	}
	p.maps = use.used
	return p, nil
}

// compileProgram prepares linked instructions (map loads resolved) to
// run on engine; vres is the verifier's result when it accepted them, with
// opts's type, helpers and context size (nil: the program runs
// unverified).
func compileProgram(engine vm.Engine, insns []isa.Instruction, opts *ProgramOptions, vres *verifier.Result) (*Program, error) {
	h := &Helpers{}
	if opts.Type != ebpf.UnspecifiedProgram {
		h = newStandardHelpers(opts.TraceOutput)
	}
	h.set.Merge(builtinKfuncs())
	if opts.Helpers != nil {
		h.set.Merge(&opts.Helpers.set)
	}
	if err := progtype.RegisterHelpers(&h.set, opts.Type); err != nil {
		return nil, err
	}
	code, err := compileCode(engine, insns, &h.set, vres)
	if err != nil {
		return nil, err
	}
	p := &Program{program: &program{id: programIDs.Add(1), typ: opts.Type, code: code, helpers: h, cpus: numCPU(opts.NumCPU)}}
	p.refs.Store(1)
	p.cleanup = runtime.AddCleanup(p, (*program).close, p.program)
	if vres != nil && !progtype.IsPacketType(opts.Type) {
		// The verifier allows context loads and stores only through
		// the unmodified context pointer at a constant offset, so
		// none ends past the furthest one it saw (the kernel's
		// max_ctx_offset).
		p.ctxNeed = vres.MaxCtxOffset
	}
	return p, nil
}

// compileCode decodes a program: verified (vres not nil) with the facts
// the verifier found, or unverified, in checked mode. An unverified
// program's bpf_loop calls stay helper calls: nothing says the kernel
// would have inlined them.
func compileCode(engine vm.Engine, insns []isa.Instruction, h *vm.Helpers, vres *verifier.Result) (vm.Code, error) {
	if vres == nil {
		return engine.Compile(insns, h, true, vm.Facts{})
	}
	return engine.Compile(insns, h, false, vm.Facts{InlinedLoops: vres.InlinedLoops})
}

// mapUse collects the maps a program with cpus virtual CPUs uses, each
// retained once.
type mapUse struct {
	cpus int
	typ  ebpf.ProgramType // of the program: prog arrays it uses take it
	// engine runs the program: prog arrays it uses take it too.
	engine vm.Engine
	used   []maps.Map
}

// load patches the ld_imm64 at slot to load the map's handle, or with
// value the address of byte off of its value, and retains the map.
func (u *mapUse) load(insns []isa.Instruction, slot int, m *Map, value bool, off uint32) error {
	if s := m.m.Spec(); s.Type.PerCPU() && s.NumCPU < u.cpus {
		// A lookup on a CPU the map has no slot for would yield NULL,
		// where the verifier may have proven a constant-key array
		// lookup never does.
		return fmt.Errorf("instruction %d: %s has values for %d CPUs, the program runs on %d", slot, m, s.NumCPU, u.cpus)
	}
	if m.Type() == ebpf.ProgramArray {
		if err := m.claim(u.typ, u.engine); err != nil {
			return fmt.Errorf("instruction %d: %w", slot, err)
		}
	}
	v := m.m.Handle()
	if value {
		var err error
		if v, err = valueAddress(m, off); err != nil {
			return fmt.Errorf("instruction %d: %w", slot, err)
		}
	}
	pair := isa.LoadImm64(insns[slot].Dst, v)
	insns[slot], insns[slot+1] = pair[0], pair[1]
	if !slices.Contains(u.used, m.m) {
		if err := m.m.Retain(); err != nil {
			return fmt.Errorf("map %s: %w", m.m.Spec().Name, err)
		}
		u.used = append(u.used, m.m)
	}
	return nil
}

// resolve returns insns with the ld_imm64 instructions that refer to ms
// by index patched (a copy, when there are any).
func (u *mapUse) resolve(insns []isa.Instruction, ms []*Map) ([]isa.Instruction, error) {
	out, copied := insns, false
	for i := 0; i+1 < len(insns); i++ {
		in := insns[i]
		if !in.IsLoadImm64() {
			continue
		}
		value := false
		switch uint8(in.Src) {
		case isa.PseudoMapFD, isa.PseudoMapIdx:
		case isa.PseudoMapValue, isa.PseudoMapIdxValue:
			value = true
		default:
			i++
			continue
		}
		if in.Imm < 0 || int(in.Imm) >= len(ms) || ms[in.Imm] == nil {
			return nil, fmt.Errorf("instruction %d refers to map %d; ProgramOptions.Maps has %d", i, in.Imm, len(ms))
		}
		if !copied {
			out, copied = slices.Clone(insns), true
		}
		if err := u.load(out, i, ms[in.Imm], value, uint32(insns[i+1].Imm)); err != nil {
			return nil, err
		}
		i++
	}
	return out, nil
}

func (u *mapUse) release() {
	for _, m := range u.used {
		m.Release()
	}
	u.used = nil
}

// programIDs numbers programs, as the kernel's program IDs do.
var programIDs atomic.Uint32

// ID is a number unique to the program in this process; looking up a prog
// array slot from Go yields it, as the kernel yields the program's ID.
func (p *Program) ID() uint32 { return p.id }

// check refuses options no program can have: negative sizes and counts.
func (o *ProgramOptions) check() error {
	if o.ContextSize < 0 {
		return fmt.Errorf("ContextSize %d is negative: %w", o.ContextSize, syscall.EINVAL)
	}
	return checkNumCPU(o.NumCPU)
}

// MaxCPUs is the largest number of virtual CPUs: the kernel's largest
// NR_CPUS on x86-64 (CONFIG_MAXSMP). Per-CPU maps keep a value per CPU,
// and an update of one element writes all of them.
const MaxCPUs = 8192

// checkNumCPU refuses a number of virtual CPUs below 0 (0 means
// runtime.NumCPU()) or above MaxCPUs.
func checkNumCPU(n int) error {
	if n < 0 || n > MaxCPUs {
		return fmt.Errorf("NumCPU %d: want 1 to %d (MaxCPUs), or 0 for runtime.NumCPU(): %w", n, MaxCPUs, syscall.EINVAL)
	}
	return nil
}

func numCPU(n int) int {
	if n <= 0 {
		return min(runtime.NumCPU(), MaxCPUs)
	}
	return n
}

// Close releases the program: it cannot be run afterwards (Run fails
// with EBADF). Its maps are released once nothing uses it any more: runs
// in flight finish, and a prog array that holds it keeps it (and its maps)
// until the slot is emptied, as the kernel's prog arrays hold a reference
// to their programs. Closing a nil Program does nothing.
func (p *Program) Close() error {
	if p == nil {
		return nil
	}
	p.cleanup.Stop()
	p.close()
	return nil
}

// close drops the creator's reference.
func (p *program) close() {
	if p.closed.CompareAndSwap(false, true) {
		p.release()
	}
}

// Name returns the program's name (its function name in the ELF object).
func (p *Program) Name() string { return p.name }

// Type returns the program type.
func (p *Program) Type() ebpf.ProgramType { return p.typ }

// Slots returns the number of instruction slots (a ld_imm64 takes two).
func (p *Program) Slots() int { return p.code.Len() }

// Verified reports whether the verifier accepted the program when it was
// loaded: it then runs without per-access checks. Programs loaded with
// VerifyNone run in checked mode.
func (p *Program) Verified() bool { return !p.code.Checked() }

// RunOptions are the inputs of Program.Run, as for BPF_PROG_TEST_RUN.
type RunOptions struct {
	// Data is the packet of XDP and socket-buffer programs; for the
	// generic type, the packet that LD_ABS/LD_IND read.
	Data []byte
	// Context is the context: xdp_md or __sk_buff for packet programs
	// (optional, with the kernel's rules on which fields may be set), the
	// argument blob of tracing, raw tracepoint and syscall programs, the
	// memory r1 points to for the generic type. As in the kernel, a
	// verified syscall or raw tracepoint program refuses a blob shorter
	// than the furthest context access it makes (EINVAL); tracing and
	// generic programs get a short one zero-padded.
	Context []byte
	// Repeat runs the program this many times on the same memory (at least
	// once: 0 counts as 1; at most MaxRepeat times, and not negative:
	// EINVAL otherwise); Duration is the mean.
	Repeat int
	// Progress, if set, is called after each of the Repeat runs with the
	// number of runs done; its own time counts in Duration.
	Progress func(done int)
	// CPU is the virtual CPU the program runs on: per-CPU maps use its
	// slot and bpf_get_smp_processor_id returns it.
	CPU int
	// Budget is the most instructions each run may execute (the run
	// budget; RunResult.Executed counts them); 0 means about a billion
	// (1<<30). Past it the run fails with ErrBudget. Each callback
	// invocation (bpf_loop, bpf_for_each_map_elem) also takes 16 from
	// it, what entering a callback costs.
	Budget uint64
	// CountedMayGoto makes may_goto allow exactly 8M (BPF_MAX_LOOPS)
	// iterations per function invocation, the same on every machine.
	// By default may_goto follows Linux's x86-64 JIT: a function
	// invocation's may_goto loops stop 250 ms after they started
	// (the clock is read every 65535 iterations), so how many
	// iterations a long loop gets depends on the machine's speed.
	CountedMayGoto bool
}

// RunResult is the outcome of Program.Run.
type RunResult struct {
	ReturnValue uint64        // r0 at exit (32 bits for the kernel's program types)
	DataOut     []byte        // the packet after the last run
	ContextOut  []byte        // the context after the last run
	Duration    time.Duration // mean time per run
	Executed    uint64        // instructions executed by the last run
}

// runners are the machines (stack, scratch and packet memory) runs use,
// shared by all programs: a machine holds nothing of a program between
// runs, and a pool per program would keep memory mapped for every
// program ever run until the garbage collector finds it (a host that
// loads many short-lived programs ran out of mappings).
//
// A machine runs the code of one engine, so there is a pool per engine
// (vm.Engine → *sync.Pool).
var runners sync.Map

// runnerPool returns the pool of runners of engine e.
func runnerPool(e vm.Engine) *sync.Pool {
	if p, ok := runners.Load(e); ok {
		return p.(*sync.Pool)
	}
	p, _ := runners.LoadOrStore(e, &sync.Pool{})
	return p.(*sync.Pool)
}

// runner is a machine plus the memory for a run's inputs.
type runner struct {
	m       vm.Machine
	scratch *mem.Buffer // contexts and generic data
	packet  *mem.Buffer // a frame in low memory for packet programs (PacketFrame)
	tc      tailCalls
	frames  progtype.Frames // the run's layout, reused
	done    <-chan struct{} // the run's context's Done: closed, it is canceled
}

// Scratch returns scratch memory of at least n bytes (progtype.Memory).
func (r *runner) Scratch(n int) (*mem.Buffer, error) {
	if r.scratch != nil && cap(r.scratch.Bytes()) >= n {
		return r.scratch, nil
	}
	b, err := mem.Alloc(n)
	if err != nil {
		return nil, err
	}
	if r.scratch != nil {
		r.scratch.Free()
	}
	r.scratch = b
	return b, nil
}

// Run runs the program as BPF_PROG_TEST_RUN would and returns r0 and the
// final packet and context.
//
// Unlike cilium/ebpf's Run, which returns r0 alone, it returns a RunResult:
// a test run's outputs (the packet, the context, the duration) are what
// ebpfvm's users test against.
func (p *Program) Run(opts *RunOptions) (RunResult, error) {
	return p.RunContext(context.Background(), opts)
}

// RunContext is Run with cancellation: when ctx is done, the run ends with
// a *RunError that wraps ctx's error (context.Canceled,
// context.DeadlineExceeded). The run checks ctx at every helper call,
// between repeats, and at least every 65,536 instructions it executes, so
// a loop stops within that many instructions. A ctx that is done before
// the run starts returns its error.
func (p *Program) RunContext(ctx context.Context, opts *RunOptions) (RunResult, error) {
	if err := ctx.Err(); err != nil {
		return RunResult{}, err
	}
	if opts == nil {
		opts = &RunOptions{}
	}
	if opts.Repeat < 0 {
		return RunResult{}, fmt.Errorf("%w: repeat %d is negative: %w", progtype.ErrInvalidTestRun, opts.Repeat, syscall.EINVAL)
	}
	if uint64(opts.Repeat) > MaxRepeat {
		return RunResult{}, fmt.Errorf("%w: repeat %d is more than BPF_PROG_TEST_RUN's 32-bit count allows (%d): %w", progtype.ErrInvalidTestRun, opts.Repeat, uint64(MaxRepeat), syscall.EINVAL)
	}
	if opts.CPU < 0 || opts.CPU >= p.cpus {
		return RunResult{}, fmt.Errorf("CPU %d does not exist (the program has %d virtual CPUs)", opts.CPU, p.cpus)
	}
	// The run holds the program, and so its maps, even if it is closed
	// meanwhile (by a helper, or another goroutine).
	if p.closed.Load() {
		return RunResult{}, fmt.Errorf("%s is closed: %w", p.describe(), syscall.EBADF)
	}
	if err := p.retain(); err != nil {
		return RunResult{}, err
	}
	defer p.release()
	pool := runnerPool(p.code.Engine())
	r, _ := pool.Get().(*runner)
	if r == nil {
		m, err := p.code.Engine().NewMachine()
		if err != nil {
			return RunResult{}, err
		}
		r = &runner{m: m}
	}
	defer pool.Put(r)
	f, err := r.frames.New(p.typ, progtype.Input{Data: opts.Data, Context: opts.Context, CtxNeed: p.ctxNeed}, r)
	if err != nil {
		return RunResult{}, err
	}
	r.done = ctx.Done()
	res, err := p.repeat(r, opts, f.CtxLen(), f.Setup)
	if errors.Is(err, vm.ErrCanceled) {
		return RunResult{}, fmt.Errorf("%w: %w", err, context.Cause(ctx))
	}
	if err != nil {
		return RunResult{}, err
	}
	res.DataOut, res.ContextOut = f.Output()
	return res, nil
}

// repeat runs the program opts.Repeat times on the same memory. setup adds
// the run's regions after the stack and returns r1-r5; it runs once.
// ctxLen is the size of the context r1 points to.
func (p *Program) repeat(r *runner, opts *RunOptions, ctxLen int, setup func(*vm.Env) [5]uint64) (RunResult, error) {
	m := r.m
	env := m.Env()
	m.SetCallXHelpers(&p.helpers.set)
	r.tc = tailCalls{typ: p.typ, ctxLen: ctxLen, env: env, entered: r.tc.entered[:0]}
	env.TailCalls = &r.tc
	defer func() {
		// The run released them; the pooled runner forgets them.
		clear(r.tc.entered)
		r.tc.entered = r.tc.entered[:0]
	}()
	n := max(opts.Repeat, 1)
	m.Reset()
	env.CPU = opts.CPU
	args := setup(env)
	// The program's own maps: Run holds the program, which holds them.
	if err := grantMaps(env, p.maps); err != nil {
		return RunResult{}, err
	}
	var endRun func() error
	if p.typ != ebpf.UnspecifiedProgram {
		// Release what the program left behind (a held spin lock, an
		// unsubmitted ring buffer record): the kernel's verifier would
		// have refused such a program.
		endRun = func() error {
			if err := helpers.EndRun(env); err != nil {
				return fmt.Errorf("program %s: %w", p.name, err)
			}
			return nil
		}
	}
	if opts.Progress != nil {
		endRun = withProgress(endRun, opts.Progress)
	}
	start := time.Now()
	res, err := m.RunRepeat(p.code, args, vm.RunOptions{Budget: opts.Budget, MayGoto: mayGotoMode(opts.CountedMayGoto), Done: r.done}, n, endRun)
	if err != nil {
		return RunResult{}, err
	}
	elapsed := time.Since(start)
	r0 := res.R0
	if progtype.IsKernelType(p.typ) {
		r0 = uint64(uint32(r0))
	}
	return RunResult{ReturnValue: r0, Duration: elapsed / time.Duration(n), Executed: res.Steps}, nil
}

func mayGotoMode(counted bool) vm.MayGotoMode {
	if counted {
		return vm.MayGotoCounted
	}
	return vm.MayGotoTimed
}

// withProgress calls progress with the number of runs done after each
// run, and after(), if set.
func withProgress(after func() error, progress func(int)) func() error {
	done := 0
	return func() error {
		if after != nil {
			if err := after(); err != nil {
				return err
			}
		}
		done++
		progress(done)
		return nil
	}
}

// grantMaps grants a program's maps to a run: the program holds them.
func grantMaps(env *vm.Env, ms []maps.Map) error {
	for _, mp := range ms {
		if err := env.GrantMemory(mp.Handle(), mp.Regions()); err != nil {
			return err
		}
	}
	return nil
}

// tailCalls resolves bpf_tail_call through prog array handles, for a run
// of a program of type typ whose context has ctxLen bytes.
type tailCalls struct {
	typ    ebpf.ProgramType
	ctxLen int
	env    *vm.Env
	// entered are the programs this repeat of the run tail-called: held
	// by the run, their maps granted.
	entered []*program
	run     uint64 // the env.RunID of entered
}

// TailCallTarget implements vm.TailCallResolver. A verified target
// was proven safe for its own program type and context size: one of
// another type (a prog array holds one type, but the caller may differ),
// or one that may access more context than this run has, runs checked.
// The run holds the target until it ends: Go code may empty the slot and
// close the program meanwhile, as the kernel's RCU grace period lets a
// program run to the end after it left its prog array. A target closed
// and released before the run could take its reference is an empty slot.
func (t *tailCalls) TailCallTarget(mapHandle, index uint64) (vm.Code, bool, bool, error) {
	m, ok := maps.FromHandle(mapHandle)
	if !ok {
		return nil, false, false, nil
	}
	pa, ok := m.(maps.ProgArray)
	if !ok || uint32(index) >= m.Spec().MaxEntries {
		return nil, false, false, nil
	}
	ref, _ := pa.Program(uint32(index)).(progRef)
	prog := ref.p
	if prog == nil {
		return nil, false, true, nil
	}
	if err := t.enter(prog); err != nil {
		if errors.Is(err, syscall.EBADF) {
			return nil, false, true, nil
		}
		return nil, false, true, err
	}
	return prog.code, prog.typ != t.typ || prog.ctxNeed > t.ctxLen, true, nil
}

// enter makes prog runnable in this repeat of the run: held by the run
// (once per run) and its maps granted (once per repeat).
func (t *tailCalls) enter(prog *program) error {
	if t.run != t.env.RunID {
		t.entered, t.run = t.entered[:0], t.env.RunID
	}
	if slices.Contains(t.entered, prog) {
		return nil
	}
	if err := t.env.Hold(progRef{prog}); err != nil {
		return err
	}
	if err := grantMaps(t.env, prog.maps); err != nil {
		return err
	}
	t.entered = append(t.entered, prog)
	return nil
}

// PacketFrame returns the runner's zeroed frame in low memory
// (progtype.Memory).
func (r *runner) PacketFrame() (*mem.Buffer, error) {
	if r.packet == nil {
		b, err := mem.AllocLow(progtype.FrameSize)
		if err != nil {
			return nil, err
		}
		r.packet = b
	}
	clear(r.packet.Bytes())
	return r.packet, nil
}
