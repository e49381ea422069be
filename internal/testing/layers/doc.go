// Package layers holds the tests that enforce the module's layer rules
// (docs/ARCHITECTURE.md, "Layer rules") on the import graph that `go list`
// reports, and keep ARCHITECTURE.md's import graph equal to it. It has no
// code of its own.
package layers
