package lambdaapi

import (
	"errors"
	"testing"
)

func TestSplitPrelude(t *testing.T) {
	for _, tc := range []struct {
		name, in   string
		status     int
		header     string
		rest       string
		incomplete bool
		bad        bool
	}{
		{name: "full", in: `{"statusCode":201,"headers":{"Content-Type":"text/event-stream"},"cookies":["a=1"]}` + PreludeDelimiter + "data: x\n\n", status: 201, header: "text/event-stream", rest: "data: x\n\n"},
		{name: "no status", in: `{"headers":{}}` + PreludeDelimiter, status: 200},
		{name: "incomplete", in: `{"statusCode":200`, incomplete: true},
		{name: "not json", in: `hello` + PreludeDelimiter, bad: true},
		{name: "bad status", in: `{"statusCode":42}` + PreludeDelimiter, bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, rest, err := SplitPrelude([]byte(tc.in))
			switch {
			case tc.incomplete:
				if !errors.Is(err, ErrPreludeIncomplete) {
					t.Fatalf("err = %v, want incomplete", err)
				}
				return
			case tc.bad:
				if err == nil || errors.Is(err, ErrPreludeIncomplete) {
					t.Fatalf("err = %v, want a bad prelude", err)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if p.StatusCode != tc.status || p.Headers["Content-Type"] != tc.header || string(rest) != tc.rest {
				t.Fatalf("got %+v %q", p, rest)
			}
		})
	}
}

func TestSplitPreludeTooLong(t *testing.T) {
	b := make([]byte, MaxPrelude)
	if _, _, err := SplitPrelude(b); err == nil || errors.Is(err, ErrPreludeIncomplete) {
		t.Fatalf("err = %v, want too long", err)
	}
}

func FuzzSplitPrelude(f *testing.F) {
	f.Add([]byte(`{"statusCode":200}` + PreludeDelimiter + "x"))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, rest, err := SplitPrelude(b)
		if err != nil {
			return
		}
		if p.StatusCode < 100 || p.StatusCode > 999 || len(rest) > len(b) {
			t.Fatalf("bad result %+v %d", p, len(rest))
		}
	})
}
