//go:build linux && (amd64 || arm64 || loong64 || mips64 || mips64le || ppc64 || ppc64le || riscv64 || s390x)

package kernel

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The offsets of union bpf_attr's members in include/uapi/linux/bpf.h.
func TestAttrLayout(t *testing.T) {
	var l progLoadAttr
	for name, c := range map[string][2]uintptr{
		"insns":                {unsafe.Offsetof(l.insns), 8},
		"license":              {unsafe.Offsetof(l.license), 16},
		"log_level":            {unsafe.Offsetof(l.logLevel), 24},
		"log_buf":              {unsafe.Offsetof(l.logBuf), 32},
		"prog_flags":           {unsafe.Offsetof(l.progFlags), 44},
		"prog_name":            {unsafe.Offsetof(l.progName), 48},
		"expected_attach_type": {unsafe.Offsetof(l.expectedAttachType), 68},
		"func_info":            {unsafe.Offsetof(l.funcInfo), 80},
		"line_info":            {unsafe.Offsetof(l.lineInfo), 96},
		"attach_prog_fd":       {unsafe.Offsetof(l.attachProgFD), 112},
		"fd_array":             {unsafe.Offsetof(l.fdArray), 120},
		"core_relo_rec_size":   {unsafe.Offsetof(l.coreReloRecSize), 136},
		"log_true_size":        {unsafe.Offsetof(l.logTrueSize), 140},
		"fd_array_cnt":         {unsafe.Offsetof(l.fdArrayCnt), 148},
		"sizeof":               {unsafe.Sizeof(l), 152},
	} {
		if c[0] != c[1] {
			t.Errorf("prog load %s at %d, want %d", name, c[0], c[1])
		}
	}
	var r testRunAttr
	for name, c := range map[string][2]uintptr{
		"data_in":  {unsafe.Offsetof(r.dataIn), 16},
		"repeat":   {unsafe.Offsetof(r.repeat), 32},
		"ctx_in":   {unsafe.Offsetof(r.ctxIn), 48},
		"ctx_out":  {unsafe.Offsetof(r.ctxOut), 56},
		"flags":    {unsafe.Offsetof(r.flags), 64},
		"batch":    {unsafe.Offsetof(r.batchSize), 72},
		"sizeof":   {unsafe.Sizeof(r), 80},
		"cmd load": {cmdProgLoad, unix.BPF_PROG_LOAD},
		"cmd test": {cmdProgTestRun, unix.BPF_PROG_TEST_RUN},
	} {
		if c[0] != c[1] {
			t.Errorf("test run %s at %d, want %d", name, c[0], c[1])
		}
	}
	for typ, want := range map[ProgType]int{SocketFilter: unix.BPF_PROG_TYPE_SOCKET_FILTER, SchedCLS: unix.BPF_PROG_TYPE_SCHED_CLS,
		XDP: unix.BPF_PROG_TYPE_XDP, RawTracepoint: unix.BPF_PROG_TYPE_RAW_TRACEPOINT, Syscall: unix.BPF_PROG_TYPE_SYSCALL,
		Netfilter: unix.BPF_PROG_TYPE_NETFILTER, SKLookup: unix.BPF_PROG_TYPE_SK_LOOKUP, LSM: unix.BPF_PROG_TYPE_LSM} {
		if int(typ) != want {
			t.Errorf("%v = %d, want %d", typ, typ, want)
		}
	}
}
