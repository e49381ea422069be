package ebpfvm_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/ebpfvm/ebpfvm"
)

// TestEnvHidesRunState: a helper author sees the Env's methods and no
// field: the run's region table, holds and IDs cannot be written from
// outside the module.
func TestEnvHidesRunState(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[ebpfvm.Env](), reflect.TypeFor[ebpfvm.Helpers]()} {
		for i := range typ.NumField() {
			if f := typ.Field(i); f.IsExported() {
				t.Errorf("%s has an exported field %s", typ, f.Name)
			}
		}
	}
	var methods []string
	pt := reflect.TypeFor[*ebpfvm.Env]()
	for i := range pt.NumMethod() {
		methods = append(methods, pt.Method(i).Name)
	}
	if want := []string{"Bytes", "CPU", "Call", "Stop"}; !slices.Equal(methods, want) {
		t.Errorf("*Env has methods %v, want %v", methods, want)
	}
}
