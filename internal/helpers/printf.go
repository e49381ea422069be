package helpers

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"syscall"

	"github.com/ebpfvm/ebpfvm/internal/mem"
	"github.com/ebpfvm/ebpfvm/internal/vm"
)

// The printf helpers (bpf_trace_printk, bpf_snprintf) work in two steps, as
// the kernel's do. First the format is checked and the arguments are
// packed into a 512-byte buffer (bpf_bprintf_prepare): numbers as 4- or
// 8-byte words aligned to 4, characters as bytes, strings (%s, %pks, %pus)
// copied in with their NUL, IP addresses (%pI4, %pi4, %pI6, %pi6) and %pB
// pre-formatted as text. Then the text is produced from the format and
// that buffer (the kernel's bstr_printf). Mirroring the buffer, rather
// than formatting from the arguments directly, gives the kernel's results
// where they are surprising too: -ENOSPC when the packed arguments do not
// fit, strings truncated to what is left of the 512 bytes.
//
// Accepted conversions: %% and, with the flags "0+- " and a width,
// %d %i %u %x %X with the length modifiers l and ll, %c, %s, %p, %pK, %px,
// %ps, %pS, %pB, %pks, %pus, %pI4, %pi4, %pI6, %pi6. Anything else, more
// conversions than arguments, and ASCII control characters other than
// white space (and DEL) are -EINVAL; bytes from 0x80 up are accepted (Linux
// 6.18 does; older kernels rejected every non-ASCII byte).
//
// Pointers print as the kernel prints them with no_hash_pointers (or
// kptr_restrict allowing %pK): %p, %pK and %px as 16 zero-padded hex
// digits; the kernel hashes %p (except NULL and error values) and %pK,
// which a user-space runtime has no reason to do. %ps, %pS and %pB print
// "0x" and the hex value, what the kernel prints for an address with no
// symbol.

const (
	maxBprintfVarargs   = 12   // MAX_BPRINTF_VARARGS (bpf_snprintf)
	maxTracePrintkArgs  = 3    // MAX_TRACE_PRINTK_VARARGS
	maxBprintfBinArgs   = 512  // MAX_BPRINTF_BIN_ARGS
	maxBprintfBuf       = 1024 // MAX_BPRINTF_BUF: bpf_trace_printk's output buffer
	bstrSkipsWhenFull   = true // see bstrPrintf's pre-formatted pointers
	pointerHexDigits    = 16
	noFieldWidth        = -1
	maxFieldWidth       = 1<<23 - 1
	printfFlagsAccepted = "0+- "
)

// binArgs is the packed argument buffer of one printf call.
type binArgs struct {
	b   [maxBprintfBinArgs]byte
	pos int // bytes used; may pass the end after a truncated pre-formatted string
}

func (a *binArgs) room() int { return maxBprintfBinArgs - a.pos }

// putNum stores a 4- or 8-byte number at the next 4-byte boundary.
func (a *binArgs) putNum(v uint64, size int) bool {
	a.pos = (a.pos + 3) &^ 3
	if a.room() < size {
		return false
	}
	if size == 8 {
		binary.LittleEndian.PutUint64(a.b[a.pos:], v)
	} else {
		binary.LittleEndian.PutUint32(a.b[a.pos:], uint32(v))
	}
	a.pos += size
	return true
}

// putText stores s and a NUL, truncated like snprintf to the room left,
// and advances by the untruncated length as the kernel does.
func (a *binArgs) putText(s string) {
	if room := a.room(); room > 0 {
		n := copy(a.b[a.pos:a.pos+room-1], s)
		a.b[a.pos+n] = 0
	}
	a.pos += len(s) + 1
}

func at(f []byte, i int) byte {
	if i < len(f) {
		return f[i]
	}
	return 0
}

func isSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }
func isPrint(c byte) bool { return c >= 0x20 && c < 0x7f }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool { return isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'z' }
func isPunct(c byte) bool { return isPrint(c) && c != ' ' && !isAlnum(c) }

// prepare checks the format f (without its NUL) and packs args as the
// kernel's bpf_bprintf_prepare does. It returns 0 or the errno for the
// program.
func prepare(env *vm.Env, f []byte, args []uint64, bin *binArgs) syscall.Errno {
	nspec := 0
	for i := 0; i < len(f); i++ {
		if c := f[i]; c < 0x80 && !isPrint(c) && !isSpace(c) {
			return einval
		}
		if f[i] != '%' {
			continue
		}
		if at(f, i+1) == '%' {
			i++
			continue
		}
		if nspec >= len(args) {
			return einval
		}
		i++
		for at(f, i) == '0' || at(f, i) == '+' || at(f, i) == '-' || at(f, i) == ' ' {
			i++
		}
		if c := at(f, i); c >= '1' && c <= '9' {
			i++
			for isDigit(at(f, i)) {
				i++
			}
		}
		arg := args[nspec]
		switch c := at(f, i); {
		case c == 'p':
			next := at(f, i+1)
			switch {
			case (next == 'k' || next == 'u') && at(f, i+2) == 's':
				i += 2
				if e := packString(env, f, i, arg, bin); e != 0 {
					return e
				}
			case next == 0 || isSpace(next) || isPunct(next) ||
				next == 'K' || next == 'x' || next == 's' || next == 'S':
				// A pointer printed as a number. The character after
				// the 'p' is skipped even when it is punctuation (the
				// kernel does the same).
				i++
				if !bin.putNum(arg, 8) {
					return enospc
				}
			case next == 'B':
				if bin.pos >= maxBprintfBinArgs {
					return enospc
				}
				bin.putText(symbolText(arg))
				i++
			case (next == 'i' || next == 'I') && (at(f, i+2) == '4' || at(f, i+2) == '6'):
				i += 2
				n := 4
				if f[i] == '6' {
					n = 16
				}
				if bin.room() < n {
					return enospc
				}
				var ip [16]byte
				if allReadable(env, arg, uint64(n)) {
					copy(ip[:], mem.Slice(arg, n))
				}
				bin.putText(ipText(ip[:n], next == 'i'))
			default:
				return einval
			}
		case c == 's':
			if e := packString(env, f, i, arg, bin); e != 0 {
				return e
			}
		case c == 'c':
			if bin.pos >= maxBprintfBinArgs {
				return enospc
			}
			bin.b[bin.pos] = byte(arg)
			bin.pos++
		default:
			size := 4
			if at(f, i) == 'l' {
				size = 8
				i++
			}
			if at(f, i) == 'l' {
				i++
			}
			switch at(f, i) {
			case 'i', 'd', 'u', 'x', 'X':
			default:
				return einval
			}
			if !bin.putNum(arg, size) {
				return enospc
			}
		}
		nspec++
	}
	return 0
}

// packString handles %s, %pks and %pus, whose conversion character is at
// f[i]: it must end the conversion, and the string is copied into what is
// left of the buffer (a fault gives an empty string).
func packString(env *vm.Env, f []byte, i int, addr uint64, bin *binArgs) syscall.Errno {
	if next := at(f, i+1); next != 0 && !isSpace(next) && !isPunct(next) {
		return einval
	}
	if bin.pos >= maxBprintfBinArgs {
		return enospc
	}
	n, ok := copyString(env, bin.b[bin.pos:], addr)
	if !ok || n == 0 {
		bin.b[bin.pos] = 0
		n = 1
	}
	bin.pos += n
	return 0
}

// symbolText is what %ps, %pS and %pB print for an address with no kernel
// symbol.
func symbolText(v uint64) string { return "0x" + strconv.FormatUint(v, 16) }

// ipText formats an IPv4 (4 bytes) or IPv6 (16 bytes) address as %pI4/%pi4
// and %pI6/%pi6 do: dotted decimal, with each part zero-padded to 3 digits
// for 'i'; eight groups of 4 hex digits joined by ':', or 32 hex digits
// for 'i'.
func ipText(ip []byte, lower bool) string {
	var b []byte
	if len(ip) == 4 {
		for k, v := range ip {
			if k > 0 {
				b = append(b, '.')
			}
			if lower {
				b = append(b, '0'+v/100, '0'+v/10%10, '0'+v%10)
			} else {
				b = strconv.AppendUint(b, uint64(v), 10)
			}
		}
		return string(b)
	}
	const hex = "0123456789abcdef"
	for k, v := range ip {
		if k > 0 && k%2 == 0 && !lower {
			b = append(b, ':')
		}
		b = append(b, hex[v>>4], hex[v&15])
	}
	return string(b)
}

// The flags of a conversion, as the kernel's vsprintf names them.
const (
	fSign = 1 << iota
	fLeft
	fPlus
	fSpace
	fZeroPad
	fSmall
	fSpecial
)

type printfSpec struct {
	flags int
	width int
	base  int
}

// out collects formatted text into a fixed buffer, counting what does not
// fit, as vsnprintf does.
type out struct {
	buf []byte
	n   int // length of the whole text
}

func (o *out) put(c byte) {
	if o.n < len(o.buf) {
		o.buf[o.n] = c
	}
	o.n++
}

func (o *out) puts(s []byte) {
	for _, c := range s {
		o.put(c)
	}
}

func (o *out) pad(c byte, n int) {
	for ; n > 0; n-- {
		o.put(c)
	}
}

// finish NUL-terminates the buffer (truncating if needed) and returns the
// length of the whole text without its NUL.
func (o *out) finish() int {
	if len(o.buf) > 0 {
		if o.n < len(o.buf) {
			o.buf[o.n] = 0
		} else {
			o.buf[len(o.buf)-1] = 0
		}
	}
	return o.n
}

// bstrPrintf formats f with the packed arguments into dst (of the size the
// caller allows; at most len(dst)-1 characters and a NUL are written) and
// returns the length of the whole text, as the kernel's bstr_printf does.
func bstrPrintf(dst []byte, f []byte, bin *binArgs) int {
	o := out{buf: dst}
	args := 0
	get := func(size int) uint64 {
		align := min(size, 4)
		args = (args + align - 1) &^ (align - 1)
		var v uint64
		if args+size <= len(bin.b) {
			switch size {
			case 1:
				v = uint64(bin.b[args])
			case 4:
				v = uint64(binary.LittleEndian.Uint32(bin.b[args:]))
			case 8:
				v = binary.LittleEndian.Uint64(bin.b[args:])
			}
		}
		args += size
		return v
	}
	getString := func() []byte {
		if args >= len(bin.b) {
			return nil
		}
		s := bin.b[args:]
		if i := indexByte(s, 0); i >= 0 {
			s = s[:i]
		}
		return s
	}
	for i := 0; i < len(f); {
		if f[i] != '%' {
			j := i
			for j < len(f) && f[j] != '%' {
				j++
			}
			o.puts(f[i:j])
			i = j
			continue
		}
		// A conversion: flags, width, length, type.
		i++
		spec := printfSpec{width: noFieldWidth, base: 10}
	flags:
		for ; i < len(f); i++ {
			switch f[i] {
			case '-':
				spec.flags |= fLeft
			case '+':
				spec.flags |= fPlus
			case ' ':
				spec.flags |= fSpace
			case '#':
				spec.flags |= fSpecial
			case '0':
				spec.flags |= fZeroPad
			default:
				break flags
			}
		}
		if isDigit(at(f, i)) {
			w := 0
			for isDigit(at(f, i)) {
				if w <= maxFieldWidth {
					w = w*10 + int(f[i]-'0')
				}
				i++
			}
			spec.width = min(w, maxFieldWidth)
		}
		size := 4
		if at(f, i) == 'l' {
			size = 8
			i++
			if at(f, i) == 'l' {
				i++
			}
		}
		c := at(f, i)
		i++
		switch c {
		case '%':
			o.put('%')
			continue
		case 'c':
			if spec.flags&fLeft == 0 {
				o.pad(' ', spec.width-1)
			}
			o.put(byte(get(1)))
			if spec.flags&fLeft != 0 {
				o.pad(' ', spec.width-1)
			}
			continue
		case 's':
			s := getString()
			args += len(s) + 1
			widen(&o, s, spec)
			continue
		case 'p':
			k := at(f, i)
			switch {
			case k == 'S' || k == 's' || k == 'x' || k == 'K' || !isAlnum(k):
				v := get(8)
				if k == 'S' || k == 's' {
					widen(&o, []byte(symbolText(v)), spec)
				} else {
					pointer(&o, v, spec)
				}
			default:
				// Pre-formatted text (%pI4, %pB, ...). The kernel
				// copies it only while the output has room, and
				// otherwise does not move past it either.
				if !bstrSkipsWhenFull || o.n < len(o.buf) {
					s := getString()
					o.puts(s)
					args += len(s) + 1
				}
			}
			for isAlnum(at(f, i)) {
				i++
			}
			continue
		case 'x':
			spec.flags |= fSmall
			spec.base = 16
		case 'X':
			spec.base = 16
		case 'd', 'i':
			spec.flags |= fSign
		case 'u':
		default:
			// An invalid conversion ends the output, as in the kernel
			// (prepare lets none through but "%p%q"-like leftovers).
			return o.finish()
		}
		v := get(size)
		if size == 4 && spec.flags&fSign != 0 {
			v = uint64(int64(int32(v)))
		}
		number(&o, v, spec)
	}
	return o.finish()
}

// widen writes s padded with spaces to the field width.
func widen(o *out, s []byte, spec printfSpec) {
	pad := spec.width - len(s)
	if spec.flags&fLeft == 0 {
		o.pad(' ', pad)
	}
	o.puts(s)
	if spec.flags&fLeft != 0 {
		o.pad(' ', pad)
	}
}

// pointer prints v as the kernel's pointer_string: lower-case hex, 16
// zero-padded digits unless a width was given.
func pointer(o *out, v uint64, spec printfSpec) {
	spec.base = 16
	spec.flags |= fSmall
	if spec.width == noFieldWidth {
		spec.width = pointerHexDigits
		spec.flags |= fZeroPad
	}
	number(o, v, spec)
}

// number prints v as the kernel's number() does (without precision, which
// the bpf printf helpers do not accept).
func number(o *out, v uint64, spec printfSpec) {
	width := spec.width
	if spec.flags&fLeft != 0 {
		spec.flags &^= fZeroPad
	}
	var sign byte
	if spec.flags&fSign != 0 {
		switch {
		case int64(v) < 0:
			sign, v = '-', -v
		case spec.flags&fPlus != 0:
			sign = '+'
		case spec.flags&fSpace != 0:
			sign = ' '
		}
		if sign != 0 {
			width--
		}
	}
	special := spec.flags&fSpecial != 0 && spec.base == 16
	if special {
		width -= 2
	}
	var tmp [24]byte
	digits := strconv.AppendUint(tmp[:0], v, spec.base)
	if spec.flags&fSmall == 0 {
		for k, c := range digits {
			if c >= 'a' {
				digits[k] = c - 'a' + 'A'
			}
		}
	}
	width -= len(digits)
	if spec.flags&(fZeroPad|fLeft) == 0 {
		o.pad(' ', width)
		width = 0
	}
	if sign != 0 {
		o.put(sign)
	}
	if special {
		o.put('0')
		if spec.flags&fSmall != 0 {
			o.put('x')
		} else {
			o.put('X')
		}
	}
	if spec.flags&fLeft == 0 {
		o.pad('0', width)
		width = 0
	}
	o.puts(digits)
	o.pad(' ', width)
}

// bpf_snprintf(str, str_size, fmt, data, data_len): fmt is a NUL-terminated
// string (the kernel demands it in read-only map memory), data an array of
// data_len/8 u64 arguments. It returns the length of the whole text plus
// one (the NUL), and writes at most str_size bytes.
func snprintfHelper(env *vm.Env, str, strSize, fmtAddr, data, dataLen uint64) (uint64, error) {
	strSize, dataLen = uint64(uint32(strSize)), uint64(uint32(dataLen))
	if dataLen%8 != 0 || dataLen > maxBprintfVarargs*8 || dataLen != 0 && data == 0 {
		return errno(einval), nil
	}
	f, ok := cString(env, fmtAddr)
	if !ok {
		return 0, fmt.Errorf("%w: bpf_snprintf: the format at %#x is not a NUL-terminated string in the program's memory",
			vm.ErrAccess, fmtAddr)
	}
	raw, err := env.Bytes(data, dataLen, false)
	if err != nil {
		return 0, err
	}
	dst, err := env.Bytes(str, strSize, true)
	if err != nil {
		return 0, err
	}
	var args [maxBprintfVarargs]uint64
	for k := range int(dataLen / 8) {
		args[k] = binary.LittleEndian.Uint64(raw[8*k:])
	}
	var bin binArgs
	if e := prepare(env, f, args[:dataLen/8], &bin); e != 0 {
		return errno(e), nil
	}
	return uint64(bstrPrintf(dst, f, &bin) + 1), nil
}

// TraceLine is the format of a line Config.TraceOutput receives, after the
// fields of the task (comm, pid) and the CPU: what trace_pipe shows for a
// bpf_trace_printk event, without the irq/preemption flags and the
// timestamp. A newline is added when the message does not end with one.
const TraceLine = "%s-%d [%03d] bpf_trace_printk: %s"

// bpf_trace_printk(fmt, fmt_size, arg1, arg2, arg3): fmt must hold a NUL
// within fmt_size bytes; at most three conversions. The message is
// truncated to 1023 bytes; the result is the length of the whole text.
func (s *set) tracePrintk(env *vm.Env, fmtAddr, fmtSize, a1, a2, a3 uint64) (uint64, error) {
	fmtSize = uint64(uint32(fmtSize))
	fb, err := env.Bytes(fmtAddr, fmtSize, false)
	if err != nil {
		return 0, err
	}
	end := indexByte(fb, 0)
	if end < 0 {
		return errno(einval), nil
	}
	f := fb[:end]
	var bin binArgs
	if e := prepare(env, f, []uint64{a1, a2, a3}, &bin); e != 0 {
		return errno(e), nil
	}
	var buf [maxBprintfBuf]byte
	n := bstrPrintf(buf[:], f, &bin)
	if w := s.cfg.TraceOutput; w != nil {
		msg := buf[:min(n, len(buf)-1)]
		var line []byte
		if s.cfg.TraceMessageOnly {
			line = msg
		} else {
			line = fmt.Appendf(nil, TraceLine, s.task.Comm, s.task.PID, env.CPU, msg)
			if len(msg) == 0 || msg[len(msg)-1] != '\n' {
				line = append(line, '\n')
			}
		}
		s.traceMu.Lock()
		_, werr := w.Write(line)
		s.traceMu.Unlock()
		_ = werr // the kernel's trace buffer does not fail a program either
	}
	return uint64(n), nil
}
