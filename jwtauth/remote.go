package jwtauth

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"

	"github.com/lambdagate/lambdagate/config"
)

// RemoteOptions say how a JWK set is fetched from a URL: the options
// auth/validator and auth/signer share, with KrakenD's names in the
// comments.
type RemoteOptions struct {
	// URL is jwk_url: https, or http with DisableJWKSecurity.
	URL string
	// DisableJWKSecurity is disable_jwk_security: plain http allowed.
	DisableJWKSecurity bool
	// LocalCA is jwk_local_ca: a PEM file of CA certificates trusted
	// besides the system's.
	LocalCA string
	// Fingerprints is jwk_fingerprints: base64 SHA-256 of a public key
	// the server's certificate chain must hold.
	Fingerprints []string
	// CipherSuites is cipher_suites: TLS 1.2 suites by IANA number.
	CipherSuites []int
}

// resolve checks o; every problem goes to errs at the key's JSON path
// (at names a key of the namespace).
func (o RemoteOptions) resolve(at func(string) string, errs *config.Errors) clientSpec {
	var c clientSpec
	u, err := url.Parse(o.URL)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		errs.Add(at("jwk_url"), "%q is not an http or https URL", o.URL)
	case u.Scheme == "http" && !o.DisableJWKSecurity:
		errs.Add(at("jwk_url"), "%q is plain http: keys fetched without TLS can be forged on the way; use https, or set disable_jwk_security (development only)", o.URL)
	}
	c.insecure = o.DisableJWKSecurity
	if o.LocalCA != "" {
		pem, err := os.ReadFile(o.LocalCA)
		if err != nil {
			errs.Add(at("jwk_local_ca"), "reading the CA file: %v", err)
		} else {
			pool, err := x509.SystemCertPool()
			if err != nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(pem) {
				errs.Add(at("jwk_local_ca"), "%s holds no PEM certificate", o.LocalCA)
			}
			c.caFile, c.caPool = o.LocalCA, pool
		}
	}
	for i, f := range o.Fingerprints {
		pin, ok := decodeFingerprint(f)
		if !ok {
			errs.Add(config.Index(at("jwk_fingerprints"), i), "%q is not the base64 SHA-256 of a public key (32 bytes)", f)
			continue
		}
		c.pins = append(c.pins, pin)
	}
	for i, id := range o.CipherSuites {
		if name, ok := secureCipherSuite(id); ok {
			c.ciphers = append(c.ciphers, uint16(id))
		} else if name != "" {
			errs.Add(config.Index(at("cipher_suites"), i), "%d (%s) is an insecure cipher suite: lambdagate refuses it", id, name)
		} else {
			errs.Add(config.Index(at("cipher_suites"), i), "%d is not a TLS 1.2 cipher suite Go implements", id)
		}
	}
	return c
}

// Fetcher gets one JWK set document from a URL, with the client rules
// of auth/validator's key sets (TLS 1.2 at least, jwk_local_ca,
// jwk_fingerprints, cipher_suites, redirects to https only, FetchTimeout,
// at most 1 MiB). It keeps nothing: each Fetch asks again.
type Fetcher struct {
	url, userAgent string
	client         *http.Client
}

// NewFetcher checks o and returns its Fetcher; errors are config.Errors
// at the keys of the namespace at path. userAgent is sent with every
// fetch.
func NewFetcher(o RemoteOptions, path, userAgent string) (*Fetcher, error) {
	var errs config.Errors
	spec := o.resolve(func(key string) string { return config.Join(path, key) }, &errs)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return &Fetcher{url: o.URL, userAgent: userAgent, client: newClient(spec)}, nil
}

// URL is where f fetches.
func (f *Fetcher) URL() string { return f.url }

// Fetch gets the document: its bytes when the server answers 200.
func (f *Fetcher) Fetch(ctx context.Context) ([]byte, error) {
	return fetchDocument(ctx, f.client, f.url, f.userAgent)
}

// Close closes the client's idle connections.
func (f *Fetcher) Close() { f.client.CloseIdleConnections() }

// fetchDocument GETs a JWK set document from u with client.
func fetchDocument(ctx context.Context, client *http.Client, u, userAgent string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxJWKSBytes {
		return nil, fmt.Errorf("the JWK set is larger than %d bytes", maxJWKSBytes)
	}
	return data, nil
}
