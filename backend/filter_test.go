package backend

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"testing"

	"github.com/lambdagate/lambdagate/proxy"
)

// TestRequestFilterAppliesToEveryKind checks that a backend's input_headers
// and input_query_strings narrow what its transport sees, whatever its
// kind, and that the endpoint's shared Request is left as it was.
func TestRequestFilterAppliesToEveryKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		backend     string
		wantHeaders http.Header
		wantQuery   url.Values
		// id and sendID are the request's X-Request-Id and SendID.
		id     string
		sendID bool
	}{
		{"the gateway's request id kept", `{"url_pattern": "/x", "input_headers": ["authorization"]}`,
			http.Header{"Authorization": {"a"}, "User-Agent": {"gw"}, "X-Forwarded-For": {"1.2.3.4"}, "X-Request-Id": {"gw-1"}},
			url.Values{"a": {"1"}, "b": {"2"}}, "gw-1", true},
		{"a client's request id filtered", `{"url_pattern": "/x", "input_headers": ["authorization"]}`,
			http.Header{"Authorization": {"a"}, "User-Agent": {"gw"}, "X-Forwarded-For": {"1.2.3.4"}},
			url.Values{"a": {"1"}, "b": {"2"}}, "client-1", false},
		{"nothing narrowed", `{"url_pattern": "/x"}`,
			http.Header{"Authorization": {"a"}, "Cookie": {"c"}, "User-Agent": {"gw"}, "X-Forwarded-For": {"1.2.3.4"}},
			url.Values{"a": {"1"}, "b": {"2"}}, "", false},
		{"headers narrowed, gateway's kept", `{"url_pattern": "/x", "input_headers": ["authorization"]}`,
			http.Header{"Authorization": {"a"}, "User-Agent": {"gw"}, "X-Forwarded-For": {"1.2.3.4"}},
			url.Values{"a": {"1"}, "b": {"2"}}, "", false},
		{"no header of the client's", `{"url_pattern": "/x", "input_headers": []}`,
			http.Header{"User-Agent": {"gw"}, "X-Forwarded-For": {"1.2.3.4"}},
			url.Values{"a": {"1"}, "b": {"2"}}, "", false},
		{"query narrowed", `{"url_pattern": "/x", "input_query_strings": ["b"]}`,
			http.Header{"Authorization": {"a"}, "Cookie": {"c"}, "User-Agent": {"gw"}, "X-Forwarded-For": {"1.2.3.4"}},
			url.Values{"b": {"2"}}, "", false},
		{"star keeps all", `{"url_pattern": "/x", "input_headers": ["*"], "input_query_strings": ["*"]}`,
			http.Header{"Authorization": {"a"}, "Cookie": {"c"}, "User-Agent": {"gw"}, "X-Forwarded-For": {"1.2.3.4"}},
			url.Values{"a": {"1"}, "b": {"2"}}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, b := parseBackend(t, tt.backend)
			var seen *proxy.Request
			k := &testKind{name: "any", claims: true, build: func(Spec) (Transport, error) {
				return Transport{Call: func(_ context.Context, r *proxy.Request) (*proxy.Response, error) {
					seen = r
					return &proxy.Response{Raw: []byte(`{}`), IsComplete: true}, nil
				}}, nil
			}}
			p, err := Build(Spec{Endpoint: s.Endpoints[0], Backend: b}, []Kind{k}, nil)
			if err != nil {
				t.Fatal(err)
			}
			req := &proxy.Request{
				Headers: http.Header{"Authorization": {"a"}, "Cookie": {"c"}, "User-Agent": {"gw"}, "X-Forwarded-For": {"1.2.3.4"}},
				Query:   url.Values{"a": {"1"}, "b": {"2"}},
			}
			if tt.id != "" {
				req.Headers.Set("X-Request-Id", tt.id)
				req.SendID = tt.sendID
			}
			before := req.Headers.Clone()
			if _, err := p(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(seen.Headers, tt.wantHeaders) {
				t.Errorf("transport saw headers %v, want %v", seen.Headers, tt.wantHeaders)
			}
			if !reflect.DeepEqual(seen.Query, tt.wantQuery) {
				t.Errorf("transport saw query %v, want %v", seen.Query, tt.wantQuery)
			}
			if !reflect.DeepEqual(req.Headers, before) || len(req.Query) != 2 {
				t.Errorf("the endpoint's request changed: %v %v", req.Headers, req.Query)
			}
		})
	}
}

// TestPassThroughIsDecidedAtBuild checks which backends keep a JSON object
// reply as bytes and which decode it.
func TestPassThroughIsDecidedAtBuild(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		backend string
		raw     bool
	}{
		{"plain json", `{"url_pattern": "/x"}`, true},
		{"safejson", `{"url_pattern": "/x", "encoding": "safejson"}`, true},
		{"shaped", `{"url_pattern": "/x", "allow": ["a"]}`, false},
		{"grouped", `{"url_pattern": "/x", "group": "g"}`, false},
		{"collection", `{"url_pattern": "/x", "is_collection": true}`, false},
		{"string", `{"url_pattern": "/x", "encoding": "string"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, b := parseBackend(t, tt.backend)
			p, err := Build(Spec{Endpoint: s.Endpoints[0], Backend: b}, []Kind{factory(reply(200, `{"a":1}`, nil))}, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := p(context.Background(), &proxy.Request{})
			if err != nil {
				t.Fatal(err)
			}
			if got := resp.Raw != nil; got != tt.raw || (resp.Raw == nil) == (resp.Data == nil) {
				t.Errorf("raw = %v (%q), data %v; want raw %v and exactly one of them", got, resp.Raw, resp.Data, tt.raw)
			}
		})
	}
}
