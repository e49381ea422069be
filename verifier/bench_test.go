package verifier

import (
	"testing"
	"time"

	"github.com/ebpfvm/ebpfvm/internal/testing/kernel"
)

// BenchmarkCorpus verifies every program of the accept and reject corpora
// once per iteration and reports the mean time per program; where bpf() is
// available it also reports the kernel's own "verification time" for the
// accept corpus (kernel-us/prog) for comparison.
func BenchmarkCorpus(b *testing.B) {
	var cases []*corpusCase
	for _, dir := range []string{"accept", "reject"} {
		cases = append(cases, loadCorpus(b, dir)...)
	}
	opts := make([]*Options, len(cases))
	for i, c := range cases {
		opts[i] = c.options()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for i, c := range cases {
			Verify(c.insns, opts[i])
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(cases))/1000, "us/prog")
	b.ReportMetric(0, "ns/op")
	if kernel.Available() != nil {
		return
	}
	var total time.Duration
	var ours time.Duration
	n := 0
	for i, c := range cases {
		if !c.accept || c.funcInfo {
			continue
		}
		kt, ok := kernelTypes[c.typ]
		if !ok || c.mode != Privileged {
			continue
		}
		_ = kt
		acc, log, err := c.kernelVerdict()
		if err != nil || !acc {
			continue
		}
		d, ok := kernel.ParseVerificationTime(log)
		if !ok {
			continue
		}
		total += d
		start := time.Now()
		for range 100 {
			Verify(c.insns, opts[i])
		}
		ours += time.Since(start) / 100
		n++
	}
	if n > 0 {
		b.ReportMetric(float64(total.Microseconds())/float64(n), "kernel-us/prog")
		b.ReportMetric(float64(ours.Nanoseconds())/float64(n)/1000, "ebpfvm-us/prog")
	}
}
