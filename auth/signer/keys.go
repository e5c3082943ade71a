package signer

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// newJoseSigner finds the key kid in the JWK set doc and returns the
// go-jose signer of alg with it, writing kid in every token's header.
// The key must be able to sign: a private key, or an HMAC secret.
func newJoseSigner(doc []byte, kid string, alg jose.SignatureAlgorithm) (jose.Signer, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		return nil, fmt.Errorf("not a JWK set: %v", err)
	}
	if set.Keys == nil {
		return nil, errors.New(`not a JWK set: no "keys" array`)
	}
	var key *jose.JSONWebKey
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			continue
		}
		if k.KeyID == kid {
			key = &k
			break
		}
	}
	if key == nil {
		return nil, fmt.Errorf("the JWK set has no usable key with kid %q", kid)
	}
	if err := canSign(key, alg); err != nil {
		return nil, fmt.Errorf("key %q: %v", kid, err)
	}
	opts := (&jose.SignerOptions{}).WithHeader("kid", key.KeyID)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key.Key}, opts)
	if err != nil {
		return nil, fmt.Errorf("key %q cannot sign %s: %v", kid, alg, err)
	}
	return s, nil
}

// canSign reports why k cannot make alg's signatures: a public key, a
// key marked for another algorithm or for encryption, a key of another
// type.
func canSign(k *jose.JSONWebKey, alg jose.SignatureAlgorithm) error {
	if k.Use == "enc" {
		return errors.New(`it is marked for encryption ("use": "enc")`)
	}
	if k.Algorithm != "" && k.Algorithm != string(alg) {
		return fmt.Errorf("it is marked for %s, not %s", k.Algorithm, alg)
	}
	var family string
	switch key := k.Key.(type) {
	case []byte:
		if len(key) == 0 {
			return errors.New("its secret (k) is empty")
		}
		family = "HS"
	case *rsa.PrivateKey:
		family = "RS"
	case *ecdsa.PrivateKey:
		family = "ES"
	case ed25519.PrivateKey:
		family = "Ed"
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		return errors.New("it is a public key: signing needs the private one (the JWK's d)")
	default:
		return fmt.Errorf("its type (%T) cannot sign", k.Key)
	}
	a := string(alg)
	if a[:2] != family && !(family == "RS" && a[:2] == "PS") {
		return fmt.Errorf("a %s key cannot sign %s", keyType(family), alg)
	}
	return nil
}

func keyType(family string) string {
	switch family {
	case "HS":
		return "symmetric (oct)"
	case "RS":
		return "RSA"
	case "ES":
		return "EC"
	}
	return "OKP (Ed25519)"
}
