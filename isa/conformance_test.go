package isa

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// conformanceDir is the bpf_conformance suite's test data, outside the
// repository (see /work/shared/conformance/README.md).
const conformanceDir = "../../shared/conformance/bpf_conformance"

// conformanceFile is the part of a .data file the assembler cares about.
type conformanceFile struct {
	name string
	asm  string
	raw  []uint64 // nil when the file has no raw section
}

func loadConformance(t testing.TB) []conformanceFile {
	t.Helper()
	files, err := readConformance()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skipf("bpf_conformance suite not found at %s (relative to isa/)", conformanceDir)
	}
	return files
}

// readConformance reads the suite's files; none when it is absent.
func readConformance() ([]conformanceFile, error) {
	paths, err := filepath.Glob(filepath.Join(conformanceDir, "*.data"))
	if err != nil {
		return nil, err
	}
	var files []conformanceFile
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		f, err := parseConformance(filepath.Base(path), string(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		files = append(files, f)
	}
	return files, nil
}

// parseConformance splits a .data file into its sections.
func parseConformance(name, text string) (conformanceFile, error) {
	f := conformanceFile{name: name}
	var asm strings.Builder
	section := ""
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "--") {
			section = strings.TrimSpace(strings.TrimPrefix(line, "--"))
			if section == "raw" {
				f.raw = []uint64{}
			}
			continue
		}
		switch section {
		case "asm":
			asm.WriteString(line + "\n")
		case "raw":
			word := strings.TrimSpace(strings.SplitN(line, "#", 2)[0])
			if word == "" {
				continue
			}
			v, err := strconv.ParseUint(word, 0, 64)
			if err != nil {
				return f, err
			}
			f.raw = append(f.raw, v)
		}
	}
	f.asm = asm.String()
	return f, nil
}

func rawWords(insns []Instruction) []uint64 {
	b := Encode(nil, insns)
	words := make([]uint64, len(b)/8)
	for i := range words {
		words[i] = binary.LittleEndian.Uint64(b[i*8:])
	}
	return words
}

// TestConformanceAssemble assembles the asm section of every file of the
// bpf_conformance suite, validates it, compares it with the raw section
// where there is one, and checks that disassembling and re-assembling gives the same
// program.
func TestConformanceAssemble(t *testing.T) {
	files := loadConformance(t)
	if len(files) != 313 {
		t.Errorf("found %d conformance files, want 313", len(files))
	}
	for _, f := range files {
		insns, err := Assemble(f.asm)
		if err != nil {
			t.Errorf("%s: %v", f.name, err)
			continue
		}
		if err := Validate(insns); err != nil {
			t.Errorf("%s: %v", f.name, err)
		}
		if f.raw != nil && !reflect.DeepEqual(rawWords(insns), f.raw) {
			t.Errorf("%s: assembled %#x, raw section says %#x", f.name, rawWords(insns), f.raw)
		}
		again, err := Assemble(Disassemble(insns))
		if err != nil || !reflect.DeepEqual(again, insns) {
			t.Errorf("%s: round trip through Disassemble failed: %v\n%s", f.name, err, Disassemble(insns))
		}
	}
}
