package signer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"go.uber.org/goleak"

	"github.com/lambdagate/lambdagate/jwtauth"
	"github.com/lambdagate/lambdagate/proxy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const nsPath = `endpoints[3].extra_config["auth/signer"]`

// TestSuiteToken signs the claims of KrakenD CE's /token endpoint with the
// suite's key and compares the token with the one KrakenD answers (spec
// jwt_4): same header, same payload bytes, same signature.
func TestSuiteToken(t *testing.T) {
	s, err := New(&Options{Alg: "HS256", KID: "sim2", KeysToSign: []string{"access_token"}, JWKLocalPath: writeFile(t, "jwk.json", []byte(suiteJWKS))}, nsPath, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]any{"access_token": map[string]any{
		"aud": "http://api.example.com", "iss": "https://krakend.io", "sub": "1234567890qwertyuio",
		"jti": "mnb23vcsrt756yuiomnbvcx98ertyuiop", "roles": []any{"role_y"}, "exp": json.Number("1735689600"),
	}}
	out, err := s.Sign(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	const want = "eyJhbGciOiJIUzI1NiIsImtpZCI6InNpbTIifQ.eyJhdWQiOiJodHRwOi8vYXBpLmV4YW1wbGUuY29tIiwiZXhwIjoxNzM1Njg5NjAwLCJpc3MiOiJodHRwczovL2tyYWtlbmQuaW8iLCJqdGkiOiJtbmIyM3Zjc3J0NzU2eXVpb21uYnZjeDk4ZXJ0eXVpb3AiLCJyb2xlcyI6WyJyb2xlX3kiXSwic3ViIjoiMTIzNDU2Nzg5MHF3ZXJ0eXVpbyJ9.LRUfHzFra-9kmG_VTqA1FWFEbe3yZon7Y8yWN6CGPzk"
	if out["access_token"] != want {
		t.Errorf("token\n%v\nwant\n%s", out["access_token"], want)
	}
	if _, ok := data["access_token"].(map[string]any); !ok {
		t.Error("the pipeline's data was changed")
	}
}

// TestRoundTrip signs with each family of algorithms and checks that an
// auth/validator endpoint given the same key set accepts the token.
func TestRoundTrip(t *testing.T) {
	testKeys()
	secret := make([]byte, 64)
	for i := range secret {
		secret[i] = byte(i)
	}
	cases := []struct {
		alg string
		key any
	}{
		{"RS256", rsaKey}, {"PS384", rsaKey}, {"ES256", ecKey}, {"EdDSA", edKey}, {"HS512", secret},
	}
	for _, c := range cases {
		t.Run(c.alg, func(t *testing.T) {
			file := writeFile(t, "jwk.json", privateSet(t, map[string]any{"k1": c.key}))
			s, err := New(&Options{Alg: c.alg, KID: "k1", KeysToSign: []string{"access_token"}, JWKLocalPath: file}, nsPath, Deps{})
			if err != nil {
				t.Fatal(err)
			}
			claims := map[string]any{"iss": "https://issuer.example", "aud": "api", "sub": "u1", "roles": []any{"admin"}, "exp": json.Number("4102444800")}
			out, err := s.Sign(context.Background(), map[string]any{"access_token": claims, "kept": "as is"})
			if err != nil {
				t.Fatal(err)
			}
			token, _ := out["access_token"].(string)
			if strings.Count(token, ".") != 2 || out["kept"] != "as is" {
				t.Fatalf("signed data: %v", out)
			}
			keys := jwtauth.NewKeySets(nil, "test")
			defer keys.Close()
			v, err := jwtauth.New(&jwtauth.Options{Alg: c.alg, JWKLocalPath: file, Issuer: "https://issuer.example", Audience: []string{"api"}, Roles: []string{"admin"}},
				`endpoints[4].extra_config["auth/validator"]`, jwtauth.Deps{Keys: keys})
			if err != nil {
				t.Fatal(err)
			}
			reached := false
			h := v.Wrap(func(w http.ResponseWriter, r *http.Request, _ []string) { reached = true })
			for _, tc := range []struct {
				token string
				ok    bool
			}{{token, true}, {tamper(token), false}} {
				reached = false
				r := httptest.NewRequest("GET", "/private", nil)
				r.Header.Set("Authorization", "Bearer "+tc.token)
				w := httptest.NewRecorder()
				h(w, r, nil)
				if reached != tc.ok {
					t.Errorf("token accepted %v, want %v (status %d)", reached, tc.ok, w.Code)
				}
			}
		})
	}
}

// TestFull checks the JWS JSON serialization of full.
func TestFull(t *testing.T) {
	testKeys()
	file := writeFile(t, "jwk.json", privateSet(t, map[string]any{"k1": ecKey}))
	s, err := New(&Options{Alg: "ES256", KID: "k1", KeysToSign: []string{"t"}, Full: true, JWKLocalPath: file}, nsPath, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Sign(context.Background(), map[string]any{"t": map[string]any{"a": 1}})
	if err != nil {
		t.Fatal(err)
	}
	full, _ := out["t"].(string)
	var doc map[string]any
	if err := json.Unmarshal([]byte(full), &doc); err != nil || doc["payload"] == nil || doc["signature"] == nil {
		t.Fatalf("not a JSON serialization: %q (%v)", full, err)
	}
	jws, err := jose.ParseSigned(full, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := jws.Verify(&ecKey.PublicKey)
	if err != nil || string(payload) != `{"a":1}` || jws.Signatures[0].Header.KeyID != "k1" {
		t.Errorf("payload %s, kid %q, err %v", payload, jws.Signatures[0].Header.KeyID, err)
	}
}

// TestSignFields: only the listed fields holding objects are signed.
func TestSignFields(t *testing.T) {
	s, err := New(&Options{Alg: "HS256", KID: "sim2", KeysToSign: []string{"a", "b", "c", "missing"}, JWKLocalPath: writeFile(t, "jwk.json", []byte(suiteJWKS))}, nsPath, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	nested := map[string]any{"x": 1}
	data := map[string]any{"a": map[string]any{"sub": "1"}, "b": "a string", "c": []any{1}, "d": map[string]any{"y": 2}, "e": map[string]any{"a": nested}}
	out, err := s.Sign(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := out["a"].(string)
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("a: %v", out["a"])
	}
	if p, _ := base64.RawURLEncoding.DecodeString(parts[1]); string(p) != `{"sub":"1"}` {
		t.Errorf("payload %s", p)
	}
	if out["b"] != "a string" || len(out["c"].([]any)) != 1 || out["d"].(map[string]any)["y"] != 2 || out["e"].(map[string]any)["a"].(map[string]any)["x"] != 1 {
		t.Errorf("fields not listed or not objects changed: %v", out)
	}
	if _, ok := data["a"].(map[string]any); !ok {
		t.Error("the input was changed")
	}
	// Nothing to sign: the data is returned as it is.
	plain := map[string]any{"b": "x"}
	if got, err := s.Sign(context.Background(), plain); err != nil || got["b"] != "x" {
		t.Errorf("%v %v", got, err)
	}
}

// TestRespond checks the answer KrakenD's signer writes.
func TestRespond(t *testing.T) {
	s, err := New(&Options{Alg: "HS256", KID: "sim2", KeysToSign: []string{"t"}, JWKLocalPath: writeFile(t, "jwk.json", []byte(suiteJWKS))}, nsPath, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		resp       *proxy.Response
		err        error
		status     int
		body       string
		header     map[string]string
		wantErr    bool
		signedBody bool
	}{
		{name: "error", err: errors.New("backend down"), status: 400, wantErr: true, header: map[string]string{"Content-Type": ""}},
		{name: "partial", resp: &proxy.Response{Data: map[string]any{"t": map[string]any{}}}, err: errors.New("one failed"), status: 400, wantErr: true},
		{name: "no response", status: 400, wantErr: true},
		{name: "status and headers", resp: &proxy.Response{IsComplete: true, Data: map[string]any{"n": json.Number("1.50"), "s": "<a&b>"},
			Metadata: proxy.Metadata{StatusCode: 201, Headers: http.Header{"X-A": {"1", "2"}, "Content-Type": {"text/plain"}}}},
			status: 201, body: `{"n":1.50,"s":"\u003ca\u0026b\u003e"}` + "\n", header: map[string]string{"X-A": "1", "Content-Type": jsonType, "Cache-Control": "", "X-Krakend-Completed": ""}},
		{name: "no status", resp: &proxy.Response{IsComplete: true, Data: map[string]any{"t": map[string]any{"sub": "1"}}}, status: 200, signedBody: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			status, err := s.Respond(context.Background(), w, c.resp, c.err)
			if status != c.status || w.Code != c.status || (err != nil) != c.wantErr {
				t.Fatalf("status %d (written %d), err %v", status, w.Code, err)
			}
			if c.signedBody {
				var got map[string]string
				if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || strings.Count(got["t"], ".") != 2 || !strings.HasSuffix(w.Body.String(), "}\n") {
					t.Errorf("body %q", w.Body)
				}
			} else if w.Body.String() != c.body {
				t.Errorf("body %q, want %q", w.Body, c.body)
			}
			for k, v := range c.header {
				if got := w.Header().Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestRemote fetches the key from jwk_url when the first request needs it,
// keeps it, and after a failure answers 500 at once until the cooldown
// ends.
func TestRemote(t *testing.T) {
	var calls atomic.Int32
	var broken atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("User-Agent") != "lambdagate Version test" {
			http.Error(w, "no user agent", 400)
			return
		}
		if broken.Load() {
			http.Error(w, "down", 503)
			return
		}
		w.Write([]byte(suiteJWKS))
	}))
	defer srv.Close()
	newSigner := func() *Signer {
		s, err := New(&Options{Alg: "HS256", KID: "sim2", KeysToSign: []string{"t"}, JWKURL: srv.URL + "/jwk/symmetric", DisableJWKSecurity: true}, nsPath, Deps{UserAgent: "lambdagate Version test"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return s
	}
	data := map[string]any{"t": map[string]any{"sub": "1"}}
	s := newSigner()
	if calls.Load() != 0 {
		t.Fatal("fetched before any request needed the key")
	}
	for range 3 {
		if _, err := s.Sign(context.Background(), data); err != nil {
			t.Fatal(err)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("%d fetches, want 1", calls.Load())
	}
	broken.Store(true)
	s = newSigner()
	for range 3 {
		w := httptest.NewRecorder()
		status, err := s.Respond(context.Background(), w, &proxy.Response{IsComplete: true, Data: data}, nil)
		if status != 500 || w.Code != 500 || !errors.Is(err, ErrNoKey) || w.Body.Len() != 0 {
			t.Fatalf("status %d, err %v, body %q", status, err, w.Body)
		}
	}
	if calls.Load() != 2 {
		t.Errorf("%d fetches, want 2 (one failure, then the cooldown)", calls.Load())
	}
	// A request whose client left starts no cooldown.
	s2 := newSigner()
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s2.Sign(gone, data); !errors.Is(err, ErrNoKey) {
		t.Fatalf("canceled request: %v", err)
	}
	if !s2.failed.IsZero() {
		t.Error("a canceled request started the cooldown")
	}
	broken.Store(false)
	if _, err := s2.Sign(context.Background(), data); err != nil {
		t.Errorf("after a canceled request: %v", err)
	}
	s.mu.Lock()
	s.failed = time.Now().Add(-Cooldown)
	s.mu.Unlock()
	if _, err := s.Sign(context.Background(), data); err != nil {
		t.Errorf("after the cooldown: %v", err)
	}
}

// tamper changes the first character of token's signature.
func tamper(token string) string {
	i := strings.LastIndexByte(token, '.') + 1
	c := byte('A')
	if token[i] == 'A' {
		c = 'B'
	}
	return token[:i] + string(c) + token[i+1:]
}
