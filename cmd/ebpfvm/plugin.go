package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/ebpfvm/ebpfvm/internal/conformance"
	"github.com/ebpfvm/ebpfvm/isa"
)

// cmdConformancePlugin implements the bpf_conformance plugin protocol: the
// program arrives as hex bytes on standard input (or with --program), the
// memory as one hex argument; r0 is printed in hex.
func cmdConformancePlugin(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var memHex, progHex string
	debug := false
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--program" && i+1 < len(args):
			progHex = args[i+1]
			i++
		case a == "--debug":
			debug = true
		case a == "--elf":
			return fmt.Errorf("--elf: ELF input is not supported by this version yet")
		case strings.HasPrefix(a, "--"):
			return usageError("unknown option %q", a)
		default:
			memHex = a
		}
	}
	if progHex == "" {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && err != io.EOF {
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

// decodeHex reads hex bytes, with or without spaces between them.
func decodeHex(s string) ([]byte, error) {
	s = strings.Join(strings.Fields(s), "")
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("bad hex: %w", err)
	}
	return b, nil
}
