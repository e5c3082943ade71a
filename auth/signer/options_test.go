package signer

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/lambdagate/lambdagate/config"
)

// TestOptions: each refused value is named by its JSON path; what is
// accepted and not used is a warning.
func TestOptions(t *testing.T) {
	testKeys()
	suite := writeFile(t, "jwk.json", []byte(suiteJWKS))
	rsaFile := writeFile(t, "rsa.json", privateSet(t, map[string]any{"r": rsaKey}))
	public := writeFile(t, "pub.json", []byte(`{"keys":[{"kty":"EC","crv":"P-256","kid":"p","x":"`+b64(ecKey.X.Bytes())+`","y":"`+b64(ecKey.Y.Bytes())+`"}]}`))
	enc := writeFile(t, "enc.json", []byte(`{"keys":[{"kty":"oct","kid":"e","use":"enc","k":"`+sim2Secret+`"}]}`))
	base := func(mod func(*Options)) *Options {
		o := &Options{Alg: "HS256", KID: "sim2", KeysToSign: []string{"access_token"}, JWKLocalPath: suite}
		mod(o)
		return o
	}
	cases := []struct {
		name string
		o    *Options
		path string // of the error; "" for none
		msg  string
		warn string
	}{
		{name: "valid", o: base(func(*Options) {})},
		{name: "alg missing", o: base(func(o *Options) { o.Alg = "" }), path: nsPath + ".alg", msg: "is required"},
		{name: "alg unknown", o: base(func(o *Options) { o.Alg = "none" }), path: nsPath + ".alg", msg: `"none" is not an algorithm`},
		{name: "kid missing", o: base(func(o *Options) { o.KID = "" }), path: nsPath + ".kid", msg: "is required"},
		{name: "keys_to_sign empty", o: base(func(o *Options) { o.KeysToSign = nil }), path: nsPath + ".keys_to_sign", msg: "at least one"},
		{name: "keys_to_sign blank", o: base(func(o *Options) { o.KeysToSign = []string{"a", ""} }), path: nsPath + ".keys_to_sign[1]", msg: "is empty"},
		{name: "keys_to_sign twice", o: base(func(o *Options) { o.KeysToSign = []string{"a", "a"} }), path: nsPath + ".keys_to_sign[1]", msg: "twice"},
		{name: "no key source", o: base(func(o *Options) { o.JWKLocalPath = "" }), path: nsPath, msg: "needs jwk_url"},
		{name: "secret_url", o: base(func(o *Options) { o.SecretURL = "base64key://x" }), path: nsPath + ".secret_url", msg: "not supported"},
		{name: "cypher_key", o: base(func(o *Options) { o.CypherKey = "x" }), path: nsPath + ".cypher_key", msg: "not supported"},
		{name: "leeway bad", o: base(func(o *Options) { o.Leeway = "soon" }), path: nsPath + ".leeway", msg: "not a duration"},
		{name: "leeway warned", o: base(func(o *Options) { o.Leeway = "1m" }), warn: nsPath + ".leeway: not used"},
		{name: "jwk_url beside the file", o: base(func(o *Options) { o.JWKURL = "https://keys.example/jwk" }), warn: nsPath + ".jwk_url: ignored"},
		{name: "plain http", o: base(func(o *Options) { o.JWKLocalPath, o.JWKURL = "", "http://keys.example/jwk" }), path: nsPath + ".jwk_url", msg: "plain http"},
		{name: "not a URL", o: base(func(o *Options) { o.JWKLocalPath, o.JWKURL = "", "keys" }), path: nsPath + ".jwk_url", msg: "not an http or https URL"},
		{name: "fingerprint", o: base(func(o *Options) {
			o.JWKLocalPath, o.JWKURL, o.JWKFingerprints = "", "https://k.example", []string{"abc"}
		}), path: nsPath + ".jwk_fingerprints[0]", msg: "SHA-256"},
		{name: "insecure cipher", o: base(func(o *Options) { o.JWKLocalPath, o.JWKURL, o.CipherSuites = "", "https://k.example", []int{5} }), path: nsPath + ".cipher_suites[0]", msg: "insecure"},
		{name: "local CA missing", o: base(func(o *Options) {
			o.JWKLocalPath, o.JWKURL, o.JWKLocalCA = "", "https://k.example", "/nonexistent/ca.pem"
		}), path: nsPath + ".jwk_local_ca", msg: "reading"},
		{name: "file missing", o: base(func(o *Options) { o.JWKLocalPath = "/nonexistent/jwk.json" }), path: nsPath + ".jwk_local_path", msg: "reading the JWK set"},
		{name: "kid not in the set", o: base(func(o *Options) { o.KID = "sim3" }), path: nsPath + ".jwk_local_path", msg: `no usable key with kid "sim3"`},
		{name: "key for another algorithm", o: base(func(o *Options) { o.KID = "sim1" }), path: nsPath + ".jwk_local_path", msg: "marked for A128KW"},
		{name: "alg of another family", o: base(func(o *Options) { o.Alg, o.KID, o.JWKLocalPath = "ES256", "r", rsaFile }), path: nsPath + ".jwk_local_path", msg: "a RSA key cannot sign ES256"},
		{name: "public key", o: base(func(o *Options) { o.Alg, o.KID, o.JWKLocalPath = "ES256", "p", public }), path: nsPath + ".jwk_local_path", msg: "public key"},
		{name: "encryption key", o: base(func(o *Options) { o.KID, o.JWKLocalPath = "e", enc }), path: nsPath + ".jwk_local_path", msg: "encryption"},
		{name: "RSA signs PS256", o: base(func(o *Options) { o.Alg, o.KID, o.JWKLocalPath = "PS256", "r", rsaFile })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var warns []string
			s, err := New(c.o, nsPath, Deps{Warn: func(w string) { warns = append(warns, w) }})
			if s != nil {
				defer s.Close()
			}
			if c.path == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
			} else {
				if err == nil {
					t.Fatal("accepted")
				}
				if !strings.Contains(err.Error(), c.path+": ") || !strings.Contains(err.Error(), c.msg) {
					t.Errorf("error %q, want %s: …%s…", err, c.path, c.msg)
				}
			}
			if c.warn != "" && (len(warns) != 1 || !strings.HasPrefix(warns[0], c.warn)) {
				t.Errorf("warnings %q, want %q", warns, c.warn)
			}
			if c.warn == "" && len(warns) > 0 {
				t.Errorf("unexpected warnings %q", warns)
			}
		})
	}
}

// TestDecode reads the namespace and its legacy name strictly.
func TestDecode(t *testing.T) {
	for _, c := range []struct {
		name, json, err string
		present         bool
	}{
		{"absent", `{}`, "", false},
		{"current", `{"auth/signer":{"alg":"HS256","kid":"k","keys_to_sign":["a"],"jwk_url":"https://k.example"}}`, "", true},
		{"legacy", `{"github.com/devopsfaith/krakend-jose/signer":{"alg":"HS256","kid":"k","keys_to_sign":["a"],"jwk_url":"https://k.example"}}`, "", true},
		{"unknown key", `{"auth/signer":{"alg":"HS256","keys-to-sign":["a"]}}`, "keys-to-sign", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var raw map[string]json.RawMessage
			if err := json.Unmarshal([]byte(c.json), &raw); err != nil {
				t.Fatal(err)
			}
			x := config.NewExtraConfig("endpoints[0].extra_config", raw)
			o, _, err := Decode(&x)
			if (o != nil) != (c.present && c.err == "") || (c.err != "") != (err != nil) || err != nil && !strings.Contains(err.Error(), c.err) {
				t.Errorf("options %v, err %v", o, err)
			}
		})
	}
}
