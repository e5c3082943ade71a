package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// seenHeaders is an HTTP backend that remembers the trace and request
// headers of its last call.
type seenHeaders struct {
	mu          sync.Mutex
	traceparent string
	requestID   string
}

func (s *seenHeaders) server(t *testing.T, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.traceparent, s.requestID = r.Header.Get("Traceparent"), r.Header.Get("X-Request-Id")
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (s *seenHeaders) get() (string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.traceparent, s.requestID
}

// TestTracesOfAMergedRequest sends a request with a client traceparent to
// an endpoint merging two HTTP backends, and checks the spans an OTLP/HTTP
// receiver gets: one server span continuing the client's trace, one client
// span per backend under it, their attributes, and each backend called
// with a traceparent naming its own span and (backend_request_id) the
// request's id.
func TestTracesOfAMergedRequest(t *testing.T) {
	t.Parallel()
	var seenA, seenB seenHeaders
	a, b := seenA.server(t, `{"a":1}`), seenB.server(t, `{"b":2}`)
	rc := startOTLPReceiver(t)
	host, port := rc.hostPort()
	cfg := `{"version": 3, "timeout": "2s",
	  "extra_config": {"lambdagate/server": {"backend_request_id": true}, "telemetry/opentelemetry": {
	    "service_name": "e2e-traces", "trace_sample_rate": 1,
	    "exporters": {"otlp": [{"name": "receiver", "host": "` + host + `", "port": ` + port + `, "use_http": true, "disable_metrics": true}]}}},
	  "endpoints": [{"endpoint": "/merged/{id}", "backend": [
	    {"host": ["` + a.URL + `"], "url_pattern": "/a/{id}", "group": "a"},
	    {"host": ["` + b.URL + `"], "url_pattern": "/b", "group": "b"}]}]}`
	g := startGateway(t, cfg)

	const traceID, clientSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	r := do(t, "GET", g.URL+"/merged/42", "", map[string]string{
		"Traceparent":  "00-" + traceID + "-" + clientSpan + "-01",
		"X-Request-Id": "e2e-request-1",
	})
	if r.Status != 200 || !jsonEqual(t, r.Body, `{"a":{"a":1},"b":{"b":2}}`) {
		t.Fatalf("reply %d %s", r.Status, r.Body)
	}
	if id := r.Header.Get("X-Request-Id"); id != "e2e-request-1" {
		t.Errorf("client got X-Request-Id %q", id)
	}
	// Stopping flushes the spans not yet exported.
	if code := g.Stop(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	spans := rc.trace(traceID)
	if len(spans) != 3 {
		t.Fatalf("got %d spans of the trace, want 3: %v", len(spans), spans)
	}
	var server *receivedSpan
	clients := map[string]receivedSpan{} // by backend.target
	for i, s := range spans {
		switch s.GetKind() {
		case tracepb.Span_SPAN_KIND_SERVER:
			server = &spans[i]
		case tracepb.Span_SPAN_KIND_CLIENT:
			clients[attrMap(s.GetAttributes())["backend.target"]] = s
		}
	}
	if server == nil {
		t.Fatalf("no server span among %v", spans)
	}
	if server.GetName() != "GET /merged/{id}" || hexID(server.GetParentSpanId()) != clientSpan {
		t.Errorf("server span %q, parent %s; want GET /merged/{id} under the client's %s", server.GetName(), hexID(server.GetParentSpanId()), clientSpan)
	}
	if server.Resource["service.name"] != "e2e-traces" {
		t.Errorf("resource = %v", server.Resource)
	}
	mustEqualAttrs(t, "server span", *server, map[string]string{
		"http.request.method": "GET", "http.route": "/merged/{id}", "url.path": "/merged/42", "http.response.status_code": "200",
	})
	for i, be := range []struct {
		srv  *httptest.Server
		seen *seenHeaders
	}{{a, &seenA}, {b, &seenB}} {
		target := strings.TrimPrefix(be.srv.URL, "http://")
		span, ok := clients[target]
		if !ok {
			t.Errorf("no client span for backend %s among %v", target, spans)
			continue
		}
		if hexID(span.GetParentSpanId()) != hexID(server.GetSpanId()) {
			t.Errorf("backend %d span's parent = %s, want the server span %s", i, hexID(span.GetParentSpanId()), hexID(server.GetSpanId()))
		}
		mustEqualAttrs(t, "backend span "+target, span, map[string]string{
			"backend.kind": "http", "backend.target": target, "backend.outcome": "success",
			"backend.name":              "endpoints[0].backend[" + itoa(i) + "]",
			"http.response.status_code": "200", "server.address": target,
		})
		tp, rid := be.seen.get()
		if want := "00-" + traceID + "-" + hexID(span.GetSpanId()) + "-01"; tp != want {
			t.Errorf("backend %s got traceparent %q, want %q", target, tp, want)
		}
		if rid != "e2e-request-1" {
			t.Errorf("backend %s got X-Request-Id %q", target, rid)
		}
	}
	if logs := g.Logs(); !strings.Contains(logs, "request_id=e2e-request-1") || !strings.Contains(logs, "trace_id="+traceID) {
		t.Errorf("the access log lacks the request and trace ids:\n%s", logs)
	}
}
