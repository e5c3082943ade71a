package proxy

import (
	"context"
	"fmt"
)

// SequentialParam is a url_pattern placeholder that takes its value from
// an earlier backend's response: {resp0_user.id} reads "user.id" from the
// data of backend 0 (config resolves them: config.RespPlaceholder).
type SequentialParam struct {
	// Name is the placeholder, without braces ("resp0_user.id").
	Name string
	// Backend is the index of the backend whose response holds the value.
	Backend int
	// Path is the dot path in that backend's data ("user.id").
	Path string
	// Slot is where the later backends find the value in Request.Params.
	Slot int
}

// NewSequentialMerge returns a Proxy that calls backends one after the
// other. After backend i answers, the params listed in needs[i] are read
// from its data and set in their slots of the params of the request the
// later backends see.
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
					cur.Params = cur.Params.set(p.Slot, ScalarString(v))
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
