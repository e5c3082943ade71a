package wirenames

import (
	"context"
	"net/http"
	"testing"
)

func TestRecord(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		block string
		want  map[string]string // canonical → spelling asked
		n     int               // names recorded
	}{
		{name: "canonical names cost nothing", block: "Host: a\r\nUser-Agent: x\r\nX-Api-Key: k\r\n", want: map[string]string{"User-Agent": "User-Agent"}, n: 0},
		{name: "lower case", block: "host: a\r\nday: Thu\r\nuser-agent: x\r\n", want: map[string]string{"Day": "day", "User-Agent": "user-agent", "Host": "host"}, n: 3},
		{name: "mixed case", block: "X-API-key: k\nCONTENT-TYPE: text/plain\n", want: map[string]string{"X-Api-Key": "X-API-key", "Content-Type": "CONTENT-TYPE"}, n: 2},
		{name: "first spelling wins", block: "day: a\r\nDAY: b\r\n", want: map[string]string{"Day": "day"}, n: 1},
		{name: "space before colon, continuation, junk", block: "day : a\r\n  folded\r\nnocolon\r\n: empty\r\n\r\n", want: map[string]string{"Day": "day"}, n: 1},
		{name: "not a token: left as is", block: "we ird: x\r\n", want: map[string]string{"We ird": "We ird"}, n: 0},
		{name: "not recorded: canonical", block: "", want: map[string]string{"Day": "Day"}, n: 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var n Names
			n.Record([]byte(c.block))
			if n.Len() != c.n {
				t.Errorf("%d names recorded, want %d (%v)", n.Len(), c.n, n.pairs)
			}
			for k, want := range c.want {
				if got := n.Spelling(k); got != want {
					t.Errorf("Spelling(%q) = %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestCopyAndContext(t *testing.T) {
	t.Parallel()
	var n Names
	if n.Copy() != nil {
		t.Error("an empty Names copies to non-nil")
	}
	n.Record([]byte("day: x\r\n"))
	c := n.Copy()
	n.Reset()
	if c.Spelling("Day") != "day" || n.Spelling("Day") != "Day" {
		t.Errorf("the copy shares storage with the original: %q %q", c.Spelling("Day"), n.Spelling("Day"))
	}
	if FromContext(context.Background()) != nil || FromContext(NewContext(context.Background(), &n)) != &n {
		t.Error("context round trip")
	}
	var nilNames *Names
	if nilNames.Spelling("Day") != "Day" || (Lower{}).Spelling("X-Api-Key") != "x-api-key" {
		t.Error("nil or Lower spelling")
	}
}

func FuzzRecord(f *testing.F) {
	f.Add([]byte("day: x\r\nX-API-key: y\r\n"))
	f.Add([]byte("a:\n:b\n \tc: d\r\n\r\n\xff: z"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var n Names
		n.Record(b)
		for i := 0; i < len(n.pairs); i += 2 {
			canonical, raw := n.pairs[i], n.pairs[i+1]
			if canonical == raw || http.CanonicalHeaderKey(raw) != canonical {
				t.Fatalf("recorded %q as %q", canonical, raw)
			}
			if n.Spelling(canonical) != raw {
				t.Fatalf("Spelling(%q) = %q, want %q", canonical, n.Spelling(canonical), raw)
			}
		}
	})
}
