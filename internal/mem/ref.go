package mem

// Ref is a counted reference to something that keeps memory alive: a map
// (its values' regions), a program (the maps it uses). A run holds one to
// whatever a helper handed it (vm.Env.Hold), a prog array to each program
// in its slots. Retain takes a reference and fails once the last one is
// gone (the object is freed); Release drops one. Implementations must be
// comparable (pointers, or structs of one).
//
// It is declared here, next to Region, because both sides of the runtime
// use it and both import mem: the maps (internal/maps) and the run
// contract (internal/vm).
type Ref interface {
	Retain() error // fails once the last reference is gone
	Release()
}
