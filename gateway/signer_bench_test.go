//go:build unix

package gateway

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// BenchmarkPipelineSigner is one GET of a login endpoint whose backend
// answers a token's claims, without auth/signer (the reply passes
// through) and with it (the claims signed on every request): HS256 with a
// 64-byte secret, RS256 with a 2048-bit key, ES256 with P-256. Besides
// ns/op it reports cpu-ns/op, the process's CPU time per request.
func BenchmarkPipelineSigner(b *testing.B) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	secret := make([]byte, 64)
	rand.Read(secret)
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: secret, KeyID: "hs", Algorithm: "HS256"}, {Key: rsaKey, KeyID: "rs", Algorithm: "RS256"}, {Key: ecKey, KeyID: "es", Algorithm: "ES256"},
	}})
	jwks := filepath.Join(b.TempDir(), "jwks.json")
	if err := os.WriteFile(jwks, set, 0o600); err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"access_token":{"aud":"http://api.example.com","iss":"https://krakend.io","sub":"1234567890qwertyuio","jti":"mnb23vcsrt756yuiomnbvcx98ertyuiop","roles":["role_a","role_b"],"exp":1735689600},"user":"ada"}`)
	signer := func(alg, kid string) string {
		return `{"auth/signer":{"alg":"` + alg + `","kid":"` + kid + `","keys_to_sign":["access_token"],"jwk_local_path":"` + jwks + `"}}`
	}
	cases := []struct{ name, extra string }{
		{"off", `{}`},
		{"hs256", signer("HS256", "hs")},
		{"rs256", signer("RS256", "rs")},
		{"es256", signer("ES256", "es")},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			h := benchGateway(b, `{"version":3,"host":["h"],"extra_config":{"router":{"disable_access_log":true}},"endpoints":[{"endpoint":"/token","extra_config":`+c.extra+`,"backend":[{"url_pattern":"/token"}]}]}`, body)
			start := cpuTime()
			serve(b, h, httptest.NewRequest("GET", "/token", nil))
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		})
	}
}
