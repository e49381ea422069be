package ebpfvm

import (
	"encoding"
	"encoding/binary"
	"fmt"
	"reflect"
)

// marshal encodes a key or value of exactly size bytes the way cilium/ebpf
// does: []byte as is, encoding.BinaryMarshaler, or any fixed-size value
// (integers, arrays, structs of them, pointers to those) in host byte
// order.
func marshal(v any, size int) ([]byte, error) {
	var b []byte
	switch x := v.(type) {
	case nil:
		if size == 0 {
			return nil, nil
		}
		return nil, fmt.Errorf("nil where %d bytes are needed", size)
	case []byte:
		b = x
	case encoding.BinaryMarshaler:
		var err error
		if b, err = x.MarshalBinary(); err != nil {
			return nil, err
		}
	default:
		n := binary.Size(v)
		if n < 0 {
			return nil, fmt.Errorf("%T has no fixed size", v)
		}
		var err error
		if b, err = binary.Append(make([]byte, 0, n), binary.NativeEndian, v); err != nil {
			return nil, err
		}
	}
	if len(b) != size {
		return nil, fmt.Errorf("%T encodes to %d bytes, want %d", v, len(b), size)
	}
	return b, nil
}

// unmarshal decodes b into out: *[]byte (replaced), []byte (filled, its
// length must match), encoding.BinaryUnmarshaler, or a pointer to a
// fixed-size value.
func unmarshal(out any, b []byte) error {
	switch x := out.(type) {
	case *[]byte:
		*x = append((*x)[:0], b...)
		return nil
	case []byte:
		if len(x) != len(b) {
			return fmt.Errorf("buffer has %d bytes, want %d", len(x), len(b))
		}
		copy(x, b)
		return nil
	case encoding.BinaryUnmarshaler:
		return x.UnmarshalBinary(b)
	}
	if rv := reflect.ValueOf(out); rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("cannot decode into %T: need a pointer", out)
	}
	if n := binary.Size(out); n != len(b) {
		return fmt.Errorf("%T has %d bytes, want %d", out, n, len(b))
	}
	_, err := binary.Decode(b, binary.NativeEndian, out)
	return err
}
