package e2e

import (
	"net/http"
	"slices"
	"testing"
)

// The JWK set of KrakenD CE's integration suite (its backend's
// /jwk/symmetric): an A128KW key, kid "sim1", and the HS256 key, kid
// "sim2", that signs the specs' tokens. Public test material, kept
// byte for byte because the specs' tokens depend on it.
const ceSymmetricJWKS = `{
  "keys": [
    {"kty": "oct", "alg": "A128KW", "k": "GawgguFyGrWKav7AX4VKUg", "kid": "sim1"},
    {"kty": "oct", "k": "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow", "kid": "sim2", "alg": "HS256"}
  ]
}`

// ceSymmetricJWK serves ceSymmetricJWKS, as the suite's backend does.
func ceSymmetricJWK(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(ceSymmetricJWKS))
}

// The suite's tokens, signed with sim2 (the specs' own strings).
const (
	// ceTokenRoleY holds roles [role_y]: valid, but not a role the
	// endpoints ask for.
	ceTokenRoleY = "eyJhbGciOiJIUzI1NiIsImtpZCI6InNpbTIifQ.eyJhdWQiOiJodHRwOi8vYXBpLmV4YW1wbGUuY29tIiwiZXhwIjoyMDUxODgyNzU1LCJpc3MiOiJodHRwczovL2tyYWtlbmQuaW8iLCJqdGkiOiJtbmIyM3Zjc3J0NzU2eXVpb21uYnZjeDk4ZXJ0eXVpb3AiLCJyb2xlcyI6WyJyb2xlX3kiXSwic3ViIjoiMTIzNDU2Nzg5MHF3ZXJ0eXVpbyJ9.J4YMo4FzMxhVgRS5nZrTVgncqBu3pfF-CkT1J1lHPb8"
	// ceTokenRoleAB holds roles [role_a, role_b].
	// ceTokenBroken is cel-6's token: the suite's role_y token with its
	// first letter lost, so it does not parse.
	ceTokenBroken = "yJhbGciOiJIUzI1NiIsImtpZCI6InNpbTIifQ.eyJhdWQiOiJodHRwOi8vYXBpLmV4YW1wbGUuY29tIiwiZXhwIjoxNzM1Njg5NjAwLCJpc3MiOiJodHRwczovL2tyYWtlbmQuaW8iLCJqdGkiOiJtbmIyM3Zjc3J0NzU2eXVpb21uYnZjeDk4ZXJ0eXVpb3AiLCJyb2xlcyI6WyJyb2xlX3kiXSwic3ViIjoiMTIzNDU2Nzg5MHF3ZXJ0eXVpbyJ9.LRUfHzFra-9kmG_VTqA1FWFEbe3yZon7Y8yWN6CGPzk"
	// ceTokenCustomClaim is cel-7's token: roles a and b and the claim
	// "http://example.com/custom": "foobar".
	ceTokenCustomClaim = "eyJhbGciOiJIUzI1NiIsImtpZCI6InNpbTIifQ.eyJhdWQiOiJodHRwOi8vYXBpLmV4YW1wbGUuY29tIiwiZXhwIjoyMDUxODgyNzU1LCJodHRwOi8vZXhhbXBsZS5jb20vY3VzdG9tIjoiZm9vYmFyIiwiaXNzIjoiaHR0cHM6Ly9rcmFrZW5kLmlvIiwianRpIjoibW5iMjN2Y3NydDc1Nnl1aW9tbmJ2Y3g5OGVydHl1aW9wIiwicm9sZXMiOlsicm9sZV9hIiwicm9sZV9iIl0sInNjb3BlIjoicHJvZHVjdDpsaXN0OnJlYWQgcHJvZHVjdDppdGVtOnJlYWQiLCJzdWIiOiIxMjM0NTY3ODkwcXdlcnR5dWlvIn0.TRacL5nwlMhTCZfL32zcXtiWub8gP-3Snv1iTyCrpj4"
	ceTokenRoleAB      = "eyJhbGciOiJIUzI1NiIsImtpZCI6InNpbTIifQ.eyJhdWQiOiJodHRwOi8vYXBpLmV4YW1wbGUuY29tIiwiZXhwIjoyMDUxODgyNzU1LCJpc3MiOiJodHRwczovL2tyYWtlbmQuaW8iLCJqdGkiOiJtbmIyM3Zjc3J0NzU2eXVpb21uYnZjeDk4ZXJ0eXVpb3AiLCJyb2xlcyI6WyJyb2xlX2EiLCJyb2xlX2IiXSwic3ViIjoiMTIzNDU2Nzg5MHF3ZXJ0eXVpbyJ9.BSHRvJ9_QdIT3F2pVhIhyzFv0vQ43Ltz32ehrtLhlIw"
	// ceSignedToken is what the suite's /token answers: its
	// access_token signed by auth/signer with sim2.
	ceSignedToken = "eyJhbGciOiJIUzI1NiIsImtpZCI6InNpbTIifQ.eyJhdWQiOiJodHRwOi8vYXBpLmV4YW1wbGUuY29tIiwiZXhwIjoxNzM1Njg5NjAwLCJpc3MiOiJodHRwczovL2tyYWtlbmQuaW8iLCJqdGkiOiJtbmIyM3Zjc3J0NzU2eXVpb21uYnZjeDk4ZXJ0eXVpb3AiLCJyb2xlcyI6WyJyb2xlX3kiXSwic3ViIjoiMTIzNDU2Nzg5MHF3ZXJ0eXVpbyJ9.LRUfHzFra-9kmG_VTqA1FWFEbe3yZon7Y8yWN6CGPzk"
)

// ceAuthSpecs are the suite's JWT, signer and CORS specs (jwt_1–jwt_5,
// router_401_1, cors_5, in their current, array-valued form). cors_1–
// cors_4 are not run: they hold the preflight answers of rs/cors before
// 1.11 behind its old gin wrapper (200, request headers in any order
// echoed as "Origin, Content-Type"), where lambdagate answers as rs/cors
// 1.11 and KrakenD's schema say (204 by default; the request headers as
// the Fetch standard sends them). docs/configuration.md says so.
func ceAuthSpecs(ua string) []ceSpec {
	none := map[string]string{"Content-Type": "", "Cache-Control": "", "X-Krakend-Completed": ""}
	ok := map[string]string{"Content-Type": "application/json; charset=utf-8", "Cache-Control": "public, max-age=3600", "X-Krakend-Completed": "true"}
	celPartial := map[string]string{"Content-Type": "application/json; charset=utf-8", "Cache-Control": "", "X-Krakend-Completed": "false"}
	return []ceSpec{
		{name: "jwt_1", method: "GET", path: "/private/custom", header: map[string]string{"authorization": "bearer " + ceTokenRoleY}, status: 403, want: none},
		{name: "jwt_2", method: "GET", path: "/private/custom", header: map[string]string{"authorization": "bearer a.bad.token"}, status: 401, want: none},
		{name: "jwt_3", method: "GET", path: "/private/custom", header: map[string]string{"authorization": "bearer " + ceTokenRoleAB}, status: 200, want: ok,
			body: `{"age":25,"firstName":"John","id_user":1,"lastName":"Smith"}`},
		{name: "jwt_4", method: "GET", path: "/token", status: 200,
			want: map[string]string{"Content-Type": "application/json; charset=utf-8", "Cache-Control": "", "X-Krakend-Completed": ""},
			body: `{"access_token":"` + ceSignedToken + `"}` + "\n"},
		{name: "jwt_5", method: "GET", path: "/private/extract_jwt_claim", header: map[string]string{"authorization": "bearer " + ceTokenRoleAB}, status: 200, want: ok,
			body: `{"age":25,"firstName":"John","id_user":1,"lastName":"Smith","path":"/param_forwarding/1234567890qwertyuio"}`},
		// The suite's CEL specs (cel-3–cel-7; cel-1 and cel-2 run with
		// backend_404, on the file without return_error_msg) against its
		// endpoints: a request check, one check per backend, JWT claims in
		// CEL and in a url_pattern (a claim named by a URL). cel-3 and cel-4 hold
		// KrakenD 1's trailing newline after an incomplete answer; KrakenD 2
		// writes none, so they compare as JSON.
		{name: "cel-3", method: "GET", path: "/cel/req-resp/10", header: map[string]string{"X-Header": "something"}, status: 200, want: celPartial,
			asJSON: true, body: `{"backend2":{"message":"pong"}}`},
		{name: "cel-4", method: "GET", path: "/cel/req-resp/6", header: map[string]string{"X-Header": "something"}, status: 200, want: celPartial,
			asJSON: true, body: `{"backend1":{"message":"pong"}}`},
		{name: "cel-5", method: "GET", path: "/cel/req-resp/30", header: map[string]string{"X-Header": "something"}, status: 200, want: ok,
			body: `{"backend1":{"message":"pong"},"backend2":{"message":"pong"}}`},
		{name: "cel-6", method: "GET", path: "/cel/jwt/ko", header: map[string]string{"authorization": "bearer " + ceTokenBroken}, status: 401,
			want: map[string]string{"Content-Type": "", "Cache-Control": ""}},
		{name: "cel-7", method: "GET", path: "/cel/jwt/ok", header: map[string]string{"authorization": "bearer " + ceTokenCustomClaim}, status: 200, want: ok,
			body: `{"foo":42,"headers":{"Accept-Encoding":["gzip"],"User-Agent":["` + ua + `"],"X-Forwarded-Host":["localhost:8080"]},"path":"/param_forwarding/ok/1234567890qwertyuio/foobar","query":{}}`},
		{name: "router_401_1", method: "GET", path: "/private/custom", status: 401, want: none},
		{name: "cors_5", method: "GET", path: "/param_forwarding/some/foo/bar",
			header: map[string]string{"User-Agent": "some", "Origin": "http://foo.example.tld"}, status: 200,
			want: map[string]string{"Content-Type": "application/json; charset=utf-8", "Cache-Control": "public, max-age=3600", "X-Krakend-Completed": "true",
				"Vary": "Origin", "Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "Content-Length"},
			body: `{"foo":42,"headers":{"Accept-Encoding":["gzip"],"User-Agent":["` + ua + `"],"X-Forwarded-Host":["localhost:8080"]},"path":"/param_forwarding/bar","query":{"foo":["foo"]}}`},
	}
}

// checkCEVary checks cors_5's Vary header whole: one "Origin", as
// KrakenD answers.
func checkCEVary(t *testing.T, base string) {
	t.Helper()
	r := do(t, "GET", base+"/param_forwarding/some/foo/bar", "", map[string]string{"Host": "localhost:8080", "User-Agent": "some", "Origin": "http://foo.example.tld"})
	if vary := r.Header["Vary"]; !slices.Equal(vary, []string{"Origin"}) {
		t.Errorf("cors_5: Vary %q, want [Origin]", vary)
	}
}
