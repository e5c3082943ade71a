package proxy

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
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
	// Optional params (proxy.sequential_propagated_params that no
	// url_pattern reads) are left unset when the response lacks them, as
	// in KrakenD; a url_pattern's fail the backend.
	Optional bool
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
					if p.Path == "" {
						// The whole payload (respN): a no-op backend's bytes.
						if b, ok := payload(r.resp); ok {
							cur.Params = cur.Params.set(p.Slot, string(b))
						}
						continue
					}
					v, ok := Lookup(r.resp.Data, p.Path)
					if !ok {
						if p.Optional {
							continue
						}
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

// maxPayloadParam bounds the whole payload a respN param holds.
const maxPayloadParam = 10 << 20

// payload returns the bytes of a response that was not decoded (a no-op
// backend's), reading a stream whole (bounded by maxPayloadParam) and
// putting the bytes back in its place; false for decoded data, where
// KrakenD has no payload to give either.
func payload(r *Response) ([]byte, bool) {
	if r.Raw != nil {
		return r.Raw, true
	}
	if r.Body == nil {
		return nil, false
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxPayloadParam))
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, err == nil
}

// ScalarString formats a decoded JSON value for a URL or a param as
// KrakenD does: strings as they are, numbers as written, an array's
// elements joined by commas, other values with fmt.
func ScalarString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case []any:
		var b strings.Builder
		for i, e := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprint(&b, e)
		}
		return b.String()
	case fmt.Stringer:
		return t.String()
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}
