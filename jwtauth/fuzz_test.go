package jwtauth

import (
	"net/http"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// FuzzValidate feeds arbitrary tokens to the parsing and checking path:
// it must never panic, answer only 401 or 403 for a token it refuses, and
// accept only tokens the test's key signed (whose sub is "fuzz-user").
func FuzzValidate(f *testing.F) {
	testKeys()
	o := Options{
		JWKLocalPath: writeFile(f, "jwks.json", jwks(f, map[string]any{"a": rsaA, "b": rsaB})),
		Issuer:       "https://idp.test", Audience: []string{"api"}, Roles: []string{"admin"},
		PropagateClaims: [][]string{{"sub", "X-User"}, {"realm.roles", "X-Roles"}},
	}
	keys := NewKeySets(quietLogger(), "fuzz")
	f.Cleanup(keys.Close)
	v, err := New(&o, "fuzz", Deps{Keys: keys})
	if err != nil {
		f.Fatal(err)
	}
	valid := signA(f, map[string]any{"sub": "fuzz-user", "roles": []string{"admin"}, "realm": map[string]any{"roles": []any{"x", 1.5, nil}}})
	parts := strings.Split(valid, ".")
	for _, seed := range []string{
		valid,
		signA(f, map[string]any{"sub": "fuzz-user"}),
		sign(f, rsaEvil, jose.RS256, map[string]any{"kid": "a"}, claims(map[string]any{"sub": "fuzz-user"})),
		sign(f, rsaA, jose.RS256, nil, claims(map[string]any{"sub": "fuzz-user"})),
		compact(map[string]any{"alg": "none", "kid": "a"}, claims(nil), nil),
		hs256(map[string]any{"alg": "HS256", "kid": "a"}, claims(nil), []byte("secret")),
		parts[0] + "." + parts[1] + ".",
		parts[0] + ".e30." + parts[2],
		"", ".", "..", "a.b.c", "a.b.c.d.e", "Bearer x",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, status, err := v.validate(t.Context(), token, time.Now())
		switch status {
		case 0:
			if c["sub"] != "fuzz-user" {
				t.Fatalf("accepted a token the test did not sign: claims %v", c)
			}
			h := http.Header{"X-User": {"forged"}}
			v.propagateClaims(h, c)
			if h.Get("X-User") != "fuzz-user" {
				t.Fatalf("X-User = %q", h.Get("X-User"))
			}
		case http.StatusUnauthorized, http.StatusForbidden:
			if err == nil || c != nil {
				t.Fatalf("refused with %d, error %v, claims %v", status, err, c)
			}
		default:
			t.Fatalf("status %d", status)
		}
	})
}
