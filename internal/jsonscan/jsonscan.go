// Package jsonscan checks whether byte slices are syntactically valid JSON
// without decoding them.
//
// It is a drop-in replacement for encoding/json.Valid on hot paths: [Valid]
// accepts exactly the inputs that encoding/json.Valid accepts, including its
// quirks (invalid UTF-8 inside strings is accepted, nesting deeper than 10000
// arrays/objects is refused), but runs several times faster and does not
// allocate unless the input nests more than 64 levels deep.
//
// The scanner is a single iterative loop over the input. Open containers are
// tracked as a bit stack (one bit per level, object or array) held in a
// machine word for the innermost 64 levels and spilled to a heap slice only
// beyond that. String contents are skipped eight or sixteen bytes at a time
// with word-parallel tests for the bytes that need attention ('"', '\\' and
// control characters); lookup tables classify single bytes elsewhere.
package jsonscan

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// maxDepth is the deepest nesting of arrays and objects that encoding/json
// accepts (its maxNestingDepth): 10000 open containers are fine, opening a
// 10001st is a syntax error even if it would be closed immediately.
const maxDepth = 10000

// Valid reports whether b is a valid JSON encoding: a single JSON value
// (RFC 8259), optionally surrounded by JSON whitespace (space, tab, line feed,
// carriage return).
//
// The result is exactly that of encoding/json.Valid(b) for every input. In
// particular, like encoding/json, Valid does not check that string contents
// are valid UTF-8 (use [ValidUTF8] for that), and it rejects inputs that nest
// arrays and objects more than 10000 levels deep.
func Valid(b []byte) bool {
	return scan(b, 0)
}

// ValidUTF8 reports whether b is valid JSON, as [Valid] reports, and is also
// valid UTF-8, as utf8.Valid reports.
//
// It is two passes, Valid(b) && utf8.Valid(b): docs/BENCHMARKS.md says why
// not one.
func ValidUTF8(b []byte) bool {
	return Valid(b) && utf8.Valid(b)
}

// Object reports whether b is a valid JSON encoding of an object: its first
// byte other than JSON whitespace (space, tab, line feed, carriage return) is
// '{' and [Valid](b) is true. Unlike bytes.TrimSpace, no other Unicode spaces
// are skipped; they would make the input invalid JSON in any case.
func Object(b []byte) bool {
	i := 0
	for i < len(b) && isSpace[b[i]] {
		i++
	}
	return i < len(b) && b[i] == '{' && scan(b, uint(i))
}

// Word-parallel constants: lsb has the low bit of every byte set, msb the
// high bit of every byte.
const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// scan reports whether b[i:] is a valid JSON text, where b[:i] is known to
// be JSON whitespace.
//
// The control flow is a small state machine written with labels:
//
//	value: a value must start at b[i], after optional whitespace
//	str:   inside a string body (key or value) at b[i]
//	colon: an object key has just ended; ':' must follow
//	after: a value has just ended; ',', a closing bracket or (at the top
//	       level) the end of input must follow
func scan(b []byte, i uint) bool {
	var (
		depth int    // number of open arrays and objects
		stack uint64 // bit k: the container k levels out from the innermost is an object
		spill []byte // containers deeper than 64 levels out, innermost last
		key   bool   // the string being scanned is an object key
		c     byte
	)

value:
	for i < uint(len(b)) && isSpace[b[i]] {
		i++
	}
	if i >= uint(len(b)) {
		return false
	}
	c = b[i]
	i++
	switch c {
	case '"':
		key = false
		goto str
	case '{', '[':
		if depth >= maxDepth {
			return false
		}
		for i < uint(len(b)) && isSpace[b[i]] {
			i++
		}
		if i >= uint(len(b)) {
			return false
		}
		if c == '{' {
			switch b[i] {
			case '}':
				// Empty object: there is no need to push it.
				i++
				goto after
			case '"':
				if depth >= 64 {
					spill = append(spill, byte(stack>>63))
				}
				stack = stack<<1 | 1
				depth++
				i++
				key = true
				goto str
			}
			return false
		}
		if b[i] == ']' {
			i++
			goto after
		}
		if depth >= 64 {
			spill = append(spill, byte(stack>>63))
		}
		stack <<= 1
		depth++
		goto value
	case 't':
		if uint(len(b))-i >= 3 && string(b[i:i+3]) == "rue" {
			i += 3
			goto after
		}
		return false
	case 'f':
		if uint(len(b))-i >= 4 && string(b[i:i+4]) == "alse" {
			i += 4
			goto after
		}
		return false
	case 'n':
		if uint(len(b))-i >= 3 && string(b[i:i+3]) == "ull" {
			i += 3
			goto after
		}
		return false
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		// Integer part: '0' alone, or a non-zero digit followed by digits.
		if c == '-' {
			if i >= uint(len(b)) {
				return false
			}
			c = b[i]
			i++
		}
		if c != '0' {
			if c-'1' > 8 {
				return false
			}
			for i < uint(len(b)) && b[i]-'0' <= 9 {
				i++
			}
		}
		// Optional fraction: '.' and at least one digit.
		if i < uint(len(b)) && b[i] == '.' {
			i++
			if i >= uint(len(b)) || b[i]-'0' > 9 {
				return false
			}
			i++
			for i < uint(len(b)) && b[i]-'0' <= 9 {
				i++
			}
		}
		// Optional exponent: 'e' or 'E', an optional sign, at least one digit.
		if i < uint(len(b)) && b[i]|0x20 == 'e' {
			i++
			if i < uint(len(b)) && (b[i] == '+' || b[i] == '-') {
				i++
			}
			if i >= uint(len(b)) || b[i]-'0' > 9 {
				return false
			}
			i++
			for i < uint(len(b)) && b[i]-'0' <= 9 {
				i++
			}
		}
		goto after
	}
	return false

str:
	// Most strings are short: look at the first eight bytes here, and
	// leave longer runs to plainRun.
	if uint(len(b))-i >= 8 {
		if m := special(binary.LittleEndian.Uint64(b[i : i+8])); m != 0 {
			i += uint(bits.TrailingZeros64(m)) >> 3
		} else {
			i = plainRun(b, i+8)
		}
	} else {
		i = plainRun(b, i)
	}
	if i >= uint(len(b)) {
		return false // unterminated string
	}
	c = b[i]
	if c < 0x20 {
		return false // control characters must be escaped
	}
	i++
	if c == '\\' {
		if i >= uint(len(b)) {
			return false
		}
		c = b[i]
		i++
		if c == 'u' {
			if uint(len(b))-i < 4 || !isHex[b[i]] || !isHex[b[i+1]] || !isHex[b[i+2]] || !isHex[b[i+3]] {
				return false
			}
			i += 4
		} else if !isEscape[c] {
			return false
		}
		goto str
	}
	// c == '"': the string is complete.
	if key {
		goto colon
	}
	goto after

colon:
	for i < uint(len(b)) && isSpace[b[i]] {
		i++
	}
	if i >= uint(len(b)) || b[i] != ':' {
		return false
	}
	i++
	goto value

after:
	for i < uint(len(b)) && isSpace[b[i]] {
		i++
	}
	if depth == 0 {
		return i == uint(len(b))
	}
	if i >= uint(len(b)) {
		return false
	}
	c = b[i]
	i++
	if c == ',' {
		if stack&1 == 0 {
			goto value
		}
		for i < uint(len(b)) && isSpace[b[i]] {
			i++
		}
		if i >= uint(len(b)) || b[i] != '"' {
			return false
		}
		i++
		key = true
		goto str
	}
	// The closing bracket must match the innermost open container:
	// ']' (0x5d) for an array, '}' (0x7d) for an object.
	if c != ']'|byte(stack&1)<<5 {
		return false
	}
	depth--
	stack >>= 1
	if depth >= 64 {
		stack |= uint64(spill[len(spill)-1]) << 63
		spill = spill[:len(spill)-1]
	}
	goto after
}

// Byte classes.
var (
	isSpace  [256]bool // JSON whitespace
	inString [256]bool // string bytes that end a run of plain contents: '"', '\\', < 0x20
	isHex    [256]bool // hexadecimal digits, for \uXXXX
	isEscape [256]bool // bytes allowed after '\\', other than 'u'
)

func init() {
	for _, c := range []byte(" \t\n\r") {
		isSpace[c] = true
	}
	for c := range 0x20 {
		inString[c] = true
	}
	inString['"'] = true
	inString['\\'] = true
	for _, c := range []byte("0123456789abcdefABCDEF") {
		isHex[c] = true
	}
	for _, c := range []byte(`"\/bfnrt`) {
		isEscape[c] = true
	}
}

// special returns a mask with the high bit set in every byte of the
// little-endian word x that is '"', '\\' or a control character (< 0x20).
// Bytes above the lowest such byte may be flagged spuriously (through
// borrows), but the lowest flagged byte is always a true one, and no byte
// below it is flagged.
//
// Each of the three tests is the classic "has a zero byte" formula
// (v - 0x01..) &^ v & 0x80.., applied to x^'"', x^'\\' and (as "has a byte
// below 0x20") to x itself. As '"' and '\\' are ASCII, the &^ v factor has
// the same high bits in all three cases, so it is applied once.
func special(x uint64) uint64 {
	return ((x ^ lsb*'"' - lsb) | (x ^ lsb*'\\' - lsb) | (x - lsb*0x20)) &^ x & msb
}

// plainRun skips string contents that need no attention, from b[i]. It
// returns the index of the first byte at or after i that is '"', '\\' or a
// control character, or len(b) if there is none.
func plainRun(b []byte, i uint) uint {
	p := b[i:]
	for len(p) >= 16 {
		mx := special(binary.LittleEndian.Uint64(p))
		my := special(binary.LittleEndian.Uint64(p[8:]))
		if mx|my != 0 {
			i = uint(len(b) - len(p))
			if mx != 0 {
				return i + uint(bits.TrailingZeros64(mx))>>3
			}
			return i + 8 + uint(bits.TrailingZeros64(my))>>3
		}
		p = p[16:]
	}
	for len(p) > 0 && !inString[p[0]] {
		p = p[1:]
	}
	return uint(len(b) - len(p))
}
