package bench

import (
	"bufio"
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Machine describes where a report was made.
type Machine struct {
	CPU        string    `json:"cpu"`
	Cores      int       `json:"cores"`
	PinnedCPU  int       `json:"pinned_cpu"` // -1: not pinned
	OS         string    `json:"os"`
	Kernel     string    `json:"kernel,omitempty"`
	Go         string    `json:"go"`
	CC         string    `json:"cc,omitempty"`    // the native engine's compiler
	Clang      string    `json:"clang,omitempty"` // what built the objects
	Date       time.Time `json:"date"`
	LoadBefore string    `json:"load_before,omitempty"` // /proc/loadavg
	LoadAfter  string    `json:"load_after,omitempty"`
}

func describeMachine(cpu int) Machine {
	m := Machine{
		CPU:        cpuModel(),
		Cores:      runtime.NumCPU(),
		PinnedCPU:  cpu,
		OS:         runtime.GOOS + "/" + runtime.GOARCH,
		Kernel:     kernelRelease(),
		Go:         runtime.Version(),
		Date:       time.Now().UTC().Truncate(time.Second),
		LoadBefore: loadAverage(),
	}
	if out, err := exec.Command(compiler(), "--version").Output(); err == nil {
		m.CC, _, _ = strings.Cut(string(out), "\n")
	}
	if o, err := Empty.Object(); err == nil {
		m.Clang = objectCompiler(o)
	}
	return m
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func kernelRelease() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// loadAverage returns the first three fields of /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// objectCompiler returns the compiler that made an object: its DWARF
// producer string, found in .debug_str (debug/dwarf cannot apply BPF
// relocations, so the compile unit is not parsed).
func objectCompiler(obj []byte) string {
	f, err := elf.NewFile(bytes.NewReader(obj))
	if err != nil {
		return ""
	}
	sec := f.Section(".debug_str")
	if sec == nil {
		return ""
	}
	b, err := sec.Data()
	if err != nil {
		return ""
	}
	for _, s := range strings.Split(string(b), "\x00") {
		if strings.Contains(s, "clang version") {
			return s
		}
	}
	return ""
}
