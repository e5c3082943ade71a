package authorizer

import (
	"strings"
	"testing"
)

const testARN = "arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/users/42"

func TestWildcardMatch(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		pattern, s string
		fold, want bool
	}{
		{"", "", false, true},
		{"", "a", false, false},
		{"*", "", false, true},
		{"*", "anything/at:all", false, true},
		{"a*", "a", false, true},
		{"?", "", false, false},
		{"?", "a", false, true},
		{"??", "a", false, false},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{testARN, testARN, false, true},
		{"arn:aws:execute-api:*:*:api/*/GET/*", testARN, false, true},
		{"arn:aws:execute-api:*:*:api/*/POST/*", testARN, false, false},
		{"arn:aws:execute-api:us-east-1:123456789012:api/prod/*/users/*", testARN, false, true},
		{"arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/users/4?", testARN, false, true},
		{"arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/users/?", testARN, false, false},
		{"arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/users", testARN, false, false},
		{"arn:aws:execute-api:*", testARN, false, true}, // * spans colons and slashes
		{"*/GET/users/42", testARN, false, true},
		{"*/get/users/42", testARN, false, false}, // ARNs are case-sensitive
		{"**a**b**", "xxaxxbxx", false, true},
		{"a*a", "a", false, false}, // prefix and suffix may not overlap
		{"a*a", "aa", false, true},
		{"*ab*ab", "xabyab", false, true},
		{"*ab*ab", "xab", false, false},
		{"*a*b", "xxaxxbxxc", false, false},
		{"execute-api:Invoke", "execute-api:Invoke", true, true},
		{"execute-api:invoke", "execute-api:Invoke", true, true}, // actions are not
		{"EXECUTE-API:*", "execute-api:Invoke", true, true},
		{"execute-api:Inv?ke", "execute-api:Invoke", true, true},
		{"execute-api:ManageConnections", "execute-api:Invoke", true, false},
		{"s3:*", "execute-api:Invoke", true, false},
	} {
		if got := wildcardMatch(c.pattern, c.s, c.fold); got != c.want {
			t.Errorf("wildcardMatch(%q, %q, %v) = %v, want %v", c.pattern, c.s, c.fold, got, c.want)
		}
		if p := newPattern(c.pattern); !c.fold && p.match(c.s) != c.want {
			t.Errorf("pattern %q matching %q = %v, want %v", c.pattern, c.s, !c.want, c.want)
		}
	}
}

// policyDoc writes a policyDocument of statements.
func policyDoc(statements ...string) string {
	return `{"Version": "2012-10-17", "Statement": [` + strings.Join(statements, ",") + `]}`
}

func TestPolicyEvaluation(t *testing.T) {
	t.Parallel()
	const (
		allowAll    = `{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}`
		allowGET    = `{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:*:*:api/*/GET/*"}`
		denyUsers42 = `{"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/users/42"}`
	)
	for _, c := range []struct {
		name   string
		doc    string
		arn    string
		want   verdict
		errHas string
	}{
		{"allow all", policyDoc(allowAll), testARN, allowed, ""},
		{"allow by wildcard", policyDoc(allowGET), testARN, allowed, ""},
		{"another method", policyDoc(allowGET), strings.Replace(testARN, "/GET/", "/POST/", 1), deniedImplicitly, ""},
		{"no statements", policyDoc(), testARN, deniedImplicitly, ""},
		{"explicit deny", policyDoc(denyUsers42), testARN, deniedExplicitly, ""},
		{"deny wins over allow", policyDoc(allowAll, denyUsers42), testARN, deniedExplicitly, ""},
		{"deny wins, whatever the order", policyDoc(denyUsers42, allowAll), testARN, deniedExplicitly, ""},
		{"deny elsewhere", policyDoc(allowAll, denyUsers42), strings.Replace(testARN, "/42", "/43", 1), allowed, ""},
		{"resource array", policyDoc(`{"Effect": "Allow", "Action": ["execute-api:Invoke"], "Resource": ["arn:aws:execute-api:*:*:api/*/POST/*", "` + testARN + `"]}`), testARN, allowed, ""},
		{"resource array, no match", policyDoc(`{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": ["arn:a", "arn:b"]}`), testARN, deniedImplicitly, ""},
		{"action wildcard", policyDoc(`{"Effect": "Allow", "Action": "execute-api:*", "Resource": "*"}`), testARN, allowed, ""},
		{"action in any case", policyDoc(`{"Effect": "Allow", "Action": "Execute-API:invoke", "Resource": "*"}`), testARN, allowed, ""},
		{"another action", policyDoc(`{"Effect": "Allow", "Action": "execute-api:ManageConnections", "Resource": "*"}`), testARN, deniedImplicitly, ""},
		{"deny of another action", policyDoc(allowAll, `{"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}`), testARN, allowed, ""},
		{"NotResource allow", policyDoc(`{"Effect": "Allow", "Action": "execute-api:Invoke", "NotResource": "arn:aws:execute-api:*:*:api/*/DELETE/*"}`), testARN, allowed, ""},
		{"NotResource allow excludes", policyDoc(`{"Effect": "Allow", "Action": "execute-api:Invoke", "NotResource": ["*/GET/users/*"]}`), testARN, deniedImplicitly, ""},
		{"NotResource deny", policyDoc(allowAll, `{"Effect": "Deny", "Action": "execute-api:Invoke", "NotResource": "*/GET/public/*"}`), testARN, deniedExplicitly, ""},
		{"NotAction allow", policyDoc(`{"Effect": "Allow", "NotAction": "execute-api:ManageConnections", "Resource": "*"}`), testARN, allowed, ""},
		{"NotAction excludes invoke", policyDoc(`{"Effect": "Allow", "NotAction": "execute-api:*", "Resource": "*"}`), testARN, deniedImplicitly, ""},
		{"single statement object", `{"Version": "2012-10-17", "Statement": ` + allowAll + `}`, testARN, allowed, ""},
		{"resource case matters", policyDoc(`{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*/get/users/42"}`), testARN, deniedImplicitly, ""},

		{"not an object", `[]`, testARN, 0, "not a JSON object"},
		{"no statement", `{"Version": "2012-10-17"}`, testARN, 0, "no Statement"},
		{"statement not a list", `{"Statement": "Allow"}`, testARN, 0, "neither a statement nor an array"},
		{"unknown top key", `{"Statement": [], "Extra": 1}`, testARN, 0, `"Extra"`},
		{"lower-case effect", policyDoc(`{"Effect": "allow", "Action": "execute-api:Invoke", "Resource": "*"}`), testARN, 0, `Effect "allow"`},
		{"no effect", policyDoc(`{"Action": "execute-api:Invoke", "Resource": "*"}`), testARN, 0, "no Effect"},
		{"no action", policyDoc(`{"Effect": "Allow", "Resource": "*"}`), testARN, 0, "no Action"},
		{"no resource", policyDoc(`{"Effect": "Allow", "Action": "execute-api:Invoke"}`), testARN, 0, "no Resource"},
		{"both resource and not", policyDoc(`{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*", "NotResource": "x"}`), testARN, 0, "both Resource and NotResource"},
		{"both action and not", policyDoc(`{"Effect": "Allow", "Action": "execute-api:Invoke", "NotAction": "x", "Resource": "*"}`), testARN, 0, "both Action and NotAction"},
		{"empty resource list", policyDoc(`{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": []}`), testARN, 0, "empty array"},
		{"resource number", policyDoc(`{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": 1}`), testARN, 0, "neither a string nor an array"},
		{"condition", policyDoc(`{"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}`), testARN, 0, "Condition"},
		{"principal", policyDoc(`{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*"}`), testARN, 0, `"Principal"`},
		{"statement not an object", policyDoc(`"Allow"`), testARN, 0, "Statement[0]: not a JSON object"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := parsePolicy([]byte(c.doc))
			if c.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), c.errHas) {
					t.Fatalf("parsePolicy: %v, want an error holding %q", err, c.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := p.evaluate(c.arn); got != c.want {
				t.Errorf("evaluate = %v, want %v", got, c.want)
			}
		})
	}
}

func TestMethodARN(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		region, account, api, stage, method, path, want string
	}{
		{"us-east-1", "000000000000", "lambdagate", "$default", "GET", "/", "arn:aws:execute-api:us-east-1:000000000000:lambdagate/$default/GET/"},
		{"eu-west-1", "123456789012", "abcdef123", "prod", "POST", "/users/42/orders", "arn:aws:execute-api:eu-west-1:123456789012:abcdef123/prod/POST/users/42/orders"},
		{"cn-north-1", "123456789012", "api", "test", "GET", "/x", "arn:aws-cn:execute-api:cn-north-1:123456789012:api/test/GET/x"},
		{"us-gov-west-1", "123456789012", "api", "test", "GET", "/x", "arn:aws-us-gov:execute-api:us-gov-west-1:123456789012:api/test/GET/x"},
		{"us-east-1", "123456789012", "api", "test", "DELETE", "/a%2Fb/c%20d", "arn:aws:execute-api:us-east-1:123456789012:api/test/DELETE/a%2Fb/c%20d"},
	} {
		if got := newMethodARN(c.region, c.account, c.api, c.stage).of(c.method, c.path); got != c.want {
			t.Errorf("method ARN of %s %s = %q, want %q", c.method, c.path, got, c.want)
		}
	}
}

func (v verdict) String() string {
	switch v {
	case allowed:
		return "allowed"
	case deniedExplicitly:
		return "denied explicitly"
	case deniedImplicitly:
		return "denied implicitly"
	}
	return "none"
}
