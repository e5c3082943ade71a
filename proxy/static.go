package proxy

import (
	"context"
	"fmt"
)

// Strategies of the static stage: when its data is added.
const (
	StaticAlways     = "always"
	StaticSuccess    = "success"
	StaticComplete   = "complete"
	StaticErrored    = "errored"
	StaticIncomplete = "incomplete"
)

// staticMatches are the strategies, as KrakenD decides them from the
// merged response and its error.
var staticMatches = map[string]func(*Response, error) bool{
	StaticAlways:     func(*Response, error) bool { return true },
	StaticSuccess:    func(_ *Response, err error) bool { return err == nil },
	StaticComplete:   func(r *Response, err error) bool { return err == nil && r != nil && r.IsComplete },
	StaticErrored:    func(_ *Response, err error) bool { return err != nil },
	StaticIncomplete: func(r *Response, _ error) bool { return r == nil || !r.IsComplete },
}

// NewStaticStage returns the Middleware of an endpoint's proxy.static: when
// strategy matches the merged response (always; success: no backend
// failed; complete: no failure and the response is complete; errored: a
// backend failed; incomplete: the response is not complete), the keys of
// data are set in the response's data, replacing the backends' values of
// the same top-level keys, as KrakenD merges them. A response that no
// backend gave (all failed) becomes data holding data's keys, with the
// error kept: the client gets it as a partial answer. data is shared by
// every request: no stage after this one changes the data. An unknown
// strategy is an error ("" is always).
func NewStaticStage(data map[string]any, strategy string) (Middleware, error) {
	if strategy == "" {
		strategy = StaticAlways
	}
	match, ok := staticMatches[strategy]
	if !ok {
		return nil, fmt.Errorf("%q is not a strategy: use always, success, complete, errored or incomplete", strategy)
	}
	return func(next Proxy) Proxy {
		return func(ctx context.Context, req *Request) (*Response, error) {
			resp, err := next(ctx, req)
			if !match(resp, err) {
				return resp, err
			}
			if resp == nil {
				resp = &Response{}
			}
			if resp.Data == nil {
				resp.Data = make(map[string]any, len(data))
			}
			for k, v := range data {
				resp.Data[k] = v
			}
			return resp, err
		}
	}, nil
}
