// Package conformance reads the test files of the bpf_conformance suite and
// runs them on ebpfvm, with the suite's calling convention: r1 points to a
// copy of the test's memory, r2 holds its length, and helper 5 ("unwind")
// returns its argument, ending the program with r0 = 0 when that is 0.
package conformance

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/isa"
)

// Test is one conformance test file.
type Test struct {
	Name      string
	Asm       string   // the -- asm section
	Raw       []uint64 // the -- raw section: instruction words; overrides Asm
	Mem       []byte   // the -- mem section
	Result    uint64   // expected r0
	HasResult bool
	Error     string // the -- error section: expected error text
}

// ErrSkip is returned by Parse for a file with a directive it does not know.
type ErrSkip struct{ Directive string }

func (e *ErrSkip) Error() string { return fmt.Sprintf("unknown directive %q", e.Directive) }

// Parse reads one test file.
func Parse(name string, data []byte) (*Test, error) {
	t := &Test{Name: name}
	section := ""
	var asm strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if strings.Contains(text, "--") && !strings.HasPrefix(strings.TrimSpace(text), "#") {
			d := strings.TrimSpace(text[strings.Index(text, "--")+2:])
			switch d {
			case "asm", "mem", "raw", "result", "error", "c":
				section = d
			case "no register offset":
				section = ""
			default:
				return nil, &ErrSkip{Directive: d}
			}
			continue
		}
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		if section == "asm" {
			asm.WriteString(text)
			asm.WriteByte('\n')
			continue
		}
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		if err := t.parseLine(section, text); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	t.Asm = asm.String()
	return t, nil
}

func (t *Test) parseLine(section, text string) error {
	switch section {
	case "mem":
		b, err := ParseHexBytes(text)
		if err != nil {
			return err
		}
		t.Mem = append(t.Mem, b...)
	case "raw":
		v, err := strconv.ParseUint(strings.TrimPrefix(text, "0x"), 16, 64)
		if err != nil {
			return fmt.Errorf("bad raw instruction %q", text)
		}
		t.Raw = append(t.Raw, v)
	case "result":
		base := 10
		s := text
		if strings.Contains(s, "0x") {
			base, s = 16, strings.TrimPrefix(s, "0x")
		}
		v, err := strconv.ParseUint(s, base, 64)
		if err != nil {
			iv, ierr := strconv.ParseInt(s, base, 64)
			if ierr != nil {
				return fmt.Errorf("bad result %q", text)
			}
			v = uint64(iv)
		}
		t.Result, t.HasResult = v, true
	case "error":
		t.Error = text
	}
	return nil
}

// ParseHexBytes reads whitespace-separated hex bytes ("01 ff 2a").
func ParseHexBytes(s string) ([]byte, error) {
	var out []byte
	for _, f := range strings.Fields(s) {
		b, err := hex.DecodeString(f)
		if err != nil || len(b) != 1 {
			return nil, fmt.Errorf("bad hex byte %q", f)
		}
		out = append(out, b[0])
	}
	return out, nil
}

// Load reads every *.data file in dir, sorted by name. Files with unknown
// directives are returned in skipped.
func Load(dir string) (tests []*Test, skipped map[string]error, err error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.data"))
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(names)
	skipped = map[string]error{}
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			return nil, nil, err
		}
		t, err := Parse(filepath.Base(n), data)
		if err != nil {
			if _, ok := err.(*ErrSkip); ok {
				skipped[filepath.Base(n)] = err
				continue
			}
			return nil, nil, err
		}
		tests = append(tests, t)
	}
	return tests, skipped, nil
}

// Program returns the test's instructions: the raw words when present, else
// the assembled text.
func (t *Test) Program() ([]isa.Instruction, error) {
	if len(t.Raw) > 0 {
		b := make([]byte, 0, 8*len(t.Raw))
		for _, w := range t.Raw {
			b = append(b, byte(w), byte(w>>8), byte(w>>16), byte(w>>24), byte(w>>32), byte(w>>40), byte(w>>48), byte(w>>56))
		}
		return isa.Decode(b)
	}
	return isa.Assemble(t.Asm)
}

// UnwindHelperID is the suite's helper that returns its argument and ends
// the program when that is 0.
const UnwindHelperID = 5

// Helpers returns the helpers the suite's programs call.
func Helpers() *ebpfvm.Helpers {
	h := &ebpfvm.Helpers{}
	h.Register(ebpfvm.Helper{ID: UnwindHelperID, Name: "unwind", Func: func(env *ebpfvm.Env, r1, _, _, _, _ uint64) (uint64, error) {
		if r1 == 0 {
			env.Stop(0)
		}
		return r1, nil
	}})
	return h
}

// Execute runs a program with the suite's calling convention and returns r0.
// The suite's programs run unverified, in checked mode: they test the
// instruction set, and many are no programs a verifier accepts (callx,
// reads of uninitialized registers, unbounded jumps, helpers without
// prototypes).
func Execute(insns []isa.Instruction, memory []byte) (uint64, error) {
	return ExecuteWith(insns, memory, nil)
}

// ExecuteWith is Execute with the program's other options (its engine)
// taken from opts; the suite's helpers and checked mode replace opts'.
func ExecuteWith(insns []isa.Instruction, memory []byte, opts *ebpfvm.ProgramOptions) (uint64, error) {
	var o ebpfvm.ProgramOptions
	if opts != nil {
		o = *opts
	}
	o.Helpers, o.Verify = Helpers(), ebpfvm.VerifyNone
	prog, err := ebpfvm.NewProgram(insns, &o)
	if err != nil {
		return 0, err
	}
	res, err := prog.Run(&ebpfvm.RunOptions{Context: memory})
	if err != nil {
		return 0, err
	}
	return res.ReturnValue, nil
}

// Check runs a test and reports whether ebpfvm gave the expected outcome.
func (t *Test) Check() error { return t.CheckWith(nil) }

// CheckWith is Check with the program's options as ExecuteWith takes them.
func (t *Test) CheckWith(opts *ebpfvm.ProgramOptions) error {
	insns, err := t.Program()
	if err == nil {
		var r0 uint64
		r0, err = ExecuteWith(insns, t.Mem, opts)
		if err == nil {
			if t.Error != "" {
				return fmt.Errorf("expected error %q, got r0 = %#x", t.Error, r0)
			}
			if t.HasResult && r0 != t.Result {
				return fmt.Errorf("r0 = %#x, want %#x", r0, t.Result)
			}
			return nil
		}
	}
	if t.Error != "" {
		return nil // any failure satisfies an expected error; the text is ours
	}
	return err
}
