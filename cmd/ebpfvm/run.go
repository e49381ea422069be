package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/isa"
)

var elfMagic = []byte{0x7f, 'E', 'L', 'F'}

// loadProgram reads OBJ: raw bytecode when raw is set, else an ELF object.
func loadProgram(path string, raw bool, progName string) ([]isa.Instruction, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	isELF := bytes.HasPrefix(b, elfMagic)
	switch {
	case raw && isELF:
		return nil, fmt.Errorf("%s is an ELF object, not raw bytecode: drop --raw", path)
	case raw:
		if progName != "" {
			return nil, usageError("raw bytecode holds one program: PROG %q makes no sense with --raw", progName)
		}
		insns, err := isa.Decode(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return insns, nil
	case isELF:
		return nil, fmt.Errorf("%s: ELF objects are not supported by this version yet; pass raw bytecode with --raw", path)
	}
	return nil, fmt.Errorf("%s is not an ELF object; use --raw to run raw bytecode", path)
}

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
	progName := ""
	if len(pos) == 2 {
		progName = pos[1]
	}
	insns, err := loadProgram(pos[0], *raw, progName)
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
	prog, err := ebpfvm.NewProgram(insns, nil)
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
