package h1names

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/lambdagate/lambdagate/internal/wirenames"
)

// run feeds stream to a parser in pieces of size step (0: at once) and
// returns, per request index, the spelling of the names asked, with the
// request count and whether it stopped.
func run(stream string, step, maxHeader int, ask ...string) (map[uint64][]string, uint64, bool) {
	got := map[uint64][]string{}
	p := Parser{MaxHeader: maxHeader, Record: func(i uint64, n *wirenames.Names) {
		var s []string
		for _, a := range ask {
			s = append(s, n.Spelling(a))
		}
		got[i] = s
	}}
	b := []byte(stream)
	if step <= 0 {
		step = len(b)
	}
	for len(b) > 0 {
		n := min(step, len(b))
		p.Feed(b[:n])
		b = b[n:]
	}
	return got, p.Count(), p.Stopped()
}

func TestParser(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		stream  string
		ask     []string
		want    map[uint64][]string
		count   uint64
		stopped bool
	}{
		{name: "canonical names record nothing",
			stream: "GET / HTTP/1.1\r\nHost: a\r\nDay: x\r\n\r\n",
			ask:    []string{"Day"}, want: map[uint64][]string{}, count: 1},
		{name: "lower case name",
			stream: "GET / HTTP/1.1\r\nhost: a\r\nday: x\r\n\r\n",
			ask:    []string{"Day", "Host"}, want: map[uint64][]string{0: {"day", "host"}}, count: 1},
		{name: "bare LF line ends",
			stream: "GET / HTTP/1.1\nHost: a\nday: x\n\n",
			ask:    []string{"Day"}, want: map[uint64][]string{0: {"day"}}, count: 1},
		{name: "content-length body holding a fake header block",
			stream: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 19\r\n\r\n\r\n\r\nX-Fake: 1\r\n\r\n\r\n" +
				"GET / HTTP/1.1\r\nHost: a\r\nday: y\r\n\r\n",
			ask: []string{"Day", "X-Fake"}, want: map[uint64][]string{1: {"day", "X-Fake"}}, count: 2},
		{name: "chunked with extensions and trailers",
			stream: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nday: one\r\n\r\n" +
				"5;ext=1;q=\"a\"\r\nx-bad\r\n0000f;e\r\n\r\n\r\nX-Fake: 1\r\n\r\n0\r\nx-trailer: t\r\nX-Other: o\r\n\r\n" +
				"GET / HTTP/1.1\r\nHost: a\r\nx-fake: two\r\n\r\n",
			ask: []string{"Day", "X-Fake", "X-Trailer"}, want: map[uint64][]string{0: {"day", "X-Fake", "X-Trailer"}, 1: {"Day", "x-fake", "X-Trailer"}}, count: 2},
		{name: "chunked without trailers, upper-case hex",
			stream: "POST / HTTP/1.1\r\nTransfer-Encoding: CHUNKED\r\n\r\nA\r\n0123456789\r\n0\r\n\r\nGET / HTTP/1.1\r\nday: z\r\n\r\n",
			ask:    []string{"Day"}, want: map[uint64][]string{1: {"day"}}, count: 2},
		{name: "chunked overrides content-length",
			stream: "POST / HTTP/1.1\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\nGET / HTTP/1.1\r\nday: z\r\n\r\n",
			ask:    []string{"Day"}, want: map[uint64][]string{1: {"day"}}, count: 2},
		{name: "HTTP/1.0 ignores transfer-encoding",
			stream: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\nGET / HTTP/1.0\r\nday: z\r\n\r\n",
			ask:    []string{"Day"}, want: map[uint64][]string{1: {"day"}}, count: 2},
		{name: "pipelined requests, keep-alive",
			stream: "GET /1 HTTP/1.1\r\nday: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: b\r\n\r\nPOST /3 HTTP/1.1\r\nContent-Length: 2\r\nDAY: c\r\n\r\nhiGET /4 HTTP/1.1\r\nDay: d\r\nx-y: e\r\n\r\n",
			ask:    []string{"Day", "X-Y"}, want: map[uint64][]string{0: {"day", "X-Y"}, 2: {"DAY", "X-Y"}, 3: {"Day", "x-y"}}, count: 4},
		{name: "OPTIONS * never reaches the handler",
			stream: "OPTIONS * HTTP/1.1\r\nday: a\r\n\r\nGET / HTTP/1.1\r\nday: b\r\n\r\n",
			ask:    []string{"Day"}, want: map[uint64][]string{0: {"day"}}, count: 1},
		{name: "malformed request line stops",
			stream: "GARBAGE\r\n\r\nGET / HTTP/1.1\r\nday: b\r\n\r\n",
			want:   map[uint64][]string{}, stopped: true},
		{name: "leading empty line stops",
			stream: "\r\nGET / HTTP/1.1\r\nday: b\r\n\r\n",
			want:   map[uint64][]string{}, stopped: true},
		{name: "HTTP/2 preface stops",
			stream: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
			want:   map[uint64][]string{}, stopped: true},
		{name: "unknown version stops",
			stream: "GET / HTTP/1.2\r\nday: b\r\n\r\n",
			want:   map[uint64][]string{}, stopped: true},
		{name: "header line without colon stops",
			stream: "GET / HTTP/1.1\r\nday\r\n\r\n",
			want:   map[uint64][]string{}, stopped: true},
		{name: "leading continuation stops",
			stream: "GET / HTTP/1.1\r\n folded: x\r\n\r\n",
			want:   map[uint64][]string{}, stopped: true},
		{name: "differing content-lengths stop",
			stream: "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
			want:   map[uint64][]string{}, stopped: true},
		{name: "bad content-length stops",
			stream: "POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\na",
			want:   map[uint64][]string{}, stopped: true},
		{name: "unsupported transfer-encoding stops",
			stream: "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
			want:   map[uint64][]string{}, stopped: true},
		{name: "bad chunk size stops",
			stream: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
			want:   map[uint64][]string{}, stopped: true},
		{name: "space before a chunk extension stops, as net/http refuses it",
			stream: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1 ;e\r\na\r\n0\r\n\r\n",
			want:   map[uint64][]string{}, stopped: true},
		{name: "chunk line with bare LF stops",
			stream: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\na\r\n0\r\n\r\n",
			want:   map[uint64][]string{}, stopped: true},
		{name: "chunk data without CRLF stops",
			stream: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n",
			want:   map[uint64][]string{}, stopped: true},
		{name: "upgrade stops, recording the request itself",
			stream: "GET / HTTP/1.1\r\nday: a\r\nUpgrade: websocket\r\n\r\nGET / HTTP/1.1\r\nday: b\r\n\r\n",
			want:   map[uint64][]string{}, stopped: true},
		{name: "connect stops",
			stream: "CONNECT a:443 HTTP/1.1\r\nday: a\r\n\r\n",
			want:   map[uint64][]string{}, stopped: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, step := range []int{0, 1, 2, 3, 7} {
				got, count, stopped := run(c.stream, step, 1<<10, c.ask...)
				if !reflect.DeepEqual(got, c.want) {
					t.Errorf("step %d: recorded %v, want %v", step, got, c.want)
				}
				if stopped != c.stopped {
					t.Errorf("step %d: stopped %v, want %v", step, stopped, c.stopped)
				}
				if !c.stopped && count != c.count {
					t.Errorf("step %d: %d requests, want %d", step, count, c.count)
				}
			}
		})
	}
}

// TestParserHeaderLimit stops at a header block larger than the server
// reads, and records one within it.
func TestParserHeaderLimit(t *testing.T) {
	t.Parallel()
	block := "GET / HTTP/1.1\r\nday: " + strings.Repeat("v", 100) + "\r\n\r\n"
	for _, c := range []struct {
		max     int
		stopped bool
	}{{len(block), false}, {len(block) - 1, true}, {10, true}} {
		for _, step := range []int{0, 5} {
			got, _, stopped := run(block, step, c.max, "Day")
			if stopped != c.stopped || (!c.stopped && len(got) != 1) {
				t.Errorf("max %d step %d: stopped %v (want %v), recorded %v", c.max, step, stopped, c.stopped, got)
			}
		}
	}
}

// TestParserAllocs: a stream whose names are all canonical costs no
// allocation once the parser runs.
func TestParserAllocs(t *testing.T) {
	stream := []byte("POST /a HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}" +
		"POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
	p := Parser{MaxHeader: 1 << 20, Record: func(uint64, *wirenames.Names) { t.Fatal("recorded canonical names") }}
	if a := testing.AllocsPerRun(100, func() { p.Feed(stream) }); a != 0 {
		t.Errorf("%v allocations per run, want 0", a)
	}
	if p.Stopped() {
		t.Error("stopped")
	}
}

// FuzzH1Names: the parser never panics, gives the same record whatever
// the reads' sizes, and never records from a body when its framing is
// valid.
func FuzzH1Names(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nday: x\r\n\r\n"), []byte("\r\n\r\nX-Fake: 1\r\n\r\n"), uint8(3), false)
	f.Add([]byte("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nx-t: 1\r\n\r\n"), []byte("day: y\n\n"), uint8(1), true)
	f.Add([]byte("\n\n"), []byte{}, uint8(0), false)
	f.Fuzz(func(t *testing.T, raw, body []byte, step uint8, chunked bool) {
		// Arbitrary bytes: no panic, one record whatever the read sizes.
		whole, wc, ws := run(string(raw), 0, 512, "Day", "X-Fake")
		split, sc, ss := run(string(raw), int(step%16)+1, 512, "Day", "X-Fake")
		if !reflect.DeepEqual(whole, split) || wc != sc || ws != ss {
			t.Fatalf("read sizes change the record: %v %d %v, then %v %d %v", whole, wc, ws, split, sc, ss)
		}
		// A valid request around an arbitrary body: only its own names.
		var framed string
		if chunked {
			framed = "POST / HTTP/1.1\r\nday: a\r\nTransfer-Encoding: chunked\r\n\r\n"
			if len(body) > 0 {
				framed += fmt.Sprintf("%x;e=1\r\n%s\r\n", len(body), body)
			}
			framed += "0\r\n\r\n"
		} else {
			framed = fmt.Sprintf("POST / HTTP/1.1\r\nday: a\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		}
		stream := framed + "GET / HTTP/1.1\r\nHost: h\r\n\r\n"
		got, count, stopped := run(stream, int(step%16)+1, 512, "Day", "X-Fake")
		want := map[uint64][]string{0: {"day", "X-Fake"}}
		if stopped || count != 2 || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: recorded %v, %d requests, stopped %v; want %v, 2 requests", stream, got, count, stopped, want)
		}
	})
}
