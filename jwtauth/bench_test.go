package jwtauth

import (
	"testing"
	"time"
)

// BenchmarkValidate measures the token check alone, RS256 with a 2048-bit
// key: "verify" checks the signature every time (a token seen for the
// first time), "remembered" is the same token again.
func BenchmarkValidate(b *testing.B) {
	testKeys()
	o := Options{JWKLocalPath: writeFile(b, "jwks.json", jwks(b, map[string]any{"a": rsaA, "b": rsaB})), Issuer: "https://idp.test", Audience: []string{"api"}, Roles: []string{"user"}}
	keys := NewKeySets(quietLogger(), "bench")
	defer keys.Close()
	v, err := New(&o, "bench", Deps{Keys: keys})
	if err != nil {
		b.Fatal(err)
	}
	tok := signA(b, map[string]any{"roles": []string{"admin", "user"}, "scope": "read write", "email": "ada@example.com"})
	ks := v.keys.current()
	b.Run("verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ks.verified.drop(tokenDigest(tok))
			if _, status, err := v.validate(b.Context(), tok, time.Now()); status != 0 {
				b.Fatal(err)
			}
		}
	})
	b.Run("remembered", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, status, err := v.validate(b.Context(), tok, time.Now()); status != 0 {
				b.Fatal(err)
			}
		}
	})
}
