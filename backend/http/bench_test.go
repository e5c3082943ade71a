package http

import (
	"testing"

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
		if u := tmpl.fill("http://users.internal", params, nil); len(u) == 0 {
			b.Fatal("empty URL")
		}
	}
}
