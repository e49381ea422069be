// Package bench is ebpfvm's benchmark suite: the same eBPF programs, on the
// same inputs, in every engine that can run them — ebpfvm's interpreter,
// ebpfvm's JIT (once it exists), the Linux kernel's JIT through
// BPF_PROG_TEST_RUN, and the programs' C source compiled by gcc -O2 as
// ordinary functions — with each program's checksum compared across
// engines.
//
// The programs are C files in progs/ (our own), compiled once with
// clang -target bpf into the committed objects progs/*.o; `go generate`
// rebuilds them when clang-19 is installed. The native engine compiles the
// same C files with gcc at run time, through the shim in native/.
//
// The command is `ebpfvm bench`; see BENCHMARKS.md at the top of the
// repository for the latest results and how to reproduce them.
package bench

import (
	"bytes"
	"embed"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/cilium/ebpf"
)

//go:generate sh progs/build.sh

// sources holds the objects and the C sources (the native engine compiles
// the latter).
//
//go:embed progs/*.o progs/*.c progs/*.h native/*.c native/*.h
var sources embed.FS

// Packet layout, as in progs/bench.h.
const (
	hdrLen     = 32   // struct bench_hdr
	payloadMax = 3488 // an XDP test run takes at most 3520 bytes of data
	etherType  = 0x88b5
)

// A Benchmark is one program of the suite.
type Benchmark struct {
	// Name is the program's name, and its object's: progs/Name.o.
	Name string
	// Kind says what the program exercises.
	Kind string
	// N is hdr.n, the work size, for the programs that read it (Scalable);
	// the other programs' sizes are constants in their source.
	N uint32
	// Scalable programs do work proportional to N, whatever N is: their
	// loops are bpf_loop or may_goto loops, which the kernel's verifier
	// checks without unrolling them.
	Scalable bool
	// Setup names a program to run once after loading, before any timed
	// run (to fill a map).
	Setup string
	// Payload returns the payload that follows the header.
	Payload func() []byte
	// TestN is the work size for the quick checksum test (0: N).
	TestN uint32
}

// Seed is the value every packet carries in hdr.seed.
const Seed = 0x2545f491

// Benchmarks is the suite, in the order of the table.
var Benchmarks = []*Benchmark{
	{Name: "primes", Kind: "prime counting: nested loops, modulo", Payload: noPayload},
	{Name: "collatz", Kind: "Collatz lengths: tight ALU loop (may_goto)", N: 256, Scalable: true, TestN: 16, Payload: noPayload},
	{Name: "crc32", Kind: "CRC-32 over packet bytes, table-driven", Payload: randomPayload(3200)},
	{Name: "sort", Kind: "bubble sort of an on-stack array", Payload: randomPayload(2048)},
	{Name: "histogram", Kind: "byte histogram in an array map", Payload: randomPayload(3201)},
	{Name: "hashmap", Kind: "hash map insert/lookup/delete churn (bpf_loop)", N: 512, Scalable: true, TestN: 32, Payload: noPayload},
	{Name: "lpm", Kind: "LPM trie lookups (IPv4 routes)", Setup: "lpm_setup", Payload: randomPayload(1536)},
	{Name: "strsearch", Kind: "string compare and search over packet bytes", Payload: httpPayload(3008)},
	{Name: "parser", Kind: "switch-heavy packet header parser", Payload: parserPayload},
	{Name: "bittricks", Kind: "popcount, log2, ctz, bswap, bit reversal", Payload: randomPayload(3200)},
	{Name: "calltree", Kind: "bpf-to-bpf call tree, 8 frames deep", Payload: noPayload},
	{Name: "bytemove", Kind: "memcpy/memset/memmove-style byte mover", Payload: randomPayload(2048)},
	{Name: "bpfloop", Kind: "bpf_loop with a callback", N: 8192, Scalable: true, TestN: 64, Payload: randomPayload(128)},
	{Name: "tailcall", Kind: "tail-call chain, 32 tail calls", Payload: randomPayload(2112)},
}

// Empty is the empty program (r0 = 0; exit): the fixed cost of a run.
var Empty = &Benchmark{Name: "empty", Kind: "r0 = 0; exit", Payload: noPayload}

// Lookup returns the benchmark with the given name, including Empty.
func Lookup(name string) *Benchmark {
	if name == Empty.Name {
		return Empty
	}
	for _, b := range Benchmarks {
		if b.Name == name {
			return b
		}
	}
	return nil
}

// Packet returns the benchmark's input with hdr.n = n.
func (b *Benchmark) Packet(n uint32) []byte {
	payload := b.Payload()
	if len(payload) > payloadMax {
		panic(fmt.Sprintf("bench: %s: payload of %d bytes, the most is %d", b.Name, len(payload), payloadMax))
	}
	p := make([]byte, hdrLen+len(payload))
	copy(p[0:6], []byte{0x02, 0, 0, 0, 0, 0x01})
	copy(p[6:12], []byte{0x02, 0, 0, 0, 0, 0x02})
	binary.BigEndian.PutUint16(p[12:], etherType)
	binary.LittleEndian.PutUint32(p[16:], n)
	binary.LittleEndian.PutUint32(p[20:], Seed)
	copy(p[hdrLen:], payload)
	// XDP needs at least an Ethernet header, and we read all of bench_hdr.
	return p
}

var (
	objMu sync.Mutex
	objs  = map[string][]byte{}
)

// Object returns the bytes of the benchmark's ELF object.
func (b *Benchmark) Object() ([]byte, error) {
	objMu.Lock()
	defer objMu.Unlock()
	if o, ok := objs[b.Name]; ok {
		return o, nil
	}
	o, err := sources.ReadFile("progs/" + b.Name + ".o")
	if err != nil {
		return nil, err
	}
	objs[b.Name] = o
	return o, nil
}

// Spec returns a fresh CollectionSpec of the benchmark's object: every
// engine that loads eBPF loads the same one.
func (b *Benchmark) Spec() (*ebpf.CollectionSpec, error) {
	o, err := b.Object()
	if err != nil {
		return nil, err
	}
	spec, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(o))
	if err != nil {
		return nil, fmt.Errorf("%s.o: %w", b.Name, err)
	}
	if spec.Programs[b.Name] == nil {
		return nil, fmt.Errorf("%s.o has no program %q", b.Name, b.Name)
	}
	return spec, nil
}

// rng is xorshift64*: deterministic inputs on every machine.
type rng uint64

func (r *rng) next() uint64 {
	x := uint64(*r)
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	*r = rng(x)
	return x * 0x2545f4914f6cdd1d
}

func (r *rng) intn(n int) int { return int(r.next() >> 33 % uint64(n)) }

func noPayload() []byte { return nil }

func randomPayload(n int) func() []byte {
	return func() []byte {
		r := rng(0x9e3779b97f4a7c15)
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(r.next() >> 56)
		}
		return p
	}
}

// httpPayload is n bytes of HTTP requests, for strsearch.
func httpPayload(n int) func() []byte {
	return func() []byte {
		r := rng(42)
		paths := []string{"/", "/index.html", "/api/v1/items?id=", "/static/app.js", "/login"}
		hosts := []string{"example.com", "api.example.net", "cdn.example.org"}
		agents := []string{"curl/8.5.0", "Mozilla/5.0 (X11; Linux x86_64)", "Go-http-client/1.1"}
		var b bytes.Buffer
		for b.Len() < n {
			method := "GET"
			if r.intn(4) == 0 {
				method = "POST"
			}
			fmt.Fprintf(&b, "%s %s%d HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n", method,
				paths[r.intn(len(paths))], r.intn(1000), hosts[r.intn(len(hosts))], agents[r.intn(len(agents))])
			if r.intn(2) == 0 {
				fmt.Fprintf(&b, "Accept-Encoding: gzip, deflate\r\n")
			}
			if r.intn(3) == 0 {
				fmt.Fprintf(&b, "Cookie: session=%016x\r\n", r.next())
			}
			b.WriteString("\r\n")
		}
		return b.Bytes()[:n]
	}
}

// parserPayload is 32 packets in 96-byte slots, for parser.
func parserPayload() []byte {
	const slot, slots = 96, 32
	r := rng(7)
	p := make([]byte, slot*slots)
	for i := range slots {
		buildPacket(p[i*slot:(i+1)*slot], &r)
	}
	return p
}

// buildPacket writes a random but well-formed packet into b.
func buildPacket(b []byte, r *rng) {
	be := binary.BigEndian
	for i := range b {
		b[i] = byte(r.next())
	}
	off := 12
	for range r.intn(3) { // 0, 1 or 2 VLAN tags
		be.PutUint16(b[off:], []uint16{0x8100, 0x88a8}[r.intn(2)])
		off += 2
		be.PutUint16(b[off:], uint16(r.intn(4096)))
		off += 2
	}
	var l4 int
	switch r.intn(8) {
	case 0: // ARP
		be.PutUint16(b[off:], 0x0806)
		off += 2
		be.PutUint16(b[off:], 1)
		be.PutUint16(b[off+2:], 0x0800)
		b[off+4], b[off+5] = 6, 4
		be.PutUint16(b[off+6:], uint16(1+r.intn(3)))
		return
	case 1, 2: // IPv6
		be.PutUint16(b[off:], 0x86dd)
		off += 2
		b[off] = 0x60
		next := []byte{6, 17, 58, 0, 60}[r.intn(5)]
		b[off+6] = next
		off += 40
		if next == 0 || next == 60 { // one extension header
			b[off] = []byte{6, 17, 58}[r.intn(3)]
			b[off+1] = 0
			l4 = int(b[off])
			off += 8
		} else {
			l4 = int(next)
		}
	case 7: // something else
		be.PutUint16(b[off:], []uint16{0x8847, 0x88cc, 0x0842}[r.intn(3)])
		return
	default: // IPv4
		be.PutUint16(b[off:], 0x0800)
		off += 2
		ihl := 5 + r.intn(3)
		b[off] = 0x40 | byte(ihl)
		b[off+1] = []byte{0, 0, 46 << 2, 34 << 2, 10 << 2}[r.intn(5)]
		if r.intn(10) == 0 {
			be.PutUint16(b[off+6:], 0x2000) // more fragments
		} else {
			be.PutUint16(b[off+6:], 0x4000) // don't fragment
		}
		l4 = []int{6, 6, 17, 17, 1, 47}[r.intn(6)]
		b[off+9] = byte(l4)
		off += ihl * 4
	}
	ports := []uint16{80, 443, 8080, 53, 853, 123, 4789, 6081, 22, 161, 179, 67, 68, 5000, 51234}
	switch l4 {
	case 6, 17:
		be.PutUint16(b[off:], uint16(1024+r.intn(60000)))
		be.PutUint16(b[off+2:], ports[r.intn(len(ports))])
		if l4 == 6 {
			b[off+13] = []byte{0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x29}[r.intn(8)]
		}
	case 1, 58:
		b[off] = []byte{0, 8, 3, 11, 129, 128, 1, 2, 135, 136, 5}[r.intn(11)]
	}
}
