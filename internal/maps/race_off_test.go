//go:build !race

package maps

const raceEnabled = false
