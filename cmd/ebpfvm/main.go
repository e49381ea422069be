// Command ebpfvm runs, assembles and disassembles eBPF programs.
//
//	ebpfvm run [--engine auto|interp] [--raw [--type T]] [--data FILE] [--ctx FILE] [--mem FILE]
//	           [--repeat N] [--max-insns N] [--unverified | --untrusted] [--progress]
//	           [--json | --dump-maps --ringbuf] OBJ [PROG]
//	ebpfvm disasm [--raw] OBJ [PROG]
//	ebpfvm asm [-o OUT] FILE
//	ebpfvm maps OBJ
//	ebpfvm verify [--log-level N] [--untrusted] [--raw [--type T] [--ctx-size N]] OBJ [PROG]
//	ebpfvm bench [--engines …] [--unverified | --untrusted] [--filter …] [--json FILE] [--svg FILE]
//	ebpfvm conformance-plugin [--program HEX] [MEMHEX] [--debug]
//
// `ebpfvm help COMMAND` and `ebpfvm COMMAND --help` show a command's flags.
// run loads PROG and what it needs (its maps, the programs its prog arrays
// are initialised with), not the other programs of OBJ. It reads at most
// what the program type takes from --data, --ctx and --mem (the kernel's
// BPF_PROG_TEST_RUN limits; 64 MiB for types without one), and runs at
// most 2^32-1 repeats, with progress on standard error when it is a
// terminal. Exit status: 0 success, 1 a load or run failure (or the
// verifier's rejection), 2 bad usage.
//
// run and bench verify programs before they run them, as the kernel does
// at BPF_PROG_LOAD, and run what the verifier accepts without per-access
// checks; --unverified skips the verifier and runs in checked mode. The
// conformance plugin runs the suite's programs unverified.
//
// The command-line interface is a contract with scripts outside the project:
// flags and output formats stay stable.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// exitError carries an exit status other than 1.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

type command struct {
	name    string
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

var commands = []command{
	{"run", "run a program and print r0", cmdRun},
	{"disasm", "print a program in the kernel's assembly syntax", cmdDisasm},
	{"asm", "assemble a program into raw bytecode", cmdAsm},
	{"maps", "list the maps of an ELF object", cmdMaps},
	{"conformance-plugin", "speak the bpf_conformance plugin protocol", cmdConformancePlugin},
	{"verify", "verify a program as the kernel's verifier would", cmdVerify},
	{"bench", "run the benchmark suite: ebpfvm, the kernel's JIT and native code", cmdBench},
}

func main() {
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Main runs the command line and returns the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 2 && args[0] == "help" {
		// help CMD is CMD --help.
		args = []string{args[1], "--help"}
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) == 0 {
			usage(stderr)
			return 2
		}
		if len(args) > 1 {
			fmt.Fprintln(stderr, "usage: ebpfvm help [COMMAND]")
			return 2
		}
		usage(stderr)
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(args[1:], stdin, stdout, stderr)
		if err == nil {
			return 0
		}
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.err != nil && ee.err.Error() != "" {
				fmt.Fprintf(stderr, "ebpfvm %s: %v\n", c.name, ee.err)
			}
			return ee.code
		}
		fmt.Fprintf(stderr, "ebpfvm %s: %v\n", c.name, err)
		return 1
	}
	fmt.Fprintf(stderr, "ebpfvm: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: ebpfvm <command> [flags] [args]")
	fmt.Fprintln(w, "commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-20s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "Run 'ebpfvm <command> --help' for a command's flags.")
}

// parseFlags parses flags that may appear before, between or after the
// positional arguments, and returns the positional ones. The error is
// flag.ErrHelp for -h and --help (the usage is printed; the exit status
// is 0), an exit status 2 for other bad flags (the flag package has said
// what is wrong).
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			return nil, flag.ErrHelp
		} else if err != nil {
			return nil, &exitError{code: 2}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func newFlagSet(name, usageLine string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: ebpfvm %s %s\n", name, usageLine)
		fs.PrintDefaults()
	}
	return fs
}

func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}
