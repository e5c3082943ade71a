package jwtauth

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"time"
)

// errPinNotFound refuses a JWK server that presents no pinned key.
var errPinNotFound = errors.New("the JWK server presented no certificate whose public key is in jwk_fingerprints")

// maxRedirects bounds the redirects a fetch follows.
const maxRedirects = 3

// newClient returns the HTTP client that fetches a JWK set: certificates
// verified against the system's CAs and jwk_local_ca, the server pinned
// when jwk_fingerprints is set, TLS 1.2 at least, redirects to https only
// (plain http too with disable_jwk_security), FetchTimeout in all.
func newClient(spec clientSpec) *http.Client {
	tlsConfig := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		RootCAs:      spec.caPool,
		CipherSuites: spec.ciphers,
	}
	if len(spec.pins) > 0 {
		pins := spec.pins
		// Called after the chain is verified: pinning adds to it.
		tlsConfig.VerifyConnection = func(cs tls.ConnectionState) error {
			for _, cert := range cs.PeerCertificates {
				if pinned(cert, pins) {
					return nil
				}
			}
			return errPinNotFound
		}
	}
	transport := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: FetchTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     tlsConfig,
		TLSHandshakeTimeout: FetchTimeout,
		MaxIdleConns:        2,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   FetchTimeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return errors.New("too many redirects")
			}
			if req.URL.Scheme != "https" && !spec.insecure {
				return errors.New("redirected to plain http: refused (set disable_jwk_security to allow it)")
			}
			return nil
		},
	}
}

// pinned reports whether cert's public key is one of pins: the SHA-256 of
// its DER SubjectPublicKeyInfo, as KrakenD computes it.
func pinned(cert *x509.Certificate, pins [][32]byte) bool {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	for _, p := range pins {
		if p == sum {
			return true
		}
	}
	return false
}
