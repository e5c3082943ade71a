package jwtauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lambdagate/lambdagate/proxy"
)

// registered are the registered claims (RFC 7519, 4.1) a validator
// checks, read once when the token is verified.
type registered struct {
	exp, nbf, iat          float64
	hasExp, hasNbf, hasIat bool
	iss                    string
	aud                    []string
}

// errMalformedClaims refuses a token whose registered claims have the
// wrong types.
var errMalformedClaims = errors.New("a registered claim (exp, nbf, iat, iss, sub, aud) has the wrong type")

// readRegistered reads the registered claims of claims. A claim of the
// wrong type makes the token invalid, whatever the validator checks.
func readRegistered(claims map[string]any) (registered, error) {
	var r registered
	var ok bool
	for _, c := range [...]struct {
		name string
		v    *float64
		has  *bool
	}{{"exp", &r.exp, &r.hasExp}, {"nbf", &r.nbf, &r.hasNbf}, {"iat", &r.iat, &r.hasIat}} {
		v, present := claims[c.name]
		if !present {
			continue
		}
		if *c.v, ok = v.(float64); !ok {
			return r, errMalformedClaims
		}
		*c.has = true
	}
	if v, present := claims["iss"]; present {
		if r.iss, ok = v.(string); !ok {
			return r, errMalformedClaims
		}
	}
	if v, present := claims["sub"]; present {
		if _, ok = v.(string); !ok {
			return r, errMalformedClaims
		}
	}
	switch aud := claims["aud"].(type) {
	case nil:
		if _, present := claims["aud"]; present {
			return r, errMalformedClaims
		}
	case string:
		r.aud = []string{aud}
	case []any:
		r.aud = make([]string, len(aud))
		for i, a := range aud {
			if r.aud[i], ok = a.(string); !ok {
				return r, errMalformedClaims
			}
		}
	default:
		return r, errMalformedClaims
	}
	return r, nil
}

// Why a token is refused for its time claims.
var (
	errExpired     = errors.New("the token expired (exp)")
	errNotYetValid = errors.New("the token is not valid yet (nbf)")
	errIssuedLater = errors.New("the token is issued in the future (iat)")
	errIssuer      = errors.New("the token's issuer (iss) is not the one expected")
	errAudience    = errors.New("the token's audience (aud) lacks one expected")
)

// checkTime checks exp, nbf and iat against now, allowing leeway either
// way, as go-jose's jwt package does.
func (r *registered) checkTime(now time.Time, leeway time.Duration) error {
	t := float64(now.UnixNano()) / 1e9
	l := leeway.Seconds()
	switch {
	case r.hasExp && t-l > r.exp:
		return errExpired
	case r.hasNbf && t+l < r.nbf:
		return errNotYetValid
	case r.hasIat && t+l < r.iat:
		return errIssuedLater
	}
	return nil
}

// checkIdentity checks iss, and that aud holds every audience expected.
func (r *registered) checkIdentity(issuer string, audience []string) error {
	if issuer != "" && r.iss != issuer {
		return errIssuer
	}
	for _, a := range audience {
		if !slices.Contains(r.aud, a) {
			return errAudience
		}
	}
	return nil
}

// claimList reads a claim that lists roles or scopes: an array of
// strings, or one string of space-separated values. Other values list
// nothing.
func claimList(v any) []string {
	switch t := v.(type) {
	case string:
		return strings.Fields(t)
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// holdsAny reports whether the claim at path lists one of want.
func holdsAny(claims map[string]any, path, want []string) bool {
	v, _ := proxy.LookupPath(claims, path)
	have := claimList(v)
	for _, w := range want {
		if slices.Contains(have, w) {
			return true
		}
	}
	return false
}

// holdsAll reports whether the claim at path lists every one of want.
func holdsAll(claims map[string]any, path, want []string) bool {
	v, ok := proxy.LookupPath(claims, path)
	if !ok {
		return false
	}
	have := claimList(v)
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// headerValue writes a claim as KrakenD writes it in a header: a string
// as it is, a whole number without decimals, another number with six, an
// array's elements joined by commas, anything else as JSON.
func headerValue(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case float64:
		if r := math.Round(t); math.Abs(t-r) <= 1e-6 && math.Abs(r) < 1<<63 {
			return strconv.FormatInt(int64(r), 10)
		}
		return strconv.FormatFloat(t, 'f', 6, 64)
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = elementValue(e)
		}
		return strings.Join(parts, ",")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// elementValue writes one element of an array claim: scalars as Go's %v
// does (KrakenD's format), arrays and objects as JSON.
func elementValue(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case float64, bool:
		return fmt.Sprint(t)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// headerValues writes a claim as header values: one per array element
// with preserve, else one.
func headerValues(v any, preserve bool) []string {
	if a, ok := v.([]any); ok && preserve {
		out := make([]string, len(a))
		for i, e := range a {
			out[i] = elementValue(e)
		}
		return out
	}
	return []string{headerValue(v)}
}
