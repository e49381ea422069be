package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/verifier"
)

// rawTypes are the program types --type accepts for raw bytecode.
var rawTypes = map[string]ebpf.ProgramType{
	"generic": ebpf.UnspecifiedProgram, "xdp": ebpf.XDP, "sched_cls": ebpf.SchedCLS,
	"socket_filter": ebpf.SocketFilter, "syscall": ebpf.Syscall,
	"raw_tracepoint": ebpf.RawTracepoint, "tracing": ebpf.Tracing,
}

// cmdVerify is `ebpfvm verify [--log-level N] [--untrusted] OBJ [PROG]`:
// exit 0 when the verifier accepts, 1 when it rejects, the verifier's log
// on standard output. Without PROG, every program of OBJ is verified.
func cmdVerify(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("verify", "[flags] OBJ [PROG]", stderr)
	logLevel := fs.Int("log-level", 1, "verifier log `level`: 0 none, 1 the failing path and branches, 2 every instruction with its state")
	untrusted := fs.Bool("untrusted", false, "the rules for unprivileged loaders (no pointer leaks, no uninitialized reads) instead of root's")
	raw := fs.Bool("raw", false, "OBJ is raw bytecode (little-endian 8-byte instructions)")
	typ := fs.String("type", "generic", "program `type` of raw bytecode: generic, xdp, sched_cls, socket_filter, syscall, raw_tracepoint, tracing")
	ctxSize := fs.Int("ctx-size", 0, "size in `bytes` of the generic type's context (r1)")
	maxInsns := fs.Int("verifier-max-insns", 0, "verifier budget: refuse the program after `N` processed instructions (0: the kernel's 1000000)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 || len(pos) > 2 {
		return usageError("want OBJ [PROG], got %d arguments", len(pos))
	}
	if *logLevel < 0 || *logLevel > 2 {
		return usageError("--log-level must be 0, 1 or 2, got %d", *logLevel)
	}
	if *maxInsns < 0 || *ctxSize < 0 {
		return usageError("--verifier-max-insns and --ctx-size cannot be negative")
	}
	pt, ok := rawTypes[*typ]
	if !ok {
		return usageError("unknown --type %q", *typ)
	}
	if !*raw && (*typ != "generic" || *ctxSize != 0) {
		return usageError("--type and --ctx-size apply to raw bytecode (--raw); ELF objects name their types")
	}
	progName := ""
	if len(pos) == 2 {
		progName = pos[1]
	}
	obj, err := openObject(pos[0], *raw)
	if err != nil {
		return err
	}
	vo := &ebpfvm.VerifyOptions{LogLevel: *logLevel}
	po := ebpfvm.ProgramOptions{Verify: ebpfvm.VerifyPrivileged}
	po.VerifierBudget.Insns = *maxInsns
	if *untrusted {
		po.Verify = ebpfvm.VerifyUntrusted
	}
	if obj.raw != nil {
		if _, err := obj.programName(progName); err != nil {
			return err
		}
		res, err := ebpfvm.VerifyInstructions(obj.raw, &ebpfvm.ProgramOptions{Type: pt, ContextSize: *ctxSize, Verify: po.Verify, VerifierBudget: po.VerifierBudget}, vo)
		return budgetHint(report(stdout, "", res, err), *maxInsns)
	}
	names := []string{progName}
	if progName == "" {
		names = nil
		for n := range obj.spec.Programs {
			names = append(names, n)
		}
		slices.Sort(names)
		if len(names) == 0 {
			return fmt.Errorf("%s holds no programs", obj.path)
		}
	} else if _, err := obj.programName(progName); err != nil {
		return err
	}
	var rejected []error
	for i, n := range names {
		if len(names) > 1 {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			fmt.Fprintf(stdout, "program %s:\n", n)
		}
		res, err := ebpfvm.VerifySpec(obj.spec, n, &ebpfvm.CollectionOptions{Programs: po}, vo)
		if err := report(stdout, n, res, err); err != nil {
			if len(names) == 1 {
				return budgetHint(err, *maxInsns)
			}
			rejected = append(rejected, fmt.Errorf("program %s: %w", n, err))
		}
	}
	return budgetHint(errors.Join(rejected...), *maxInsns)
}

// budgetHint names the flag that sets the verifier's instruction budget
// when the verifier ran out of it.
func budgetHint(err error, maxInsns int) error {
	if err == nil || !strings.Contains(err.Error(), "BPF program is too large") {
		return err
	}
	if maxInsns == 0 {
		maxInsns = 1_000_000
	}
	return fmt.Errorf("%w\n(the verifier processes at most %d instructions: --verifier-max-insns sets the budget)", err, maxInsns)
}

// report prints the log and the verdict of one program, and returns the
// verifier's error.
func report(w io.Writer, name string, res *verifier.Result, err error) error {
	var ve *verifier.Error
	if err != nil && !errors.As(err, &ve) {
		return err // not a verdict: the program could not be prepared
	}
	if res != nil {
		fmt.Fprint(w, res.Log)
		if res.Log != "" && !strings.HasSuffix(res.Log, "\n") {
			fmt.Fprintln(w)
		}
	}
	if name != "" {
		name += ": "
	}
	if err != nil {
		fmt.Fprintf(w, "%srejected: %s\n", name, err)
		return err
	}
	depth := make([]string, len(res.StackDepth))
	for i, d := range res.StackDepth {
		depth[i] = fmt.Sprint(d)
	}
	fmt.Fprintf(w, "%saccepted: %d insns processed, %d states, stack depth %s, verification time %d usec\n",
		name, res.InsnsProcessed, res.States, strings.Join(depth, "+"), res.Duration.Microseconds())
	return nil
}
