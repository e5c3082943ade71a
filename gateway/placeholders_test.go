package gateway

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/lambdagate/lambdagate/internal/fakelambda"
)

// TestPlaceholdersReachBackends: on a sequential endpoint, every kind of
// backend gets the path params and the earlier responses' fields, in
// either spelling: HTTP url_patterns, the krakend GET payload (keys
// lower-cased) and the API Gateway event's pathParameters (path params
// only, exact names).
func TestPlaceholdersReachBackends(t *testing.T) {
	fakeAWSCredentials(t)
	fake := httptest.NewServer(fakelambda.New(10))
	t.Cleanup(fake.Close)
	host := backendServer(t, map[string]http.HandlerFunc{
		"/user/{id}": jsonReply(`{"name": "ann", "n": 1.50}`),
		"/by-name/{name}": func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"uri": "` + r.RequestURI + `"}`))
		},
	})
	lambda := func(format string) string {
		return `{"backend/lambda": {"function_name": "echo", "region": "us-east-1", "endpoint": "` + fake.URL + `", "payload_format": "` + format + `", "response_format": "krakend"}}`
	}
	cfg := parse(t, `{"version": 3, "host": ["`+host+`"], "endpoints": [
		{"endpoint": "/seq/{id}/{fooBar}", "extra_config": {"proxy": {"sequential": true}}, "backend": [
			{"url_pattern": "/user/{Id}", "group": "user"},
			{"url_pattern": "/{resp0_user.name}", "group": "krakend", "extra_config": `+lambda("krakend")+`},
			{"url_pattern": "/", "group": "v1", "allow": ["pathParameters"], "extra_config": `+lambda("apigateway_v1")+`},
			{"url_pattern": "/by-name/{Resp0_user.name}?n={resp0_user.n}&id={id}&fb={FooBar}", "group": "last"}]}
	]}`)
	g, _, err := New(cfg, Options{Logger: quiet})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	w := get(t, g.Handler(), "/seq/5/x")
	want := `{"krakend":{"foobar":"x","id":"5","resp0_user.n":"1.50","resp0_user.name":"ann"},` +
		`"last":{"uri":"/by-name/ann?n=1.50\u0026id=5\u0026fb=x"},` +
		`"user":{"n":1.50,"name":"ann"},` +
		`"v1":{"pathParameters":{"fooBar":"x","id":"5"}}}`
	if w.Code != 200 || w.Body.String() != want {
		t.Errorf("status %d, body\n%s\nwant\n%s", w.Code, w.Body, want)
	}
}
