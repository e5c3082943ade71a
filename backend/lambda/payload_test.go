package lambda

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdagate/lambdagate/internal/apigw"
	"github.com/lambdagate/lambdagate/internal/invoketest"
	"github.com/lambdagate/lambdagate/proxy"
)

func TestKrakendPayload(t *testing.T) {
	t.Parallel()
	f := invoketest.Start(t, invoketest.Echo)
	get := mustBuild(t, gatewayConfig{endpoint: "/call-a-lambda/{lambda}/{userId}", lambda: `{"function_param_name": "Lambda", "endpoint": "` + f.URL + `"}`})
	req := getReq(map[string]string{"lambda": "fn", "userId": "42"})
	req.Query = url.Values{"one": {"1"}, "many": {"a", "b"}, "lambda": {"override-attempt"}}
	resp, err := get(ctxT(t), req)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"lambda": "fn", "userid": "42", "one": "1", "many": []any{"a", "b"}}
	if !jsonEqual(resp.Data, want) {
		t.Errorf("GET payload %v, want %v", resp.Data, want)
	}
	if f.Last(t).Name != "fn" {
		t.Errorf("invoked %q", f.Last(t).Name)
	}

	f2 := invoketest.Start(t, invoketest.Echo)
	post := mustBuild(t, gatewayConfig{method: "POST", lambda: `{"function_name": "fn", "endpoint": "` + f2.URL + `"}`})
	body := []byte(`{"exact": [1, 2.50, "x"]}`)
	req = getReq(nil)
	req.Method, req.Body = "POST", body
	if _, err := post(ctxT(t), req); err != nil {
		t.Fatal(err)
	}
	if got := f2.Last(t).Body; string(got) != string(body) {
		t.Errorf("POST payload %q, want the body unchanged", got)
	}
}

func eventRequest() *proxy.Request {
	return &proxy.Request{
		Method: "POST",
		Path:   "/users/42",
		Params: proxy.Params{"42"},
		Query:  url.Values{"q": {"x"}, "tag": {"a", "b"}},
		Headers: http.Header{
			"Content-Type":    {"application/json"},
			"User-Agent":      {"lambdagate/1 (the gateway's)"},
			"Cookie":          {"a=1; b=2"},
			"X-Forwarded-For": {"10.0.0.1"},
		},
		Body:       []byte(`{"name":"ann"}`),
		RemoteAddr: "192.0.2.7:4321",
		Host:       "api.example.com",
		UserAgent:  "ua/1",
	}
}

// spelling is a proxy.HeaderSpelling of a fixed table.
type spelling map[string]string

func (s spelling) Spelling(k string) string {
	if v, ok := s[k]; ok {
		return v
	}
	return k
}

// TestAPIGatewayEventWire checks the events as functions read them: the
// client's header spelling (v1) or lower case (v2), the client's
// User-Agent, body null without a body, isBase64Encoded always in v1, and
// binary bodies in base64.
func TestAPIGatewayEventWire(t *testing.T) {
	t.Parallel()
	png := []byte("\x89PNG\r\n\x1a\n")
	cases := []struct {
		name        string
		body        []byte
		contentType string
		names       proxy.HeaderSpelling
		wantBody    any // nil for null
		wantB64     bool
	}{
		{name: "no body", wantBody: nil},
		{name: "json", body: []byte(`{"a":1}`), contentType: "application/json; charset=utf-8", wantBody: `{"a":1}`},
		{name: "text without a type", body: []byte("hi"), wantBody: "hi"},
		{name: "vendor json", body: []byte(`{}`), contentType: "application/problem+json", wantBody: `{}`},
		{name: "form", body: []byte("a=1"), contentType: "application/x-www-form-urlencoded", wantBody: "a=1"},
		{name: "png", body: png, contentType: "image/png", wantBody: base64.StdEncoding.EncodeToString(png), wantB64: true},
		{name: "octets that are UTF-8", body: []byte("abc"), contentType: "application/octet-stream", wantBody: "YWJj", wantB64: true},
		{name: "text that is not UTF-8", body: []byte{0xff}, contentType: "text/plain", wantBody: "/w==", wantB64: true},
		{name: "lower-case names", names: spelling{"Day": "day", "User-Agent": "user-agent", "Host": "host"}, wantBody: nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := eventRequest()
			req.Body = c.body
			req.Headers = http.Header{"Day": {"Thursday"}, "User-Agent": {"lambdagate/1"}}
			if c.contentType != "" {
				req.Headers.Set("Content-Type", c.contentType)
			}
			req.HeaderNames = c.names
			r := route{pattern: "/users/{id}", params: []string{"id"}}
			b, err := json.Marshal(v1Wire(apiGatewayV1Event(req, r, "rid", time.Now()), req.Body))
			if err != nil {
				t.Fatal(err)
			}
			var v1 map[string]any
			if err := json.Unmarshal(b, &v1); err != nil {
				t.Fatal(err)
			}
			if v1["body"] != c.wantBody {
				t.Errorf("v1 body %#v, want %#v", v1["body"], c.wantBody)
			}
			if got, ok := v1["isBase64Encoded"]; !ok || got != c.wantB64 {
				t.Errorf("v1 isBase64Encoded %v (present %v), want %v", got, ok, c.wantB64)
			}
			hdr := v1["headers"].(map[string]any)
			day, ua, host := "Day", "User-Agent", "Host"
			if c.names != nil {
				day, ua, host = "day", "user-agent", "host"
			}
			if hdr[day] != "Thursday" || hdr[ua] != "ua/1" || hdr[host] != "api.example.com" {
				t.Errorf("v1 headers %v, want %s, %s (the client's) and %s", hdr, day, ua, host)
			}
			if len(hdr) != 3+len(req.Headers)-2 {
				t.Errorf("v1 headers %v: a name twice?", hdr)
			}
			if got := v1["requestContext"].(map[string]any)["identity"].(map[string]any)["userAgent"]; got != "ua/1" {
				t.Errorf("v1 identity.userAgent %v, want the client's", got)
			}

			b, err = json.Marshal(apiGatewayV2Event(req, r, "rid", time.Now()))
			if err != nil {
				t.Fatal(err)
			}
			var v2 map[string]any
			if err := json.Unmarshal(b, &v2); err != nil {
				t.Fatal(err)
			}
			if want := c.wantBody; want != nil && v2["body"] != want || want == nil && v2["body"] != nil {
				t.Errorf("v2 body %#v, want %#v", v2["body"], want)
			}
			if v2["isBase64Encoded"] != c.wantB64 {
				t.Errorf("v2 isBase64Encoded %v, want %v", v2["isBase64Encoded"], c.wantB64)
			}
			h2 := v2["headers"].(map[string]any)
			if h2["day"] != "Thursday" || h2["user-agent"] != "ua/1" {
				t.Errorf("v2 headers %v, want day and the client's user-agent", h2)
			}
			if got := v2["requestContext"].(map[string]any)["http"].(map[string]any)["userAgent"]; got != "ua/1" {
				t.Errorf("v2 http.userAgent %v, want the client's", got)
			}
		})
	}
}

func TestAPIGatewayV1Event(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 34, 56, 0, time.UTC)
	b, err := json.Marshal(apiGatewayV1Event(eventRequest(), route{pattern: "/users/{id}", params: []string{"id"}}, "rid", now))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	checks := map[string][2]any{
		"resource":     {ev.Resource, "/users/{id}"},
		"path":         {ev.Path, "/users/42"},
		"method":       {ev.HTTPMethod, "POST"},
		"header":       {ev.Headers["Content-Type"], "application/json"},
		"host":         {ev.Headers["Host"], "api.example.com"},
		"cookie":       {ev.Headers["Cookie"], "a=1; b=2"},
		"query":        {ev.QueryStringParameters["tag"], "b"},
		"multi query":  {strings.Join(ev.MultiValueQueryStringParameters["tag"], ","), "a,b"},
		"path params":  {len(ev.PathParameters), 1},
		"path param":   {ev.PathParameters["id"], "42"},
		"body":         {ev.Body, `{"name":"ann"}`},
		"base64":       {ev.IsBase64Encoded, false},
		"request id":   {ev.RequestContext.RequestID, "rid"},
		"time":         {ev.RequestContext.RequestTime, "01/Mar/2026:12:34:56 +0000"},
		"epoch":        {ev.RequestContext.RequestTimeEpoch, now.UnixMilli()},
		"source ip":    {ev.RequestContext.Identity.SourceIP, "192.0.2.7"},
		"user agent":   {ev.RequestContext.Identity.UserAgent, "ua/1"},
		"stage":        {ev.RequestContext.Stage, "$default"},
		"resourcePath": {ev.RequestContext.ResourcePath, "/users/{id}"},
	}
	for name, c := range checks {
		if !reflect.DeepEqual(c[0], c[1]) {
			t.Errorf("%s: %v, want %v", name, c[0], c[1])
		}
	}
}

func TestAPIGatewayV2Event(t *testing.T) {
	t.Parallel()
	req := eventRequest()
	req.Body = []byte{0xff, 0x00, 0x01}
	now := time.Date(2026, 3, 1, 12, 34, 56, 0, time.UTC)
	b, err := json.Marshal(apiGatewayV2Event(req, route{pattern: "/users/{id}", params: []string{"id"}}, "rid", now))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	checks := map[string][2]any{
		"version":     {ev.Version, "2.0"},
		"route key":   {ev.RouteKey, "POST /users/{id}"},
		"raw path":    {ev.RawPath, "/users/42"},
		"raw query":   {ev.RawQueryString, "q=x&tag=a&tag=b"},
		"cookies":     {strings.Join(ev.Cookies, "|"), "a=1|b=2"},
		"no cookie":   {ev.Headers["cookie"], ""},
		"header":      {ev.Headers["content-type"], "application/json"},
		"host":        {ev.Headers["host"], "api.example.com"},
		"query":       {ev.QueryStringParameters["tag"], "a,b"},
		"path param":  {ev.PathParameters["id"], "42"},
		"base64":      {ev.IsBase64Encoded, true},
		"body":        {ev.Body, base64.StdEncoding.EncodeToString([]byte{0xff, 0x00, 0x01})},
		"request id":  {ev.RequestContext.RequestID, "rid"},
		"method":      {ev.RequestContext.HTTP.Method, "POST"},
		"source ip":   {ev.RequestContext.HTTP.SourceIP, "192.0.2.7"},
		"time":        {ev.RequestContext.Time, "01/Mar/2026:12:34:56 +0000"},
		"domain":      {ev.RequestContext.DomainName, "api.example.com"},
		"domain pref": {ev.RequestContext.DomainPrefix, "api"},
	}
	for name, c := range checks {
		if !reflect.DeepEqual(c[0], c[1]) {
			t.Errorf("%s: %v, want %v", name, c[0], c[1])
		}
	}
}

// TestPayloadFormatOption checks that the option reaches the function.
func TestPayloadFormatOption(t *testing.T) {
	t.Parallel()
	for format, key := range map[string]string{"apigateway_v1": "httpMethod", "apigateway_v2": "routeKey", "krakend": "id"} {
		f := invoketest.Start(t, func(w http.ResponseWriter, c call, _ int) {
			// Answer the event back as a plain object.
			w.Write([]byte(`{"statusCode": 200, "body": ` + strconvQuote(string(c.Body)) + `}`))
		})
		p := mustBuild(t, gatewayConfig{endpoint: "/users/{id}", lambda: `{"function_name": "fn", "payload_format": "` + format + `", "response_format": "apigateway", "endpoint": "` + f.URL + `"}`})
		resp, err := p(ctxT(t), getReq(map[string]string{"id": "42"}))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := resp.Data[key]; !ok {
			t.Errorf("%s: the function got %v, no %q", format, resp.Data, key)
		}
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// fuzzRequest builds a request from fuzzed parts.
func fuzzRequest(method, path, param, qk, qv, hk, hv string, body []byte) *proxy.Request {
	return &proxy.Request{
		Method:     method,
		Path:       path,
		Params:     proxy.Params{param, param},
		Query:      url.Values{qk: {qv, param}, "one": {qv}},
		Headers:    http.Header{http.CanonicalHeaderKey(hk): {hv}, "Cookie": {hv}},
		Body:       body,
		RemoteAddr: hv,
		Host:       param,
	}
}

func FuzzKrakendPayload(f *testing.F) {
	f.Add("GET", "/x", "42", "q", "v", "X-A", "b", []byte(`{}`))
	f.Add("GET", "", "\xff", "", "\x00", "", "", []byte{0xff})
	f.Fuzz(func(t *testing.T, method, path, param, qk, qv, hk, hv string, body []byte) {
		req := fuzzRequest(method, path, param, qk, qv, hk, hv, body)
		b, err := krakendParamsPayload(req, []string{"id", strings.ToLower(qk)})
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("not a JSON object: %q", b)
		}
		if utf8.ValidString(param) && m["id"] != param {
			t.Fatalf("id %v, want %q", m["id"], param)
		}
		if utf8.ValidString(qv) && strings.ToLower(qk) != "one" && m["one"] != qv {
			t.Fatalf("one %v, want %q", m["one"], qv)
		}
	})
}

func FuzzAPIGatewayV1Payload(f *testing.F) {
	f.Add("POST", "/x", "42", "q", "v", "X-A", "b", []byte(`{"a":1}`))
	f.Add("GET", "", "", "", "", "", "", []byte{0xff, 0xfe})
	f.Fuzz(func(t *testing.T, method, path, param, qk, qv, hk, hv string, body []byte) {
		req := fuzzRequest(method, path, param, qk, qv, hk, hv, body)
		b, err := json.Marshal(apiGatewayV1Event(req, route{pattern: "/x/{id}", params: []string{"id"}}, apigw.RequestID(), time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatalf("event does not decode: %v", err)
		}
		checkEventBody(t, body, ev.Body, ev.IsBase64Encoded)
	})
}

func FuzzAPIGatewayV2Payload(f *testing.F) {
	f.Add("POST", "/x", "42", "q", "v", "X-A", "a=1; b=2", []byte(`{"a":1}`))
	f.Add("GET", "", "", "", "", "", ";;", []byte{0x80})
	f.Fuzz(func(t *testing.T, method, path, param, qk, qv, hk, hv string, body []byte) {
		req := fuzzRequest(method, path, param, qk, qv, hk, hv, body)
		b, err := json.Marshal(apiGatewayV2Event(req, route{pattern: "/x/{id}", params: []string{"id"}}, apigw.RequestID(), time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatalf("event does not decode: %v", err)
		}
		checkEventBody(t, body, ev.Body, ev.IsBase64Encoded)
		if _, ok := ev.Headers["cookie"]; ok {
			t.Fatal("cookies left in headers")
		}
	})
}

// checkEventBody: the function can always get the exact body back.
func checkEventBody(t *testing.T, sent []byte, body string, b64 bool) {
	t.Helper()
	got := []byte(body)
	if b64 {
		var err error
		if got, err = base64.StdEncoding.DecodeString(body); err != nil {
			t.Fatalf("isBase64Encoded body is not base64: %v", err)
		}
	}
	if string(got) != string(sent) {
		t.Fatalf("body %q, sent %q", got, sent)
	}
}
