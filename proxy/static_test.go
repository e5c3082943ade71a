package proxy

import (
	"context"
	"errors"
	"testing"
)

// TestStaticStage checks each strategy against the four outcomes of a
// merge: complete, incomplete without an error, partial (data and an
// error) and failed (no data, an error).
func TestStaticStage(t *testing.T) {
	t.Parallel()
	failure := errors.New("backend failed")
	outcomes := map[string]func() (*Response, error){
		"complete": func() (*Response, error) {
			return &Response{Data: map[string]any{"a": 1, "s": "backend"}, IsComplete: true}, nil
		},
		"incomplete": func() (*Response, error) { return &Response{Data: map[string]any{"a": 1}}, nil },
		"partial":    func() (*Response, error) { return &Response{Data: map[string]any{"a": 1}}, failure },
		"failed":     func() (*Response, error) { return nil, failure },
	}
	static := map[string]any{"s": "static", "n": map[string]any{"x": true}}
	tests := []struct {
		strategy string
		outcome  string
		want     string // the data marshalled; "nil" for no response
	}{
		{"always", "complete", `{"a":1,"n":{"x":true},"s":"static"}`},
		{"always", "failed", `{"n":{"x":true},"s":"static"}`},
		{"", "complete", `{"a":1,"n":{"x":true},"s":"static"}`},
		{"success", "complete", `{"a":1,"n":{"x":true},"s":"static"}`},
		{"success", "incomplete", `{"a":1,"n":{"x":true},"s":"static"}`},
		{"success", "partial", `{"a":1}`},
		{"success", "failed", `nil`},
		{"complete", "complete", `{"a":1,"n":{"x":true},"s":"static"}`},
		{"complete", "incomplete", `{"a":1}`},
		{"complete", "partial", `{"a":1}`},
		{"errored", "complete", `{"a":1,"s":"backend"}`},
		{"errored", "partial", `{"a":1,"n":{"x":true},"s":"static"}`},
		{"errored", "failed", `{"n":{"x":true},"s":"static"}`},
		{"incomplete", "complete", `{"a":1,"s":"backend"}`},
		{"incomplete", "incomplete", `{"a":1,"n":{"x":true},"s":"static"}`},
		{"incomplete", "partial", `{"a":1,"n":{"x":true},"s":"static"}`},
		{"incomplete", "failed", `{"n":{"x":true},"s":"static"}`},
	}
	for _, tt := range tests {
		t.Run(tt.strategy+"/"+tt.outcome, func(t *testing.T) {
			t.Parallel()
			stage, err := NewStaticStage(static, tt.strategy)
			if err != nil {
				t.Fatal(err)
			}
			_, wantErr := outcomes[tt.outcome]()
			resp, err := stage(func(context.Context, *Request) (*Response, error) { return outcomes[tt.outcome]() })(context.Background(), &Request{})
			if !errors.Is(err, wantErr) || (wantErr == nil && err != nil) {
				t.Errorf("error = %v, want %v", err, wantErr)
			}
			got := "nil"
			if resp != nil {
				got = marshal(t, resp.Data)
			}
			if got != tt.want {
				t.Errorf("data = %s, want %s", got, tt.want)
			}
		})
	}
	if _, err := NewStaticStage(static, "sometimes"); err == nil {
		t.Error("strategy sometimes accepted")
	}
}
