package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/ebpfvm/ebpfvm/bench"
)

// cmdBench runs the benchmark suite: the same programs in ebpfvm, the
// kernel's JIT and native code (see bench and BENCHMARKS.md).
func cmdBench(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", "[flags]", stderr)
	engines := fs.String("engines", strings.Join(bench.DefaultEngines, ","),
		"comma-separated `list` of engines, in the table's order: kernel (the kernel's JIT, BPF_PROG_TEST_RUN), native (gcc -O2), "+
			"interp (ebpfvm's interpreter, programs verified), interp-checked (unverified, every memory access checked), "+
			"interp-untrusted (verified with the untrusted rules), jit (ebpfvm's JIT)")
	unverified := fs.Bool("unverified", false, "run the interp engine's programs unverified, in checked mode (interp becomes interp-checked)")
	untrusted := fs.Bool("untrusted", false, "verify the interp engine's programs with the untrusted rules (interp becomes interp-untrusted)")
	filter := fs.String("filter", "", "run only the programs whose names match this `regexp`")
	jsonFile := fs.String("json", "", "write the results as JSON to `FILE`")
	svgFile := fs.String("svg", "", "draw the table as an SVG bar chart in `FILE`")
	rounds := fs.Int("rounds", 5, "measurements per program and engine; the table shows the median")
	batch := fs.Duration("time", 0, "how long one measurement takes (default 100ms)")
	growth := fs.Bool("growth", true, "measure how run time grows with the work size (bpfloop, hashmap)")
	overhead := fs.Bool("overhead", true, "measure the fixed cost of a run (the empty program)")
	cpu := fs.Int("cpu", bench.DefaultCPU(), "run on this `CPU` (-1: do not pin)")
	markdown := fs.Bool("markdown", false, "print the tables in Markdown")
	quiet := fs.Bool("quiet", false, "no progress line")
	from := fs.String("from", "", "measure nothing: print the tables (and write --svg) from the JSON `FILE` of an earlier run")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return &exitError{code: 2}
	}
	if len(pos) > 0 {
		return usageError("bench takes no arguments, got %q", pos)
	}
	if *unverified && *untrusted {
		return usageError("--unverified and --untrusted exclude each other")
	}
	if *from != "" {
		rep, err := readReport(*from)
		if err != nil {
			return err
		}
		return writeReport(rep, stdout, *markdown, "", *svgFile)
	}
	opts := bench.Options{Rounds: *rounds, Batch: *batch, Growth: *growth, Overhead: *overhead, CPU: *cpu}
	if *filter != "" {
		re, err := regexp.Compile(*filter)
		if err != nil {
			return usageError("--filter: %v", err)
		}
		opts.Filter = re.MatchString
		matched := false
		for _, b := range bench.Benchmarks {
			matched = matched || re.MatchString(b.Name)
		}
		if !matched {
			return usageError("--filter %q matches no program", *filter)
		}
	}
	for _, name := range strings.Split(*engines, ",") {
		name = strings.TrimSpace(name)
		switch {
		case name == bench.Interp && *unverified:
			name = bench.InterpChecked
		case name == bench.Interp && *untrusted:
			name = bench.InterpUntrusted
		}
		e, err := bench.NewEngine(name, *cpu)
		if err != nil {
			return usageError("--engines: %v", err)
		}
		opts.Engines = append(opts.Engines, e)
	}
	defer bench.CloseEngines(opts.Engines)
	if !*quiet {
		opts.Progress = stderr
		if f, ok := stderr.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				opts.ProgressTTY = true
			}
		}
	}
	rep, err := bench.Run(opts)
	if err != nil {
		var ce *bench.ChecksumError
		if errors.As(err, &ce) {
			return fmt.Errorf("%w\nThe engines computed different results for the same program and input: one of them is wrong.", err)
		}
		return err
	}
	return writeReport(rep, stdout, *markdown, *jsonFile, *svgFile)
}

func writeReport(rep *bench.Report, stdout io.Writer, markdown bool, jsonFile, svgFile string) error {
	rep.WriteText(stdout, markdown)
	if jsonFile != "" {
		if err := writeFile(jsonFile, rep.WriteJSON); err != nil {
			return err
		}
	}
	if svgFile != "" && len(rep.Results) > 0 {
		if err := writeFile(svgFile, rep.WriteSVG); err != nil {
			return err
		}
	}
	return nil
}

func readReport(path string) (*bench.Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rep := &bench.Report{}
	if err := json.Unmarshal(b, rep); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rep, nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
