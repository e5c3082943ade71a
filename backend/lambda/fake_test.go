package lambda

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/internal/fakelambda"
	"github.com/lambdagate/lambdagate/internal/invoketest"
	"github.com/lambdagate/lambdagate/proxy"
)

func TestMain(m *testing.M) { invoketest.Main(m) }

// call is one request the fake Invoke server received.
type call = fakelambda.Call

// gatewayConfig is a one-endpoint configuration whose backend has the
// given backend/lambda namespace (JSON) and extra backend keys.
type gatewayConfig struct {
	endpoint       string // default /fn
	method         string // default GET
	outputEncoding string
	backendExtra   string // extra backend keys, JSON members with a trailing comma
	namespace      string // default backend/lambda
	lambda         string // the namespace's JSON object
	moreExtra      string // more extra_config members, with a leading comma
}

func (g gatewayConfig) json() string {
	if g.endpoint == "" {
		g.endpoint = "/fn"
	}
	if g.method == "" {
		g.method = "GET"
	}
	if g.namespace == "" {
		g.namespace = Namespace
	}
	oe := ""
	if g.outputEncoding != "" {
		oe = `"output_encoding": "` + g.outputEncoding + `",`
	}
	return `{"version": 3, "endpoints": [{"endpoint": "` + g.endpoint + `", "method": "` + g.method + `", ` + oe + `
		"backend": [{"host": ["http://unused.invalid"], "url_pattern": "/", ` + g.backendExtra + `
			"extra_config": {"` + g.namespace + `": ` + g.lambda + g.moreExtra + `}}]}]}`
}

func mustBuild(t testing.TB, g gatewayConfig) proxy.Proxy {
	t.Helper()
	p, err := build(t, g, nil)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return p
}

// getReq is a GET request as the endpoint handler makes it, its params in
// the order of their names (the tests name an endpoint's params in path
// order).
func getReq(params map[string]string) *proxy.Request {
	var p proxy.Params
	for _, k := range slices.Sorted(maps.Keys(params)) {
		p = append(p, params[k])
	}
	return &proxy.Request{Method: "GET", Path: "/fn", Params: p, Query: map[string][]string{}, Headers: http.Header{}, RemoteAddr: "127.0.0.1:5555", Host: "gw.example"}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}
