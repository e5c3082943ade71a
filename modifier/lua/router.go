package lua

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"

	glua "github.com/yuin/gopher-lua"
)

// RouterNamespace and its legacy name: modifier/lua-endpoint, a pre
// script on the client's HTTP request before the endpoint reads it.
const (
	RouterNamespace       = EndpointNamespace
	LegacyRouterNamespace = "github.com/devopsfaith/krakend-lua/router"
)

// HTTPHandler is the shape of a route's handler: the request and its path
// params by slot.
type HTTPHandler = func(w http.ResponseWriter, r *http.Request, params []string)

// Wrap returns next behind the script's pre code, run on the client's
// request through the ctx object (modifier/lua-endpoint). pathParams are
// the endpoint's path params' names, by slot, as written in the path;
// maxBody bounds what ctx:body() reads. The script runs under the
// client's request context, bounded by Spec.Timeout. A script failure
// answers 500, a custom_error its status and message; neither reaches
// next.
func (s *Script) Wrap(next HTTPHandler, pathParams []string, maxBody int64) HTTPHandler {
	return func(w http.ResponseWriter, r *http.Request, params []string) {
		if r, params, ok := s.serve(w, r, params, pathParams, maxBody, false); ok {
			next(w, r, params)
		}
	}
}

// WrapService returns next behind the script's pre code, for
// modifier/lua-endpoint on the service: every request, before routing (so
// ctx:params reads "" and cannot be set); maxBody bounds ctx:body().
func (s *Script) WrapService(next http.Handler, maxBody int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r, _, ok := s.serve(w, r, nil, nil, maxBody, true); ok {
			next.ServeHTTP(w, r)
		}
	})
}

// serve runs the pre code on r and reports whether the request goes on
// (with the request and params the script left); when it does not, the
// answer is written.
func (s *Script) serve(w http.ResponseWriter, r *http.Request, params, pathParams []string, maxBody int64, service bool) (*http.Request, []string, bool) {
	if s.pre == nil {
		return r, params, true
	}
	v, err := s.get()
	if err != nil {
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return nil, nil, false
	}
	v.call = call{http: r, params: params, pathNames: pathParams, maxBody: maxBody, service: service}
	ctx := r.Context()
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	err = s.run(ctx, v, s.pre, v.preFn)
	r, params = v.call.http, v.call.params
	if err != nil {
		v.L.Close()
		if ce, ok := err.(*CustomError); ok {
			body, ct, _ := ce.RelayedBody()
			w.Header().Set("Content-Type", ct)
			w.WriteHeader(ce.ClientStatus())
			w.Write(body)
			return nil, nil, false
		}
		w.WriteHeader(http.StatusInternalServerError)
		return nil, nil, false
	}
	s.put(v)
	return r, params, true
}

// registerCtx adds the ctx object of modifier/lua-endpoint.
func (v *vm) registerCtx() {
	v.ctx = v.L.NewUserData()
	v.ctx.Value = v
	v.class(typeCtx, v.ctx, map[string]glua.LGFunction{
		"method": v.ctxMethod, "url": v.ctxURL, "host": v.ctxHost, "query": v.ctxQuery,
		"params": v.ctxParams, "headers": v.ctxHeaders, "body": v.ctxBody,
	})
}

const typeCtx = "ctx"

func (v *vm) httpRequest(L *glua.LState) *http.Request {
	if ud := L.CheckUserData(1); ud != v.ctx || v.call.http == nil {
		L.ArgError(1, "a ctx (ctx.load()) expected, in a modifier/lua-endpoint script")
	}
	return v.call.http
}

func (v *vm) ctxMethod(L *glua.LState) int {
	r := v.httpRequest(L)
	return stringProp(L, func() string { return r.Method }, func(s string) { r.Method = s })
}

func (v *vm) ctxURL(L *glua.LState) int {
	r := v.httpRequest(L)
	return stringProp(L, func() string { return r.URL.String() }, func(s string) {
		u, err := url.Parse(s)
		if err != nil {
			L.RaiseError("ctx:url: %v", err)
		}
		r.URL = u
	})
}

func (v *vm) ctxHost(L *glua.LState) int {
	r := v.httpRequest(L)
	return stringProp(L, func() string { return r.Host }, func(s string) { r.Host = s })
}

func (v *vm) ctxQuery(L *glua.LState) int {
	r := v.httpRequest(L)
	key := L.CheckString(2)
	if L.GetTop() == 2 {
		L.Push(glua.LString(r.URL.Query().Get(key)))
		return 1
	}
	q := r.URL.Query()
	q.Set(key, L.CheckString(3))
	r.URL.RawQuery = q.Encode()
	return 0
}

func (v *vm) ctxParams(L *glua.LState) int {
	v.httpRequest(L)
	key := L.CheckString(2)
	for i, n := range v.call.pathNames {
		if n != key {
			continue
		}
		if L.GetTop() == 2 {
			val := ""
			if i < len(v.call.params) {
				val = v.call.params[i]
			}
			L.Push(glua.LString(val))
			return 1
		}
		p := append([]string(nil), v.call.params...)
		for len(p) <= i {
			p = append(p, "")
		}
		p[i] = L.CheckString(3)
		v.call.params = p
		return 0
	}
	if L.GetTop() == 2 {
		L.Push(glua.LString(""))
		return 1
	}
	if v.call.service {
		L.RaiseError("ctx:params: a modifier/lua-endpoint script on the service runs before routing, with no params: set the param in the endpoint's own modifier/lua-endpoint")
	}
	L.RaiseError("ctx:params: the endpoint has no param %q (its params: %v)", key, v.call.pathNames)
	return 0
}

func (v *vm) ctxHeaders(L *glua.LState) int {
	r := v.httpRequest(L)
	key := L.CheckString(2)
	if L.GetTop() == 2 {
		L.Push(glua.LString(r.Header.Get(key)))
		return 1
	}
	r.Header.Set(key, L.CheckString(3))
	return 0
}

func (v *vm) ctxBody(L *glua.LState) int {
	r := v.httpRequest(L)
	if L.GetTop() >= 2 {
		b := []byte(L.CheckString(2))
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
		return 0
	}
	var b []byte
	if r.Body != nil && r.Body != http.NoBody {
		var err error
		b, err = io.ReadAll(io.LimitReader(r.Body, v.call.maxBody+1))
		r.Body.Close()
		if err != nil {
			L.RaiseError("ctx:body: %v", err)
		}
		if int64(len(b)) > v.call.maxBody {
			L.RaiseError("ctx:body: the body is larger than the endpoint's limit (%d bytes)", v.call.maxBody)
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
	L.Push(glua.LString(b))
	return 1
}
