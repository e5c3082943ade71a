package proxy

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func decodeData(t testing.TB, s string) map[string]any {
	t.Helper()
	d, err := DecodeSafeJSON([]byte(s))
	if err != nil {
		t.Fatalf("test data %s: %v", s, err)
	}
	return d
}

func TestShape(t *testing.T) {
	t.Parallel()
	const user = `{"id": 7, "name": "ann", "password": "x", "address": {"city": "Oslo", "zip": "0150", "geo": {"lat": 59.91, "lng": 10.75}},
		"tags": [{"k": "a", "v": 1}, {"k": "b", "v": 2}], "data": {"user": {"id": 8, "role": "admin"}, "items": [1, 2]}}`
	tests := []struct {
		name  string
		shape Shape
		in    string
		want  string
	}{
		{"target", Shape{Target: "data.user"}, user, `{"id":8,"role":"admin"}`},
		{"target array becomes collection", Shape{Target: "data.items"}, user, `{"collection":[1,2]}`},
		{"target missing gives empty", Shape{Target: "data.nobody"}, user, `{}`},
		{"target scalar gives empty", Shape{Target: "id"}, user, `{}`},
		{"allow top level", Shape{Allow: []string{"id", "name", "missing"}}, user, `{"id":7,"name":"ann"}`},
		{"allow nested", Shape{Allow: []string{"address.city", "address.geo.lat"}}, user, `{"address":{"city":"Oslo","geo":{"lat":59.91}}}`},
		{"allow nested and whole parent", Shape{Allow: []string{"address.city", "address"}}, user,
			`{"address":{"city":"Oslo","geo":{"lat":59.91,"lng":10.75},"zip":"0150"}}`},
		{"allow through arrays", Shape{Allow: []string{"tags.k"}}, user, `{"tags":[{"k":"a"},{"k":"b"}]}`},
		{"allow into scalar drops it", Shape{Allow: []string{"id.x"}}, user, `{}`},
		{"deny top level", Shape{Deny: []string{"password", "address", "tags", "data"}}, user, `{"id":7,"name":"ann"}`},
		{"deny nested", Shape{Deny: []string{"address.geo", "address.zip", "tags", "data", "password"}}, user,
			`{"address":{"city":"Oslo"},"id":7,"name":"ann"}`},
		{"deny through arrays", Shape{Deny: []string{"tags.v", "address", "data", "password"}}, user,
			`{"id":7,"name":"ann","tags":[{"k":"a"},{"k":"b"}]}`},
		{"deny ignored when allow set", Shape{Allow: []string{"password"}, Deny: []string{"password"}}, user, `{"password":"x"}`},
		{"mapping", Shape{Allow: []string{"id", "name"}, Mapping: map[string]string{"id": "user_id", "nope": "x"}}, user,
			`{"name":"ann","user_id":7}`},
		{"mapping is top level only", Shape{Allow: []string{"address.city"}, Mapping: map[string]string{"city": "town"}}, user,
			`{"address":{"city":"Oslo"}}`},
		{"mapping wins over an existing key", Shape{Mapping: map[string]string{"a": "b"}}, `{"a": 1, "b": 2}`, `{"b":1}`},
		{"mapping swaps", Shape{Mapping: map[string]string{"a": "b", "b": "a"}}, `{"a": 1, "b": 2, "c": 3}`, `{"a":2,"b":1,"c":3}`},
		{"group", Shape{Group: "g"}, `{"a": 1}`, `{"g":{"a":1}}`},
		{"order target allow mapping group",
			Shape{Target: "data.user", Allow: []string{"id"}, Mapping: map[string]string{"id": "uid"}, Group: "who"}, user,
			`{"who":{"uid":8}}`},
		{"allow sees target's keys, not the body's", Shape{Target: "data.user", Allow: []string{"name"}}, user, `{}`},
		{"mapping after allow: allow uses old name", Shape{Allow: []string{"uid"}, Mapping: map[string]string{"id": "uid"}}, user, `{}`},
		{"group after deny", Shape{Deny: []string{"b"}, Group: "g"}, `{"a": 1, "b": 2}`, `{"g":{"a":1}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			shape := NewShaper(tt.shape)
			if shape == nil {
				t.Fatal("NewShaper returned nil")
			}
			for range 20 { // map order must not matter
				got := marshal(t, shape(decodeData(t, tt.in)))
				if got != tt.want {
					t.Fatalf("shaped = %s, want %s", got, tt.want)
				}
			}
		})
	}
}

func TestShapeZero(t *testing.T) {
	t.Parallel()
	if NewShaper(Shape{}) != nil {
		t.Error("NewShaper(zero) is not nil")
	}
	if !(Shape{Mapping: map[string]string{}}).IsZero() || (Shape{Group: "g"}).IsZero() {
		t.Error("IsZero is wrong")
	}
	p := func(context.Context, *Request) (*Response, error) {
		return &Response{Data: map[string]any{"a": 1}}, nil
	}
	staged := NewShapeStage(Shape{})(p)
	r, _ := staged(context.Background(), &Request{})
	if len(r.Data) != 1 {
		t.Errorf("zero shape stage changed data: %v", r.Data)
	}
}

func TestShapeStage(t *testing.T) {
	t.Parallel()
	p := NewShapeStage(Shape{Group: "g"})(func(context.Context, *Request) (*Response, error) {
		return &Response{Data: map[string]any{"a": json.Number("1")}, IsComplete: true}, nil
	})
	r, err := p(context.Background(), &Request{})
	if err != nil || marshal(t, r.Data) != `{"g":{"a":1}}` || !r.IsComplete {
		t.Errorf("shape stage: %+v, %v", r, err)
	}
	// A response without data (an error) is passed as it is.
	p = NewShapeStage(Shape{Group: "g"})(func(context.Context, *Request) (*Response, error) { return nil, context.Canceled })
	if r, err := p(context.Background(), &Request{}); r != nil || err != context.Canceled {
		t.Errorf("shape stage on error: %v, %v", r, err)
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	d := decodeData(t, `{"a": {"b": {"c": 1}}, "l": [1]}`)
	tests := []struct {
		path string
		want string
		ok   bool
	}{
		{"a.b.c", "1", true},
		{"a.b", `{"c":1}`, true},
		{"a.x", "", false},
		{"l.0", "", false},
		{"a.b.c.d", "", false},
	}
	for _, tt := range tests {
		v, ok := Lookup(d, tt.path)
		if ok != tt.ok || (ok && marshal(t, v) != tt.want) {
			t.Errorf("Lookup(%q) = %v, %v; want %s, %v", tt.path, v, ok, tt.want, tt.ok)
		}
	}
}

// FuzzShape shapes random JSON with random settings: it must never panic,
// and with allow set the result holds only allowed top-level keys.
func FuzzShape(f *testing.F) {
	f.Add(`{"a": {"b": 1, "c": [ {"d": 2} ]}, "e": 3}`, "a.b,a.c.d", "", "a:x", "", "")
	f.Add(`{"a": [1, 2], "b": null}`, "", "a,b.c", "", "", "g")
	f.Add(`{"x": {"y": {"z": {}}}}`, "z", "", "", "x.y", "")
	f.Add(`[1, {"a": 1}]`, "collection", "", "collection:c", "", "")
	f.Add(`"s"`, "", "", "", "content", "")
	f.Add(`{"a..b": 1, "": 2}`, ".,a..b,", ".", ":,a:", ".", "")
	f.Fuzz(func(t *testing.T, body, allow, deny, mapping, target, group string) {
		data, err := DecodeSafeJSON([]byte(body))
		if err != nil {
			return
		}
		s := Shape{Target: target, Group: group, Allow: splitList(allow), Deny: splitList(deny)}
		if mapping != "" {
			s.Mapping = map[string]string{}
			for _, kv := range strings.Split(mapping, ",") {
				k, v, _ := strings.Cut(kv, ":")
				s.Mapping[k] = v
			}
		}
		shape := NewShaper(s)
		if shape == nil {
			if !s.IsZero() {
				t.Fatalf("nil shaper for %+v", s)
			}
			return
		}
		out := shape(data)
		if out == nil {
			t.Fatalf("shaper returned nil for %+v", s)
		}
		if group != "" {
			if len(out) != 1 {
				t.Fatalf("grouped data has %d keys", len(out))
			}
			inner, ok := out[group].(map[string]any)
			if !ok {
				t.Fatalf("group %q holds %T", group, out[group])
			}
			out = inner
		}
		if len(s.Allow) == 0 {
			return
		}
		allowed := map[string]bool{}
		for _, a := range s.Allow {
			top, _, _ := strings.Cut(a, ".")
			if to, ok := s.Mapping[top]; ok {
				top = to
			}
			allowed[top] = true
		}
		for k := range out {
			if !allowed[k] {
				t.Fatalf("key %q kept; allow %q, mapping %v", k, s.Allow, s.Mapping)
			}
		}
	})
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
