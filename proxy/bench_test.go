package proxy

import (
	"context"
	"strings"
	"testing"
	"time"
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

// benchData is a merged response of a collection of ten objects.
func benchData(b *testing.B) map[string]any {
	b.Helper()
	var sb strings.Builder
	sb.WriteString(`{"collection": [`)
	for i := range 10 {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString(`{"id": 1, "shipping_id": "s", "user": {"name": "n", "password": "p"}}`)
	}
	sb.WriteString(`]}`)
	d, err := DecodeSafeJSON([]byte(sb.String()))
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// BenchmarkFlatmap is the cost per response of two flatmap operations on
// a collection of ten objects (docs/BENCHMARKS.md).
func BenchmarkFlatmap(b *testing.B) {
	f, err := CompileFlatmap([]FlatmapOp{
		{"del", []string{"collection.*.user.password"}},
		{"move", []string{"collection.*.shipping_id", "collection.*.shipping_code"}},
	})
	if err != nil {
		b.Fatal(err)
	}
	data := benchData(b)
	b.ReportAllocs()
	for b.Loop() {
		f.Apply(data)
	}
}

// BenchmarkStatic is the cost per response of proxy.static's always
// strategy with two keys.
func BenchmarkStatic(b *testing.B) {
	stage, err := NewStaticStage(map[string]any{"source": "static", "v": true}, StaticAlways)
	if err != nil {
		b.Fatal(err)
	}
	p := stage(func(context.Context, *Request) (*Response, error) {
		return &Response{Data: map[string]any{"a": 1}, IsComplete: true}, nil
	})
	ctx, req := context.Background(), &Request{}
	b.ReportAllocs()
	for b.Loop() {
		p(ctx, req)
	}
}

// BenchmarkDecodeXML is the cost of decoding a small XML reply (a root,
// two elements with an attribute each), against JSON of the same data.
func BenchmarkDecodeXML(b *testing.B) {
	xml := []byte(`<catalog><book id="b1"><title>Go</title></book><book id="b2"><title>XML</title></book></catalog>`)
	js := []byte(`{"catalog":{"book":[{"-id":"b1","title":"Go"},{"-id":"b2","title":"XML"}]}}`)
	b.Run("xml", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			decodeXML(xml)
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			decodeJSONObject(js)
		}
	})
}

// BenchmarkShadow is the cost per request of an endpoint's shadow stage
// (a backend's proxy.shadow): the request copied, a goroutine started and
// its context, against the same endpoint without a shadow. The shadow
// answers at once; the loop waits for it so that goroutines do not pile
// up.
func BenchmarkShadow(b *testing.B) {
	regular := func(context.Context, *Request) (*Response, error) {
		return &Response{Data: map[string]any{"ok": true}, IsComplete: true}, nil
	}
	req := &Request{Method: "GET", Params: Params{"7"}, Headers: map[string][]string{"Accept": {"*/*"}}}
	b.Run("none", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := regular(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("shadow", func(b *testing.B) {
		done := make(chan struct{}, 1)
		shadow := func(context.Context, *Request) (*Response, error) {
			done <- struct{}{}
			return &Response{Data: map[string]any{"shadow": true}, IsComplete: true}, nil
		}
		p := NewShadowStage(shadow, time.Second)(regular)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p(context.Background(), req); err != nil {
				b.Fatal(err)
			}
			<-done
		}
	})
}
