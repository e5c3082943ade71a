package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
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

// testKind is a kind for tests: it claims backends when claims is set and
// builds them with build.
type testKind struct {
	name   string
	claims bool
	build  func(Spec) (Transport, error)
}

func (k *testKind) Name() string                { return k.name }
func (k *testKind) Claims(*config.Backend) bool { return k.claims }
func (k *testKind) Build(s Spec) (Transport, error) {
	return k.build(s)
}
func (k *testKind) Close() {}

// factory is a kind that claims every backend and answers with the given
// transport.
func factory(p proxy.Proxy) Kind {
	return &testKind{claims: true, build: func(Spec) (Transport, error) { return Transport{Call: p}, nil }}
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
			p, err := Build(Spec{Endpoint: s.Endpoints[0], Backend: b}, []Kind{factory(reply(200, tt.body, nil))}, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := p(context.Background(), &proxy.Request{})
			if err != nil {
				t.Fatal(err)
			}
			if got := output(t, resp); got != tt.want {
				t.Errorf("data = %s, want %s", got, tt.want)
			}
		})
	}
}

// output is what a json endpoint writes of resp: its bytes passed through,
// or its data.
func output(t *testing.T, resp *proxy.Response) string {
	t.Helper()
	if resp.Raw != nil {
		dec := json.NewDecoder(bytes.NewReader(resp.Raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("raw bytes %q are not JSON: %v", resp.Raw, err)
		}
		return marshal(t, v)
	}
	return marshal(t, resp.Data)
}

func TestBuildNoOpKeepsBody(t *testing.T) {
	t.Parallel()
	s, b := parseBackend(t, `{"url_pattern": "/x", "encoding": "no-op", "group": "ignored?"}`)
	p, err := Build(Spec{Endpoint: s.Endpoints[0], Backend: b}, []Kind{factory(reply(200, "raw", nil))}, nil)
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
			p, berr := Build(Spec{Endpoint: s.Endpoints[0], Backend: b}, []Kind{factory(reply(0, "", err))}, nil)
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
	failing := &testKind{claims: true, build: func(Spec) (Transport, error) {
		return Transport{}, config.Errors{{Path: "endpoints[0].backend[0].host", Msg: "bad host"}}
	}}
	declining := &testKind{}
	tests := []struct {
		name    string
		backend string
		kinds   []Kind
		want    string
	}{
		{"nobody claims it", `{"url_pattern": "/x"}`, []Kind{declining},
			"endpoints[0].backend[0]: no backend kind can serve this backend"},
		{"factory error", `{"url_pattern": "/x"}`, []Kind{declining, failing},
			"endpoints[0].backend[0].host: bad host"},
		{"unknown option", `{"url_pattern": "/x", "extra_config": {"backend/http": {"return_error_cod": true}}}`, []Kind{factory(reply(200, "{}", nil))},
			`endpoints[0].backend[0].extra_config["backend/http"].return_error_cod: unknown key (check its spelling against the documentation)`},
		{"wrong type", `{"url_pattern": "/x", "extra_config": {"backend/http": {"return_error_code": "yes"}}}`, []Kind{factory(reply(200, "{}", nil))},
			`endpoints[0].backend[0].extra_config["backend/http"].return_error_code: must be true or false, got a JSON string`},
		{"every error at once", `{"url_pattern": "/x", "extra_config": {"backend/http": {"x": 1}}}`, []Kind{failing},
			"endpoints[0].backend[0].extra_config[\"backend/http\"].x: unknown key (check its spelling against the documentation)\nendpoints[0].backend[0].host: bad host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, b := parseBackend(t, tt.backend)
			p, err := Build(Spec{Endpoint: s.Endpoints[0], Backend: b}, tt.kinds, nil)
			if p != nil || err == nil || err.Error() != tt.want {
				t.Errorf("Build = %v, %v; want error\n%s", p != nil, err, tt.want)
			}
		})
	}
}

func TestFactoryOrder(t *testing.T) {
	t.Parallel()
	var called []string
	named := func(name string, claim bool) Kind {
		return &claimLogger{testKind: testKind{name: name, claims: claim, build: func(Spec) (Transport, error) {
			return Transport{Call: reply(200, `{"by":"`+name+`"}`, nil)}, nil
		}}, called: &called}
	}
	s, b := parseBackend(t, `{"url_pattern": "/x"}`)
	p, err := Build(Spec{Endpoint: s.Endpoints[0], Backend: b}, []Kind{named("lambda", false), named("http", true), named("never", true)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := p(context.Background(), &proxy.Request{})
	if !reflect.DeepEqual(called, []string{"lambda", "http"}) || output(t, resp) != `{"by":"http"}` {
		t.Errorf("called %q, data %v", called, resp.Data)
	}
}

// claimLogger records the kinds asked to claim a backend.
type claimLogger struct {
	testKind
	called *[]string
}

func (k *claimLogger) Claims(b *config.Backend) bool {
	*k.called = append(*k.called, k.name)
	return k.claims
}
