package http

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/lambdagate/lambdagate/backend"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
)

// BenchmarkTemplateFill measures building a backend URL from a url_pattern
// with path params, one of them title-cased, in the path and the query.
func BenchmarkTemplateFill(b *testing.B) {
	e := &config.Endpoint{Path: "/users/{id}/{name}", Params: []string{"id", "name"}}
	tmpl, err := parseTemplate("/v1/users/{id}/items/{Name}?owner={id}", e, false, 0)
	if err != nil {
		b.Fatal(err)
	}
	params := proxy.Params{"42", "ann"} // /users/42/ann
	b.ReportAllocs()
	for b.Loop() {
		if u, _ := tmpl.fill("http://users.internal", params, nil, nil); len(u) == 0 {
			b.Fatal("empty URL")
		}
	}
}

// BenchmarkHTTPCache measures one call of an HTTP backend's whole pipeline
// (a JSON object passed through): to an httptest server on 127.0.0.1, a
// hit of qos/http-cache (the call it saves), and the call with
// modifier/martian modifiers.
func BenchmarkHTTPCache(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Write([]byte(`{"id":42,"name":"ann","tags":["a","b","c"]}`))
	}))
	defer srv.Close()
	for _, bc := range []struct{ name, extra string }{
		{"backend_call", `{}`},
		{"cache_hit", `{"qos/http-cache": {}}`},
		// modifier/martian's cost: a header added to the request (KrakenD's
		// basic-auth example), and a group changing request and response.
		{"martian_header", `{"modifier/martian": {"header.Modifier": {"scope": ["request"], "name": "Authorization", "value": "Basic a3Jha2VuZDpwYXNzd29yZA=="}}}`},
		{"martian_group", `{"modifier/martian": {"fifo.Group": {"scope": ["request", "response"], "modifiers": [
			{"header.Modifier": {"scope": ["request"], "name": "Authorization", "value": "Basic a3Jha2VuZDpwYXNzd29yZA=="}},
			{"querystring.Modifier": {"scope": ["request"], "name": "api_key", "value": "k1"}},
			{"header.Blacklist": {"scope": ["response"], "names": ["Server"]}}]}}}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			svc, _, err := config.Parse([]byte(`{"version": 3, "endpoints": [{"endpoint": "/e", "backend": [{"host": ["` + srv.URL + `"], "url_pattern": "/r", "extra_config": ` + bc.extra + `}]}]}`))
			if err != nil {
				b.Fatal(err)
			}
			k, _ := NewKind(backend.Deps{})
			defer k.Close()
			e := svc.Endpoints[0]
			p, err := backend.Build(backend.Spec{Endpoint: e, Backend: e.Backend[0]}, []backend.Kind{k}, nil)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				resp, err := p(ctx, &proxy.Request{Headers: http.Header{}})
				if err != nil || len(resp.Raw) == 0 {
					b.Fatal(err)
				}
			}
		})
	}
}
