package maps

import (
	"encoding/binary"
	"os"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"
)

// TestKernelRingBuf reserves records of the same sizes, submitting or
// discarding them, in a kernel ring buffer (from a program) and in ours,
// and compares the producer positions and the record headers, then
// consumes everything and does it again across the end of the ring.
func TestKernelRingBuf(t *testing.T) {
	needKernel(t)
	const size = 4096
	km, err := ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.RingBuf, MaxEntries: size})
	if err != nil {
		t.Skipf("kernel ring buffer: %v", err)
	}
	defer km.Close()
	page := os.Getpagesize()
	cons, err := unix.Mmap(km.FD(), 0, page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		t.Fatalf("mmap consumer page: %v", err)
	}
	defer unix.Munmap(cons)
	prodData, err := unix.Mmap(km.FD(), int64(page), page+2*size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatalf("mmap producer page and data: %v", err)
	}
	defer unix.Munmap(prodData)
	kdata := prodData[page:]

	// One program per (size, discard): reserve, commit, return the
	// producer position.
	progs := map[[2]int]*ebpf.Program{}
	kernelReserve := func(n int, discard bool) uint32 {
		key := [2]int{n, 0}
		if discard {
			key[1] = 1
		}
		p := progs[key]
		if p == nil {
			commit := asm.FnRingbufSubmit
			if discard {
				commit = asm.FnRingbufDiscard
			}
			p, err = ebpf.NewProgram(&ebpf.ProgramSpec{
				Type:    ebpf.SocketFilter,
				License: "GPL",
				Instructions: asm.Instructions{
					asm.LoadMapPtr(asm.R1, km.FD()),
					asm.Mov.Imm(asm.R2, int32(n)),
					asm.Mov.Imm(asm.R3, 0),
					asm.FnRingbufReserve.Call(),
					asm.JEq.Imm(asm.R0, 0, "query"),
					asm.Mov.Reg(asm.R1, asm.R0),
					asm.Mov.Imm(asm.R2, 0),
					commit.Call(),
					asm.LoadMapPtr(asm.R1, km.FD()).WithSymbol("query"),
					asm.Mov.Imm(asm.R2, RBProdPos),
					asm.FnRingbufQuery.Call(),
					asm.Return(),
				},
			})
			if err != nil {
				t.Fatalf("loading the ring buffer program: %v", err)
			}
			progs[key] = p
		}
		ret, _, err := p.Test(make([]byte, 14))
		if err != nil {
			t.Fatalf("test run: %v", err)
		}
		return ret
	}
	defer func() {
		for _, p := range progs {
			p.Close()
		}
	}()

	ours := mustNew(t, Spec{Type: TypeRingBuf, MaxEntries: size}).(RingBufMap)
	rb := ours.(*ringBuf)
	sizes := []int{10, 3, 1000, 0, 4088, 4080, 1999, 8, 1, 500, 900, 33}
	round := func(label string) {
		for i, n := range sizes {
			discard := i%3 == 1
			pos := rb.Query(RBProdPos)
			if a := ours.Reserve(uint64(n), 0); a != 0 {
				if discard {
					ours.Discard(a, 0)
				} else {
					ours.Submit(a, 0)
				}
			}
			kpos := kernelReserve(n, discard)
			if got := rb.Query(RBProdPos); uint64(kpos) != got {
				t.Fatalf("%s: reserve %d: producer position ours %d, kernel %d", label, n, got, kpos)
			}
			if got := rb.Query(RBProdPos); got != pos {
				off := pos & (size - 1)
				kh := kdata[off : off+8]
				oh := mem8(rb, off)
				if binary.NativeEndian.Uint32(kh) != binary.NativeEndian.Uint32(oh) {
					t.Errorf("%s: record of %d: length word ours %#x, kernel %#x", label, n, binary.NativeEndian.Uint32(oh), binary.NativeEndian.Uint32(kh))
				}
				if binary.NativeEndian.Uint32(kh[4:]) != binary.NativeEndian.Uint32(oh[4:]) {
					t.Errorf("%s: record of %d: page offset ours %d, kernel %d", label, n, binary.NativeEndian.Uint32(oh[4:]), binary.NativeEndian.Uint32(kh[4:]))
				}
			}
		}
	}
	round("first")
	// Consume everything in both.
	for {
		if _, err := ours.Read(time.Now()); err != nil {
			break
		}
	}
	binary.NativeEndian.PutUint64(cons, binary.NativeEndian.Uint64(prodData))
	if c := rb.Query(RBConsPos); c != binary.NativeEndian.Uint64(cons) {
		t.Fatalf("consumer positions: ours %d, kernel %d", c, binary.NativeEndian.Uint64(cons))
	}
	round("second")
	t.Logf("producer position %d, consumer position %d", rb.Query(RBProdPos), rb.Query(RBConsPos))
}

func mem8(rb *ringBuf, off uint64) []byte {
	return bytesAt(ptrOf(rb.dataAddr+off), 8)
}
