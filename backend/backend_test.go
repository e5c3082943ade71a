package backend

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
)

// parseBackend parses a one-backend file and returns the backend.
func parseBackend(t *testing.T, backend string) (*config.Service, *config.Backend) {
	t.Helper()
	s, _, err := config.Parse([]byte(`{"version": 3, "host": ["h"], "endpoints": [{"endpoint": "/a", "backend": [` + backend + `]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return s, s.Endpoints[0].Backend[0]
}

// factory claims every backend and answers with the given transport.
func factory(p proxy.Proxy) Factory {
	return func(Spec) (proxy.Proxy, bool, error) { return p, true, nil }
}

func reply(status int, body string, err error) proxy.Proxy {
	return func(context.Context, *proxy.Request) (*proxy.Response, error) {
		if err != nil {
			return nil, err
		}
		return &proxy.Response{IsComplete: true, Body: io.NopCloser(strings.NewReader(body)), Metadata: proxy.Metadata{StatusCode: status}}, nil
	}
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBuildDecodesAndShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		backend string
		body    string
		want    string
	}{
		{"json", `{"url_pattern": "/x"}`, `{"a": 1.0}`, `{"a":1.0}`},
		{"shaping", `{"url_pattern": "/x", "target": "d", "allow": ["a", "b"], "mapping": {"a": "A"}, "group": "g"}`,
			`{"d": {"a": 1, "b": 2, "c": 3}}`, `{"g":{"A":1,"b":2}}`},
		{"collection", `{"url_pattern": "/x", "is_collection": true}`, `[1, 2]`, `{"collection":[1,2]}`},
		{"safejson", `{"url_pattern": "/x", "encoding": "safejson"}`, `"s"`, `{"content":"s"}`},
		{"string", `{"url_pattern": "/x", "encoding": "string", "group": "g"}`, `<xml/>`, `{"g":{"content":"\u003cxml/\u003e"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, b := parseBackend(t, tt.backend)
			p, err := Build(Spec{Service: s, Endpoint: s.Endpoints[0], Backend: b}, []Factory{factory(reply(200, tt.body, nil))})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := p(context.Background(), &proxy.Request{})
			if err != nil {
				t.Fatal(err)
			}
			if got := marshal(t, resp.Data); got != tt.want {
				t.Errorf("data = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestBuildNoOpKeepsBody(t *testing.T) {
	t.Parallel()
	s, b := parseBackend(t, `{"url_pattern": "/x", "encoding": "no-op", "group": "ignored?"}`)
	p, err := Build(Spec{Service: s, Endpoint: s.Endpoints[0], Backend: b}, []Factory{factory(reply(200, "raw", nil))})
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := p(context.Background(), &proxy.Request{})
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "raw" || resp.Data != nil {
		t.Errorf("no-op: body %q data %v", body, resp.Data)
	}
}

func TestErrorOptions(t *testing.T) {
	t.Parallel()
	backendErr := &proxy.BackendError{Backend: "h/x", StatusCode: 404, Body: []byte(`{"msg":"nf"}`), ContentType: "application/json"}
	other := errors.New("connection refused")
	tests := []struct {
		name      string
		ns        string
		err       error
		wantData  string // "" for a nil response
		wantRelay bool
	}{
		{"none", ``, backendErr, "", false},
		{"return_error_code", `{"return_error_code": true}`, backendErr, "", true},
		{"return_error_details", `{"return_error_details": "users"}`, backendErr,
			`{"error_users":{"http_body":"{\"msg\":\"nf\"}","http_body_encoding":"application/json","http_status_code":404}}`, false},
		{"both", `{"return_error_details": "u", "return_error_code": true}`, backendErr,
			`{"error_u":{"http_body":"{\"msg\":\"nf\"}","http_body_encoding":"application/json","http_status_code":404}}`, true},
		{"details ignore other errors", `{"return_error_details": "u"}`, other, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			be := *backendErr
			err := tt.err
			if err == backendErr {
				err = &be
			}
			src := `{"url_pattern": "/x"}`
			if tt.ns != "" {
				src = `{"url_pattern": "/x", "extra_config": {"backend/http": ` + tt.ns + `}}`
			}
			s, b := parseBackend(t, src)
			p, berr := Build(Spec{Service: s, Endpoint: s.Endpoints[0], Backend: b}, []Factory{factory(reply(0, "", err))})
			if berr != nil {
				t.Fatal(berr)
			}
			if got := b.ExtraConfig.Unused(); len(got) != 0 {
				t.Errorf("namespace left unused: %q", got)
			}
			resp, gotErr := p(context.Background(), &proxy.Request{})
			if bf, ok := gotErr.(*proxy.BackendFailure); err == nil && gotErr != nil || err != nil && (!ok || bf.Err != err || bf.Backend != b.JSONPath) {
				t.Errorf("err = %#v, want the transport's, named %s", gotErr, b.JSONPath)
			}
			if tt.wantData == "" {
				if resp != nil {
					t.Errorf("resp = %+v, want nil", resp)
				}
			} else {
				if resp == nil {
					t.Fatal("resp = nil")
				}
				if got := marshal(t, resp.Data); got != tt.wantData {
					t.Errorf("data = %s, want %s", got, tt.wantData)
				}
				if resp.IsComplete {
					t.Error("a failed backend's response is complete")
				}
			}
			if err == &be && be.Relay != tt.wantRelay {
				t.Errorf("Relay = %v, want %v", be.Relay, tt.wantRelay)
			}
			if tt.wantRelay && proxy.StatusFor(gotErr) != 404 {
				t.Errorf("StatusFor = %d, want 404", proxy.StatusFor(gotErr))
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	t.Parallel()
	failing := func(Spec) (proxy.Proxy, bool, error) {
		return nil, true, config.Errors{{Path: "endpoints[0].backend[0].host", Msg: "bad host"}}
	}
	declining := func(Spec) (proxy.Proxy, bool, error) { return nil, false, nil }
	tests := []struct {
		name      string
		backend   string
		factories []Factory
		want      string
	}{
		{"nobody claims it", `{"url_pattern": "/x"}`, []Factory{declining},
			"endpoints[0].backend[0]: no backend kind can serve this backend"},
		{"factory error", `{"url_pattern": "/x"}`, []Factory{declining, failing},
			"endpoints[0].backend[0].host: bad host"},
		{"unknown option", `{"url_pattern": "/x", "extra_config": {"backend/http": {"return_error_cod": true}}}`, []Factory{factory(reply(200, "{}", nil))},
			`endpoints[0].backend[0].extra_config["backend/http"].return_error_cod: unknown key (check its spelling against the documentation)`},
		{"wrong type", `{"url_pattern": "/x", "extra_config": {"backend/http": {"return_error_code": "yes"}}}`, []Factory{factory(reply(200, "{}", nil))},
			`endpoints[0].backend[0].extra_config["backend/http"].return_error_code: must be true or false, got a JSON string`},
		{"every error at once", `{"url_pattern": "/x", "extra_config": {"backend/http": {"x": 1}}}`, []Factory{failing},
			"endpoints[0].backend[0].extra_config[\"backend/http\"].x: unknown key (check its spelling against the documentation)\nendpoints[0].backend[0].host: bad host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, b := parseBackend(t, tt.backend)
			p, err := Build(Spec{Service: s, Endpoint: s.Endpoints[0], Backend: b}, tt.factories)
			if p != nil || err == nil || err.Error() != tt.want {
				t.Errorf("Build = %v, %v; want error\n%s", p != nil, err, tt.want)
			}
		})
	}
}

func TestFactoryOrder(t *testing.T) {
	t.Parallel()
	var called []string
	named := func(name string, claim bool) Factory {
		return func(Spec) (proxy.Proxy, bool, error) {
			called = append(called, name)
			if !claim {
				return nil, false, nil
			}
			return reply(200, `{"by":"`+name+`"}`, nil), true, nil
		}
	}
	s, b := parseBackend(t, `{"url_pattern": "/x"}`)
	p, err := Build(Spec{Service: s, Endpoint: s.Endpoints[0], Backend: b, HTTPClient: http.DefaultClient},
		[]Factory{named("lambda", false), named("http", true), named("never", true)})
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := p(context.Background(), &proxy.Request{})
	if !reflect.DeepEqual(called, []string{"lambda", "http"}) || marshal(t, resp.Data) != `{"by":"http"}` {
		t.Errorf("called %q, data %v", called, resp.Data)
	}
}
