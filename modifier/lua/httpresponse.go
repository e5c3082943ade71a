package lua

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	glua "github.com/yuin/gopher-lua"
)

// MaxHTTPResponseBody bounds the body an http_response reads: a longer
// one is a Lua error.
const MaxHTTPResponseBody = 10 << 20

const typeHTTPResponse = "http_response"

// httpResponse is what http_response.new returns: the reply, its body read
// whole (bounded), so that nothing stays open after the script.
type httpResponse struct {
	status int
	header http.Header
	body   []byte
}

// registerHTTP adds http_response: new(url), new(url, method, body) and
// new(url, method, body, headers) make a request with the gateway's HTTP
// client under the script's context (its time budget), and the reply's
// statusCode, headers, headerList, body and close.
func (v *vm) registerHTTP() {
	L := v.L
	mt := L.NewTypeMetatable(typeHTTPResponse)
	L.SetField(mt, "__index", L.SetFuncs(L.NewTable(), map[string]glua.LGFunction{
		"statusCode": httpStatus, "headers": httpHeaders, "headerList": httpHeaderList, "body": httpBody, "close": httpClose,
	}))
	g := L.NewTable()
	L.SetField(g, "new", L.NewFunction(v.httpNew))
	L.SetGlobal(typeHTTPResponse, g)
}

func (v *vm) httpNew(L *glua.LState) int {
	n := L.GetTop()
	if n != 1 && n != 3 && n != 4 {
		L.RaiseError("http_response.new takes 1 (url), 3 (url, method, body) or 4 (url, method, body, headers) arguments, not %d", n)
	}
	raw := L.CheckString(1)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		L.ArgError(1, fmt.Sprintf("%q is not an absolute http:// or https:// URL", raw))
	}
	method := http.MethodGet
	var body io.Reader = http.NoBody
	if n >= 3 {
		method = strings.ToUpper(L.CheckString(2))
		if b := L.CheckString(3); b != "" {
			body = strings.NewReader(b)
		}
	}
	ctx := L.Context()
	if ctx == nil {
		L.RaiseError("http_response.new runs only while a script serves a request")
	}
	req, err := http.NewRequestWithContext(ctx, method, raw, body)
	if err != nil {
		L.RaiseError("http_response.new: %v", err)
	}
	if n == 4 {
		switch h := L.Get(4).(type) {
		case *glua.LTable:
			h.ForEach(func(k, val glua.LValue) {
				switch t := val.(type) {
				case *glua.LTable:
					t.ForEach(func(_, e glua.LValue) { req.Header.Add(k.String(), e.String()) })
				default:
					req.Header.Add(k.String(), val.String())
				}
			})
		case *glua.LNilType:
		default:
			L.ArgError(4, "a table of headers expected ({[\"X-Name\"] = \"value\"})")
		}
	}
	if v.s.userAgent != "" && req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", v.s.userAgent)
	}
	client := v.s.client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		L.RaiseError("http_response.new: %s %s: %v", method, u.Redacted(), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxHTTPResponseBody+1))
	if err != nil {
		L.RaiseError("http_response.new: reading the body of %s: %v", u.Redacted(), err)
	}
	if len(b) > MaxHTTPResponseBody {
		L.RaiseError("http_response.new: the body of %s is larger than %d bytes", u.Redacted(), MaxHTTPResponseBody)
	}
	ud := L.NewUserData()
	ud.Value = &httpResponse{status: resp.StatusCode, header: resp.Header, body: bytes.Clone(b)}
	L.SetMetatable(ud, L.GetTypeMetatable(typeHTTPResponse))
	L.Push(ud)
	return 1
}

func checkHTTPResponse(L *glua.LState) *httpResponse {
	r, ok := L.CheckUserData(1).Value.(*httpResponse)
	if !ok {
		L.ArgError(1, "an http_response expected")
	}
	if r.header == nil {
		L.ArgError(1, "the http_response is closed")
	}
	return r
}

func httpStatus(L *glua.LState) int {
	L.Push(glua.LNumber(checkHTTPResponse(L).status))
	return 1
}

func httpHeaders(L *glua.LState) int {
	r := checkHTTPResponse(L)
	L.Push(glua.LString(r.header.Get(L.CheckString(2))))
	return 1
}

func httpHeaderList(L *glua.LState) int {
	r := checkHTTPResponse(L)
	vs := r.header.Values(L.CheckString(2))
	l := make([]any, len(vs))
	for i, s := range vs {
		l[i] = s
	}
	L.Push(newList(L, l))
	return 1
}

func httpBody(L *glua.LState) int {
	L.Push(glua.LString(checkHTTPResponse(L).body))
	return 1
}

// httpClose drops the reply; reading it afterwards is a Lua error.
func httpClose(L *glua.LState) int {
	if r, ok := L.CheckUserData(1).Value.(*httpResponse); ok {
		*r = httpResponse{}
	}
	return 0
}
