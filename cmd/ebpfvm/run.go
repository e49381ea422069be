package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/verifier"
)

// defaultBudget is what RunOptions.Budget 0 means (interp's
// DefaultBudget), for error messages.
const defaultBudget = 1 << 30

// runFlags are the flags of `ebpfvm run`.
type runFlags struct {
	engine, dataFile, ctxFile, memFile, typ string
	raw, asJSON, unverified, untrusted      bool
	dumpMaps, ringbuf, progress             bool
	progressSet                             bool // --progress given: otherwise on when stderr is a terminal
	repeat                                  int64
	maxInsns                                uint64
}

func newRunFlags(stderr io.Writer) (*flag.FlagSet, *runFlags) {
	f := &runFlags{}
	fs := newFlagSet("run", "[flags] OBJ [PROG]", stderr)
	fs.StringVar(&f.engine, "engine", "auto", "execution `engine`: auto (the best the platform and program allow) or interp (jit is not available yet)")
	fs.BoolVar(&f.raw, "raw", false, "OBJ is raw bytecode (little-endian 8-byte instructions)")
	fs.StringVar(&f.typ, "type", "generic", "program `type` of raw bytecode, which decides its context and helpers: "+rawTypeNames())
	fs.StringVar(&f.dataFile, "data", "", "`FILE` with the packet data")
	fs.StringVar(&f.ctxFile, "ctx", "", "`FILE` with the context; r1 points to a copy, r2 holds its length")
	fs.StringVar(&f.memFile, "mem", "", "`FILE` with memory for r1/r2 (the conformance suite's convention; same as --ctx)")
	fs.Int64Var(&f.repeat, "repeat", 1, fmt.Sprintf("run `N` times (1 to %d, as the kernel's u32) and report the mean duration", uint64(ebpfvm.MaxRepeat)))
	fs.BoolVar(&f.asJSON, "json", false, `print one JSON line: {"retval":N,"duration_ns":N,"data_out":"hex"}`)
	fs.Uint64Var(&f.maxInsns, "max-insns", 0, "instruction budget per run (0: about a billion)")
	fs.BoolVar(&f.unverified, "unverified", false, "load the program without the verifier and run it in checked mode (every memory access tested)")
	fs.BoolVar(&f.untrusted, "untrusted", false, "verify with the rules for unprivileged loaders (no pointer leaks, no uninitialized reads) instead of root's")
	fs.BoolVar(&f.dumpMaps, "dump-maps", false, "after the run, print the entries of the maps the program uses")
	fs.BoolVar(&f.ringbuf, "ringbuf", false, "after the run, print the records waiting in the program's ring buffers")
	fs.BoolVar(&f.progress, "progress", false, "show the progress of long runs on standard error (default: when it is a terminal)")
	return fs, f
}

// check refuses flags that do not go together.
func (f *runFlags) check() error {
	if _, err := ebpfvm.ParseEngine(f.engine); err != nil {
		return usageError("--engine: %v", err)
	}
	switch {
	case f.ctxFile != "" && f.memFile != "":
		return usageError("--ctx and --mem both set the memory r1 points to: give one")
	case f.repeat < 1 || f.repeat > ebpfvm.MaxRepeat:
		return usageError("--repeat must be 1 to %d (the kernel's repeat count is a u32), got %d", uint64(ebpfvm.MaxRepeat), f.repeat)
	case f.unverified && f.untrusted:
		return usageError("--unverified and --untrusted exclude each other")
	case f.asJSON && (f.dumpMaps || f.ringbuf):
		return usageError("--json prints one line: --dump-maps and --ringbuf print text and do not go with it")
	case f.raw && (f.dumpMaps || f.ringbuf):
		return usageError("raw bytecode has no maps: --dump-maps and --ringbuf are for ELF objects")
	case !f.raw && f.typ != "generic":
		return usageError("--type applies to raw bytecode (--raw); ELF objects name their types")
	}
	if _, ok := rawTypes[f.typ]; !ok {
		return usageError("unknown --type %q (have: %s)", f.typ, rawTypeNames())
	}
	return nil
}

func (f *runFlags) verifyMode() ebpfvm.VerifyMode {
	switch {
	case f.unverified:
		return ebpfvm.VerifyNone
	case f.untrusted:
		return ebpfvm.VerifyUntrusted
	}
	return ebpfvm.VerifyPrivileged
}

func cmdRun(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs, f := newRunFlags(stderr)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	fs.Visit(func(fl *flag.Flag) { f.progressSet = f.progressSet || fl.Name == "progress" })
	if len(pos) < 1 || len(pos) > 2 {
		return usageError("want OBJ [PROG], got %d arguments", len(pos))
	}
	if err := f.check(); err != nil {
		return err
	}
	progName := ""
	if len(pos) == 2 {
		progName = pos[1]
	}
	obj, err := openObject(pos[0], f.raw)
	if err != nil {
		return err
	}
	typ, err := obj.programType(progName, rawTypes[f.typ])
	if err != nil {
		return err
	}
	limits := ebpfvm.RunInputLimits(typ)
	data, err := readInput("data", f.dataFile, limits.Data, typ, "packet")
	if err != nil {
		return err
	}
	ctxFlag := "ctx"
	if f.memFile != "" {
		ctxFlag = "mem"
	}
	ctx, err := readInput(ctxFlag, f.ctxFile+f.memFile, limits.Context, typ, "context")
	if err != nil {
		return err
	}
	// Raw bytecode of the generic type is verified against the context
	// it is given.
	engine, _ := ebpfvm.ParseEngine(f.engine) // checked by f.check
	po := ebpfvm.ProgramOptions{Verify: f.verifyMode(), Engine: engine, TraceOutput: stderr}
	l, err := obj.program(progName, po, typ, len(ctx))
	var ve *verifier.Error
	if errors.As(err, &ve) {
		return fmt.Errorf("%w\n(the verifier rejected the program; --unverified runs it in checked mode)", err)
	}
	if err != nil {
		return err
	}
	if l.coll != nil {
		defer l.coll.Close()
	}
	if f.ringbuf && len(ringbufNames(l.coll)) == 0 {
		return usageError("--ringbuf: the program uses no ring buffer")
	}
	opts := &ebpfvm.RunOptions{Context: ctx, Data: data, Repeat: int(f.repeat), Budget: f.maxInsns}
	if f.progressSet && f.progress || !f.progressSet && isTerminal(stderr) {
		pr := newProgress(stderr, int(f.repeat), isTerminal(stderr))
		opts.Progress = pr.update
		defer pr.finish()
	}
	res, err := l.prog.Run(opts)
	if errors.Is(err, ebpfvm.ErrBudget) {
		budget := f.maxInsns
		if budget == 0 {
			budget = defaultBudget
		}
		return fmt.Errorf("%w\n(a run may execute at most %d instructions: --max-insns sets the budget)", err, budget)
	}
	if err != nil {
		return err
	}
	return printRun(stdout, f, l, res)
}

// printRun prints the outcome of a run: the JSON line, or r0, the packet
// after the run and what --dump-maps and --ringbuf ask for.
func printRun(w io.Writer, f *runFlags, l *loaded, res ebpfvm.RunResult) error {
	if f.asJSON {
		line, _ := json.Marshal(struct {
			Retval     uint64 `json:"retval"`
			DurationNS int64  `json:"duration_ns"`
			DataOut    string `json:"data_out"`
		}{res.ReturnValue, res.Duration.Nanoseconds(), hex.EncodeToString(res.DataOut)})
		_, err := fmt.Fprintf(w, "%s\n", line)
		return err
	}
	fmt.Fprintf(w, "retval: %d (%#x)\n", res.ReturnValue, res.ReturnValue)
	if len(res.DataOut) > 0 {
		fmt.Fprintf(w, "data_out: %s\n", hex.EncodeToString(res.DataOut))
	}
	if f.repeat > 1 {
		fmt.Fprintf(w, "duration: %v mean over %d runs\n", res.Duration, f.repeat)
	}
	if f.dumpMaps {
		if err := dumpMaps(w, l.coll); err != nil {
			return err
		}
	}
	if f.ringbuf {
		return dumpRingbufs(w, l.coll)
	}
	return nil
}

// readInput reads the file of --flag, at most limit bytes (the program
// type's limit for the input, or maxOpenInput when it has none).
func readInput(flagName, path string, limit int, typ ebpf.ProgramType, what string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	why := fmt.Sprintf("%s programs take a %s of at most %d bytes (BPF_PROG_TEST_RUN's limit)", typeName(typ), what, limit)
	if limit == ebpfvm.NoLimit {
		limit = maxOpenInput
		why = fmt.Sprintf("ebpfvm run reads at most %d MiB of %s for %s programs", limit>>20, what, typeName(typ))
	}
	b, err := readLimited(path, limit)
	if isTooLarge(err) {
		return nil, fmt.Errorf("--%s %v: %s", flagName, err, why)
	}
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flagName, err)
	}
	return b, nil
}

// typeName names a program type in messages: the kernel's types by their
// cilium/ebpf names, the generic type as such.
func typeName(t ebpf.ProgramType) string {
	if t == ebpf.UnspecifiedProgram {
		return "generic"
	}
	return t.String()
}

// rawTypeNames lists the names --type accepts.
func rawTypeNames() string {
	var names []string
	for n := range rawTypes {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
