//go:build !race

package ebpfvm_test

const raceEnabled = false
