//go:build race

package maps

const raceEnabled = true
