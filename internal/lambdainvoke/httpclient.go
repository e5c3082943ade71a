package lambdainvoke

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// Connection settings of the Lambda client. Invocations may run for up to
// 15 minutes, so nothing bounds a response but the endpoint's context.
const (
	// maxIdleConnsPerHost keeps enough keep-alive connections to the Invoke
	// endpoint under load (Go's default, 2, makes a gateway reconnect
	// constantly).
	maxIdleConnsPerHost = 512
	idleConnTimeout     = 90 * time.Second
	dialTimeout         = 10 * time.Second
	tlsHandshakeTimeout = 10 * time.Second
)

// newHTTPClient builds the client invocations go through. It is built here,
// not taken from the SDK's configuration: with AWS_CA_BUNDLE set the SDK
// swaps in a transport with few idle connections per host. The TLS roots
// are AWS_CA_BUNDLE's certificates when it is set, as the SDK does, and the
// system's otherwise.
func newHTTPClient() (*http.Client, error) {
	t := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   dialTimeout,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConnsPerHost: maxIdleConnsPerHost,
		IdleConnTimeout:     idleConnTimeout,
		TLSHandshakeTimeout: tlsHandshakeTimeout,
		// Lambda answers uncompressed: asking for gzip only costs work.
		DisableCompression: true,
	}
	if bundle := os.Getenv("AWS_CA_BUNDLE"); bundle != "" {
		pem, err := os.ReadFile(bundle)
		if err != nil {
			return nil, fmt.Errorf("AWS_CA_BUNDLE: %v (point it at a PEM file of CA certificates, or unset it)", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("AWS_CA_BUNDLE: %s holds no PEM certificate (point it at a PEM file of CA certificates, or unset it)", bundle)
		}
		t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{
		Transport: t,
		// Lambda never redirects; a redirect would lose the signature.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}
