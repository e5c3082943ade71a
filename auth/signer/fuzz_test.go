package signer

import (
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// FuzzJWKSet feeds newJoseSigner arbitrary JWK set documents: it never
// panics, and a signer it returns signs.
func FuzzJWKSet(f *testing.F) {
	f.Add([]byte(suiteJWKS), "sim2")
	f.Add([]byte(`{"keys":[{"kty":"oct","kid":"a","k":""}]}`), "a")
	f.Add([]byte(`{"keys":[{"kty":"RSA","kid":"r","n":"AQAB","e":"AQAB","d":"AQ"}]}`), "r")
	f.Add([]byte(`{"keys":null}`), "")
	f.Add([]byte(`[]`), "x")
	f.Fuzz(func(t *testing.T, doc []byte, kid string) {
		for _, alg := range []jose.SignatureAlgorithm{jose.HS256, jose.RS256, jose.ES256, jose.EdDSA} {
			s, err := newJoseSigner(doc, kid, alg)
			if err != nil {
				continue
			}
			if _, err := s.Sign([]byte(`{}`)); err != nil {
				t.Errorf("%s: a signer that cannot sign: %v", alg, err)
			}
		}
	})
}
