package corpus

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Helpers to write map keys, values and context blobs byte by byte, the
// way the C structs lay them out on a little-endian machine.

// BE16 and BE32 are written in network byte order (__be16, __be32).
type (
	BE16 uint16
	BE32 uint32
)

// Pad is that many zero bytes.
type Pad int

// Pack concatenates its arguments: []byte and string as they are (a
// string without its NUL; use Str for fixed-size char arrays), integers
// little-endian in their own size, BE16/BE32 big-endian, netip.Addr as 4
// or 16 bytes, MAC as 6 bytes, Pad as zeros.
func Pack(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch v := p.(type) {
		case []byte:
			b = append(b, v...)
		case string:
			b = append(b, v...)
		case uint8:
			b = append(b, v)
		case int8:
			b = append(b, byte(v))
		case uint16:
			b = binary.LittleEndian.AppendUint16(b, v)
		case int16:
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		case uint32:
			b = binary.LittleEndian.AppendUint32(b, v)
		case int32:
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		case uint64:
			b = binary.LittleEndian.AppendUint64(b, v)
		case int64:
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		case BE16:
			b = binary.BigEndian.AppendUint16(b, uint16(v))
		case BE32:
			b = binary.BigEndian.AppendUint32(b, uint32(v))
		case netip.Addr:
			b = append(b, v.AsSlice()...)
		case MAC:
			b = append(b, v[:]...)
		case Pad:
			b = append(b, make([]byte, v)...)
		default:
			panic(fmt.Sprintf("corpus.Pack: unsupported %T", p))
		}
	}
	return b
}

// Str is s in a char[n], NUL-padded (not terminated if s has n bytes).
func Str(s string, n int) []byte {
	if len(s) > n {
		panic(fmt.Sprintf("corpus.Str: %q does not fit in %d bytes", s, n))
	}
	b := make([]byte, n)
	copy(b, s)
	return b
}

func u32(v uint32) []byte { return Pack(v) }
func u64(v uint64) []byte { return Pack(v) }

// le32 and le64 read little-endian integers at off.
func le32(b []byte, off int) uint32 {
	if off+4 > len(b) {
		return 0
	}
	return binary.LittleEndian.Uint32(b[off:])
}

func le64(b []byte, off int) uint64 {
	if off+8 > len(b) {
		return 0
	}
	return binary.LittleEndian.Uint64(b[off:])
}
