package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Limits on what the command reads from files it is given, so that
// /dev/zero or a huge file is refused instead of read until memory runs
// out.
const (
	// maxRawObject is the largest raw bytecode: the kernel's limit on a
	// program, BPF_COMPLEXITY_LIMIT_INSNS instructions of 8 bytes.
	maxRawObject = 1_000_000 * 8
	// maxELFObject is the largest ELF object (the largest programs in use,
	// Cilium's, make objects of a few MiB).
	maxELFObject = 64 << 20
	// maxSource is the largest assembly source.
	maxSource = 64 << 20
	// maxOpenInput is the largest --data, --ctx or --mem file of a
	// program type that sets no limit of its own (the generic type).
	maxOpenInput = 64 << 20
)

// tooLargeError is returned by readLimited for a file over its limit.
type tooLargeError struct {
	path  string
	limit int
}

func (e *tooLargeError) Error() string { return fmt.Sprintf("%s: more than %d bytes", e.path, e.limit) }

// isTooLarge reports whether err is readLimited's for a file over its
// limit.
func isTooLarge(err error) bool {
	var tl *tooLargeError
	return errors.As(err, &tl)
}

// readLimited reads at most limit bytes of path; a longer file (or an
// endless one) is an error wrapping errTooLarge.
func readLimited(path string, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, &tooLargeError{path, limit}
	}
	return b, nil
}

// elfTruncation says where an ELF object that cilium/ebpf could not read
// is cut short: its header, section header table or a section's contents
// end past the end of the file. It returns nil when none does.
func elfTruncation(b []byte) error {
	const ehdrSize, shdrSize = 64, 64
	if len(b) < ehdrSize {
		return fmt.Errorf("truncated ELF object: %d bytes, shorter than the 64-byte ELF header", len(b))
	}
	if b[4] != 2 { // ELFCLASS64
		return nil
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if b[5] == 2 { // ELFDATA2MSB
		bo = binary.BigEndian
	}
	shoff, shnum, shentsize := bo.Uint64(b[0x28:]), uint64(bo.Uint16(b[0x3c:])), uint64(bo.Uint16(b[0x3a:]))
	size := uint64(len(b))
	if shentsize != shdrSize && shnum > 0 {
		return nil
	}
	if end := shoff + shnum*shentsize; shoff > size || end > size {
		return fmt.Errorf("truncated ELF object: %d bytes, but its %d section headers end at byte %d", size, shnum, end)
	}
	for i := range shnum {
		sh := b[shoff+i*shdrSize:]
		typ, off, n := bo.Uint32(sh[4:]), bo.Uint64(sh[0x18:]), bo.Uint64(sh[0x20:])
		if typ == 8 { // SHT_NOBITS
			continue
		}
		if off > size || n > size-off {
			return fmt.Errorf("truncated ELF object: %d bytes, but section %d ends at byte %d", size, i, off+n)
		}
	}
	return nil
}
