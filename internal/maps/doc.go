// Package maps implements eBPF maps with the Linux kernel's semantics, at
// the level of bytes: hash maps (plain, per-CPU, LRU, LRU per-CPU), arrays
// (plain, per-CPU, mmapable), prog arrays, arrays and hashes of maps, LPM
// tries, queues, stacks, bloom filters and ring buffers. The loader creates
// maps from specs (New), helpers call the program-side methods, and the
// public ebpfvm.Map wraps the Go-side ones.
//
// # Two sides
//
// Every map has a program side and a Go side, as a kernel map has helpers
// and the bpf() syscall. The program side (LookupAddr, UpdateElem,
// DeleteElem, Push/Pop/Peek, Reserve/Submit/...) is what
// bpf_map_lookup_elem and friends call while a program runs: it returns
// addresses into map memory, takes the CPU the program runs on (per-CPU
// maps), does not allocate (LPM trie updates excepted, as in the kernel)
// and does not check that the map is open. The Go side (Lookup, Update,
// Delete, NextKey, ...) has the syscall's semantics: per-CPU values are
// NumCPU slots rounded up to 8 bytes, BPF_F_RDONLY/WRONLY and Freeze are
// enforced, and errors are the kernel's errno values (syscall.Errno:
// ENOENT, EEXIST, E2BIG, EINVAL, ENOSPC, ENOTSUPP = 524, ...) at the same
// points of the same checks. Both sides may run at once from any number of
// goroutines.
//
// # Memory off the Go heap
//
// Every value a program can address lives in memory mapped with mmap
// (internal/mem), outside the Go heap: the address LookupAddr returns is a
// plain host address that a register holds, that a JIT can load and store
// through, and that the garbage collector neither sees nor moves. It stays
// valid for the map's life, like the kernel's preallocated (or
// RCU-protected) elements: a deleted element may be reused for another key
// but its memory is never unmapped while the map lives. A map's value
// memory is one fixed region (Regions; none for maps whose values programs
// never address: queues, stacks, bloom filters, prog arrays, maps of
// maps), which checked mode grants to the programs that use the map. A
// ring buffer's region is its data area, mapped twice in a row so that
// records that wrap are contiguous. Arrays expose their layout
// (DirectArray) so that a JIT can inline lookups. Writes by programs to values that Go
// code reads at the same time are the same data race as in the kernel; as
// the memory is not Go's, neither the race detector nor the collector is
// involved. Hash maps keep their keys, links and states off the heap as
// well, so that a huge map fails with ENOMEM rather than exhausting the Go
// heap, and touch pages only as elements are first used: preallocation
// costs address space, not memory, so BPF_F_NO_PREALLOC changes nothing
// observable.
//
// # Handles
//
// A program holds a map as an address (the kernel's struct bpf_map *).
// Handle returns an address in a block of address space reserved once with
// PROT_NONE, 16 bytes per map: unique, never readable, and distinct from
// every value address. FromHandle finds the map in O(1) with two atomic
// loads, concurrently with New and Close; a freed map's handle no longer
// resolves. Maps of maps hold their inner maps' handles, which is what a
// program's lookup in them returns. Map IDs (ID, FromID) name maps where
// the kernel would use a file descriptor or an ID: the Go-side Lookup of a
// map of maps returns the inner map's ID and Update takes one.
//
// # Lifetime
//
// A map lives while someone holds a reference: its creator (until Close),
// whoever called Retain (the runtime, for the programs that use the map),
// maps of maps that hold it, and Go-side operations in flight. The memory is
// freed when the last reference goes. Closing a prog array empties it, as
// the kernel does when the last user reference goes. There is no RCU grace
// period: a run of a program holds, until it ends, every map a helper
// handed it (an inner map it looked up, a ring buffer it reserved in), so
// an inner map removed from a map of maps while a program still uses it
// is freed when that run ends (internal/vm Env.Hold). Prog array slots
// hold a reference to programs that implement mem.Ref.
//
// New checks a map's size (Size) before it allocates anything: a map
// larger than the machine's memory, or than what is left of its Limit,
// fails with ENOMEM; the charge is returned when the memory is freed. The
// slots of prog arrays and arrays of maps, which are Go pointers, are
// allocated a chunk at a time as they are first set.
//
// Ring buffer records must be submitted or discarded: a record left
// reserved stops the consumer at it, as in the kernel (whose verifier
// makes programs release them). Whoever runs unverified programs should
// discard what a run reserved and did not release.
//
// # Locking
//
// Hash map lookups take no lock: they walk bucket chains with atomic loads
// and recognise, by the "nulls" marker that ends each chain, when a
// concurrent delete and reuse led them into another bucket (the kernel's
// hlist_nulls). Updates and deletes lock the bucket (striped mutexes); free
// elements sit on sharded lock-free stacks. LPM trie lookups are lock-free
// too (nodes are Go objects behind atomic pointers; the collector stands in
// for RCU); its updates take one lock. Arrays need no lock; BPF_F_LOCK
// operations take the value's bpf_spin_lock (SpinLock), the same lock
// programs take. Queues, stacks and ring buffer producers take a mutex,
// where the kernel takes a spinlock. Prog array slots and map-of-maps
// values are read with one atomic load.
//
// The word of a bpf_spin_lock in a value reads 1 while held and 0 when free,
// but the lock itself lives in a table outside program memory, so that a
// program that scribbles over the value cannot wedge the host.
//
// # Differences from the kernel
//
//   - LRU eviction is a CLOCK (second chance) sweep: program lookups set a
//     reference bit, the sweep clears set bits and evicts the first element
//     whose bit is clear. A full LRU map always evicts; a map that is not
//     full never does (the kernel's per-CPU free lists can evict earlier).
//     As in the kernel, updating an existing key of a full LRU map may
//     evict another key.
//   - Hash map iteration order (NextKey) is the kernel's: bucket order,
//     newest first within a bucket; with BPF_F_ZERO_SEED the hash is the
//     kernel's jhash with seed 0, so the order matches the kernel's for the
//     same updates.
//   - Prog arrays hold the embedder's programs (any) and Update cannot put
//     one in a slot (there are no program fds): use SetProgram.
//   - Programs' writes to read-only maps (BPF_F_RDONLY_PROG) are refused by
//     UpdateElem/DeleteElem (EPERM) and by the read-only region; the kernel's
//     verifier rejects them earlier. BPF_F_WRONLY_PROG is not enforced at run
//     time.
package maps
