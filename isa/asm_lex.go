package isa

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// This file splits assembly lines into tokens and parses the operands that
// both syntaxes share: numbers and jump targets.

// stripComment removes a "//" or ";" comment, and a "#" comment that starts
// the line or follows a blank ("call bpf_map_lookup_elem#1" keeps its "#").
func stripComment(s string) string {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ';':
			return s[:i]
		case '/':
			if i+1 < len(s) && s[i+1] == '/' {
				return s[:i]
			}
		case '#':
			if i == 0 || s[i-1] == ' ' || s[i-1] == '\t' {
				return s[:i]
			}
		}
	}
	return s
}

// Operators, longest first so that lexing is greedy.
var operators = []string{
	"<<=", ">>=", "+=", "-=", "*=", "/=", "|=", "&=", "%=", "^=", "==", "!=", ">=", "<=",
}

// lex splits a line into words (names, registers and numbers) and
// punctuation or operators. Blanks only separate tokens.
func lex(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case isWordChar(c):
			j := i
			for j < len(s) && isWordChar(s[j]) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		case strings.IndexByte("=+-*/%&|^<>!()[],:#", c) >= 0:
			n := 1
			for _, op := range operators {
				if strings.HasPrefix(s[i:], op) {
					n = len(op)
					break
				}
			}
			toks = append(toks, s[i:i+n])
			i += n
		default:
			return nil, fmt.Errorf("unexpected character %q", c)
		}
	}
	return toks, nil
}

func isWordChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '$'
}

func isNumber(t string) bool { return t != "" && t[0] >= '0' && t[0] <= '9' }

// isLabelName reports whether t can name a label: a word that does not start
// with a digit.
func isLabelName(t string) bool { return t != "" && isWordChar(t[0]) && !isNumber(t) }

// parser walks the tokens of one line.
type parser struct {
	toks []string
	pos  int
}

func (p *parser) done() bool { return p.pos >= len(p.toks) }

func (p *parser) peek() string { return p.peekAt(0) }

func (p *parser) peekAt(k int) string {
	if p.pos+k < len(p.toks) {
		return p.toks[p.pos+k]
	}
	return ""
}

func (p *parser) next() string {
	t := p.peek()
	if !p.done() {
		p.pos++
	}
	return t
}

func (p *parser) accept(t string) bool {
	if p.peek() == t {
		p.pos++
		return true
	}
	return false
}

func (p *parser) expect(t string) error {
	if p.accept(t) {
		return nil
	}
	return fmt.Errorf("expected %q, found %s", t, p.describe())
}

// describe names the next token for an error message.
func (p *parser) describe() string {
	if p.done() {
		return "end of line"
	}
	return strconv.Quote(p.peek())
}

// number is a parsed literal: its magnitude, sign and base.
type number struct {
	mag uint64
	neg bool
	hex bool
}

// num parses an optionally signed decimal or hexadecimal literal.
func (p *parser) num() (number, error) {
	var n number
	if p.accept("-") {
		n.neg = true
	} else {
		p.accept("+")
	}
	t := p.next()
	if !isNumber(t) {
		return n, fmt.Errorf("expected a number, found %q", t)
	}
	var err error
	if hex, ok := strings.CutPrefix(strings.ToLower(t), "0x"); ok {
		n.hex = true
		n.mag, err = strconv.ParseUint(hex, 16, 64)
	} else {
		n.mag, err = strconv.ParseUint(t, 10, 64)
	}
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return n, fmt.Errorf("number %s does not fit 64 bits", t)
		}
		return n, fmt.Errorf("invalid number %q", t)
	}
	return n, nil
}

func (n number) String() string {
	s := strconv.FormatUint(n.mag, 10)
	if n.hex {
		s = "0x" + strconv.FormatUint(n.mag, 16)
	}
	if n.neg {
		s = "-" + s
	}
	return s
}

// fits converts n to a field of the given bit width: signed values in
// [-2^(bits-1), 2^(bits-1)), and hexadecimal bit patterns below 2^bits.
func (n number) fits(bits uint) (int64, bool) {
	half := uint64(1) << (bits - 1)
	switch {
	case n.neg:
		return -int64(n.mag), n.mag <= half
	case n.hex && n.mag < half<<1:
		return int64(n.mag), true
	}
	return int64(n.mag), n.mag < half
}

func (p *parser) imm32() (int32, error) {
	n, err := p.num()
	if err != nil {
		return 0, err
	}
	v, ok := n.fits(32)
	if !ok {
		return 0, fmt.Errorf("immediate %s does not fit 32 bits", n)
	}
	return int32(uint32(v)), nil
}

func (p *parser) off16() (int16, error) {
	n, err := p.num()
	if err != nil {
		return 0, err
	}
	v, ok := n.fits(16)
	if !ok {
		return 0, fmt.Errorf("offset %s does not fit 16 bits", n)
	}
	return int16(uint16(v)), nil
}

func (p *parser) imm64() (uint64, error) {
	n, err := p.num()
	if err != nil {
		return 0, err
	}
	if n.neg {
		if n.mag > 1<<63 {
			return 0, fmt.Errorf("immediate %s does not fit 64 bits", n)
		}
		return -n.mag, nil
	}
	return n.mag, nil
}

// isSignedNumber reports whether a number starts at the parser's position.
func (p *parser) atNumber() bool {
	t := p.peek()
	if t == "-" || t == "+" {
		t = p.peekAt(1)
	}
	return isNumber(t)
}

// target parses a jump target: a label, or an offset written "+3", "-3",
// "3" or "pc+3". It returns the offset or the label.
func (p *parser) target() (number, string, error) {
	if p.peek() == "pc" && (p.peekAt(1) == "+" || p.peekAt(1) == "-") {
		p.next()
	}
	if p.atNumber() {
		n, err := p.num()
		if p.peek() == "<" && p.peekAt(2) == ">" {
			p.pos += 3 // llvm-objdump's "goto +5 <LBB0_2>"
		}
		return n, "", err
	}
	t := p.next()
	if !isLabelName(t) {
		return number{}, "", fmt.Errorf("expected a jump target, found %q", t)
	}
	return number{}, t, nil
}

// jumpTarget sets a jump's 16-bit offset or records its label.
func (p *parser) jumpTarget(s *stmt) error {
	n, name, err := p.target()
	if err != nil || name != "" {
		s.ref, s.kind = name, fixOffset
		return err
	}
	v, ok := n.fits(16)
	if !ok {
		return fmt.Errorf("jump offset %s does not fit 16 bits", n)
	}
	s.insns[0].Offset = int16(uint16(v))
	return nil
}

// immTarget sets an imm-encoded target (gotol, local call, subprog) or
// records its label.
func (p *parser) immTarget(s *stmt, kind fixupKind) error {
	n, name, err := p.target()
	if err != nil || name != "" {
		s.ref, s.kind = name, kind
		return err
	}
	v, ok := n.fits(32)
	if !ok {
		return fmt.Errorf("offset %s does not fit 32 bits", n)
	}
	s.insns[0].Imm = int32(uint32(v))
	return nil
}
