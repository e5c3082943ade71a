package signer

import (
	"fmt"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/jwtauth"
)

// Namespace is the extra_config key of an endpoint's Options.
const Namespace = "auth/signer"

// LegacyNamespace is KrakenD's old name of Namespace, still accepted on
// endpoints.
const LegacyNamespace = "github.com/devopsfaith/krakend-jose/signer"

// Options is an endpoint's auth/signer namespace, with KrakenD's names.
type Options struct {
	// Alg is the signature algorithm (required): EdDSA, HS256, HS384,
	// HS512, RS256, RS384, RS512, ES256, ES384, ES512, PS256, PS384 or
	// PS512.
	Alg string `json:"alg"`
	// KID is the key id of the JWK that signs (required); it is also the
	// token header's kid.
	KID string `json:"kid"`
	// KeysToSign are the response fields to sign (required): each one that
	// holds an object is replaced by its token.
	KeysToSign []string `json:"keys_to_sign"`
	// Full writes the JWS JSON serialization instead of the compact form.
	Full bool `json:"full"`
	// JWKURL is where the JWK set with the private key is fetched: https,
	// or http with DisableJWKSecurity.
	JWKURL string `json:"jwk_url"`
	// JWKLocalPath is a file holding the JWK set; it wins over JWKURL.
	JWKLocalPath string `json:"jwk_local_path"`
	// JWKLocalCA is a PEM file of CA certificates trusted, besides the
	// system's, for the JWKURL server.
	JWKLocalCA string `json:"jwk_local_ca"`
	// JWKFingerprints pins the JWKURL server: the base64 SHA-256 of the
	// public key of a certificate it presents.
	JWKFingerprints []string `json:"jwk_fingerprints"`
	// CipherSuites are the TLS 1.2 cipher suites offered to the JWKURL
	// server, by IANA number (default Go's).
	CipherSuites []int `json:"cipher_suites"`
	// DisableJWKSecurity allows a plain-http JWKURL.
	DisableJWKSecurity bool `json:"disable_jwk_security"`
	// Leeway is in KrakenD's schema; a signer checks no token, so it is
	// accepted (a duration) and not used.
	Leeway string `json:"leeway"`
	// SecretURL and CypherKey decrypt an encrypted JWKLocalPath in KrakenD;
	// lambdagate refuses them.
	SecretURL string `json:"secret_url"`
	CypherKey string `json:"cypher_key"`
}

// Decode reads an endpoint's auth/signer namespace (or its legacy name)
// from x. It returns nil options when neither is present, and the JSON
// path of the namespace, for errors.
func Decode(x *config.ExtraConfig) (*Options, string, error) {
	var o Options
	ns, err := x.DecodeWithLegacy(Namespace, LegacyNamespace, &o)
	if ns == "" {
		return nil, config.Join(x.Path, Namespace), err
	}
	path := config.Join(x.Path, ns)
	if err != nil {
		return nil, path, err
	}
	return &o, path, nil
}

// algorithms are the values of alg, KrakenD's list.
var algorithms = map[string]jose.SignatureAlgorithm{
	"EdDSA": jose.EdDSA,
	"HS256": jose.HS256, "HS384": jose.HS384, "HS512": jose.HS512,
	"RS256": jose.RS256, "RS384": jose.RS384, "RS512": jose.RS512,
	"ES256": jose.ES256, "ES384": jose.ES384, "ES512": jose.ES512,
	"PS256": jose.PS256, "PS384": jose.PS384, "PS512": jose.PS512,
}

// settings are Options checked, ready to build from.
type settings struct {
	alg   jose.SignatureAlgorithm
	kid   string
	keys  []string
	full  bool
	local string // jwk_local_path; remote otherwise
}

// resolve checks o; every problem is a config.Error at its JSON path
// under path. warn receives what is accepted and not used.
func (o *Options) resolve(path string, warn func(string)) (settings, error) {
	var errs config.Errors
	at := func(key string) string { return config.Join(path, key) }
	s := settings{kid: o.KID, full: o.Full, local: o.JWKLocalPath}
	if alg, ok := algorithms[o.Alg]; ok {
		s.alg = alg
	} else if o.Alg == "" {
		errs.Add(at("alg"), "is required: the algorithm that signs, such as \"RS256\" or \"HS256\"")
	} else {
		errs.Add(at("alg"), "%q is not an algorithm KrakenD knows: use one of EdDSA, HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES384, ES512, PS256, PS384, PS512", o.Alg)
	}
	if o.KID == "" {
		errs.Add(at("kid"), "is required: the key id (kid) of the JWK that signs")
	}
	if len(o.KeysToSign) == 0 {
		errs.Add(at("keys_to_sign"), "is required and must name at least one response field to sign, such as [\"access_token\", \"refresh_token\"]")
	}
	for i, k := range o.KeysToSign {
		switch {
		case k == "":
			errs.Add(config.Index(at("keys_to_sign"), i), "is empty: name a field of the response")
		case slices.Contains(o.KeysToSign[:i], k):
			errs.Add(config.Index(at("keys_to_sign"), i), "%q is listed twice", k)
		default:
			s.keys = append(s.keys, k)
		}
	}
	jwtauth.RefuseEncryptedKeySet(&errs, path, o.SecretURL, o.CypherKey)
	switch {
	case o.JWKLocalPath != "":
		if o.JWKURL != "" {
			warn(fmt.Sprintf("%s: ignored: jwk_local_path has preference over it, as in KrakenD", at("jwk_url")))
		}
	case o.JWKURL == "":
		errs.Add(path, "needs jwk_url (where the JWK set with the signing key is fetched) or jwk_local_path (a file holding it)")
	}
	if o.Leeway != "" {
		if d, err := time.ParseDuration(o.Leeway); err != nil || d < 0 {
			errs.Add(at("leeway"), "%q is not a duration: write a number with a unit, such as \"1s\" or \"1m\"", o.Leeway)
		} else {
			warn(fmt.Sprintf("%s: not used: a signer checks no token's expiry (leeway applies to auth/validator)", at("leeway")))
		}
	}
	return s, errs.Err()
}
