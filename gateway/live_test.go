package gateway

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
)

// gateKind answers every call with body once release is closed, and
// records its Close.
type gateKind struct {
	body    []byte
	release chan struct{}
	started chan struct{} // a call arrived (buffered)
	closed  atomic.Bool
}

func (k *gateKind) Name() string                { return "gate" }
func (k *gateKind) Claims(*config.Backend) bool { return true }
func (k *gateKind) Close()                      { k.closed.Store(true) }
func (k *gateKind) Build(backend.Spec) (backend.Transport, error) {
	return backend.Transport{Call: func(ctx context.Context, _ *proxy.Request) (*proxy.Response, error) {
		select {
		case k.started <- struct{}{}:
		default:
		}
		<-k.release
		if k.closed.Load() {
			return nil, io.ErrUnexpectedEOF // served on a closed kind
		}
		return &proxy.Response{IsComplete: true, Raw: k.body, Metadata: proxy.Metadata{StatusCode: 200}}, nil
	}}, nil
}

// TestLiveSwapDrains: a request in flight when its gateway is replaced
// finishes on it, and that gateway is closed only afterwards; new requests
// go to the new gateway at once.
func TestLiveSwapDrains(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	build := func(k *gateKind) *Gateway {
		cfg := parse(t, `{"version": 3, "host": ["h"], "extra_config": {"router": {"disable_access_log": true}}, "endpoints": [{"endpoint": "/a", "backend": [{"url_pattern": "/a"}]}]}`)
		gw, _, err := New(cfg, Options{Logger: quiet, Kinds: []backend.NewKind{func(backend.Deps) (backend.Kind, error) { return k, nil }}})
		if err != nil {
			t.Fatal(err)
		}
		return gw
	}
	oldKind := &gateKind{body: []byte(`{"v":"old"}`), release: make(chan struct{}), started: make(chan struct{}, 1)}
	newKind := &gateKind{body: []byte(`{"v":"new"}`), release: make(chan struct{}), started: make(chan struct{}, 1)}
	close(newKind.release)
	live := NewLive(build(oldKind), nil)

	inFlight := make(chan *httptest.ResponseRecorder)
	go func() {
		w := httptest.NewRecorder()
		live.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/a", nil))
		inFlight <- w
	}()
	<-oldKind.started
	if !live.Swap(build(newKind)) {
		t.Fatal("Swap refused before Serve stopped")
	}
	w := httptest.NewRecorder()
	live.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/a", nil))
	if w.Body.String() != `{"v":"new"}` {
		t.Errorf("a request after the swap got %d %s, want the new gateway's", w.Code, w.Body)
	}
	time.Sleep(50 * time.Millisecond)
	if oldKind.closed.Load() {
		t.Fatal("the replaced gateway was closed while its request was in flight")
	}
	close(oldKind.release)
	if w := <-inFlight; w.Code != 200 || w.Body.String() != `{"v":"old"}` {
		t.Errorf("the request in flight got %d %s, want the old gateway's answer", w.Code, w.Body)
	}
	for deadline := time.Now().Add(5 * time.Second); !oldKind.closed.Load(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the replaced gateway was not closed after its last request")
		}
	}
	live.stop()
	if !newKind.closed.Load() {
		t.Error("the current gateway was not closed when the Live stopped")
	}
	late := &gateKind{release: make(chan struct{}), started: make(chan struct{}, 1)}
	if live.Swap(build(late)) || !late.closed.Load() {
		t.Error("a Swap after the Live stopped did not refuse and close its gateway")
	}
}
