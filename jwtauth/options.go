package jwtauth

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/net/http/httpguts"

	"github.com/lambdagate/lambdagate/config"
)

// Namespace is the extra_config key of an endpoint's Options; on the
// service it holds ServiceOptions.
const Namespace = "auth/validator"

// LegacyNamespace is KrakenD's old name of Namespace, still accepted on
// endpoints.
const LegacyNamespace = "github.com/devopsfaith/krakend-jose/validator"

// Defaults of the options KrakenD documents one for.
const (
	DefaultAlg            = "RS256"
	DefaultCacheDuration  = 900 * time.Second
	DefaultCooldown       = 5 * time.Second
	DefaultLeeway         = time.Second
	DefaultRolesKey       = "roles"
	DefaultAuthHeaderName = "Authorization"
)

// Options is an endpoint's auth/validator namespace, with KrakenD's names.
type Options struct {
	// Alg is the only signature algorithm accepted (default RS256).
	Alg string `json:"alg"`
	// JWKURL is where the JWK set is fetched: https, or http with
	// DisableJWKSecurity.
	JWKURL string `json:"jwk_url"`
	// JWKLocalPath is a file holding the JWK set; it wins over JWKURL.
	JWKLocalPath string `json:"jwk_local_path"`
	// JWKLocalCA is a PEM file of CA certificates trusted, besides the
	// system's, for the JWKURL server.
	JWKLocalCA string `json:"jwk_local_ca"`
	// JWKFingerprints pins the JWKURL server: the base64 SHA-256 of the
	// public key (SubjectPublicKeyInfo) of a certificate it presents.
	JWKFingerprints []string `json:"jwk_fingerprints"`
	// Cache makes the fetched keys expire after CacheDuration; without it
	// they are kept until a token names a key they lack.
	Cache bool `json:"cache"`
	// CacheDuration is, in seconds, how long fetched keys are fresh when
	// Cache is on (default 900).
	CacheDuration *int `json:"cache_duration"`
	// FailedJWKKeyCooldown is the least time between two fetches of the
	// JWK set (default 5s; under 1s, the default).
	FailedJWKKeyCooldown string `json:"failed_jwk_key_cooldown"`
	// DisableJWKSecurity allows a plain-http JWKURL.
	DisableJWKSecurity bool `json:"disable_jwk_security"`
	// KeyIdentifyStrategy says which token header picks the key: kid
	// (default), x5t, x5t#S256 or kid_x5t.
	KeyIdentifyStrategy string `json:"key_identify_strategy"`
	// Audience lists audiences the token's aud must all hold.
	Audience []string `json:"audience"`
	// Issuer is the iss the token must have.
	Issuer string `json:"issuer"`
	// Roles lists roles of which the token must hold one (else 403).
	Roles []string `json:"roles"`
	// RolesKey is the claim holding the roles (default "roles").
	RolesKey string `json:"roles_key"`
	// RolesKeyIsNested reads RolesKey as a dot path.
	RolesKeyIsNested bool `json:"roles_key_is_nested"`
	// Scopes lists scopes the token must hold (else 403): any, or all of
	// them with ScopesMatcher "all".
	Scopes []string `json:"scopes"`
	// ScopesKey is the claim holding the scopes (a dot path).
	ScopesKey string `json:"scopes_key"`
	// ScopesMatcher is "any" (default) or "all".
	ScopesMatcher string `json:"scopes_matcher"`
	// CookieKey is a cookie that holds the token when the header does not.
	CookieKey string `json:"cookie_key"`
	// AuthHeaderName is the header holding the token (default
	// Authorization), with or without "Bearer ".
	AuthHeaderName string `json:"auth_header_name"`
	// PropagateClaims copies claims to request headers: [claim, header]
	// pairs, the claim a dot path.
	PropagateClaims [][]string `json:"propagate_claims"`
	// PropagateClaimsPreserveArray sends an array claim as one header value
	// per element instead of joined with commas.
	PropagateClaimsPreserveArray bool `json:"propagate_claims_preserve_array"`
	// Leeway is the clock skew allowed on exp, nbf and iat (default 1s,
	// rounded to seconds, at least 1s).
	Leeway string `json:"leeway"`
	// OperationDebug logs why each token was refused, at level ERROR.
	OperationDebug bool `json:"operation_debug"`
	// CipherSuites are the TLS 1.2 cipher suites offered to the JWKURL
	// server, by IANA number (default Go's).
	CipherSuites []int `json:"cipher_suites"`
	// SecretURL and CypherKey decrypt an encrypted JWKLocalPath in KrakenD;
	// lambdagate refuses them.
	SecretURL string `json:"secret_url"`
	CypherKey string `json:"cypher_key"`
}

// ServiceOptions is the service's auth/validator namespace: KrakenD's
// shared JWK cache.
type ServiceOptions struct {
	// SharedCacheDuration is, in seconds, KrakenD's second-level cache of
	// jwk_url responses. lambdagate's key sets are shared already: it is
	// accepted and not used.
	SharedCacheDuration *int `json:"shared_cache_duration"`
}

// DecodeService reads the service's auth/validator namespace; it returns
// warnings for what is accepted and not used.
func DecodeService(x *config.ExtraConfig) ([]string, error) {
	var o ServiceOptions
	present, err := x.Decode(Namespace, &o)
	if err != nil || !present {
		return nil, err
	}
	path := config.Join(x.Path, Namespace)
	if o.SharedCacheDuration == nil {
		return nil, &config.Error{Path: path, Msg: "shared_cache_duration is required (a number of seconds)"}
	}
	return []string{fmt.Sprintf("%s: shared_cache_duration is not used: lambdagate keeps one key set per jwk_url, shared by every endpoint, and each endpoint's cache_duration applies", path)}, nil
}

// Decode reads an endpoint's auth/validator namespace (or its legacy
// name) from x. It reports whether one was present and returns the JSON
// path of the namespace, for errors.
func Decode(x *config.ExtraConfig) (*Options, string, bool, error) {
	var o Options
	ns, err := x.DecodeWithLegacy(Namespace, LegacyNamespace, &o)
	if ns == "" {
		return nil, config.Join(x.Path, Namespace), false, err
	}
	path := config.Join(x.Path, ns)
	if err != nil {
		return nil, path, true, err
	}
	return &o, path, true, nil
}

// settings are Options checked and resolved, ready to build from.
type settings struct {
	alg       jose.SignatureAlgorithm
	local     string // jwk_local_path, wins over remote
	remote    remoteSpec
	strategy  string
	audience  []string
	issuer    string
	roles     []string
	rolesPath []string
	scopes    []string
	scopesAll bool
	scopesKey []string
	cookie    string
	header    string
	propagate []propagation
	preserve  bool
	leeway    time.Duration
	debug     bool
}

// remoteSpec is what a key set fetched from a URL is built from; the
// endpoints sharing a URL must agree on its client part.
type remoteSpec struct {
	url       string
	client    clientSpec
	ttl       time.Duration // 0: no expiry
	cooldown  time.Duration
	userAgent string
}

// clientSpec is the HTTP client part of a remoteSpec.
type clientSpec struct {
	insecure bool
	caFile   string
	caPool   *x509.CertPool
	pins     [][32]byte
	ciphers  []uint16
}

func (c clientSpec) equal(o clientSpec) bool {
	return c.insecure == o.insecure && c.caFile == o.caFile && slices.Equal(c.pins, o.pins) && slices.Equal(c.ciphers, o.ciphers)
}

// propagation is one propagate_claims pair.
type propagation struct {
	claim  []string // the dot path, one element when taken literally
	header string   // canonical header name
}

var algorithms = map[string]jose.SignatureAlgorithm{
	"EdDSA": jose.EdDSA,
	"HS256": jose.HS256, "HS384": jose.HS384, "HS512": jose.HS512,
	"RS256": jose.RS256, "RS384": jose.RS384, "RS512": jose.RS512,
	"ES256": jose.ES256, "ES384": jose.ES384, "ES512": jose.ES512,
	"PS256": jose.PS256, "PS384": jose.PS384, "PS512": jose.PS512,
}

// Strategies of key_identify_strategy.
const (
	strategyKid     = "kid"
	strategyX5t     = "x5t"
	strategyX5tS256 = "x5t#S256"
	strategyKidX5t  = "kid_x5t"
)

// headersNeverPropagated are the request headers a claim may not set:
// they frame the request or route it.
var headersNeverPropagated = []string{"Host", "Content-Length", "Transfer-Encoding", "Connection", "Te", "Trailer", "Upgrade", "Keep-Alive", "Proxy-Connection"}

// resolve checks o and returns its settings; every problem is a
// config.Error at its JSON path under path. warn receives what is
// accepted and not used.
func (o *Options) resolve(path string, warn func(string)) (settings, error) {
	var errs config.Errors
	at := func(key string) string { return config.Join(path, key) }
	s := settings{
		strategy:  strategyKid,
		audience:  o.Audience,
		issuer:    o.Issuer,
		roles:     o.Roles,
		scopes:    o.Scopes,
		cookie:    o.CookieKey,
		header:    DefaultAuthHeaderName,
		preserve:  o.PropagateClaimsPreserveArray,
		leeway:    DefaultLeeway,
		debug:     o.OperationDebug,
		scopesAll: o.ScopesMatcher == "all",
	}
	name := o.Alg
	if name == "" {
		name = DefaultAlg
	}
	if alg, ok := algorithms[name]; ok {
		s.alg = alg
	} else {
		errs.Add(at("alg"), "%q is not an algorithm KrakenD knows: use one of EdDSA, HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES384, ES512, PS256, PS384, PS512", o.Alg)
	}

	RefuseEncryptedKeySet(&errs, path, o.SecretURL, o.CypherKey)
	switch {
	case o.JWKLocalPath != "":
		s.local = o.JWKLocalPath
		if o.JWKURL != "" {
			warn(fmt.Sprintf("%s: ignored: jwk_local_path has preference over it, as in KrakenD", at("jwk_url")))
		}
	case o.JWKURL != "":
		s.remote = o.remoteSpec(at, &errs)
	default:
		errs.Add(path, "needs jwk_url (where the JWK set is fetched) or jwk_local_path (a file holding it)")
	}

	switch o.KeyIdentifyStrategy {
	case "", strategyKid:
	case strategyX5t, strategyX5tS256, strategyKidX5t:
		s.strategy = o.KeyIdentifyStrategy
	default:
		errs.Add(at("key_identify_strategy"), "%q is not a strategy: use kid, x5t, x5t#S256 or kid_x5t", o.KeyIdentifyStrategy)
	}
	rolesKey := o.RolesKey
	if rolesKey == "" {
		rolesKey = DefaultRolesKey
	}
	s.rolesPath = claimPath(rolesKey, o.RolesKeyIsNested)
	switch o.ScopesMatcher {
	case "", "any", "all":
	default:
		errs.Add(at("scopes_matcher"), "%q is not a matcher: use any or all", o.ScopesMatcher)
	}
	if len(o.Scopes) > 0 {
		if o.ScopesKey == "" {
			errs.Add(at("scopes_key"), "scopes needs scopes_key, the claim that holds the token's scopes (KrakenD checks no scope without it)")
		}
		s.scopesKey = claimPath(o.ScopesKey, true)
	}
	if o.AuthHeaderName != "" {
		if !httpguts.ValidHeaderFieldName(o.AuthHeaderName) {
			errs.Add(at("auth_header_name"), "%q is not a valid header name", o.AuthHeaderName)
		}
		s.header = http.CanonicalHeaderKey(o.AuthHeaderName)
	}
	if o.CookieKey != "" && !httpguts.ValidHeaderFieldName(o.CookieKey) {
		errs.Add(at("cookie_key"), "%q is not a valid cookie name", o.CookieKey)
	}
	s.propagate = resolvePropagation(o.PropagateClaims, at("propagate_claims"), s.header, &errs)
	if o.Leeway != "" {
		d, err := time.ParseDuration(o.Leeway)
		if err != nil || d < 0 {
			errs.Add(at("leeway"), "%q is not a duration: write a number with a unit, such as \"1s\" or \"1m\"", o.Leeway)
		}
		// KrakenD rounds it to seconds, one at least.
		s.leeway = max(d.Round(time.Second), time.Second)
	}
	return s, errs.Err()
}

// remoteSpec resolves the options of a key set fetched from jwk_url.
func (o *Options) remoteSpec(at func(string) string, errs *config.Errors) remoteSpec {
	r := remoteSpec{url: o.JWKURL, cooldown: DefaultCooldown}
	r.client = RemoteOptions{
		URL: o.JWKURL, DisableJWKSecurity: o.DisableJWKSecurity, LocalCA: o.JWKLocalCA,
		Fingerprints: o.JWKFingerprints, CipherSuites: o.CipherSuites,
	}.resolve(at, errs)
	if o.Cache {
		r.ttl = DefaultCacheDuration
		if o.CacheDuration != nil {
			if *o.CacheDuration <= 0 {
				errs.Add(at("cache_duration"), "must be a number of seconds above zero, got %d", *o.CacheDuration)
			}
			r.ttl = time.Duration(*o.CacheDuration) * time.Second
		}
	}
	if o.FailedJWKKeyCooldown != "" {
		d, err := time.ParseDuration(o.FailedJWKKeyCooldown)
		if err != nil || d < 0 {
			errs.Add(at("failed_jwk_key_cooldown"), "%q is not a duration: write a number with a unit, such as \"10s\" or \"1m\"", o.FailedJWKKeyCooldown)
		} else if d >= time.Second {
			// KrakenD ignores values under one second.
			r.cooldown = d
		}
	}
	return r
}

// claimPath splits a claim name into the keys to walk: on dots when
// nested, except for names starting with "http" (URL claims, as KrakenD).
func claimPath(name string, nested bool) []string {
	if nested && strings.Contains(name, ".") && !strings.HasPrefix(name, "http") {
		return strings.Split(name, ".")
	}
	return []string{name}
}

func resolvePropagation(pairs [][]string, path, authHeader string, errs *config.Errors) []propagation {
	var out []propagation
	seen := map[string]bool{}
	for i, p := range pairs {
		at := config.Index(path, i)
		if len(p) != 2 || p[0] == "" || p[1] == "" {
			errs.Add(at, "must be a pair [claim, header], got %d value(s)", len(p))
			continue
		}
		h := http.CanonicalHeaderKey(p[1])
		switch {
		case !httpguts.ValidHeaderFieldName(p[1]):
			errs.Add(config.Index(at, 1), "%q is not a valid header name", p[1])
		case slices.Contains(headersNeverPropagated, h) || h == authHeader:
			errs.Add(config.Index(at, 1), "%s cannot be set from a claim", h)
		case seen[h]:
			errs.Add(config.Index(at, 1), "%s is already set from another claim", h)
		default:
			seen[h] = true
			out = append(out, propagation{claim: claimPath(p[0], true), header: h})
		}
	}
	return out
}

// decodeFingerprint reads a SHA-256 fingerprint in base64, standard or
// URL alphabet, padded or not (KrakenD's docs and openssl write the
// standard one, KrakenD decodes the URL one).
func decodeFingerprint(s string) ([32]byte, bool) {
	var pin [32]byte
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == len(pin) {
			copy(pin[:], b)
			return pin, true
		}
	}
	return pin, false
}

// secureCipherSuite reports whether id is a cipher suite Go implements
// and deems secure; it names the suite when Go knows it at all.
func secureCipherSuite(id int) (string, bool) {
	for _, c := range tls.CipherSuites() {
		if int(c.ID) == id {
			return c.Name, true
		}
	}
	for _, c := range tls.InsecureCipherSuites() {
		if int(c.ID) == id {
			return c.Name, false
		}
	}
	return "", false
}

// RefuseEncryptedKeySet adds to errs the error of an encrypted JWK set
// (secret_url or cypher_key under path), which lambdagate does not read.
func RefuseEncryptedKeySet(errs *config.Errors, path, secretURL, cypherKey string) {
	if secretURL == "" && cypherKey == "" {
		return
	}
	key := "secret_url"
	if secretURL == "" {
		key = "cypher_key"
	}
	errs.Add(config.Join(path, key), "encrypted JWK files (secret_url, cypher_key) are not supported by lambdagate: decrypt the file and set jwk_local_path to the plain JWK set, or serve it from jwk_url")
}
