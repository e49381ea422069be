package maps

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/unix"
)

// TestKernelMapOfMaps compares maps of maps with the kernel: the kernel
// takes inner map fds where we take IDs, and both return IDs.
func TestKernelMapOfMaps(t *testing.T) {
	needKernel(t)
	tmpl := Spec{Type: TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 4}
	other := Spec{Type: TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 8} // hashes ignore max_entries
	bad := Spec{Type: TypeHash, KeySize: 4, ValueSize: 16, MaxEntries: 4}
	for _, outerSpec := range []Spec{
		{Type: TypeArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 3, InnerMap: &tmpl},
		{Type: TypeHashOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 3, InnerMap: &tmpl, Flags: FlagZeroSeed},
	} {
		t.Run(outerSpec.Type.String(), func(t *testing.T) {
			km := newKernelMap(t, outerSpec)
			ours := mustNew(t, outerSpec)
			// Inner maps: kernel fd and ID, our map.
			type pair struct {
				fd  int
				kid uint32
				m   Map
			}
			var inners []pair
			for _, s := range []Spec{tmpl, other, bad} {
				fd, err := kernelCreate(&s, -1)
				if err != nil {
					t.Fatal(err)
				}
				defer unix.Close(fd)
				inners = append(inners, pair{fd, kernelMapID(t, fd), mustNew(t, s)})
			}
			inners = append(inners, pair{fd: 1 << 20}) // a bad fd, ID 0
			r := rand.New(rand.NewPCG(3, 4))
			for step := range 600 {
				k := u32(r.Uint32N(5))
				in := inners[r.IntN(len(inners))]
				var id uint32
				if in.m != nil {
					id = in.m.ID()
				}
				var e1, e2 error
				var what string
				switch op := r.IntN(5); op {
				case 0, 1:
					f := []uint64{0, 0, 1, 2, 4}[r.IntN(5)]
					what = fmt.Sprintf("update %x flags %d", k, f)
					e1 = ours.Update(k, u32(id), f)
					e2 = km.Update(k, u32(uint32(in.fd)), f)
				case 2:
					what = fmt.Sprintf("delete %x", k)
					e1, e2 = ours.Delete(k), km.Delete(k)
				case 3:
					what = fmt.Sprintf("lookup %x", k)
					o1, o2 := make([]byte, 4), make([]byte, 4)
					e1, e2 = ours.Lookup(k, o1), km.Lookup(k, o2)
					if e1 == nil && e2 == nil {
						// The same inner map?
						for _, p := range inners {
							if p.m != nil && (ne.Uint32(o1) == p.m.ID()) != (ne.Uint32(o2) == p.kid) {
								t.Fatalf("step %d: %s: ours ID %d, kernel ID %d", step, what, ne.Uint32(o1), ne.Uint32(o2))
							}
						}
					}
				case 4:
					what = fmt.Sprintf("next key %x", k)
					o1, o2 := make([]byte, 4), make([]byte, 4)
					e1, e2 = ours.NextKey(k, o1), km.NextKey(k, o2)
					if e1 == nil && e2 == nil && ne.Uint32(o1) != ne.Uint32(o2) {
						t.Fatalf("step %d: %s: ours %d, kernel %d", step, what, ne.Uint32(o1), ne.Uint32(o2))
					}
				}
				if errnoOf(e1) != errnoOf(e2) {
					t.Fatalf("step %d: %s: ours %v, kernel %v", step, what, e1, e2)
				}
			}
			w1, _ := walk(ours, 4)
			w2, _ := walk(km, 4)
			if w1 != w2 {
				t.Errorf("walks differ: ours %s, kernel %s", w1, w2)
			}
		})
	}
}
