package jwtauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/lambdagate/lambdagate/internal/syncbuf"
)

// localGuard is a validator of RS256 tokens from https://idp.test for the
// audience "api", with the keys "a" and "b" in a local JWK set.
func localGuard(t *testing.T, o Options) *guarded {
	t.Helper()
	testKeys()
	o.Alg = "RS256"
	o.JWKLocalPath = writeFile(t, "jwks.json", jwks(t, map[string]any{"a": rsaA, "b": rsaB}))
	if o.Issuer == "" {
		o.Issuer = "https://idp.test"
	}
	if o.Audience == nil {
		o.Audience = []string{"api"}
	}
	return newGuarded(t, o, Deps{})
}

// hs256 signs header.payload with HMAC-SHA256 and secret.
func hs256(header, payload any, secret []byte) string {
	unsigned := strings.TrimSuffix(compact(header, payload, nil), ".")
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(unsigned))
	return unsigned + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// Every forged, broken or unfit token is refused with 401, and no request
// reaches the backend.
func TestAttacksRefused(t *testing.T) {
	t.Parallel()
	g := localGuard(t, Options{})
	valid := signA(t, nil)
	if w := g.bearer(valid); w.Code != http.StatusOK {
		t.Fatalf("the valid token got %d", w.Code)
	}
	g.be.calls.Store(0)

	pubDER, _ := x509.MarshalPKIXPublicKey(&rsaA.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	parts := strings.Split(valid, ".")
	tampered := func(extra map[string]any) string {
		b, _ := json.Marshal(claims(extra))
		return parts[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + parts[2]
	}
	huge := signA(t, map[string]any{"pad": strings.Repeat("x", MaxTokenBytes)})
	hour := time.Hour / time.Second

	tests := []struct {
		name   string
		header map[string]string
	}{
		{"no token", nil},
		{"empty bearer", map[string]string{"Authorization": "Bearer "}},
		{"alg none", bearer(compact(map[string]any{"alg": "none", "typ": "JWT", "kid": "a"}, claims(nil), nil))},
		{"alg none, signature kept", bearer(compact(map[string]any{"alg": "none", "kid": "a"}, claims(nil), []byte("x")))},
		{"alg None (case)", bearer(compact(map[string]any{"alg": "None", "kid": "a"}, claims(nil), nil))},
		{"HS256 signed with the RSA public key (PEM)", bearer(hs256(map[string]any{"alg": "HS256", "typ": "JWT", "kid": "a"}, claims(nil), pubPEM))},
		{"HS256 signed with the RSA public key (DER)", bearer(hs256(map[string]any{"alg": "HS256", "typ": "JWT", "kid": "a"}, claims(nil), pubDER))},
		{"HS256 signed with the RSA modulus", bearer(hs256(map[string]any{"alg": "HS256", "kid": "a"}, claims(nil), rsaA.N.Bytes()))},
		{"another algorithm of the family (RS384)", bearer(sign(t, rsaA, jose.RS384, map[string]any{"kid": "a"}, claims(nil)))},
		{"PS256 with the right key", bearer(sign(t, rsaA, jose.PS256, map[string]any{"kid": "a"}, claims(nil)))},
		{"ES256 naming the RSA key", bearer(sign(t, ecKey, jose.ES256, map[string]any{"kid": "a"}, claims(nil)))},
		{"signed by another key with the same kid", bearer(sign(t, rsaEvil, jose.RS256, map[string]any{"kid": "a"}, claims(nil)))},
		{"signed by key b, naming key a", bearer(sign(t, rsaB, jose.RS256, map[string]any{"kid": "a"}, claims(nil)))},
		{"an unknown kid", bearer(sign(t, rsaEvil, jose.RS256, map[string]any{"kid": "evil"}, claims(nil)))},
		{"tampered payload (sub)", bearer(tampered(map[string]any{"sub": "admin"}))},
		{"tampered payload (exp)", bearer(tampered(map[string]any{"exp": time.Now().Unix() + 100*3600}))},
		{"signature of another token", bearer(parts[0] + "." + parts[1] + "." + strings.Split(signA(t, map[string]any{"sub": "x"}), ".")[2])},
		{"signature stripped", bearer(parts[0] + "." + parts[1] + ".")},
		{"expired an hour ago", bearer(signA(t, map[string]any{"exp": time.Now().Unix() - int64(hour)}))},
		{"expired 5s ago (leeway 1s)", bearer(signA(t, map[string]any{"exp": time.Now().Unix() - 5}))},
		{"not valid for an hour (nbf)", bearer(signA(t, map[string]any{"nbf": time.Now().Unix() + int64(hour)}))},
		{"issued in an hour (iat)", bearer(signA(t, map[string]any{"iat": time.Now().Unix() + int64(hour)}))},
		{"exp as a string", bearer(signA(t, map[string]any{"exp": "9999999999"}))},
		{"wrong iss", bearer(signA(t, map[string]any{"iss": "https://evil.test"}))},
		{"no iss", bearer(signA(t, map[string]any{"iss": nil}))},
		{"wrong aud", bearer(signA(t, map[string]any{"aud": "other"}))},
		{"no aud", bearer(signA(t, map[string]any{"aud": nil}))},
		{"aud of the wrong type", bearer(signA(t, map[string]any{"aud": 7}))},
		{"missing kid, two keys in the set", bearer(sign(t, rsaA, jose.RS256, nil, claims(nil)))},
		{"oversized (validly signed)", bearer(huge)},
		{"oversized garbage", bearer(strings.Repeat("A", MaxTokenBytes+1))},
		{"payload not an object", bearer(sign(t, rsaA, jose.RS256, map[string]any{"kid": "a"}, nil))},
		{"garbage", bearer("not a token")},
		{"three empty parts", bearer("..")},
		{"two parts", bearer(parts[0] + "." + parts[1])},
		{"four parts", bearer(valid + ".x")},
		{"JWE-shaped (five parts)", bearer("a.b.c.d.e")},
		{"bad base64", bearer(parts[0] + "." + parts[1] + "!." + parts[2])},
		{"header not JSON", bearer(base64.RawURLEncoding.EncodeToString([]byte("{")) + "." + parts[1] + "." + parts[2])},
		{"basic credentials", map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}},
		{"token in another header", map[string]string{"X-Token": "Bearer " + valid}},
		{"token in a cookie nobody reads", map[string]string{"Cookie": "access_token=" + valid}},
	}
	for _, tt := range tests {
		w := g.get(tt.header)
		if w.Code != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", tt.name, w.Code)
		}
		if c := w.Header().Get("WWW-Authenticate"); !strings.HasPrefix(c, "Bearer") {
			t.Errorf("%s: WWW-Authenticate %q", tt.name, c)
		}
	}
	if n := g.be.calls.Load(); n != 0 {
		t.Errorf("%d refused request(s) reached the backend", n)
	}
}

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// Tokens a validator accepts: the header's scheme in any case or none,
// a lone key without kid, leeway on exp and nbf.
func TestAccepted(t *testing.T) {
	t.Parallel()
	g := localGuard(t, Options{Leeway: "1m"})
	now := time.Now().Unix()
	tok := func(header, extra map[string]any) string { return sign(t, rsaA, jose.RS256, header, claims(extra)) }
	kid := map[string]any{"kid": "a"}
	tests := []struct {
		name   string
		header map[string]string
	}{
		{"Bearer", bearer(tok(kid, nil))},
		{"bearer in lower case", map[string]string{"Authorization": "bearer " + tok(kid, nil)}},
		{"no scheme", map[string]string{"Authorization": tok(kid, nil)}},
		{"key b", bearer(sign(t, rsaB, jose.RS256, map[string]any{"kid": "b"}, claims(nil)))},
		{"expired 30s ago, leeway 1m", bearer(tok(kid, map[string]any{"exp": now - 30}))},
		{"valid in 30s (nbf), leeway 1m", bearer(tok(kid, map[string]any{"nbf": now + 30}))},
		{"no exp", bearer(tok(kid, map[string]any{"exp": nil}))},
		{"aud as a string", bearer(tok(kid, map[string]any{"aud": "api"}))},
		{"aud among others", bearer(tok(kid, map[string]any{"aud": []string{"web", "api"}}))},
	}
	for _, tt := range tests {
		if w := g.get(tt.header); w.Code != http.StatusOK {
			t.Errorf("%s: status %d, want 200", tt.name, w.Code)
		}
	}
	// Without leeway beyond the default, the same times are refused.
	strict := localGuard(t, Options{})
	for name, extra := range map[string]map[string]any{"expired 30s ago": {"exp": now - 30}, "valid in 30s": {"nbf": now + 30}} {
		if w := strict.bearer(tok(kid, extra)); w.Code != http.StatusUnauthorized {
			t.Errorf("%s, leeway 1s: status %d, want 401", name, w.Code)
		}
	}
}

// A token whose only key is the set's lone one needs no kid.
func TestLoneKeyWithoutKid(t *testing.T) {
	t.Parallel()
	testKeys()
	g := newGuarded(t, Options{JWKLocalPath: writeFile(t, "jwks.json", jwks(t, map[string]any{"only": rsaA}))}, Deps{})
	if w := g.bearer(sign(t, rsaA, jose.RS256, nil, claims(nil))); w.Code != http.StatusOK {
		t.Errorf("status %d, want 200", w.Code)
	}
}

// A valid token lacking the roles or scopes required gets 403; with them,
// 200.
func TestRolesAndScopes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opts   Options
		extra  map[string]any
		status int
	}{
		{"role in a list", Options{Roles: []string{"admin", "ops"}}, map[string]any{"roles": []string{"user", "ops"}}, 200},
		{"role in a string", Options{Roles: []string{"ops"}}, map[string]any{"roles": "user ops"}, 200},
		{"no role", Options{Roles: []string{"admin"}}, map[string]any{"roles": []string{"user"}}, 403},
		{"no roles claim", Options{Roles: []string{"admin"}}, nil, 403},
		{"roles of the wrong type", Options{Roles: []string{"admin"}}, map[string]any{"roles": map[string]any{"admin": true}}, 403},
		{"custom roles key", Options{Roles: []string{"admin"}, RolesKey: "groups"}, map[string]any{"groups": []string{"admin"}}, 200},
		{"nested roles key", Options{Roles: []string{"admin"}, RolesKey: "realm_access.roles", RolesKeyIsNested: true},
			map[string]any{"realm_access": map[string]any{"roles": []string{"admin"}}}, 200},
		{"dotted roles key, not nested", Options{Roles: []string{"admin"}, RolesKey: "realm_access.roles"},
			map[string]any{"realm_access": map[string]any{"roles": []string{"admin"}}}, 403},
		{"dotted roles key taken literally", Options{Roles: []string{"admin"}, RolesKey: "realm_access.roles"},
			map[string]any{"realm_access.roles": []string{"admin"}}, 200},
		{"URL roles key, nested flag", Options{Roles: []string{"admin"}, RolesKey: "https://example.com/roles", RolesKeyIsNested: true},
			map[string]any{"https://example.com/roles": []string{"admin"}}, 200},
		{"any scope", Options{Scopes: []string{"read", "write"}, ScopesKey: "scope"}, map[string]any{"scope": "openid write"}, 200},
		{"no scope", Options{Scopes: []string{"read", "write"}, ScopesKey: "scope"}, map[string]any{"scope": "openid"}, 403},
		{"all scopes", Options{Scopes: []string{"read", "write"}, ScopesKey: "scope", ScopesMatcher: "all"}, map[string]any{"scope": "write read"}, 200},
		{"not all scopes", Options{Scopes: []string{"read", "write"}, ScopesKey: "scope", ScopesMatcher: "all"}, map[string]any{"scope": "read"}, 403},
		{"scopes in a list", Options{Scopes: []string{"read"}, ScopesKey: "scp"}, map[string]any{"scp": []string{"read"}}, 200},
		{"nested scopes", Options{Scopes: []string{"read"}, ScopesKey: "data.access.scopes"}, map[string]any{"data": map[string]any{"access": map[string]any{"scopes": "read"}}}, 200},
		{"roles pass, scopes fail", Options{Roles: []string{"admin"}, Scopes: []string{"read"}, ScopesKey: "scope"}, map[string]any{"roles": []string{"admin"}, "scope": "write"}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := localGuard(t, tt.opts)
			w := g.bearer(signA(t, tt.extra))
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			if tt.status == 403 {
				if c := w.Header().Get("WWW-Authenticate"); c != `Bearer error="insufficient_scope"` {
					t.Errorf("WWW-Authenticate %q", c)
				}
				if n := g.be.calls.Load(); n != 0 {
					t.Errorf("the backend was called")
				}
			}
		})
	}
}

// propagate_claims copies claims into headers, as KrakenD writes them,
// after removing the client's own copies of those headers.
func TestPropagateClaims(t *testing.T) {
	t.Parallel()
	o := Options{PropagateClaims: [][]string{
		{"sub", "x-user"}, {"realm_access.roles", "X-Roles"}, {"n", "X-N"}, {"f", "X-F"}, {"ok", "X-Ok"},
		{"obj", "X-Obj"}, {"missing", "X-Missing"}, {"https://example.com/tenant", "X-Tenant"}, {"evil", "X-Evil"},
	}}
	g := localGuard(t, o)
	tok := sign(t, rsaA, jose.RS256, map[string]any{"kid": "a"}, claims(map[string]any{
		"realm_access":               map[string]any{"roles": []any{"admin", "user", 3}},
		"n":                          42,
		"f":                          1.5,
		"ok":                         true,
		"obj":                        map[string]any{"a": 1},
		"https://example.com/tenant": "t1",
		"evil":                       "x\r\nX-Injected: 1",
	}))
	w := g.get(map[string]string{
		"Authorization": "Bearer " + tok,
		"X-User":        "forged-admin", "X-Missing": "forged", "X-Evil": "forged", "X-Other": "kept",
	})
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	h, c := g.be.seen()
	want := map[string][]string{
		"X-User": {"user-1"}, "X-Roles": {"admin,user,3"}, "X-N": {"42"}, "X-F": {"1.500000"}, "X-Ok": {"true"},
		"X-Obj": {`{"a":1}`}, "X-Tenant": {"t1"}, "X-Other": {"kept"},
	}
	for k, v := range want {
		if got := h[k]; strings.Join(got, "|") != strings.Join(v, "|") {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	for _, k := range []string{"X-Missing", "X-Evil", "X-Injected"} {
		if got, ok := h[k]; ok {
			t.Errorf("%s = %q, want it removed", k, got)
		}
	}
	if c["sub"] != "user-1" {
		t.Errorf("claims in the context = %v", c)
	}

	// propagate_claims_preserve_array: one value per element.
	o.PropagateClaimsPreserveArray = true
	g = localGuard(t, o)
	if w := g.bearer(tok); w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	if h, _ := g.be.seen(); strings.Join(h["X-Roles"], "|") != "admin|user|3" {
		t.Errorf("preserved X-Roles = %q", h["X-Roles"])
	}
}

// auth_header_name and cookie_key say where the token is.
func TestTokenPlaces(t *testing.T) {
	t.Parallel()
	g := localGuard(t, Options{AuthHeaderName: "X-Auth", CookieKey: "jwt"})
	tok := signA(t, nil)
	for name, tt := range map[string]struct {
		header map[string]string
		status int
	}{
		"custom header":          {map[string]string{"X-Auth": "Bearer " + tok}, 200},
		"custom header, raw":     {map[string]string{"X-Auth": tok}, 200},
		"cookie":                 {map[string]string{"Cookie": "a=b; jwt=" + tok}, 200},
		"Authorization, ignored": {map[string]string{"Authorization": "Bearer " + tok}, 401},
		"other cookie":           {map[string]string{"Cookie": "access_token=" + tok}, 401},
		"header wins the cookie": {map[string]string{"X-Auth": "garbage", "Cookie": "jwt=" + tok}, 401},
	} {
		if w := g.get(tt.header); w.Code != tt.status {
			t.Errorf("%s: status %d, want %d", name, w.Code, tt.status)
		}
	}
}

// A token that verified once is remembered: the same token again is not
// verified again, but its time claims are checked again, and once expired
// it is forgotten.
func TestVerifiedTokensRemembered(t *testing.T) {
	t.Parallel()
	g := localGuard(t, Options{})
	ks := g.v.keys.current()
	tok := signA(t, map[string]any{"exp": time.Now().Unix() + 60})
	if w := g.bearer(tok); w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	d := tokenDigest(tok)
	if ks.verified.get(d, time.Now()) == nil {
		t.Fatal("the verified token is not remembered")
	}
	if _, status, _ := g.v.validate(t.Context(), tok, time.Now()); status != 0 {
		t.Fatalf("remembered token refused: %d", status)
	}
	if _, status, err := g.v.validate(t.Context(), tok, time.Now().Add(2*time.Minute)); status != 401 || err != errExpired {
		t.Fatalf("two minutes on: %d %v, want 401, expired", status, err)
	}
	if ks.verified.get(d, time.Now()) != nil {
		t.Error("the expired token is still remembered")
	}
	// A validator of the same keys with another algorithm does not take
	// the remembered token.
	g.bearer(tok)
	other := *g.v
	other.alg, other.algs = jose.RS512, []jose.SignatureAlgorithm{jose.RS512}
	if _, status, _ := other.validate(t.Context(), tok, time.Now()); status != 401 {
		t.Errorf("RS512 validator took an RS256 token it remembered: %d", status)
	}
	// Tokens without exp are remembered for verifiedTTL only.
	noExp := signA(t, map[string]any{"exp": nil})
	g.bearer(noExp)
	if ks.verified.get(tokenDigest(noExp), time.Now().Add(verifiedTTL+time.Second)) != nil {
		t.Error("a token without exp is remembered past verifiedTTL")
	}
}

// Refusals are logged: an access-log line each, and with operation_debug
// the reason at level ERROR.
func TestRefusalsLogged(t *testing.T) {
	t.Parallel()
	testKeys()
	var buf syncbuf.Buffer
	o := Options{JWKLocalPath: writeFile(t, "jwks.json", jwks(t, map[string]any{"a": rsaA})), Roles: []string{"admin"}, OperationDebug: true}
	g := newGuarded(t, o, Deps{Logger: slog.New(slog.NewTextHandler(&buf, nil)), AccessLog: true, Route: "GET /private"})
	g.get(nil)
	g.bearer(signA(t, nil))
	logs := buf.String()
	for _, want := range []string{
		`level=INFO msg=request method=GET path=/private route="GET /private" status=401`, `outcome=unauthorized`,
		`level=ERROR msg="JWT validation refused the request" route="GET /private" status=401 reason="no token in the request"`,
		`status=403 reason="the token holds none of the roles required" roles_required=[admin]`, `outcome=forbidden`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}
