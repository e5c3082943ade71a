// Package jwtauth validates JSON Web Tokens before an endpoint runs: the
// auth/validator namespace of KrakenD, with its options. A request without
// a token, or with one that is malformed, wrongly signed, expired, not yet
// valid or for another issuer or audience, gets 401 and never reaches a
// backend; a valid token lacking the roles or scopes asked for gets 403.
//
// go-jose does the cryptography. This package chooses the key (a JWK set
// fetched from jwk_url and shared by the endpoints naming it, or read from
// jwk_local_path), pins the one algorithm configured, checks the claims,
// copies the claims asked for into request headers and hands the claims
// to later stages (proxy.WithClaims).
//
// Everything is decided when a Validator is built; the handler it wraps
// reads no settings.
package jwtauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/net/http/httpguts"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/router"
	"github.com/lambdagate/lambdagate/proxy"
)

// MaxTokenBytes bounds a token: a longer one is refused before it is
// parsed. Tokens of identity providers are a few KB at most.
const MaxTokenBytes = 16 << 10

// Deps is what a Validator needs besides its options.
type Deps struct {
	// Keys are the gateway's key sets.
	Keys *KeySets
	// Logger receives refusals' access-log lines and operation_debug.
	Logger *slog.Logger
	// Route names the endpoint in logs ("GET /users/{id}").
	Route string
	// Wait bounds how long a request waits for a JWK set being fetched:
	// the endpoint's timeout (FetchTimeout at most).
	Wait time.Duration
	// AccessLog writes a line for each refused request, as the endpoint
	// does for the others.
	AccessLog bool
	// Warn receives what is accepted and not used.
	Warn func(string)
}

// Validator checks the token of each request to one endpoint.
type Validator struct {
	keys      source
	alg       jose.SignatureAlgorithm
	algs      []jose.SignatureAlgorithm
	strategy  string
	header    string
	cookie    string
	leeway    time.Duration
	issuer    string
	audience  []string
	roles     []string
	rolesPath []string
	scopes    []string
	scopesKey []string
	scopesAll bool
	propagate []propagation
	preserve  bool
	wait      time.Duration
	debug     bool
	accessLog bool
	logger    *slog.Logger
	route     string
}

// New builds the validator of an endpoint's options; path is the
// namespace's JSON path, for errors.
func New(o *Options, path string, deps Deps) (*Validator, error) {
	if deps.Warn == nil {
		deps.Warn = func(string) {}
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := o.resolve(path, deps.Warn)
	if err != nil {
		return nil, err
	}
	var keys source
	if s.local != "" {
		keys, err = deps.Keys.forLocal(s.local)
		if err != nil {
			return nil, &config.Error{Path: config.Join(path, "jwk_local_path"), Msg: err.Error()}
		}
	} else {
		keys, err = deps.Keys.forRemote(s.remote)
		if err != nil {
			return nil, &config.Error{Path: config.Join(path, "jwk_url"), Msg: err.Error()}
		}
	}
	wait := deps.Wait
	if wait <= 0 || wait > FetchTimeout {
		wait = FetchTimeout
	}
	return &Validator{
		keys: keys, alg: s.alg, algs: []jose.SignatureAlgorithm{s.alg}, strategy: s.strategy,
		header: s.header, cookie: s.cookie, leeway: s.leeway,
		issuer: s.issuer, audience: s.audience,
		roles: s.roles, rolesPath: s.rolesPath, scopes: s.scopes, scopesKey: s.scopesKey, scopesAll: s.scopesAll,
		propagate: s.propagate, preserve: s.preserve,
		wait: wait, debug: s.debug, accessLog: deps.AccessLog, logger: deps.Logger, route: deps.Route,
	}, nil
}

// Wrap returns next guarded by the validator: next runs only for a valid
// token, with the propagated claims in its request headers (the client's
// own copies of those headers removed) and the claims in its request's
// context (proxy.ClaimsFrom).
func (v *Validator) Wrap(next router.Handler) router.Handler {
	return func(w http.ResponseWriter, r *http.Request, params []string) {
		start := time.Now()
		claims, status, err := v.validate(r.Context(), v.token(r), start)
		if status != 0 {
			v.refuse(w, r, status, err, start)
			return
		}
		if len(v.propagate) > 0 {
			if r.Header == nil {
				r.Header = http.Header{}
			}
			v.propagateClaims(r.Header, claims)
		}
		next(w, r.WithContext(proxy.WithClaims(r.Context(), claims)), params)
	}
}

// Why a request is refused before its token is checked.
var (
	errNoToken       = errors.New("no token in the request")
	errTokenTooLarge = fmt.Errorf("the token is larger than %d bytes", MaxTokenBytes)
	errNotObject     = errors.New("the token's payload is not a JSON object")
	errRoles         = errors.New("the token holds none of the roles required")
	errScopes        = errors.New("the token lacks the scopes required")
)

// token returns the request's token: the auth header's value (without
// its "Bearer " scheme), else the cookie_key cookie's.
func (v *Validator) token(r *http.Request) string {
	raw := ""
	if vs := r.Header[v.header]; len(vs) > 0 {
		raw = vs[0]
	}
	if raw == "" && v.cookie != "" {
		if c, err := r.Cookie(v.cookie); err == nil {
			raw = c.Value
		}
	}
	if len(raw) > 7 && strings.EqualFold(raw[:7], "bearer ") {
		raw = raw[7:]
	}
	return strings.TrimSpace(raw)
}

// validate checks a token: it returns its claims, or the status to answer
// (401 or 403) and why.
func (v *Validator) validate(ctx context.Context, token string, now time.Time) (map[string]any, int, error) {
	switch {
	case token == "":
		return nil, http.StatusUnauthorized, errNoToken
	case len(token) > MaxTokenBytes:
		return nil, http.StatusUnauthorized, errTokenTooLarge
	}
	digest := tokenDigest(token)
	if ks := v.keys.current(); ks != nil {
		if t := ks.verified.get(digest, now); t != nil && t.alg == v.alg && t.strategy == v.strategy {
			return v.authorize(ks, digest, t, now)
		}
	}
	// Only the configured algorithm parses: "none", or HMAC signed with a
	// public key, is refused here.
	sig, err := jose.ParseSignedCompact(token, v.algs)
	if err != nil {
		return nil, http.StatusUnauthorized, fmt.Errorf("malformed token: %w", err)
	}
	hdr := sig.Signatures[0].Protected
	q := keyQuery{alg: v.alg, strategy: v.strategy, kid: hdr.KeyID}
	q.x5t, _ = hdr.ExtraHeaders["x5t"].(string)
	q.x5tS256, _ = hdr.ExtraHeaders["x5t#S256"].(string)
	k, ks, err := v.keys.key(ctx, q, v.wait)
	if err != nil {
		return nil, http.StatusUnauthorized, err
	}
	payload, err := sig.Verify(k.pub)
	if err != nil {
		return nil, http.StatusUnauthorized, fmt.Errorf("signature: %w", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil || claims == nil {
		return nil, http.StatusUnauthorized, errNotObject
	}
	reg, err := readRegistered(claims)
	if err != nil {
		return nil, http.StatusUnauthorized, err
	}
	t := &verifiedToken{alg: v.alg, strategy: v.strategy, claims: claims, reg: reg}
	if !reg.hasExp {
		t.until = now.Add(verifiedTTL)
	}
	ks.verified.put(digest, t)
	return v.authorize(ks, digest, t, now)
}

// authorize checks what a verified token must hold at this endpoint.
func (v *Validator) authorize(ks *keySet, digest [32]byte, t *verifiedToken, now time.Time) (map[string]any, int, error) {
	if err := t.reg.checkTime(now, v.leeway); err != nil {
		if err == errExpired {
			ks.verified.drop(digest)
		}
		return nil, http.StatusUnauthorized, err
	}
	if err := t.reg.checkIdentity(v.issuer, v.audience); err != nil {
		return nil, http.StatusUnauthorized, err
	}
	if len(v.roles) > 0 && !holdsAny(t.claims, v.rolesPath, v.roles) {
		return nil, http.StatusForbidden, errRoles
	}
	if len(v.scopes) > 0 {
		if (v.scopesAll && !holdsAll(t.claims, v.scopesKey, v.scopes)) || (!v.scopesAll && !holdsAny(t.claims, v.scopesKey, v.scopes)) {
			return nil, http.StatusForbidden, errScopes
		}
	}
	return t.claims, 0, nil
}

// propagateClaims sets the propagate_claims headers from claims, after
// removing the client's own copies: a header a token lacks the claim of
// reaches no backend.
func (v *Validator) propagateClaims(h http.Header, claims map[string]any) {
	for _, p := range v.propagate {
		delete(h, p.header)
		c, ok := proxy.LookupPath(claims, p.claim)
		if !ok {
			continue
		}
		// A claim with a line break cannot add a header of its own.
		values := headerValues(c, v.preserve)
		if !slices.ContainsFunc(values, func(s string) bool { return !httpguts.ValidHeaderFieldValue(s) }) {
			h[p.header] = values
		}
	}
}

// The WWW-Authenticate values of refusals (RFC 6750, 3).
var (
	challengeMissing = []string{`Bearer`}
	challengeInvalid = []string{`Bearer error="invalid_token"`}
	challengeScope   = []string{`Bearer error="insufficient_scope"`}
)

// refuse answers a request whose token did not pass, and logs it.
func (v *Validator) refuse(w http.ResponseWriter, r *http.Request, status int, why error, start time.Time) {
	challenge, outcome := challengeInvalid, "unauthorized"
	switch {
	case status == http.StatusForbidden:
		challenge, outcome = challengeScope, "forbidden"
	case why == errNoToken:
		challenge = challengeMissing
	}
	w.Header()["Www-Authenticate"] = challenge
	w.WriteHeader(status)
	ctx := r.Context()
	if v.debug {
		attrs := []slog.Attr{slog.String("route", v.route), slog.Int("status", status), slog.String("reason", why.Error())}
		switch why {
		case errRoles:
			attrs = append(attrs, slog.Any("roles_required", v.roles))
		case errScopes:
			attrs = append(attrs, slog.Any("scopes_required", v.scopes), slog.Bool("all_scopes", v.scopesAll))
		}
		v.logger.LogAttrs(ctx, slog.LevelError, "JWT validation refused the request", attrs...)
	}
	if v.accessLog {
		v.logger.LogAttrs(ctx, slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("route", v.route),
			slog.Int("status", status), slog.Duration("duration", time.Since(start)),
			slog.String("outcome", outcome), slog.String("remote", r.RemoteAddr))
	}
}
