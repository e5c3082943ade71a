package lua

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strconv"

	glua "github.com/yuin/gopher-lua"

	"github.com/lambdagate/lambdagate/proxy"
)

// vm is one pooled Lua state and the request it serves.
type vm struct {
	L      *glua.LState
	preFn  *glua.LFunction
	postFn *glua.LFunction
	s      *Script
	gen    uint64
	call   call
	req    *glua.LUserData // request.load()'s value, made once
	ctx    *glua.LUserData // ctx.load()'s value, made once
	resp   *glua.LUserData // response.load()'s value, made once
}

// call is what one run of a script works on.
type call struct {
	http      *http.Request // modifier/lua-endpoint's request
	params    []string      // and its path params by slot
	pathNames []string
	maxBody   int64
	service   bool // a modifier/lua-endpoint script on the service
	req       *proxy.Request
	cloned    bool // req is this call's own (see writable)
	resp      *proxy.Response
	custom    *CustomError
	pinned    bool // req.URL is the one request:url() read, not one set
}

// tableRef is a luaTable: a Go map, shared, not copied.
type tableRef struct{ data map[string]any }

// listRef is a luaList: a Go slice.
type listRef struct{ data []any }

const (
	typeRequest  = "request"
	typeResponse = "response"
	typeTable    = "luaTable"
	typeList     = "luaList"
)

// register puts KrakenD's Lua API in v's globals: request, response,
// luaTable, luaList and custom_error.
func (v *vm) register() {
	L := v.L
	v.req = L.NewUserData()
	v.req.Value = v
	v.resp = L.NewUserData()
	v.resp.Value = v
	v.class(typeRequest, v.req, map[string]glua.LGFunction{
		"method": v.reqMethod, "path": v.reqPath, "query": v.reqQuery, "url": v.reqURL,
		"params": v.reqParams, "headers": v.reqHeaders, "headerList": v.reqHeaderList, "body": v.reqBody,
	})
	v.class(typeResponse, v.resp, map[string]glua.LGFunction{
		"isComplete": v.respIsComplete, "statusCode": v.respStatus, "data": v.respData,
		"headers": v.respHeaders, "headerList": v.respHeaderList, "body": v.respBody,
	})
	v.class(typeTable, nil, map[string]glua.LGFunction{
		"get": tableGet, "set": tableSet, "len": tableLen, "del": tableDel, "keys": tableKeys, "keyExists": tableKeyExists,
	})
	v.class(typeList, nil, map[string]glua.LGFunction{
		"get": listGet, "set": listSet, "len": listLen, "del": listDel,
	})
	v.registerCtx()
	v.registerHTTP()
	L.SetGlobal("custom_error", L.NewFunction(v.customError))
}

// class makes the global table name with load (returning ud) or new, and
// the metatable of its userdata with methods.
func (v *vm) class(name string, ud *glua.LUserData, methods map[string]glua.LGFunction) {
	L := v.L
	mt := L.NewTypeMetatable(name)
	L.SetField(mt, "__index", L.SetFuncs(L.NewTable(), methods))
	g := L.NewTable()
	switch name {
	case typeTable:
		L.SetField(g, "new", L.NewFunction(func(L *glua.LState) int {
			L.Push(newTable(L, map[string]any{}))
			return 1
		}))
	case typeList:
		L.SetField(g, "new", L.NewFunction(func(L *glua.LState) int {
			L.Push(newList(L, []any{}))
			return 1
		}))
	default:
		ud.Metatable = mt
		L.SetField(g, "load", L.NewFunction(func(L *glua.LState) int {
			if name == typeResponse && v.call.resp == nil {
				L.RaiseError("response.load: there is no response in a pre script")
			}
			L.Push(ud)
			return 1
		}))
	}
	L.SetGlobal(name, g)
}

func newTable(L *glua.LState, m map[string]any) *glua.LUserData {
	ud := L.NewUserData()
	ud.Value = &tableRef{data: m}
	L.SetMetatable(ud, L.GetTypeMetatable(typeTable))
	return ud
}

func newList(L *glua.LState, l []any) *glua.LUserData {
	ud := L.NewUserData()
	ud.Value = &listRef{data: l}
	L.SetMetatable(ud, L.GetTypeMetatable(typeList))
	return ud
}

// customError is custom_error(message, status, content_type): it stops the
// script; the layer fails with that status and body.
func (v *vm) customError(L *glua.LState) int {
	e := &CustomError{Message: L.CheckString(1), Status: -1}
	if L.GetTop() >= 2 {
		e.Status = L.CheckInt(2)
	}
	if L.GetTop() >= 3 {
		e.ContentType = L.CheckString(3)
	}
	v.call.custom = e
	L.RaiseError("custom_error: %s", e.Message)
	return 0
}

func (v *vm) request(L *glua.LState) *proxy.Request {
	if ud := L.CheckUserData(1); ud != v.req {
		L.ArgError(1, "a request (request.load()) expected")
	}
	return v.call.req
}

// writable is the request for a setter: cloned on first use, since the
// request the layer got is shared.
func (v *vm) writable(L *glua.LState) *proxy.Request {
	v.request(L)
	if !v.call.cloned {
		v.call.req = v.call.req.Clone()
		v.call.cloned = true
	}
	return v.call.req
}

func (v *vm) response(L *glua.LState) *proxy.Response {
	if ud := L.CheckUserData(1); ud != v.resp {
		L.ArgError(1, "a response (response.load()) expected")
	}
	return v.call.resp
}

// stringProp is a getter (one argument) and setter (two) of a string.
func stringProp(L *glua.LState, get func() string, set func(string)) int {
	if L.GetTop() >= 2 {
		set(L.CheckString(2))
		return 0
	}
	L.Push(glua.LString(get()))
	return 1
}

func (v *vm) reqMethod(L *glua.LState) int {
	r := v.request(L)
	if L.GetTop() >= 2 {
		r = v.writable(L)
	}
	return stringProp(L, func() string { return r.Method }, func(s string) { r.Method = s })
}

func (v *vm) reqPath(L *glua.LState) int {
	r := v.request(L)
	if L.GetTop() >= 2 {
		r = v.writable(L)
	}
	return stringProp(L, func() string { return r.Path }, func(s string) { r.Path = s })
}

func (v *vm) reqQuery(L *glua.LState) int {
	r := v.request(L)
	if L.GetTop() >= 2 {
		r = v.writable(L)
	}
	return stringProp(L, func() string { return r.Query.Encode() }, func(s string) {
		q, err := url.ParseQuery(s)
		if err != nil {
			L.RaiseError("request:query: %v", err)
		}
		r.Query = q
		v.unpin(r)
	})
}

// reqURL is request:url(): in a modifier/lua-backend script the absolute
// URL the backend calls (its url_pattern filled on the host the round
// robin picks, with the forwarded query strings), and with a value the
// URL it calls instead. Reading it fixes the host for the call; a later
// change of the params or the query builds the URL again. In a
// modifier/lua-proxy pre script it reads "" until set, and a URL set
// there is the one every HTTP backend of the endpoint calls.
func (v *vm) reqURL(L *glua.LState) int {
	r := v.request(L)
	if L.GetTop() >= 2 {
		s := L.CheckString(2)
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			L.ArgError(2, fmt.Sprintf("request:url: %q is not an absolute http:// or https:// URL", s))
		}
		r = v.writable(L)
		r.URL = s
		v.call.pinned = false
		return 0
	}
	if r.URL != "" || v.s.url == nil {
		L.Push(glua.LString(r.URL))
		return 1
	}
	u, err := v.s.url(r)
	if err != nil {
		L.RaiseError("request:url: %v", err)
	}
	// Pinned, so that the call goes to the host read.
	r = v.writable(L)
	r.URL = u
	v.call.pinned = true
	L.Push(glua.LString(u))
	return 1
}

// unpin drops a URL request:url() read (not one a script set) when a
// setter changes what it is built from.
func (v *vm) unpin(r *proxy.Request) {
	if v.call.pinned {
		r.URL = ""
		v.call.pinned = false
	}
}

func (v *vm) reqParams(L *glua.LState) int {
	r := v.request(L)
	if L.GetTop() >= 3 {
		r = v.writable(L)
	}
	names := v.s.names
	switch L.GetTop() {
	case 1:
		m := make(map[string]any, len(names))
		for i, n := range names {
			if n != "" {
				m[n] = r.Params.Value(i)
			}
		}
		L.Push(newTable(L, m))
		return 1
	case 2:
		key := L.CheckString(2)
		for i, n := range names {
			if n == key {
				L.Push(glua.LString(r.Params.Value(i)))
				return 1
			}
		}
		L.Push(glua.LString(""))
		return 1
	default:
		key, val := L.CheckString(2), L.CheckString(3)
		for i, n := range names {
			if n == key {
				for len(r.Params) <= i {
					r.Params = append(r.Params, "")
				}
				r.Params[i] = val
				v.unpin(r)
				return 0
			}
		}
		L.RaiseError("request:params: the endpoint has no param %q (its params: %v); KrakenD's names start with an upper-case letter", key, names)
		return 0
	}
}

func (v *vm) reqHeaders(L *glua.LState) int {
	r := v.request(L)
	if L.GetTop() >= 3 {
		r = v.writable(L)
	}
	if L.GetTop() == 1 {
		m := make(map[string]any, len(r.Headers))
		for k, vs := range r.Headers {
			l := make([]any, len(vs))
			for i, s := range vs {
				l[i] = s
			}
			m[k] = l
		}
		L.Push(newTable(L, m))
		return 1
	}
	return headerProp(L, &r.Headers)
}

func (v *vm) respHeaders(L *glua.LState) int {
	r := v.response(L)
	if L.GetTop() == 1 {
		L.ArgError(2, "a header name expected")
	}
	return headerProp(L, &r.Metadata.Headers)
}

// headerProp gets a header's first value (name), sets it (name, value) or
// deletes it (name, nil).
func headerProp(L *glua.LState, h *http.Header) int {
	key := textproto.CanonicalMIMEHeaderKey(L.CheckString(2))
	if L.GetTop() == 2 {
		vs := (*h)[key]
		if len(vs) == 0 {
			L.Push(glua.LString(""))
		} else {
			L.Push(glua.LString(vs[0]))
		}
		return 1
	}
	if L.Get(3) == glua.LNil {
		delete(*h, key)
		return 0
	}
	if *h == nil {
		*h = http.Header{}
	}
	(*h)[key] = []string{L.CheckString(3)}
	return 0
}

func (v *vm) reqHeaderList(L *glua.LState) int {
	r := v.request(L)
	if L.GetTop() >= 3 {
		r = v.writable(L)
	}
	return headerListProp(L, &r.Headers)
}

func (v *vm) respHeaderList(L *glua.LState) int {
	return headerListProp(L, &v.response(L).Metadata.Headers)
}

// headerListProp gets (name) or sets (name, luaList) every value of a
// header.
func headerListProp(L *glua.LState, h *http.Header) int {
	key := textproto.CanonicalMIMEHeaderKey(L.CheckString(2))
	if L.GetTop() == 2 {
		vs := (*h)[key]
		l := make([]any, len(vs))
		for i, s := range vs {
			l[i] = s
		}
		L.Push(newList(L, l))
		return 1
	}
	ud := L.CheckUserData(3)
	list, ok := ud.Value.(*listRef)
	if !ok {
		L.ArgError(3, "a luaList expected")
	}
	vs := make([]string, len(list.data))
	for i, e := range list.data {
		vs[i] = fmt.Sprint(e)
	}
	if *h == nil {
		*h = http.Header{}
	}
	(*h)[key] = vs
	return 0
}

func (v *vm) reqBody(L *glua.LState) int {
	r := v.request(L)
	if L.GetTop() >= 2 {
		r = v.writable(L)
	}
	return stringProp(L, func() string { return string(r.Body) }, func(s string) { r.Body = []byte(s) })
}

// respBody reads or replaces a no-op response's body; other responses
// have their data instead (response:data()).
func (v *vm) respBody(L *glua.LState) int {
	r := v.response(L)
	if !v.s.noop {
		if L.GetTop() >= 2 {
			L.RaiseError("response:body(value) applies to no-op backends and endpoints only: change response:data() instead")
		}
		L.Push(glua.LString(""))
		return 1
	}
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		r.Body = nil
		if err != nil {
			L.RaiseError("response:body: %v", err)
		}
		r.Raw = b
	}
	return stringProp(L, func() string { return string(r.Raw) }, func(s string) { r.Raw = []byte(s) })
}

func (v *vm) respIsComplete(L *glua.LState) int {
	r := v.response(L)
	if L.GetTop() >= 2 {
		r.IsComplete = L.ToBool(2)
		return 0
	}
	L.Push(glua.LBool(r.IsComplete))
	return 1
}

func (v *vm) respStatus(L *glua.LState) int {
	r := v.response(L)
	if L.GetTop() >= 2 {
		r.Metadata.StatusCode = L.CheckInt(2)
		return 0
	}
	L.Push(glua.LNumber(r.Metadata.StatusCode))
	return 1
}

func (v *vm) respData(L *glua.LState) int {
	r := v.response(L)
	if r.Data == nil {
		r.Data = map[string]any{}
	}
	L.Push(newTable(L, r.Data))
	return 1
}

func checkTable(L *glua.LState) *tableRef {
	t, ok := L.CheckUserData(1).Value.(*tableRef)
	if !ok {
		L.ArgError(1, "a luaTable expected")
	}
	return t
}

func checkList(L *glua.LState) *listRef {
	t, ok := L.CheckUserData(1).Value.(*listRef)
	if !ok {
		L.ArgError(1, "a luaList expected")
	}
	return t
}

func tableGet(L *glua.LState) int {
	t := checkTable(L)
	val, ok := t.data[L.CheckString(2)]
	if !ok {
		L.Push(glua.LNil)
		return 1
	}
	L.Push(toLua(L, val))
	return 1
}

func tableSet(L *glua.LState) int {
	t := checkTable(L)
	t.data[L.CheckString(2)] = fromLua(L.Get(3))
	return 0
}

func tableLen(L *glua.LState) int {
	L.Push(glua.LNumber(len(checkTable(L).data)))
	return 1
}

func tableDel(L *glua.LState) int {
	t := checkTable(L)
	delete(t.data, L.CheckString(2))
	return 0
}

func tableKeys(L *glua.LState) int {
	t := checkTable(L)
	keys := make([]string, 0, len(t.data))
	for k := range t.data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	l := make([]any, len(keys))
	for i, k := range keys {
		l[i] = k
	}
	L.Push(newList(L, l))
	return 1
}

func tableKeyExists(L *glua.LState) int {
	_, ok := checkTable(L).data[L.CheckString(2)]
	L.Push(glua.LBool(ok))
	return 1
}

// Lists are indexed from 0, as in KrakenD.
func listGet(L *glua.LState) int {
	l := checkList(L)
	i := L.CheckInt(2)
	if i < 0 || i >= len(l.data) {
		L.Push(glua.LNil)
		return 1
	}
	L.Push(toLua(L, l.data[i]))
	return 1
}

// maxListIndex bounds luaList:set's growth.
const maxListIndex = 1 << 20

func listSet(L *glua.LState) int {
	l := checkList(L)
	i := L.CheckInt(2)
	if i < 0 || i > maxListIndex {
		L.ArgError(2, "index out of range")
	}
	for len(l.data) <= i {
		l.data = append(l.data, nil)
	}
	l.data[i] = fromLua(L.Get(3))
	return 0
}

func listLen(L *glua.LState) int {
	L.Push(glua.LNumber(len(checkList(L).data)))
	return 1
}

func listDel(L *glua.LState) int {
	l := checkList(L)
	i := L.CheckInt(2)
	if i < 0 || i >= len(l.data) {
		return 0
	}
	l.data = append(l.data[:i:i], l.data[i+1:]...) // a copy: the slice may be a value in the data
	return 0
}

// toLua converts a data value: JSON numbers to numbers, objects to
// luaTables and arrays to luaLists over the same Go values.
func toLua(L *glua.LState, val any) glua.LValue {
	switch t := val.(type) {
	case nil:
		return glua.LNil
	case string:
		return glua.LString(t)
	case json.Number:
		f, _ := t.Float64()
		return glua.LNumber(f)
	case float64:
		return glua.LNumber(t)
	case int:
		return glua.LNumber(t)
	case int64:
		return glua.LNumber(t)
	case bool:
		return glua.LBool(t)
	case []any:
		return newList(L, t)
	case map[string]any:
		return newTable(L, t)
	}
	L.RaiseError("a value of type %T cannot be read from Lua", val)
	return glua.LNil
}

// maxDepth bounds the nesting fromLua follows (a table may hold itself).
const maxDepth = 64

// fromLua converts a Lua value to data: Lua tables become objects (keys as
// text, as in KrakenD), luaTables and luaLists their Go values.
func fromLua(lv glua.LValue) any {
	return fromLuaDepth(lv, 0)
}

func fromLuaDepth(lv glua.LValue, depth int) any {
	switch t := lv.(type) {
	case glua.LString:
		return string(t)
	case glua.LNumber:
		return float64(t)
	case glua.LBool:
		return bool(t)
	case *glua.LTable:
		m := map[string]any{}
		if depth >= maxDepth {
			return m
		}
		t.ForEach(func(k, e glua.LValue) {
			key := k.String()
			if n, ok := k.(glua.LNumber); ok {
				key = strconv.FormatFloat(float64(n), 'f', -1, 64)
			}
			m[key] = fromLuaDepth(e, depth+1)
		})
		return m
	case *glua.LUserData:
		switch u := t.Value.(type) {
		case *tableRef:
			return u.data
		case *listRef:
			return u.data
		}
	}
	return nil
}
