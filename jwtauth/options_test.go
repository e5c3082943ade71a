package jwtauth

import (
	"strings"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/config"
)

// Every option is checked at start-up, and each problem names its JSON
// path.
func TestOptionErrors(t *testing.T) {
	t.Parallel()
	ca := writeFile(t, "not-a-ca.pem", []byte("nothing"))
	const p = `endpoints[0].extra_config["auth/validator"]`
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"no key source", Options{}, p + ": needs jwk_url"},
		{"unknown alg", Options{Alg: "RS1", JWKURL: "https://idp/jwks"}, p + `.alg: "RS1" is not an algorithm`},
		{"alg none", Options{Alg: "none", JWKURL: "https://idp/jwks"}, p + `.alg: "none" is not an algorithm`},
		{"not a URL", Options{JWKURL: "idp/jwks"}, p + `.jwk_url: "idp/jwks" is not an http or https URL`},
		{"plain http", Options{JWKURL: "http://idp/jwks"}, p + `.jwk_url: "http://idp/jwks" is plain http`},
		{"secret_url", Options{JWKLocalPath: "x", SecretURL: "base64key://a"}, p + ".secret_url: encrypted JWK files (secret_url, cypher_key) are not supported"},
		{"cypher_key", Options{JWKLocalPath: "x", CypherKey: "abc"}, p + ".cypher_key: encrypted JWK files"},
		{"strategy", Options{JWKURL: "https://idp/jwks", KeyIdentifyStrategy: "jku"}, p + `.key_identify_strategy: "jku" is not a strategy`},
		{"matcher", Options{JWKURL: "https://idp/jwks", ScopesMatcher: "some"}, p + `.scopes_matcher: "some" is not a matcher`},
		{"scopes without key", Options{JWKURL: "https://idp/jwks", Scopes: []string{"read"}}, p + ".scopes_key: scopes needs scopes_key"},
		{"header name", Options{JWKURL: "https://idp/jwks", AuthHeaderName: "X Auth"}, p + `.auth_header_name: "X Auth" is not a valid header name`},
		{"cookie name", Options{JWKURL: "https://idp/jwks", CookieKey: "a;b"}, p + `.cookie_key: "a;b" is not a valid cookie name`},
		{"pair of three", Options{JWKURL: "https://idp/jwks", PropagateClaims: [][]string{{"sub", "X-User", "x"}}}, p + ".propagate_claims[0]: must be a pair"},
		{"bad header", Options{JWKURL: "https://idp/jwks", PropagateClaims: [][]string{{"sub", "X User"}}}, p + `.propagate_claims[0][1]: "X User" is not a valid header name`},
		{"framing header", Options{JWKURL: "https://idp/jwks", PropagateClaims: [][]string{{"sub", "content-length"}}}, p + ".propagate_claims[0][1]: Content-Length cannot be set from a claim"},
		{"the token's header", Options{JWKURL: "https://idp/jwks", PropagateClaims: [][]string{{"sub", "authorization"}}}, p + ".propagate_claims[0][1]: Authorization cannot be set from a claim"},
		{"header twice", Options{JWKURL: "https://idp/jwks", PropagateClaims: [][]string{{"sub", "X-A"}, {"iss", "x-a"}}}, p + ".propagate_claims[1][1]: X-A is already set"},
		{"leeway", Options{JWKURL: "https://idp/jwks", Leeway: "soon"}, p + `.leeway: "soon" is not a duration`},
		{"cooldown", Options{JWKURL: "https://idp/jwks", FailedJWKKeyCooldown: "-1s"}, p + `.failed_jwk_key_cooldown: "-1s" is not a duration`},
		{"cache_duration", Options{JWKURL: "https://idp/jwks", Cache: true, CacheDuration: ptr(0)}, p + ".cache_duration: must be a number of seconds above zero"},
		{"fingerprint", Options{JWKURL: "https://idp/jwks", JWKFingerprints: []string{"abc"}}, p + `.jwk_fingerprints[0]: "abc" is not the base64 SHA-256`},
		{"insecure suite", Options{JWKURL: "https://idp/jwks", CipherSuites: []int{49199, 5}}, p + ".cipher_suites[1]: 5 (TLS_RSA_WITH_RC4_128_SHA) is an insecure cipher suite"},
		{"unknown suite", Options{JWKURL: "https://idp/jwks", CipherSuites: []int{1}}, p + ".cipher_suites[0]: 1 is not a TLS 1.2 cipher suite"},
		{"CA missing", Options{JWKURL: "https://idp/jwks", JWKLocalCA: "/nonexistent/ca.pem"}, p + ".jwk_local_ca: reading the CA file"},
		{"CA not PEM", Options{JWKURL: "https://idp/jwks", JWKLocalCA: ca}, p + ".jwk_local_ca: " + ca + " holds no PEM certificate"},
		{"local file missing", Options{JWKLocalPath: "/nonexistent/jwks.json"}, p + ".jwk_local_path: reading the JWK set"},
		{"local file not a set", Options{JWKLocalPath: ca}, p + ".jwk_local_path: not a JWK set"},
		{"local set without keys", Options{JWKLocalPath: writeFile(t, "empty.json", []byte(`{"keys": [{"kty": "XYZ"}]}`))}, p + ".jwk_local_path: the JWK set has no key lambdagate can use (1 skipped)"},
	}
	for _, tt := range tests {
		keys := NewKeySets(quietLogger(), "t")
		_, err := New(&tt.o, p, Deps{Keys: keys})
		keys.Close()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v\nwant it to hold %q", tt.name, err, tt.want)
		}
	}
}

// What the options default to and how they round.
func TestOptionDefaults(t *testing.T) {
	t.Parallel()
	var warns []string
	s, err := (&Options{JWKURL: "https://idp/jwks", Cache: true}).resolve("p", func(w string) { warns = append(warns, w) })
	if err != nil {
		t.Fatal(err)
	}
	if s.alg != "RS256" || s.header != "Authorization" || s.leeway != time.Second || s.strategy != "kid" ||
		s.remote.ttl != 900*time.Second || s.remote.cooldown != 5*time.Second || strings.Join(s.rolesPath, ".") != "roles" {
		t.Errorf("defaults = %+v", s)
	}
	s, _ = (&Options{JWKURL: "https://idp/jwks", Leeway: "1500ms", FailedJWKKeyCooldown: "500ms"}).resolve("p", nil)
	if s.leeway != 2*time.Second || s.remote.cooldown != 5*time.Second || s.remote.ttl != 0 {
		t.Errorf("leeway %v (want 2s, rounded), cooldown %v (want the default: under 1s is ignored), ttl %v (want none without cache)", s.leeway, s.remote.cooldown, s.remote.ttl)
	}
	s, _ = (&Options{JWKURL: "https://idp/jwks", Leeway: "100ms"}).resolve("p", nil)
	if s.leeway != time.Second {
		t.Errorf("leeway %v, want 1s at least", s.leeway)
	}
	_, err = (&Options{JWKURL: "https://idp/jwks", JWKLocalPath: "keys.json"}).resolve("p", func(w string) { warns = append(warns, w) })
	if err != nil || len(warns) != 1 || !strings.Contains(warns[0], "p.jwk_url: ignored: jwk_local_path has preference") {
		t.Errorf("warnings %q, error %v", warns, err)
	}
}

// The namespace is decoded strictly, under its name or its legacy one,
// never both.
func TestDecode(t *testing.T) {
	t.Parallel()
	parse := func(ec string) *config.Endpoint {
		t.Helper()
		s, _, err := config.Parse([]byte(`{"version": 3, "host": ["h"], "endpoints": [{"endpoint": "/a", "extra_config": ` + ec + `, "backend": [{"url_pattern": "/x"}]}]}`))
		if err != nil {
			t.Fatal(err)
		}
		return s.Endpoints[0]
	}
	e := parse(`{"github.com/devopsfaith/krakend-jose/validator": {"alg": "ES256", "jwk_url": "https://idp/jwks", "@comment": "x"}}`)
	o, path, ok, err := Decode(&e.ExtraConfig)
	if err != nil || !ok || o.Alg != "ES256" || path != `endpoints[0].extra_config["github.com/devopsfaith/krakend-jose/validator"]` {
		t.Errorf("legacy: %+v %s %v %v", o, path, ok, err)
	}
	if u := e.ExtraConfig.Unused(); len(u) != 0 {
		t.Errorf("unused after Decode: %v", u)
	}
	e = parse(`{"auth/validator": {"alg": "RS256", "jwk_urll": "https://idp/jwks"}}`)
	if _, _, _, err := Decode(&e.ExtraConfig); err == nil || !strings.Contains(err.Error(), `endpoints[0].extra_config["auth/validator"].jwk_urll: unknown key`) {
		t.Errorf("misspelt key: %v", err)
	}
	e = parse(`{"auth/validator": {"cache_duration": "15m"}}`)
	if _, _, _, err := Decode(&e.ExtraConfig); err == nil || !strings.Contains(err.Error(), `.cache_duration: must be a whole number`) {
		t.Errorf("cache_duration as a string: %v", err)
	}
	e = parse(`{"auth/validator": {}, "github.com/devopsfaith/krakend-jose/validator": {}}`)
	if _, _, _, err := Decode(&e.ExtraConfig); err == nil || !strings.Contains(err.Error(), "keep \"auth/validator\" only") {
		t.Errorf("both names: %v", err)
	}
	e = parse(`{}`)
	if _, _, ok, err := Decode(&e.ExtraConfig); ok || err != nil {
		t.Errorf("absent: %v %v", ok, err)
	}
}

// The service's auth/validator is KrakenD's shared JWK cache: accepted,
// with a warning that it is not used.
func TestDecodeService(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]string{
		`{"auth/validator": {"shared_cache_duration": 900}}`: `extra_config["auth/validator"]: shared_cache_duration is not used`,
		`{"auth/validator": {}}`:                             `extra_config["auth/validator"]: shared_cache_duration is required`,
		`{"auth/validator": {"alg": "RS256"}}`:               `extra_config["auth/validator"].alg: unknown key`,
	} {
		s, _, err := config.Parse([]byte(`{"version": 3, "host": ["h"], "extra_config": ` + src + `, "endpoints": [{"endpoint": "/a", "backend": [{"url_pattern": "/x"}]}]}`))
		if err != nil {
			t.Fatal(err)
		}
		warns, err := DecodeService(&s.ExtraConfig)
		got := strings.Join(warns, "\n")
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, want) {
			t.Errorf("%s: got %q, want %q", src, got, want)
		}
	}
}
