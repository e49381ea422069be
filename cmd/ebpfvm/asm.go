package main

import (
	"fmt"
	"io"
	"os"

	"github.com/ebpfvm/ebpfvm/isa"
)

func cmdDisasm(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("disasm", "[--raw] OBJ [PROG]", stderr)
	raw := fs.Bool("raw", false, "OBJ is raw bytecode")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 || len(pos) > 2 {
		return usageError("want OBJ [PROG], got %d arguments", len(pos))
	}
	progName := ""
	if len(pos) == 2 {
		progName = pos[1]
	}
	obj, err := openObject(pos[0], *raw)
	if err != nil {
		return err
	}
	text, err := obj.listing(progName)
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, text)
	return err
}

func cmdAsm(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("asm", "[-o OUT] FILE", stderr)
	out := fs.String("o", "", "write the bytecode to `OUT` instead of standard output")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("want one FILE, got %d arguments", len(pos))
	}
	src, err := readLimited(pos[0], maxSource)
	if isTooLarge(err) {
		return fmt.Errorf("%w: ebpfvm asm reads sources of at most %d MiB", err, maxSource>>20)
	}
	if err != nil {
		return err
	}
	insns, err := isa.Assemble(string(src))
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	code := isa.Encode(nil, insns)
	if *out == "" {
		_, err = stdout.Write(code)
		return err
	}
	return os.WriteFile(*out, code, 0o644)
}
