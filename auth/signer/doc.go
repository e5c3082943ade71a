// Package signer is the auth/signer namespace of an endpoint (and its
// legacy name): KrakenD's JWT signer. The endpoint's pipeline runs as
// usual; then each response field named in keys_to_sign that holds an
// object is signed with the JWK named by kid and replaced by the token
// (compact JWS, or JSON serialization with full), and the answer is
// written as KrakenD's signer writes it: JSON with a trailing newline,
// the pipeline's status and headers, no Cache-Control and no
// X-Krakend-Completed; a failed pipeline is a 400 with no body.
//
// Keys come from jwk_local_path (read at start-up) or jwk_url (fetched
// when the first request needs them, with auth/validator's client rules,
// and kept). go-jose does the cryptography. This package must not know
// how backends are called or how responses are merged.
package signer
