package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/verifier"
)

func readOptionalFile(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	return os.ReadFile(path)
}

func cmdRun(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", "[flags] OBJ [PROG]", stderr)
	engine := fs.String("engine", "interp", "execution engine: interp (jit is not available yet)")
	raw := fs.Bool("raw", false, "OBJ is raw bytecode (little-endian 8-byte instructions)")
	dataFile := fs.String("data", "", "`FILE` with the packet data")
	ctxFile := fs.String("ctx", "", "`FILE` with the context; r1 points to a copy, r2 holds its length")
	memFile := fs.String("mem", "", "`FILE` with memory for r1/r2 (the conformance suite's convention; same as --ctx)")
	repeat := fs.Int("repeat", 1, "run `N` times and report the mean duration")
	asJSON := fs.Bool("json", false, `print one JSON line: {"retval":N,"duration_ns":N,"data_out":"hex"}`)
	maxInsns := fs.Uint64("max-insns", 0, "instruction budget per run (0: about a billion)")
	unverified := fs.Bool("unverified", false, "load the program without the verifier and run it in checked mode (every memory access tested)")
	untrusted := fs.Bool("untrusted", false, "verify with the rules for unprivileged loaders (no pointer leaks, no uninitialized reads) instead of root's")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return &exitError{code: 2, err: nil}
	}
	if len(pos) < 1 || len(pos) > 2 {
		return usageError("want OBJ [PROG], got %d arguments", len(pos))
	}
	if *engine != "interp" {
		return usageError("engine %q is not available (have: interp)", *engine)
	}
	if *ctxFile != "" && *memFile != "" {
		return usageError("--ctx and --mem both set the memory r1 points to: give one")
	}
	if *repeat < 1 {
		return usageError("--repeat must be at least 1, got %d", *repeat)
	}
	if *unverified && *untrusted {
		return usageError("--unverified and --untrusted exclude each other")
	}
	mode := ebpfvm.VerifyPrivileged
	switch {
	case *unverified:
		mode = ebpfvm.VerifyNone
	case *untrusted:
		mode = ebpfvm.VerifyUntrusted
	}
	progName := ""
	if len(pos) == 2 {
		progName = pos[1]
	}
	obj, err := openObject(pos[0], *raw)
	if err != nil {
		return err
	}
	data, err := readOptionalFile(*dataFile)
	if err != nil {
		return err
	}
	ctx, err := readOptionalFile(*ctxFile + *memFile)
	if err != nil {
		return err
	}
	// Raw bytecode is verified against the context it is given.
	prog, err := obj.program(progName, mode, len(ctx), stderr)
	var ve *verifier.Error
	if errors.As(err, &ve) {
		return fmt.Errorf("%w\n(the verifier rejected the program; --unverified runs it in checked mode)", err)
	}
	if err != nil {
		return err
	}
	res, err := prog.Run(&ebpfvm.RunOptions{Context: ctx, Data: data, Repeat: *repeat, MaxInstructions: *maxInsns})
	if err != nil {
		return err
	}
	if *asJSON {
		line, _ := json.Marshal(struct {
			Retval     uint64 `json:"retval"`
			DurationNS int64  `json:"duration_ns"`
			DataOut    string `json:"data_out"`
		}{res.ReturnValue, res.Duration.Nanoseconds(), hex.EncodeToString(res.DataOut)})
		fmt.Fprintf(stdout, "%s\n", line)
		return nil
	}
	fmt.Fprintf(stdout, "retval: %d (%#x)\n", res.ReturnValue, res.ReturnValue)
	if *repeat > 1 {
		fmt.Fprintf(stdout, "duration: %v mean over %d runs\n", res.Duration, *repeat)
	}
	return nil
}
