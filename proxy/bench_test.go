package proxy

import (
	"context"
	"testing"
)

// BenchmarkSequentialMerge measures a two-backend sequential endpoint whose
// second backend reads a field of the first one's response.
func BenchmarkSequentialMerge(b *testing.B) {
	first := func(context.Context, *Request) (*Response, error) {
		return &Response{Data: map[string]any{"user": map[string]any{"id": "42"}}, IsComplete: true}, nil
	}
	second := func(_ context.Context, r *Request) (*Response, error) {
		return &Response{Data: map[string]any{"seen": len(r.Params)}, IsComplete: true}, nil
	}
	needs := [][]SequentialParam{{{Name: "resp0_user.id", Backend: 0, Path: "user.id", Slot: 1}}, nil}
	merge := NewSequentialMerge([]Proxy{first, second}, needs)
	req := &Request{Params: Params{"7"}} // /users/{id}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := merge(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
