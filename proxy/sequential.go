package proxy

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// SequentialParam is a url_pattern placeholder that takes its value from
// an earlier backend's response: {resp0_user.id} reads "user.id" from the
// data of backend 0.
type SequentialParam struct {
	// Name is the placeholder as written, without braces ("resp0_user.id").
	Name string
	// Backend is the index of the backend whose response holds the value.
	Backend int
	// Path is the dot path in that backend's data ("user.id").
	Path string
}

// ParseSequentialParam recognises a resp{N}_{path} placeholder.
func ParseSequentialParam(name string) (SequentialParam, bool) {
	rest, ok := strings.CutPrefix(name, "resp")
	if !ok {
		return SequentialParam{}, false
	}
	idx, path, ok := strings.Cut(rest, "_")
	if !ok || idx == "" || path == "" {
		return SequentialParam{}, false
	}
	n, err := strconv.Atoi(idx)
	if err != nil || n < 0 {
		return SequentialParam{}, false
	}
	return SequentialParam{Name: name, Backend: n, Path: path}, true
}

// NewSequentialMerge returns a Proxy that calls backends one after the
// other. After backend i answers, the params listed in needs[i] are read
// from its data and added to the request the later backends see, under
// their placeholder name and KrakenD's title-cased one (Resp0_id).
//
// A failed backend stops the sequence: the response holds what the earlier
// ones answered and is incomplete.
func NewSequentialMerge(backends []Proxy, needs [][]SequentialParam) Proxy {
	return func(ctx context.Context, req *Request) (*Response, error) {
		results := make([]result, 0, len(backends))
		cur := req
		for i, b := range backends {
			r := call(ctx, b, cur)
			results = append(results, r)
			if r.err != nil || r.resp == nil {
				if r.err == nil {
					r.err = fmt.Errorf("backend %d answered nothing", i)
					results[i] = r
				}
				break
			}
			if i < len(needs) && len(needs[i]) > 0 {
				if cur == req {
					cur = req.Clone()
				}
				for _, p := range needs[i] {
					v, ok := Lookup(r.resp.Data, p.Path)
					if !ok {
						results[i].err = fmt.Errorf("sequential: {%s}: backend %d's response has no %q", p.Name, i, p.Path)
						return mergeResults(results)
					}
					s := ScalarString(v)
					cur.Params[p.Name] = s
					cur.Params[TitleCase(p.Name)] = s
				}
			}
		}
		return mergeResults(results)
	}
}

// ScalarString formats a decoded JSON value for a URL: strings as they are,
// numbers as written, other values with fmt.
func ScalarString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case fmt.Stringer:
		return t.String()
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// TitleCase upper-cases the first letter of a placeholder name, as KrakenD
// exposes path params to backends ({foo_bar} → Foo_bar).
func TitleCase(s string) string {
	if s == "" {
		return s
	}
	if c := s[0]; c >= 'a' && c <= 'z' {
		return string(c-'a'+'A') + s[1:]
	}
	return s
}
