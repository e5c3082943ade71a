// Package scrub removes secrets from error texts before they reach logs:
// the password of a URL's userinfo, the values of query parameters and
// headers whose names say they hold a secret (token, key, secret,
// password, signature, credential, session, auth…), bearer and basic
// credentials, and AWS access key ids. Each secret becomes "***".
//
// It works on text, not on structured values: callers that hold a
// structured value (a URL, a header map) should leave out the secret
// instead of relying on it.
package scrub

import (
	"regexp"
	"strings"
)

// Mask replaces each secret.
const Mask = "***"

var (
	// scheme://user:password@ → scheme://user:***@
	userinfo = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@"']*):[^@/\s"']*@`)
	// name=value in a query string, or "name": "value" / name: value
	// in a text, when the name says it is a secret.
	secretParam = regexp.MustCompile(`(?i)((?:[a-z0-9_-]*(?:token|secret|passw(?:or)?d|pwd|api[_-]?key|apikey|access[_-]?key|signature|credential|session|auth)[a-z0-9_-]*))(=|"?\s*:\s*"?)([^&\s"',;}]+)`)
	// Bearer xxx, Basic xxx
	scheme = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[a-z0-9._~+/=-]+`)
	// AWS access key ids (AKIA…, ASIA…)
	awsKeyID = regexp.MustCompile(`\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b`)
)

// Text returns s with its secrets masked.
func Text(s string) string {
	if s == "" {
		return s
	}
	s = userinfo.ReplaceAllString(s, "${1}:"+Mask+"@")
	s = scheme.ReplaceAllStringFunc(s, func(m string) string {
		name, _, _ := strings.Cut(m, " ")
		return name + " " + Mask
	})
	s = secretParam.ReplaceAllStringFunc(s, func(m string) string {
		sub := secretParam.FindStringSubmatch(m)
		if v := strings.ToLower(sub[3]); v == "bearer" || v == "basic" || v == Mask {
			return m // masked by the scheme rule already
		}
		return sub[1] + sub[2] + Mask
	})
	s = awsKeyID.ReplaceAllString(s, Mask)
	return s
}
