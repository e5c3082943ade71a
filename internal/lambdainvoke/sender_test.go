package lambdainvoke

import (
	"context"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/lambdagate/lambdagate/internal/invoketest"
)

func TestKeepAlive(t *testing.T) {
	t.Parallel()
	c, f := startClient(t, Key{}, invoketest.Echo)
	run := func() {
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 50; i++ {
					in := invocation("fn")
					in.Payload = []byte(`{"n":1}`)
					if _, err := c.Invoke(context.Background(), in); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	run() // warm up: up to a few connections are opened
	before := f.Stats().Connections
	run()
	if n := f.Stats().Connections - before; n != 0 {
		t.Errorf("%d new connections once warm: keep-alive is lost", n)
	}
}

// certPEM is the PEM of a TLS test server's certificate.
func certPEM(srv *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

func TestCABundle(t *testing.T) {
	// Not parallel: it changes the environment.
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"tls":true}`) }))
	defer srv.Close()
	dir := t.TempDir()
	pemFile := dir + "/ca.pem"
	if err := writeFile(pemFile, string(certPEM(srv))); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", pemFile)
	c, err := newHTTPClient()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatalf("the bundle's CA is not trusted: %v", err)
	}
	resp.Body.Close()
	if tr := c.Transport.(*http.Transport); tr.MaxIdleConnsPerHost < 64 {
		t.Errorf("MaxIdleConnsPerHost %d", tr.MaxIdleConnsPerHost)
	}

	t.Setenv("AWS_CA_BUNDLE", dir+"/missing.pem")
	if _, err := newHTTPClient(); err == nil || !strings.Contains(err.Error(), "AWS_CA_BUNDLE") {
		t.Fatalf("a missing bundle: %v", err)
	}
	if err := writeFile(pemFile, "not pem"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", pemFile)
	if _, err := newHTTPClient(); err == nil {
		t.Fatal("a bundle with no certificate was accepted")
	}
}
