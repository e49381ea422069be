package progtype

import (
	"encoding/binary"
	"fmt"
	"syscall"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm/internal/helpers"
	"github.com/ebpfvm/ebpfvm/internal/mem"
	"github.com/ebpfvm/ebpfvm/internal/vm"
	"github.com/ebpfvm/ebpfvm/isa"
	"github.com/ebpfvm/ebpfvm/verifier"
)

// errno returns -e as a helper's return value.
var errno = helpers.Errno

// typeHelpers are the helpers that exist only for some program types: they
// act on the packet of the run.
var typeHelpers = map[string]struct {
	fn    vm.HelperFunc
	types []ebpf.ProgramType
}{
	"xdp_adjust_head":  {xdpAdjustHead, []ebpf.ProgramType{ebpf.XDP}},
	"xdp_adjust_tail":  {xdpAdjustTail, []ebpf.ProgramType{ebpf.XDP}},
	"xdp_adjust_meta":  {xdpAdjustMeta, []ebpf.ProgramType{ebpf.XDP}},
	"skb_load_bytes":   {skbLoadBytes, skbTypes},
	"skb_store_bytes":  {skbStoreBytes, []ebpf.ProgramType{ebpf.SchedCLS, ebpf.SchedACT, ebpf.LWTXmit}},
	"l3_csum_replace":  {l3CsumReplace, []ebpf.ProgramType{ebpf.SchedCLS, ebpf.SchedACT, ebpf.LWTXmit}},
	"l4_csum_replace":  {l4CsumReplace, []ebpf.ProgramType{ebpf.SchedCLS, ebpf.SchedACT, ebpf.LWTXmit}},
	"xdp_get_buff_len": {xdpGetBuffLen, []ebpf.ProgramType{ebpf.XDP}},
	"xdp_load_bytes":   {xdpLoadBytes, []ebpf.ProgramType{ebpf.XDP}},
	"xdp_store_bytes":  {xdpStoreBytes, []ebpf.ProgramType{ebpf.XDP}},
}

// RegisterHelpers adds the helpers of program type t that h does not
// already define.
func RegisterHelpers(h *vm.Helpers, t ebpf.ProgramType) error {
	for name, th := range typeHelpers {
		for _, tt := range th.types {
			if tt != t {
				continue
			}
			id, ok := isa.HelperID(name)
			if !ok {
				return fmt.Errorf("internal error: no helper named %s", name)
			}
			if !h.Has(id) {
				full, _ := isa.HelperName(id)
				h.Register(vm.Helper{ID: id, Name: full, Func: th.fn, Proto: verifier.KernelHelper(id)})
			}
		}
	}
	return nil
}

func xdpOf(env *vm.Env) (*xdpState, error) {
	st, ok := env.Prog.(*xdpState)
	if !ok {
		return nil, fmt.Errorf("%w: not an XDP run", vm.ErrAccess)
	}
	return st, nil
}

func skbOf(env *vm.Env) (*skbState, error) {
	st, ok := env.Prog.(*skbState)
	if !ok {
		return nil, fmt.Errorf("%w: not a socket buffer run", vm.ErrAccess)
	}
	return st, nil
}

// xdpAdjustHead is bpf_xdp_adjust_head(xdp_md, delta).
func xdpAdjustHead(env *vm.Env, _, r2, _, _, _ uint64) (uint64, error) {
	st, err := xdpOf(env)
	if err != nil {
		return 0, err
	}
	delta := int64(int32(r2))
	metaLen := st.data - st.meta
	data := uint64(int64(st.data) + delta)
	if data < st.hardStart+xdpFrameHdr+metaLen || data > st.dataEnd-ethHeaderLen {
		return errno(syscall.EINVAL), nil
	}
	if metaLen > 0 {
		b := mem.Slice(st.hardStart, FrameSize)
		from := st.meta - st.hardStart
		copy(b[int64(from)+delta:], b[from:from+metaLen])
	}
	st.meta = uint64(int64(st.meta) + delta)
	st.data = data
	st.sync(env)
	return 0, nil
}

// xdpAdjustTail is bpf_xdp_adjust_tail(xdp_md, delta).
func xdpAdjustTail(env *vm.Env, _, r2, _, _, _ uint64) (uint64, error) {
	st, err := xdpOf(env)
	if err != nil {
		return 0, err
	}
	delta := int64(int32(r2))
	end := uint64(int64(st.dataEnd) + delta)
	if end > st.hardEnd() || end < st.data+ethHeaderLen {
		return errno(syscall.EINVAL), nil
	}
	if delta > 0 {
		clear(mem.Slice(st.dataEnd, int(delta)))
	}
	st.dataEnd = end
	st.sync(env)
	return 0, nil
}

// xdpAdjustMeta is bpf_xdp_adjust_meta(xdp_md, delta).
func xdpAdjustMeta(env *vm.Env, _, r2, _, _, _ uint64) (uint64, error) {
	st, err := xdpOf(env)
	if err != nil {
		return 0, err
	}
	meta := uint64(int64(st.meta) + int64(int32(r2)))
	if meta < st.hardStart+xdpFrameHdr || meta > st.data {
		return errno(syscall.EINVAL), nil
	}
	if l := st.data - meta; l%4 != 0 || l > xdpMetaMax {
		return errno(syscall.EACCES), nil
	}
	st.meta = meta
	st.sync(env)
	return 0, nil
}

// xdpGetBuffLen is bpf_xdp_get_buff_len(xdp_md): single-buffer frames only.
func xdpGetBuffLen(env *vm.Env, _, _, _, _, _ uint64) (uint64, error) {
	st, err := xdpOf(env)
	if err != nil {
		return 0, err
	}
	return st.dataEnd - st.data, nil
}

// xdpBytes checks the packet range of bpf_xdp_load_bytes and
// bpf_xdp_store_bytes (bpf_xdp_pointer) and returns it, or an errno.
func xdpBytes(st *xdpState, off, n uint64) ([]byte, uint64) {
	off, n = uint64(uint32(off)), uint64(uint32(n))
	if off > 0xffff || n > 0xffff {
		return nil, errno(syscall.EFAULT)
	}
	if off+n > st.dataEnd-st.data {
		return nil, errno(syscall.EINVAL)
	}
	return mem.Slice(st.data+off, int(n)), 0
}

// xdpLoadBytes is bpf_xdp_load_bytes(xdp_md, offset, buf, len).
func xdpLoadBytes(env *vm.Env, _, off, buf, n, _ uint64) (uint64, error) {
	st, err := xdpOf(env)
	if err != nil {
		return 0, err
	}
	dst, err := env.Bytes(buf, uint64(uint32(n)), true)
	if err != nil {
		return 0, err
	}
	pkt, e := xdpBytes(st, off, n)
	if pkt == nil && e != 0 {
		return e, nil
	}
	copy(dst, pkt)
	return 0, nil
}

// xdpStoreBytes is bpf_xdp_store_bytes(xdp_md, offset, buf, len).
func xdpStoreBytes(env *vm.Env, _, off, buf, n, _ uint64) (uint64, error) {
	st, err := xdpOf(env)
	if err != nil {
		return 0, err
	}
	src, err := env.Bytes(buf, uint64(uint32(n)), false)
	if err != nil {
		return 0, err
	}
	pkt, e := xdpBytes(st, off, n)
	if pkt == nil && e != 0 {
		return e, nil
	}
	copy(pkt, src)
	return 0, nil
}

// skbLoadBytes is bpf_skb_load_bytes(skb, offset, to, len).
func skbLoadBytes(env *vm.Env, _, off, to, n, _ uint64) (uint64, error) {
	st, err := skbOf(env)
	if err != nil {
		return 0, err
	}
	dst, err := env.Bytes(to, uint64(uint32(n)), true)
	if err != nil {
		return 0, err
	}
	o := uint64(uint32(off))
	if o > 1<<31-1 || o+uint64(len(dst)) > st.end-st.start {
		clear(dst)
		return errno(syscall.EFAULT), nil
	}
	copy(dst, mem.Slice(st.start+o, len(dst)))
	return 0, nil
}

// skbStoreBytes is bpf_skb_store_bytes(skb, offset, from, len, flags).
func skbStoreBytes(env *vm.Env, _, off, from, n, flags uint64) (uint64, error) {
	st, err := skbOf(env)
	if err != nil {
		return 0, err
	}
	const recomputeCsum, invalidateHash = 1, 2
	if flags&^(recomputeCsum|invalidateHash) != 0 {
		return errno(syscall.EINVAL), nil
	}
	src, err := env.Bytes(from, uint64(uint32(n)), false)
	if err != nil {
		return 0, err
	}
	o := uint64(uint32(off))
	if o > 1<<31-1 || o+uint64(len(src)) > st.end-st.start {
		return errno(syscall.EFAULT), nil
	}
	copy(mem.Slice(st.start+o, len(src)), src)
	if flags&invalidateHash != 0 {
		binary.LittleEndian.PutUint32(mem.Slice(st.ctx+68, 4), 0) // skb->hash
	}
	return 0, nil
}

// csumField returns the 16-bit checksum field at offset off of the skb, or
// an errno as the csum_replace helpers check it.
func csumField(st *skbState, off uint64) ([]byte, uint64) {
	if off > 0xffff || off&1 != 0 || off+2 > st.end-st.start {
		return nil, errno(syscall.EFAULT)
	}
	return mem.Slice(st.start+off, 2), 0
}

// Internet checksum arithmetic (RFC 1071/1624) in the form the kernel's
// csum_replace* use: fold(~old_sum + ~from + to), with helpers.CsumAdd.
func csumFold(s uint32) uint16 {
	s = s&0xffff + s>>16
	s = s&0xffff + s>>16
	return ^uint16(s)
}

// replaceCsum updates the checksum at field: size 2 or 4 replaces from by
// to; size 0 adds the precomputed difference to.
func replaceCsum(field []byte, from, to uint32, size uint64) uint64 {
	// The field is big-endian on the wire; the sums are computed on the
	// bytes as the kernel computes them on a little-endian host.
	old := uint32(binary.LittleEndian.Uint16(field))
	sum := uint32(^uint16(old))
	switch size {
	case 0:
		if from != 0 {
			return errno(syscall.EINVAL)
		}
		sum = helpers.CsumAdd(sum, to)
	case 2:
		sum = helpers.CsumAdd(helpers.CsumAdd(sum, uint32(^uint16(from))), uint32(uint16(to)))
	case 4:
		sum = helpers.CsumAdd(helpers.CsumAdd(sum, ^from), to)
	default:
		return errno(syscall.EINVAL)
	}
	binary.LittleEndian.PutUint16(field, csumFold(sum))
	return 0
}

// l3CsumReplace is bpf_l3_csum_replace(skb, offset, from, to, flags).
func l3CsumReplace(env *vm.Env, _, off, from, to, flags uint64) (uint64, error) {
	st, err := skbOf(env)
	if err != nil {
		return 0, err
	}
	if flags&^0xf != 0 {
		return errno(syscall.EINVAL), nil
	}
	field, e := csumField(st, off)
	if field == nil {
		return e, nil
	}
	return replaceCsum(field, uint32(from), uint32(to), flags&0xf), nil
}

// l4CsumReplace is bpf_l4_csum_replace(skb, offset, from, to, flags). The
// test run's skb has no checksum offload (CHECKSUM_NONE), so the pseudo
// header flag changes nothing but the field itself.
func l4CsumReplace(env *vm.Env, _, off, from, to, flags uint64) (uint64, error) {
	st, err := skbOf(env)
	if err != nil {
		return 0, err
	}
	const pseudoHdr, mangled0, enforce, ipv6 = 0x10, 0x20, 0x40, 0x80
	if flags&^(0xf|pseudoHdr|mangled0|enforce|ipv6) != 0 {
		return errno(syscall.EINVAL), nil
	}
	field, e := csumField(st, off)
	if field == nil {
		return e, nil
	}
	if flags&mangled0 != 0 && field[0] == 0 && field[1] == 0 {
		return 0, nil
	}
	if r := replaceCsum(field, uint32(from), uint32(to), flags&0xf); r != 0 {
		return r, nil
	}
	if flags&mangled0 != 0 && field[0] == 0 && field[1] == 0 {
		field[0], field[1] = 0xff, 0xff // CSUM_MANGLED_0
	}
	return 0, nil
}
