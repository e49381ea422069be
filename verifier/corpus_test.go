package verifier

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"

	"github.com/ebpfvm/ebpfvm/internal/testing/kernel"
	"github.com/ebpfvm/ebpfvm/isa"
)

// A corpus file is a program in the assembler's syntax with a header of
// comment lines:
//
//	# type: xdp                      program type (see ProgramTypeByName)
//	# mode: untrusted                optional; default privileged
//	# map: hash key=4 value=8 entries=16 [flags=N] [name=NAME] [lock=OFF]
//	# expect: reject                 or accept
//	# error: <the kernel's message>  a line of the kernel's log (reject)
//	# kernel-bug: <why>              some kernel patch levels accept this
//	                                 unsafe program (a kernel bug): the
//	                                 running kernel may accept it (logged)
//	                                 or reject it with the error line;
//	                                 ebpfvm must reject it either way
//
// Maps are referenced as map[fd:N], N counting the map lines from 0.
type corpusCase struct {
	path   string
	typ    string
	mode   Mode
	maps   []*Map
	accept bool
	errMsg string
	insns  []isa.Instruction
	gpl    bool
	// funcInfo: the program is assumed to come with BTF func_info
	// (the kernel side is then not checked).
	funcInfo bool
	// kernelBug: some kernels wrongly accept this reject case (whether
	// the running one does is detected, not assumed).
	kernelBug string
}

func parseCorpusFile(path string) (*corpusCase, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c := &corpusCase{path: path, typ: "xdp", gpl: true}
	sawExpect := false
	for _, line := range strings.Split(string(src), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "#") {
			continue
		}
		key, val, ok := strings.Cut(strings.TrimSpace(line[1:]), ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch strings.TrimSpace(key) {
		case "type":
			c.typ = val
		case "kernel-bug":
			c.kernelBug = val
		case "mode":
			if val == "untrusted" {
				c.mode = Untrusted
			}
		case "btf":
			c.funcInfo = val == "func_info"
		case "license":
			c.gpl = val == "GPL"
		case "expect":
			sawExpect = true
			c.accept = val == "accept"
		case "error":
			c.errMsg = val
		case "map":
			m, err := parseMapSpec(val)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", path, err)
			}
			c.maps = append(c.maps, m)
		}
	}
	if !sawExpect {
		return nil, fmt.Errorf("%s: no '# expect:' line", path)
	}
	if !c.accept && c.errMsg == "" {
		return nil, fmt.Errorf("%s: a reject case needs '# error:'", path)
	}
	c.insns, err = isa.Assemble(string(src))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return c, nil
}

func parseMapSpec(s string) (*Map, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return nil, errors.New("empty map line")
	}
	t, ok := ParseMapType(f[0])
	if !ok {
		return nil, fmt.Errorf("unknown map type %q", f[0])
	}
	m := &Map{Type: t, SpinLockOff: -1}
	for _, kv := range f[1:] {
		k, v, _ := strings.Cut(kv, "=")
		if k == "name" {
			m.Name = v
			continue
		}
		n, err := strconv.ParseInt(v, 0, 64)
		if err != nil {
			return nil, fmt.Errorf("bad %s", kv)
		}
		switch k {
		case "key":
			m.KeySize = uint32(n)
		case "value":
			m.ValueSize = uint32(n)
		case "entries":
			m.MaxEntries = uint32(n)
		case "flags":
			m.Flags = uint32(n)
		case "lock":
			m.SpinLock, m.SpinLockOff = true, int32(n)
		}
	}
	return m, nil
}

var kernelTypes = map[string]kernel.ProgType{
	"xdp": kernel.XDP, "sched_cls": kernel.SchedCLS, "socket_filter": kernel.SocketFilter,
	"syscall": kernel.Syscall, "raw_tracepoint": kernel.RawTracepoint,
}

func loadCorpus(t testing.TB, dir string) []*corpusCase {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "verifier", dir, "*.s"))
	sort.Strings(files)
	var cases []*corpusCase
	for _, f := range files {
		c, err := parseCorpusFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c)
	}
	return cases
}

func (c *corpusCase) options() *Options {
	pt, ok := ProgramTypeByName(c.typ)
	if !ok {
		pt = Generic(64)
	}
	return &Options{Type: pt, Mode: c.mode, Maps: c.maps, GPL: c.gpl, FuncInfo: c.funcInfo, Kfuncs: corpusKfuncs}
}

// corpusKfuncs are the kfuncs corpus files may call, by the IDs they call
// them with ("call bpf_iter_num_next#2"); for the kernel, the calls get
// the kernel's BTF IDs of the same names (kernelKfuncIDs).
var corpusKfuncs = func() KfuncMap {
	n, next, destroy := IterNumKfuncs()
	return KfuncMap{1: n, 2: next, 3: destroy}
}()

// kernelKfuncIDs rewrites the corpus's kfunc IDs into the running
// kernel's BTF IDs of the same kfuncs (from /sys/kernel/btf/vmlinux).
func kernelKfuncIDs(insns []isa.Instruction) error {
	var spec *btf.Spec
	for i := range insns {
		in := &insns[i]
		if in.Opcode != isa.OpCall || uint8(in.Src) != isa.CallKfunc {
			continue
		}
		p, ok := corpusKfuncs[in.Imm]
		if !ok {
			continue
		}
		if spec == nil {
			var err error
			if spec, err = btf.LoadKernelSpec(); err != nil {
				return fmt.Errorf("kernel BTF: %v", err)
			}
		}
		var fn *btf.Func
		if err := spec.TypeByName(p.Name, &fn); err != nil {
			return fmt.Errorf("kernel BTF: %s: %v", p.Name, err)
		}
		id, err := spec.TypeID(fn)
		if err != nil {
			return err
		}
		in.Imm = int32(id)
	}
	return nil
}

// kernelVerdict loads the case into the kernel: nil log and an error when
// bpf() cannot be used for it.
func (c *corpusCase) kernelVerdict() (accepted bool, log string, err error) {
	kt, ok := kernelTypes[c.typ]
	if !ok || c.mode != Privileged || c.funcInfo {
		return false, "", errors.New("no kernel equivalent")
	}
	if err := kernel.Available(); err != nil {
		return false, "", err
	}
	insns := append([]isa.Instruction(nil), c.insns...)
	var fds []int
	defer func() {
		for _, fd := range fds {
			closeFD(fd)
		}
	}()
	for _, m := range c.maps {
		fd, err := createKernelMap(m)
		if err != nil {
			return false, "", fmt.Errorf("creating map: %v", err)
		}
		fds = append(fds, fd)
	}
	for i := range insns {
		in := &insns[i]
		if in.Opcode == isa.OpLdImm64 && (uint8(in.Src) == isa.PseudoMapFD || uint8(in.Src) == isa.PseudoMapValue) {
			if int(in.Imm) < len(fds) {
				in.Imm = int32(fds[in.Imm])
			}
		}
	}
	if err := kernelKfuncIDs(insns); err != nil {
		return false, "", err
	}
	lic := "GPL"
	if !c.gpl {
		lic = "Proprietary"
	}
	p, err := kernel.Load(insns, kernel.LoadOptions{Type: kt, LogLevel: kernel.LogLevelBranch, License: lic})
	if err != nil {
		var ve *kernel.VerifierError
		if errors.As(err, &ve) {
			return false, ve.Log, nil
		}
		return false, "", err
	}
	p.Close()
	return true, p.Log, nil
}

func TestCorpus(t *testing.T) {
	type tally struct{ n, agree, msg, kernelChecked, kernelOK, kernelBugs int }
	var tallies [2]tally
	var disagreements []string
	for k, dir := range []string{"reject", "accept"} {
		cases := loadCorpus(t, dir)
		tl := &tallies[k]
		for _, c := range cases {
			tl.n++
			name := filepath.Base(c.path)
			if c.accept != (dir == "accept") {
				t.Errorf("%s: expect line contradicts its directory", name)
			}
			_, err := Verify(c.insns, c.options())
			ours := err == nil
			if ours == c.accept {
				tl.agree++
				if !c.accept && strings.Contains(err.Error(), c.errMsg) {
					tl.msg++
				}
			} else {
				disagreements = append(disagreements, fmt.Sprintf("%s: want %v, ebpfvm: %v", name, dir, err))
			}
			if !c.accept && err != nil && !strings.Contains(err.Error(), c.errMsg) {
				t.Errorf("%s: message differs: want %q, ebpfvm %q", name, c.errMsg, err.(*Error).Msg)
			}
			kacc, klog, kerr := c.kernelVerdict()
			if kerr != nil {
				continue
			}
			tl.kernelChecked++
			switch {
			case c.kernelBug != "" && kacc:
				t.Logf("%s: this kernel accepts this unsafe program (kernel bug present: %s)", name, c.kernelBug)
				tl.kernelBugs++
			case c.kernelBug != "" && !strings.Contains(klog, c.errMsg):
				t.Errorf("%s: this kernel rejects it (kernel bug fixed here) but its log lacks %q:\n%s", name, c.errMsg, kernel.LastLines(klog, 4))
			case c.kernelBug != "":
				t.Logf("%s: this kernel rejects it as it should (kernel bug fixed here: %s)", name, c.kernelBug)
				tl.kernelOK++
			case kacc != c.accept:
				t.Errorf("%s: the file says %s but the kernel %s:\n%s", name, dir, map[bool]string{true: "accepts", false: "rejects"}[kacc], kernel.LastLines(klog, 4))
			case !kacc && !strings.Contains(klog, c.errMsg):
				t.Errorf("%s: the kernel's log lacks %q:\n%s", name, c.errMsg, kernel.LastLines(klog, 4))
			default:
				tl.kernelOK++
			}
		}
	}
	for _, d := range disagreements {
		t.Error("DISAGREE " + d)
	}
	r, a := tallies[0], tallies[1]
	t.Logf("reject corpus: %d programs, ebpfvm rejects %d (%d with the kernel's message); kernel confirmed %d/%d, %d unsafe programs the kernel accepts (known kernel bugs)",
		r.n, r.agree, r.msg, r.kernelOK, r.kernelChecked, r.kernelBugs)
	t.Logf("accept corpus: %d programs, ebpfvm accepts %d; kernel confirmed %d/%d",
		a.n, a.agree, a.kernelOK, a.kernelChecked)
}
