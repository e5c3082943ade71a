package signer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/lambdagate/lambdagate/jwtauth"
	"github.com/lambdagate/lambdagate/proxy"
)

// Cooldown is the least time between two fetches of a jwk_url that
// failed: meanwhile the endpoint answers 500 at once.
const Cooldown = 5 * time.Second

// Deps is what New needs besides the options.
type Deps struct {
	// Logger receives the fetch failures.
	Logger *slog.Logger
	// UserAgent is sent with every jwk_url fetch.
	UserAgent string
	// Warn receives start-up warnings.
	Warn func(string)
}

// Signer signs an endpoint's response fields and writes its answer.
type Signer struct {
	keys   []string
	full   bool
	kid    string
	alg    jose.SignatureAlgorithm
	logger *slog.Logger

	fetcher *jwtauth.Fetcher // nil with jwk_local_path

	mu      sync.Mutex
	signer  jose.Signer // nil until the key is had
	failed  time.Time   // when the last fetch failed
	lastErr error
}

// ErrNoKey says the signing key could not be had: the endpoint answers
// 500 (no field leaves unsigned).
var ErrNoKey = errors.New("auth/signer: the signing key could not be had")

// New checks o (the namespace at path) and returns its Signer. With
// jwk_local_path the key is read and checked now; with jwk_url it is
// fetched when the first request needs it.
func New(o *Options, path string, deps Deps) (*Signer, error) {
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	warn := deps.Warn
	if warn == nil {
		warn = func(string) {}
	}
	st, err := o.resolve(path, warn)
	if err != nil {
		return nil, err
	}
	s := &Signer{keys: st.keys, full: st.full, kid: st.kid, alg: st.alg, logger: deps.Logger}
	if st.local != "" {
		doc, err := jwtauth.ReadKeySetFile(st.local)
		if err == nil {
			s.signer, err = newJoseSigner(doc, st.kid, st.alg)
		}
		if err != nil {
			return nil, fmt.Errorf("%s.jwk_local_path: %s: %v", path, st.local, err)
		}
		return s, nil
	}
	s.fetcher, err = jwtauth.NewFetcher(jwtauth.RemoteOptions{
		URL: o.JWKURL, DisableJWKSecurity: o.DisableJWKSecurity, LocalCA: o.JWKLocalCA,
		Fingerprints: o.JWKFingerprints, CipherSuites: o.CipherSuites,
	}, path, deps.UserAgent)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Close closes the jwk_url client's idle connections.
func (s *Signer) Close() {
	if s.fetcher != nil {
		s.fetcher.Close()
	}
}

// joseSigner returns the signer, fetching the key set when it was never
// had (at most once per Cooldown after a failure).
func (s *Signer) joseSigner(ctx context.Context) (jose.Signer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.signer != nil {
		return s.signer, nil
	}
	if !s.failed.IsZero() && time.Since(s.failed) < Cooldown {
		return nil, s.lastErr
	}
	ctx, cancel := context.WithTimeout(ctx, jwtauth.FetchTimeout)
	defer cancel()
	doc, err := s.fetcher.Fetch(ctx)
	var js jose.Signer
	if err == nil {
		js, err = newJoseSigner(doc, s.kid, s.alg)
	}
	if err != nil && ctx.Err() == context.Canceled {
		// The request went away (its client left): no fault of the key
		// server's, so no cooldown; the next request fetches again.
		return nil, fmt.Errorf("%w: %s: %v", ErrNoKey, s.fetcher.URL(), err)
	}
	if err != nil {
		s.failed = time.Now()
		s.lastErr = fmt.Errorf("%w: %s: %v", ErrNoKey, s.fetcher.URL(), err)
		s.logger.Warn("auth/signer: the signing key could not be had; the endpoint answers 500 until it is", "jwk_url", s.fetcher.URL(), "error", err.Error())
		return nil, s.lastErr
	}
	s.signer = js
	return js, nil
}

// Sign returns data with each field of keys_to_sign that holds an object
// replaced by its token; data itself is not changed.
func (s *Signer) Sign(ctx context.Context, data map[string]any) (map[string]any, error) {
	var js jose.Signer
	var out map[string]any
	for _, k := range s.keys {
		claims, ok := data[k].(map[string]any)
		if !ok {
			// Absent, or not an object: left as it is, as in KrakenD.
			continue
		}
		if js == nil {
			var err error
			if js, err = s.joseSigner(ctx); err != nil {
				return nil, err
			}
			out = make(map[string]any, len(data))
			for dk, dv := range data {
				out[dk] = dv
			}
		}
		payload, err := json.Marshal(claims)
		if err != nil {
			return nil, fmt.Errorf("auth/signer: field %q: %v", k, err)
		}
		obj, err := js.Sign(payload)
		if err != nil {
			return nil, fmt.Errorf("auth/signer: field %q: %v", k, err)
		}
		if s.full {
			out[k] = obj.FullSerialize()
		} else if out[k], err = obj.CompactSerialize(); err != nil {
			return nil, fmt.Errorf("auth/signer: field %q: %v", k, err)
		}
	}
	if out == nil {
		return data, nil
	}
	return out, nil
}

// jsonType is the Content-Type of the signer's answers.
const jsonType = "application/json; charset=utf-8"

// Respond writes the answer of the endpoint from its pipeline's result,
// as KrakenD's signer does: a failed or partial pipeline is a 400 with
// no body; otherwise the response's headers (the first value of each),
// its status (200 when it has none) and its data, signed, as JSON and a
// newline. A key that could not be had is a 500 with no body. It returns
// the status written and why the request failed, if it did.
func (s *Signer) Respond(ctx context.Context, w http.ResponseWriter, resp *proxy.Response, err error) (int, error) {
	if resp != nil && resp.Body != nil {
		// A stream is not data to sign (decoding consumes replies, so
		// only a misbuilt pipeline leaves one): closed, not read.
		resp.Body.Close()
	}
	if err != nil || resp == nil {
		if err == nil {
			err = errors.New("auth/signer: the pipeline returned no response")
		}
		w.WriteHeader(http.StatusBadRequest)
		return http.StatusBadRequest, err
	}
	data, err := s.Sign(ctx, resp.Data)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, ErrNoKey) {
			status = http.StatusInternalServerError
		}
		w.WriteHeader(status)
		return status, err
	}
	body, err := json.Marshal(data)
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return http.StatusInternalServerError, fmt.Errorf("auth/signer: encoding the response: %v", err)
	}
	hdr := w.Header()
	for k, vs := range resp.Metadata.Headers {
		if len(vs) > 0 {
			hdr[k] = vs[:1:1]
		}
	}
	hdr["Content-Type"] = []string{jsonType}
	status := resp.Metadata.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
	return status, nil
}
