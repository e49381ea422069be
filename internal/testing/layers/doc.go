// Package layers holds the test that enforces the module's layer rules
// (docs/ARCHITECTURE.md, "Layer rules") on the import graph that `go list`
// reports. It has no code of its own.
package layers
