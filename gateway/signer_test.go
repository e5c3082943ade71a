package gateway

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// TestSignerRoundTrip: a login endpoint's backend answers claims,
// auth/signer signs them with the private key of a JWK set file, and an
// auth/validator endpoint given the same file accepts the token; the
// backend's reply, unsigned, is not.
func TestSignerRoundTrip(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key, KeyID: "login", Algorithm: "RS256", Use: "sig"}}})
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(jwks, set, 0o600); err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour).Unix()
	be := backendServer(t, map[string]http.HandlerFunc{
		"/login": jsonReply(fmt.Sprintf(`{"access_token":{"iss":"https://gw.test","sub":"ada","roles":["user"],"exp":%d},"user":"ada"}`, exp)),
		"/me":    jsonReply(`{"ok":true}`),
	})
	cfg := parse(t, fmt.Sprintf(`{"version":3,"endpoints":[
	  {"endpoint":"/login","method":"POST","backend":[{"host":[%[1]q],"url_pattern":"/login"}],
	   "extra_config":{"auth/signer":{"alg":"RS256","kid":"login","keys_to_sign":["access_token"],"jwk_local_path":%[2]q}}},
	  {"endpoint":"/me","backend":[{"host":[%[1]q],"url_pattern":"/me"}],
	   "extra_config":{"auth/validator":{"alg":"RS256","jwk_local_path":%[2]q,"issuer":"https://gw.test","roles":["user"]}}}]}`, be, jwks))
	g, _, err := New(cfg, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	w := httptest.NewRecorder()
	g.Handler().ServeHTTP(w, httptest.NewRequest("POST", "/login", nil))
	var login struct {
		Token string `json:"access_token"`
		User  string `json:"user"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &login); err != nil || w.Code != 200 || login.User != "ada" || strings.Count(login.Token, ".") != 2 {
		t.Fatalf("login: %d %s (%v)", w.Code, w.Body, err)
	}
	if w.Header().Get("X-Krakend-Completed") != "" || w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("login headers: %v", w.Header())
	}
	for _, c := range []struct {
		token  string
		status int
	}{{login.Token, 200}, {"", 401}, {login.Token + "x", 401}} {
		r := httptest.NewRequest("GET", "/me", nil)
		if c.token != "" {
			r.Header.Set("Authorization", "Bearer "+c.token)
		}
		w := httptest.NewRecorder()
		g.Handler().ServeHTTP(w, r)
		if w.Code != c.status {
			t.Errorf("token %.12q…: status %d, want %d", c.token, w.Code, c.status)
		}
	}
}

// TestSignerRefused: a signer where it cannot sign is a start-up error at
// its path.
func TestSignerRefused(t *testing.T) {
	cases := map[string]string{
		`{"version":3,"endpoints":[{"endpoint":"/t","output_encoding":"no-op","backend":[{"host":["http://127.0.0.1:1"],"url_pattern":"/","encoding":"no-op"}],
		  "extra_config":{"auth/signer":{"alg":"HS256","kid":"k","keys_to_sign":["a"],"jwk_url":"https://keys.test/jwk"}}}]}`: `endpoints[0].extra_config["auth/signer"]: needs the response's data`,
		`{"version":3,"endpoints":[{"endpoint":"/t","backend":[{"host":["http://127.0.0.1:1"],"url_pattern":"/"}],
		  "extra_config":{"auth/signer":{"alg":"XS256","kid":"k","keys_to_sign":["a"],"jwk_url":"https://keys.test/jwk"}}}]}`: `endpoints[0].extra_config["auth/signer"].alg: "XS256"`,
		`{"version":3,"endpoints":[{"endpoint":"/t","backend":[{"host":["http://127.0.0.1:1"],"url_pattern":"/",
		  "extra_config":{"auth/signer":{"alg":"HS256","kid":"k","keys_to_sign":["a"],"jwk_url":"https://keys.test/jwk"}}}]}]}`: `endpoints[0].backend[0].extra_config["auth/signer"]: lambdagate reads "auth/signer" on endpoints only`,
	}
	for src, want := range cases {
		_, _, err := New(parse(t, src), Options{Logger: quiet})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want …%s…", err, want)
		}
	}
}
