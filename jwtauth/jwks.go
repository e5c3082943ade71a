package jwtauth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Bounds on a JWK set document.
const (
	// maxJWKSBytes bounds the document fetched or read.
	maxJWKSBytes = 1 << 20
	// maxKeys bounds the keys kept from one document.
	maxKeys = 100
)

// key is one verification key of a JWK set.
type key struct {
	kid, alg, use string
	// x5t and x5tS256 are the JWK's certificate thumbprints, base64url.
	x5t, x5tS256 string
	// pub is *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey or, for
	// HMAC, []byte.
	pub any
}

// keySet is one version of a source's keys. It is never changed once
// built: a refresh builds another.
type keySet struct {
	keys []*key
	// fetched is when the keys were fetched or read.
	fetched time.Time
	// digest identifies the keys, so that a refresh that brings the same
	// keys keeps the tokens verified with them.
	digest [32]byte
	// verified holds the tokens verified with these keys.
	verified *verifiedCache
}

// parseKeySet reads a JWK set (RFC 7517: {"keys": [...]}). Keys that Go
// cannot use (unknown kty or curve, malformed) are skipped and counted; a
// private key contributes its public half.
func parseKeySet(data []byte) (*keySet, int, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, 0, fmt.Errorf("not a JWK set: %v", err)
	}
	if doc.Keys == nil {
		return nil, 0, errors.New(`not a JWK set: no "keys" array`)
	}
	ks := &keySet{verified: newVerifiedCache()}
	skipped := 0
	h := sha256.New()
	for _, raw := range doc.Keys {
		if len(ks.keys) == maxKeys {
			skipped++
			continue
		}
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(raw); err != nil {
			skipped++
			continue
		}
		secret, symmetric := jwk.Key.([]byte)
		if !symmetric && !jwk.Valid() || symmetric && len(secret) == 0 {
			skipped++
			continue
		}
		k := &key{
			kid: jwk.KeyID, alg: jwk.Algorithm, use: jwk.Use,
			x5t:     base64.RawURLEncoding.EncodeToString(jwk.CertificateThumbprintSHA1),
			x5tS256: base64.RawURLEncoding.EncodeToString(jwk.CertificateThumbprintSHA256),
		}
		var material []byte
		if symmetric {
			k.pub, material = secret, secret
		} else {
			pub := jwk.Public().Key
			der, err := x509.MarshalPKIXPublicKey(pub)
			if pub == nil || err != nil {
				skipped++
				continue
			}
			k.pub, material = pub, der
		}
		ks.keys = append(ks.keys, k)
		for _, part := range [][]byte{[]byte(k.kid), []byte(k.alg), []byte(k.use), []byte(k.x5t), []byte(k.x5tS256), material} {
			fmt.Fprintf(h, "%d:", len(part))
			h.Write(part)
		}
	}
	h.Sum(ks.digest[:0])
	return ks, skipped, nil
}

// Why a key set has no key for a token.
var (
	errUnknownKey   = errors.New("no key of the JWK set matches the token's key id")
	errAmbiguousKey = errors.New("the token names no key and the JWK set has several")
)

// keyQuery is what a token's header says of its key.
type keyQuery struct {
	alg          jose.SignatureAlgorithm
	strategy     string
	kid          string
	x5t, x5tS256 string
}

// find returns the key for q: of a type that alg verifies, not marked for
// another algorithm or for encryption, and named by the strategy's header.
// A token that names no key may use the set's only suitable key.
func (ks *keySet) find(q keyQuery) (*key, error) {
	var only *key
	suitable := 0
	for _, k := range ks.keys {
		if !k.verifies(q.alg) {
			continue
		}
		suitable++
		only = k
		if q.named() && q.matches(k) {
			return k, nil
		}
	}
	switch {
	case q.named():
		return nil, errUnknownKey
	case suitable == 1:
		return only, nil
	case suitable == 0:
		return nil, errUnknownKey
	}
	return nil, errAmbiguousKey
}

// named reports whether the token's header names a key for the strategy.
func (q keyQuery) named() bool {
	switch q.strategy {
	case strategyX5t:
		return q.x5t != "" || q.kid != ""
	case strategyX5tS256:
		return q.x5tS256 != "" || q.kid != ""
	case strategyKidX5t:
		return q.kid != "" || q.x5t != ""
	}
	return q.kid != ""
}

// matches reports whether k is the key the header names. The x5t
// strategies fall back to kid when the header has no thumbprint, as
// KrakenD does.
func (q keyQuery) matches(k *key) bool {
	switch q.strategy {
	case strategyX5t:
		if q.x5t == "" {
			return k.kid == q.kid
		}
		return k.x5t == q.x5t
	case strategyX5tS256:
		if q.x5tS256 == "" {
			return k.kid == q.kid
		}
		return k.x5tS256 == q.x5tS256
	case strategyKidX5t:
		return k.kid == q.kid && k.x5t == q.x5t
	}
	return k.kid == q.kid
}

// verifies reports whether k can verify a signature made with alg. This
// is what stops algorithm confusion: an HMAC token is never checked
// against a public key, nor an RSA token against an EC key.
func (k *key) verifies(alg jose.SignatureAlgorithm) bool {
	if (k.alg != "" && k.alg != string(alg)) || k.use == "enc" {
		return false
	}
	switch pub := k.pub.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(string(alg), "RS") || strings.HasPrefix(string(alg), "PS")
	case *ecdsa.PublicKey:
		switch alg {
		case jose.ES256:
			return pub.Curve == elliptic.P256()
		case jose.ES384:
			return pub.Curve == elliptic.P384()
		case jose.ES512:
			return pub.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == jose.EdDSA
	case []byte:
		return strings.HasPrefix(string(alg), "HS")
	}
	return false
}
