package authorizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// invokeAction is the action API Gateway checks an authorizer's policy
// for.
const invokeAction = "execute-api:Invoke"

// policy is an IAM policy document an authorizer returned, compiled for
// execute-api:Invoke: only the statements whose Action (or NotAction)
// covers it are kept, so that a request only matches resources.
type policy struct {
	allow, deny []resources
}

// resources is one statement's Resource (or NotResource) list.
type resources struct {
	patterns []pattern
	// not says the list is a NotResource: the statement covers every
	// resource but those.
	not bool
}

// pattern is a Resource pattern, split once at its *s so that most
// matches are a prefix, a suffix and a few substring searches.
type pattern struct {
	raw string
	// slow says the pattern holds a ?: it is matched by wildcardMatch.
	slow bool
	// star says it holds a *; without one it is compared whole.
	star bool
	// prefix and suffix are the literal text before the first * and
	// after the last; chunks the literal runs between them, in order.
	prefix, suffix string
	chunks         []string
}

func newPattern(raw string) pattern {
	p := pattern{raw: raw, slow: strings.IndexByte(raw, '?') >= 0, star: strings.IndexByte(raw, '*') >= 0}
	if p.slow || !p.star {
		return p
	}
	parts := strings.Split(raw, "*")
	p.prefix, p.suffix = parts[0], parts[len(parts)-1]
	for _, c := range parts[1 : len(parts)-1] {
		if c != "" {
			p.chunks = append(p.chunks, c)
		}
	}
	return p
}

// match reports whether s matches the pattern, as wildcardMatch(p.raw, s,
// false) does: with *s only, the prefix and suffix are fixed and each
// chunk is found leftmost in turn, which is enough for a * to take any
// run of bytes.
func (p *pattern) match(s string) bool {
	switch {
	case p.slow:
		return wildcardMatch(p.raw, s, false)
	case !p.star:
		return p.raw == s
	case len(s) < len(p.prefix)+len(p.suffix) || !strings.HasPrefix(s, p.prefix) || !strings.HasSuffix(s, p.suffix):
		return false
	}
	s = s[len(p.prefix) : len(s)-len(p.suffix)]
	for _, c := range p.chunks {
		i := strings.Index(s, c)
		if i < 0 {
			return false
		}
		s = s[i+len(c):]
	}
	return true
}

// verdict is what a policy says of a method ARN.
type verdict uint8

const (
	// allowed: an Allow statement covers the ARN and no Deny does.
	allowed verdict = iota + 1
	// deniedExplicitly: a Deny statement covers the ARN (Deny wins).
	deniedExplicitly
	// deniedImplicitly: no statement covers the ARN.
	deniedImplicitly
)

// evaluate returns what p says of methodARN: an explicit Deny wins over
// any Allow, and without an Allow the request is denied.
func (p *policy) evaluate(methodARN string) verdict {
	for i := range p.deny {
		if p.deny[i].cover(methodARN) {
			return deniedExplicitly
		}
	}
	for i := range p.allow {
		if p.allow[i].cover(methodARN) {
			return allowed
		}
	}
	return deniedImplicitly
}

// cover reports whether the statement's resources cover arn.
func (r *resources) cover(arn string) bool {
	for i := range r.patterns {
		if r.patterns[i].match(arn) {
			return !r.not
		}
	}
	return r.not
}

// parsePolicy reads a policyDocument: {"Version": ..., "Statement": [...]}
// (Statement may be a single object). Each statement holds Effect (Allow
// or Deny), Action or NotAction, Resource or NotResource (a string or an
// array of strings, with * and ? wildcards) and optionally Sid. Anything
// else, Condition included, makes the document malformed: lambdagate
// does not evaluate conditions, and ignoring one could allow too much.
func parsePolicy(raw json.RawMessage) (*policy, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil || doc == nil {
		return nil, errors.New("policyDocument is not a JSON object")
	}
	for k, v := range doc {
		switch k {
		case "Version", "Id":
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, fmt.Errorf("policyDocument.%s is not a string", k)
			}
		case "Statement":
		default:
			return nil, fmt.Errorf("policyDocument holds %q, which is not a policy element (Version, Id, Statement)", k)
		}
	}
	st, ok := doc["Statement"]
	if !ok {
		return nil, errors.New("policyDocument has no Statement")
	}
	var list []json.RawMessage
	if t := bytes.TrimSpace(st); len(t) > 0 && t[0] == '{' {
		list = []json.RawMessage{st}
	} else if err := json.Unmarshal(st, &list); err != nil {
		return nil, errors.New("policyDocument.Statement is neither a statement nor an array of statements")
	}
	p := &policy{}
	for i, s := range list {
		if err := p.add(s); err != nil {
			return nil, fmt.Errorf("policyDocument.Statement[%d]: %w", i, err)
		}
	}
	return p, nil
}

// add compiles one statement into p.
func (p *policy) add(raw json.RawMessage) error {
	var st map[string]json.RawMessage
	if err := json.Unmarshal(raw, &st); err != nil || st == nil {
		return errors.New("not a JSON object")
	}
	var effect string
	var actions, patterns []string
	var notAction, notResource bool
	var haveAction, haveResource bool
	for k, v := range st {
		var err error
		switch k {
		case "Sid":
			var s string
			err = json.Unmarshal(v, &s)
		case "Effect":
			if err = json.Unmarshal(v, &effect); err == nil && effect != "Allow" && effect != "Deny" {
				return fmt.Errorf("Effect %q is neither Allow nor Deny", effect)
			}
		case "Action", "NotAction":
			if haveAction {
				return errors.New("holds both Action and NotAction")
			}
			haveAction, notAction = true, k == "NotAction"
			actions, err = stringOrList(v)
		case "Resource", "NotResource":
			if haveResource {
				return errors.New("holds both Resource and NotResource")
			}
			haveResource, notResource = true, k == "NotResource"
			patterns, err = stringOrList(v)
		case "Condition":
			return errors.New("holds a Condition, which lambdagate does not evaluate")
		default:
			return fmt.Errorf("holds %q, which is not an element of an authorizer's policy statement (Sid, Effect, Action, NotAction, Resource, NotResource)", k)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	switch {
	case effect == "":
		return errors.New("has no Effect")
	case !haveAction:
		return errors.New("has no Action")
	case !haveResource:
		return errors.New("has no Resource")
	}
	covers := false
	for _, a := range actions {
		if wildcardMatch(a, invokeAction, true) {
			covers = true
			break
		}
	}
	if covers == notAction {
		// The statement is about other actions.
		return nil
	}
	r := resources{patterns: make([]pattern, len(patterns)), not: notResource}
	for i, raw := range patterns {
		r.patterns[i] = newPattern(raw)
	}
	if effect == "Deny" {
		p.deny = append(p.deny, r)
	} else {
		p.allow = append(p.allow, r)
	}
	return nil
}

// stringOrList reads a policy element that is a string or a non-empty
// array of strings.
func stringOrList(v json.RawMessage) ([]string, error) {
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return []string{s}, nil
	}
	var list []string
	if err := json.Unmarshal(v, &list); err != nil {
		return nil, errors.New("is neither a string nor an array of strings")
	}
	if len(list) == 0 {
		return nil, errors.New("is an empty array")
	}
	return list, nil
}

// wildcardMatch reports whether s matches pattern, in which * matches any
// run of bytes (colons and slashes included) and ? any one byte; fold
// compares ASCII letters case-insensitively (IAM actions), else bytes are
// compared exactly (ARNs). Method ARNs are ASCII: their path is the
// escaped request path. It runs in O(len(pattern)·len(s)) at worst,
// without allocating.
func wildcardMatch(pattern, s string, fold bool) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && (pattern[p] == '?' || sameByte(pattern[p], s[i], fold)):
			p++
			i++
		case star >= 0:
			// Let the last * take one more byte, and try again.
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func sameByte(a, b byte, fold bool) bool {
	if a == b {
		return true
	}
	if !fold {
		return false
	}
	return lower(a) == lower(b)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
