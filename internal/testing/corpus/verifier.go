package corpus

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/cilium/ebpf"
)

// VerifierStat is the kernel verifier's verdict on one corpus program,
// with the statistics it prints at log level 4 (BPF_LOG_STATS).
type VerifierStat struct {
	Object   string `json:"object"`
	Program  string `json:"program"`
	Type     string `json:"type"`
	Insns    int    `json:"insns"` // instruction slots after linking subprograms
	Accepted bool   `json:"accepted"`
	// From "processed N insns (limit 1000000) max_states_per_insn M
	// total_states T peak_states P mark_read R".
	Processed   int `json:"processed_insns"`
	TotalStates int `json:"total_states"`
	PeakStates  int `json:"peak_states"`
	// From "verification time N usec": the median of Loads loads.
	TimeUsec int `json:"verification_time_usec"`
	Loads    int `json:"loads"`
	// From "stack depth A+B+...": one figure per (sub)program.
	StackDepth string `json:"stack_depth"`
	Error      string `json:"error,omitempty"`
}

var (
	reProcessed = regexp.MustCompile(`processed (\d+) insns \(limit \d+\) max_states_per_insn \d+ total_states (\d+) peak_states (\d+)`)
	reTime      = regexp.MustCompile(`verification time (\d+) usec`)
	reStack     = regexp.MustCompile(`stack depth ([0-9+]+)`)
)

// ParseVerifierStats fills the statistics fields of st from a verifier
// log.
func ParseVerifierStats(log string, st *VerifierStat) {
	if m := reProcessed.FindStringSubmatch(log); m != nil {
		st.Processed, _ = strconv.Atoi(m[1])
		st.TotalStates, _ = strconv.Atoi(m[2])
		st.PeakStates, _ = strconv.Atoi(m[3])
	}
	if m := reTime.FindStringSubmatch(log); m != nil {
		st.TimeUsec, _ = strconv.Atoi(m[1])
	}
	if m := reStack.FindStringSubmatch(log); m != nil {
		st.StackDepth = m[1]
	}
}

// KernelVerifierStats loads each program of a corpus object on its own
// (with all of the object's maps) at log level BPF_LOG_STATS, loads times
// (at least once), and returns the kernel verifier's verdicts and
// statistics, with the median verification time, sorted by program name.
func KernelVerifierStats(object string, loads int) ([]VerifierStat, error) {
	if err := KernelAvailable(); err != nil {
		return nil, err
	}
	spec, err := LoadSpec(object)
	if err != nil {
		return nil, err
	}
	var names []string
	for name := range spec.Programs {
		names = append(names, name)
	}
	sort.Strings(names)
	var stats []VerifierStat
	for _, name := range names {
		one, err := LoadSpec(object)
		if err != nil {
			return nil, err
		}
		for other := range one.Programs {
			if other != name {
				delete(one.Programs, other)
			}
		}
		ps := one.Programs[name]
		st := VerifierStat{Object: object, Program: name, Type: ps.Type.String(), Insns: insnSlots(ps)}
		var times []int
		for range max(loads, 1) {
			st.Accepted, st.Error = false, ""
			coll, err := ebpf.NewCollectionWithOptions(one.Copy(), ebpf.CollectionOptions{
				Programs: ebpf.ProgramOptions{LogLevel: ebpf.LogLevelStats},
			})
			if err != nil {
				var ve *ebpf.VerifierError
				if !errors.As(err, &ve) {
					return nil, fmt.Errorf("%s/%s: %w", object, name, err)
				}
				st.Error = ve.Error()
				ParseVerifierStats(strings.Join(ve.Log, "\n"), &st)
			} else {
				st.Accepted = true
				ParseVerifierStats(coll.Programs[name].VerifierLog, &st)
				coll.Close()
			}
			times = append(times, st.TimeUsec)
		}
		sort.Ints(times)
		st.TimeUsec, st.Loads = times[len(times)/2], len(times)
		stats = append(stats, st)
	}
	return stats, nil
}

// insnSlots counts 8-byte instruction slots (a 64-bit immediate load takes
// two).
func insnSlots(ps *ebpf.ProgramSpec) int {
	n := 0
	for _, ins := range ps.Instructions {
		n += int(ins.Size() / 8)
	}
	return n
}

// Objects lists the corpus objects (*.o in Dir), sorted.
func Objects() ([]string, error) {
	entries, err := os.ReadDir(Dir())
	if err != nil {
		return nil, err
	}
	var objs []string
	for _, e := range entries {
		if filepath.Ext(e.Name()) == ".o" {
			objs = append(objs, e.Name())
		}
	}
	sort.Strings(objs)
	return objs, nil
}
