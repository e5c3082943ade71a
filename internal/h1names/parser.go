// Package h1names records how the client spelt the header names of each
// HTTP/1.x request on a connection served by net/http's server, which
// canonicalises them before any handler sees them ("day" becomes "Day").
//
// A Listener hands out connections that read the request stream through
// a Parser: it follows the stream just enough to find each request's
// header block (request line, headers, empty line) and to skip its body
// (Content-Length, or chunked framing with its trailers), and records the
// names not sent canonical in the format of package wirenames. It never
// changes the bytes the server reads; on anything it cannot follow
// (malformed input, an Upgrade or CONNECT request, a header block larger
// than the server reads) it stops recording for that connection, whose
// later requests then show canonical names. A request whose names are all
// canonical costs no allocation.
package h1names

import (
	"bytes"

	"github.com/lambdagate/lambdagate/internal/wirenames"
)

// maxLine bounds a chunk-size line and the trailer section, as net/http's
// chunked reader and its 4 KiB buffer do.
const maxLine = 4096

type state uint8

const (
	stHeader    state = iota // in a header block (request line and headers)
	stBody                   // in a Content-Length body: remain bytes left
	stChunkSize              // in a chunk-size line
	stChunkData              // in a chunk's data: remain bytes left
	stChunkEnd               // in the CRLF after a chunk's data: crlf bytes seen
	stTrailer                // in the trailer section after the last chunk
	stStopped                // lost: records nothing more
)

// Parser follows one connection's HTTP/1.x request stream. Feed gives it
// the bytes in order; for each request the server hands to its handler,
// it calls Record with the request's index on the connection (0, 1, …)
// and the names it recorded, only when some name was not canonical.
type Parser struct {
	// MaxHeader bounds a header block (request line included); a larger
	// one stops the parser.
	MaxHeader int
	// Record receives the names of request index (nil: never called).
	Record func(index uint64, n *wirenames.Names)

	st     state
	block  []byte // a header block (or a chunk/trailer line) spanning reads
	remain uint64
	crlf   int
	trail  int    // trailer bytes seen
	count  uint64 // requests handed to the handler so far
}

// Stopped reports whether the parser has stopped recording.
func (p *Parser) Stopped() bool { return p.st == stStopped }

// Count is the number of requests whose header block the parser has read
// and that the server hands to its handler.
func (p *Parser) Count() uint64 { return p.count }

func (p *Parser) stop() {
	p.st = stStopped
	p.block = nil
}

// Feed follows b, the next bytes of the stream.
func (p *Parser) Feed(b []byte) {
	for len(b) > 0 {
		switch p.st {
		case stStopped:
			return
		case stHeader:
			b = p.header(b)
		case stBody, stChunkData:
			n := uint64(len(b))
			if n > p.remain {
				n = p.remain
			}
			b = b[n:]
			p.remain -= n
			if p.remain == 0 {
				if p.st == stBody {
					p.st = stHeader
				} else {
					p.st, p.crlf = stChunkEnd, 0
				}
			}
		case stChunkEnd:
			if b[0] != "\r\n"[p.crlf] {
				p.stop()
				return
			}
			b = b[1:]
			if p.crlf++; p.crlf == 2 {
				p.st = stChunkSize
			}
		case stChunkSize:
			line, rest, ok := p.line(b)
			if !ok {
				return
			}
			b = rest
			p.chunkSize(line)
		case stTrailer:
			line, rest, ok := p.line(b)
			if !ok {
				if p.trail += len(b); p.trail > maxLine {
					p.stop()
				}
				return
			}
			p.trail += len(b) - len(rest)
			b = rest
			if p.trail > maxLine {
				p.stop()
				return
			}
			if len(line) == 0 || (len(line) == 1 && line[0] == '\r') {
				p.st = stHeader
			}
		}
	}
}

// line returns the next line of b, '\n' excluded, with what follows it; a
// line that does not end in b is kept for the next Feed (ok false).
func (p *Parser) line(b []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		if len(p.block)+len(b) > maxLine {
			p.stop()
			return nil, nil, false
		}
		p.block = append(p.block, b...)
		return nil, nil, false
	}
	line, rest = b[:i], b[i+1:]
	if len(p.block) > 0 {
		p.block = append(p.block, line...)
		line = p.block
		p.block = p.block[:0]
	}
	if len(line) > maxLine {
		p.stop()
		return nil, nil, false
	}
	return line, rest, true
}

// chunkSize reads a chunk-size line (its '\n' excluded) as net/http's
// chunked reader does: CRLF ended, extensions after ';' ignored.
func (p *Parser) chunkSize(line []byte) {
	if len(line) == 0 || line[len(line)-1] != '\r' || bytes.IndexByte(line[:len(line)-1], '\r') >= 0 {
		p.stop()
		return
	}
	line = line[:len(line)-1]
	for len(line) > 0 && (line[len(line)-1] == ' ' || line[len(line)-1] == '\t') {
		line = line[:len(line)-1]
	}
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	if len(line) == 0 || len(line) > 16 {
		p.stop()
		return
	}
	var n uint64
	for _, c := range line {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			p.stop()
			return
		}
		n = n<<4 | uint64(c)
	}
	if n == 0 {
		p.st, p.trail = stTrailer, 0
		return
	}
	p.st, p.remain = stChunkData, n
}

// header reads b in a header block and returns what follows the block,
// nil when the block goes on past b.
func (p *Parser) header(b []byte) []byte {
	if len(p.block) == 0 {
		if end := blockEnd(b, 0); end > 0 {
			if end > p.MaxHeader {
				p.stop()
				return nil
			}
			p.request(b[:end])
			return b[end:]
		}
		if len(b) > p.MaxHeader {
			p.stop()
			return nil
		}
		p.block = append(p.block, b...)
		return nil
	}
	old := len(p.block)
	p.block = append(p.block, b...)
	end := blockEnd(p.block, max(old-2, 0))
	if end < 0 {
		if len(p.block) > p.MaxHeader {
			p.stop()
		}
		return nil
	}
	if end > p.MaxHeader {
		p.stop()
		return nil
	}
	p.request(p.block[:end])
	if p.st != stStopped {
		p.block = p.block[:0]
		if cap(p.block) > 64<<10 {
			p.block = nil // a rare large block: not kept for the connection's life
		}
	}
	return b[end-old:]
}

// blockEnd returns the length of the header block at the start of b (up
// to and including its empty line: "\n\n" or "\n\r\n"), searching from
// from; -1 when b does not hold its end.
func blockEnd(b []byte, from int) int {
	for {
		i := bytes.IndexByte(b[from:], '\n')
		if i < 0 {
			return -1
		}
		i += from
		if i+1 < len(b) && b[i+1] == '\n' {
			return i + 2
		}
		if i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n' {
			return i + 3
		}
		if i+1 >= len(b) || (i+2 >= len(b) && b[i+1] == '\r') {
			return -1 // the empty line may straddle the next Feed
		}
		from = i + 1
	}
}

// request reads one header block and sets the state for its body.
func (p *Parser) request(block []byte) {
	nl := bytes.IndexByte(block, '\n')
	reqLine := block[:nl]
	if n := len(reqLine); n > 0 && reqLine[n-1] == '\r' {
		reqLine = reqLine[:n-1]
	}
	method, rest, ok1 := bytes.Cut(reqLine, []byte(" "))
	target, proto, ok2 := bytes.Cut(rest, []byte(" "))
	http11 := string(proto) == "HTTP/1.1"
	if !ok1 || !ok2 || len(method) == 0 || len(target) == 0 ||
		(!http11 && string(proto) != "HTTP/1.0") ||
		string(method) == "CONNECT" || string(method) == "PRI" {
		p.stop()
		return
	}
	headers := block[nl+1:]
	var (
		canonical        = true
		chunked, hasTE   bool
		length           uint64
		hasLength        bool
		firstLine        = true
		lines            = headers
		lengthV, teValue []byte
	)
	for len(lines) > 0 {
		var line []byte
		if i := bytes.IndexByte(lines, '\n'); i >= 0 {
			line, lines = lines[:i], lines[i+1:]
		} else {
			line, lines = lines, nil
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if firstLine {
				p.stop() // net/http refuses a leading continuation
				return
			}
			continue
		}
		firstLine = false
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			p.stop()
			return
		}
		name, value := line[:colon], trimOWS(line[colon+1:])
		if !wirenames.Canonical(name) {
			canonical = false
		}
		switch {
		case len(name) != 14 && len(name) != 17 && len(name) != 7:
			// not a name the framing depends on
		case bytes.EqualFold(name, []byte("Content-Length")):
			if hasLength && !bytes.Equal(value, lengthV) {
				p.stop() // net/http refuses differing lengths
				return
			}
			n, ok := parseLength(value)
			if !ok {
				p.stop()
				return
			}
			length, hasLength, lengthV = n, true, value
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			if hasTE {
				p.stop()
				return
			}
			hasTE, teValue = true, value
		case bytes.EqualFold(name, []byte("Upgrade")):
			p.stop() // the stream may stop being HTTP/1.x
			return
		}
	}
	if hasTE && http11 {
		// net/http only takes a single "chunked" (and ignores it on
		// HTTP/1.0 requests); the length then does not count.
		if !bytes.EqualFold(teValue, []byte("chunked")) {
			p.stop()
			return
		}
		chunked = true
	}
	// net/http answers OPTIONS * itself: its handler never sees it.
	if !(string(method) == "OPTIONS" && string(target) == "*") {
		if !canonical && p.Record != nil {
			n := new(wirenames.Names)
			n.Record(headers)
			if n.Len() > 0 {
				p.Record(p.count, n)
			}
		}
		p.count++
	}
	switch {
	case chunked:
		p.st = stChunkSize
	case hasLength && length > 0:
		p.st, p.remain = stBody, length
	default:
		p.st = stHeader
	}
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// parseLength reads a Content-Length value as net/http does: decimal
// digits only, at most 63 bits.
func parseLength(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}
