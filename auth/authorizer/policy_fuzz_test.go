package authorizer

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// FuzzPolicy checks parsePolicy and evaluate against a reference that
// reads the same document generically and matches with regular
// expressions: for every document parsePolicy accepts, both must reach
// the same verdict for the method ARN, and nothing may panic.
func FuzzPolicy(f *testing.F) {
	f.Add(policyDoc(`{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}`), testARN)
	f.Add(policyDoc(`{"Effect": "Allow", "Action": ["execute-api:*"], "Resource": ["arn:aws:execute-api:*:*:api/*/GET/*"]}`,
		`{"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": "*/users/4?"}`), testARN)
	f.Add(policyDoc(`{"Effect": "Allow", "NotAction": "s3:*", "NotResource": "*/POST/*"}`), testARN)
	f.Add(`{"Statement": {"Effect": "Deny", "Action": "EXECUTE-API:invoke", "Resource": "a*b?c"}}`, "axxbyc")
	f.Fuzz(func(t *testing.T, doc, arn string) {
		if !ascii(arn) {
			return // method ARNs are ASCII: their path is escaped
		}
		p, err := parsePolicy([]byte(doc))
		if err != nil {
			return
		}
		got := p.evaluate(arn)
		if want := referenceVerdict(t, doc, arn); got != want {
			t.Fatalf("evaluate(%q) = %v, the reference says %v\npolicy: %s", arn, got, want, doc)
		}
	})
}

// FuzzPattern checks the split matching of Resource patterns against
// wildcardMatch, and wildcardMatch against the regexp reference.
func FuzzPattern(f *testing.F) {
	f.Add("arn:aws:execute-api:*:*:*/*/GET/*", testARN)
	f.Add("a*a", "a")
	f.Add("*ab*ab?", "xabyabz")
	f.Add("**", "")
	f.Fuzz(func(t *testing.T, pat, s string) {
		want := wildcardMatch(pat, s, false)
		p := newPattern(pat)
		if got := p.match(s); got != want {
			t.Fatalf("pattern %q on %q: %v, wildcardMatch says %v", pat, s, got, want)
		}
		if ref := anyMatch([]string{pat}, s, false); ref != want {
			t.Fatalf("wildcardMatch(%q, %q) = %v, the reference says %v", pat, s, want, ref)
		}
	})
}

// referenceVerdict evaluates a policy document parsePolicy accepted.
func referenceVerdict(t *testing.T, doc, arn string) verdict {
	var d map[string]any
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		t.Fatalf("parsePolicy accepted a document encoding/json refuses: %v", err)
	}
	var statements []any
	switch s := d["Statement"].(type) {
	case []any:
		statements = s
	case map[string]any:
		statements = []any{s}
	default:
		t.Fatalf("parsePolicy accepted a Statement of %T", s)
	}
	allow, deny := false, false
	for _, raw := range statements {
		st := raw.(map[string]any)
		actions, notAction := list(st, "Action", "NotAction")
		resources, notResource := list(st, "Resource", "NotResource")
		if anyMatch(actions, invokeAction, true) == notAction {
			continue
		}
		if anyMatch(resources, arn, false) == notResource {
			continue
		}
		if st["Effect"] == "Deny" {
			deny = true
		} else {
			allow = true
		}
	}
	switch {
	case deny:
		return deniedExplicitly
	case allow:
		return allowed
	}
	return deniedImplicitly
}

// list returns a statement's element key, or notKey and true.
func list(st map[string]any, key, notKey string) ([]string, bool) {
	v, ok := st[key]
	if !ok {
		v = st[notKey]
	}
	switch t := v.(type) {
	case string:
		return []string{t}, !ok
	case []any:
		out := make([]string, len(t))
		for i, e := range t {
			out[i] = e.(string)
		}
		return out, !ok
	}
	return nil, !ok
}

func anyMatch(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			p, s = asciiLower(p), asciiLower(s)
		}
		var re strings.Builder
		re.WriteString(`(?s)^`)
		for _, c := range []byte(p) {
			switch c {
			case '*':
				re.WriteString(`.*`)
			case '?':
				re.WriteString(`.`)
			default:
				re.WriteString(regexp.QuoteMeta(string([]byte{c})))
			}
		}
		re.WriteString(`$`)
		// Patterns are matched as bytes: a Latin-1 view keeps each byte
		// one character for the regexp.
		if regexp.MustCompile(latin1(re.String())).MatchString(latin1(s)) {
			return true
		}
	}
	return false
}

// latin1 maps each byte of s to the rune of the same value, so that a
// regexp's . matches one byte.
func latin1(s string) string {
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = rune(s[i])
	}
	return string(r)
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = lower(c)
	}
	return string(b)
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
