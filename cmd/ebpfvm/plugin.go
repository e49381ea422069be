package main

import (
	"bufio"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/ebpfvm/ebpfvm/internal/testing/conformance"
	"github.com/ebpfvm/ebpfvm/isa"
)

// cmdConformancePlugin implements the bpf_conformance plugin protocol: the
// program arrives as hex bytes on standard input (or with --program), the
// memory as one hex argument; r0 is printed in hex.
func cmdConformancePlugin(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var memHex, progHex string
	debug, haveMem := false, false
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-h" || a == "--help" || a == "-help":
			io.WriteString(stderr, pluginUsage)
			return flag.ErrHelp
		case a == "--program" && i+1 < len(args):
			progHex = args[i+1]
			i++
		case a == "--program":
			return usageError("--program needs the program in hex")
		case a == "--debug":
			debug = true
		case a == "--elf":
			return fmt.Errorf("--elf: ELF input is not supported by this version yet")
		case strings.HasPrefix(a, "-"):
			return usageError("unknown option %q (have --program HEX, --debug, --help)", a)
		case haveMem:
			return usageError("one MEMHEX argument: got %q and %q", memHex, a)
		default:
			memHex, haveMem = a, true
		}
	}
	if progHex == "" {
		line, err := readLine(stdin, maxPluginLine)
		if err != nil {
			return fmt.Errorf("reading the program: %w", err)
		}
		progHex = line
	}
	code, err := decodeHex(progHex)
	if err != nil {
		return fmt.Errorf("program: %w", err)
	}
	memory, err := decodeHex(memHex)
	if err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	insns, err := isa.Decode(code)
	if err != nil {
		return err
	}
	if debug {
		io.WriteString(stderr, isa.Disassemble(insns))
	}
	r0, err := conformance.Execute(insns, memory)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%x\n", r0)
	return nil
}

const pluginUsage = `usage: ebpfvm conformance-plugin [--program HEX] [--debug] [MEMHEX]
The bpf_conformance plugin protocol: runs a program, unverified, with r1
pointing to the memory MEMHEX (hex bytes, spaces allowed) and r2 holding its
length, and prints r0 in hex.
  --program HEX  the program's bytecode in hex (default: one line of hex on
                 standard input)
  --debug        print the program's disassembly on standard error
`

// maxPluginLine bounds the program line read from standard input: two hex
// digits and a space per byte of the largest raw program.
const maxPluginLine = 3 * maxRawObject

// readLine reads one line of at most limit bytes (an endless stdin
// without a newline is refused, not read until memory runs out).
func readLine(r io.Reader, limit int) (string, error) {
	br := bufio.NewReader(io.LimitReader(r, int64(limit)+1))
	line, err := br.ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	if len(line) > limit {
		return "", fmt.Errorf("a line of more than %d bytes", limit)
	}
	return line, nil
}

// decodeHex reads hex bytes, with or without spaces between them.
func decodeHex(s string) ([]byte, error) {
	s = strings.Join(strings.Fields(s), "")
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("bad hex: %w", err)
	}
	return b, nil
}
