package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

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
	batch := fs.Duration("time", 100*time.Millisecond, "how long one measurement takes")
	growth := fs.Bool("growth", true, "measure how run time grows with the work size (bpfloop, hashmap)")
	overhead := fs.Bool("overhead", true, "measure the fixed cost of a run (the empty program)")
	cpu := fs.Int("cpu", bench.DefaultCPU(), "run on this `CPU` (-1: do not pin)")
	markdown := fs.Bool("markdown", false, "print the tables in Markdown")
	quiet := fs.Bool("quiet", false, "no progress line")
	from := fs.String("from", "", "measure nothing: print the tables (and write --svg) from the JSON `FILE` of an earlier run")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("bench takes no arguments, got %q", pos)
	}
	if *unverified && *untrusted {
		return usageError("--unverified and --untrusted exclude each other")
	}
	if err := checkBenchFlags(fs, *rounds, *batch, *cpu); err != nil {
		return err
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
	seen := map[string]bool{}
	for _, name := range strings.Split(*engines, ",") {
		name = strings.TrimSpace(name)
		if seen[name] {
			return usageError("--engines names %q twice", name)
		}
		seen[name] = true
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

// maxReport is the largest JSON report --from reads.
const maxReport = 256 << 20

// measuring are the flags that say how to measure: --from measures
// nothing, so they make no sense with it.
var measuring = []string{"engines", "unverified", "untrusted", "filter", "json", "rounds", "time", "growth", "overhead", "cpu", "quiet"}

// checkBenchFlags refuses values the suite cannot use, rather than
// replacing them with defaults.
func checkBenchFlags(fs *flag.FlagSet, rounds int, batch time.Duration, cpu int) error {
	var set []string
	fs.Visit(func(f *flag.Flag) {
		if slices.Contains(measuring, f.Name) {
			set = append(set, "--"+f.Name)
		}
	})
	switch {
	case rounds < 1:
		return usageError("--rounds must be at least 1, got %d", rounds)
	case batch <= 0:
		return usageError("--time must be positive, got %v", batch)
	case cpu < -1:
		return usageError("--cpu must be a CPU number, or -1 not to pin, got %d", cpu)
	case fs.Lookup("from").Value.String() != "" && len(set) > 0:
		return usageError("--from measures nothing: %s do not go with it", strings.Join(set, ", "))
	}
	return nil
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
	b, err := readLimited(path, maxReport)
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
