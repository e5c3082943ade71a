package proxy

import (
	"context"
	"sync"
)

// NewConcurrentMerge returns a Proxy that calls every backend at once and
// merges their data. The merge is shallow and follows backend order: on a
// key clash the later backend wins, whichever answered first.
//
// When some backends fail, the response holds what the others answered,
// IsComplete is false and the error is a *MergeError. When all fail the
// response is nil. The caller bounds the whole call with ctx (the endpoint
// timeout); a backend still running when ctx ends is given up on.
func NewConcurrentMerge(backends []Proxy) Proxy {
	if len(backends) == 1 {
		return backends[0]
	}
	return func(ctx context.Context, req *Request) (*Response, error) {
		results := make([]result, len(backends))
		var wg sync.WaitGroup
		wg.Add(len(backends) - 1)
		for i := 1; i < len(backends); i++ {
			go func(i int) {
				defer wg.Done()
				results[i] = call(ctx, backends[i], req)
			}(i)
		}
		// The first backend runs on this goroutine: one fewer to start.
		results[0] = call(ctx, backends[0], req)
		wg.Wait()
		return mergeResults(results)
	}
}

type result struct {
	resp *Response
	err  error
}

func call(ctx context.Context, p Proxy, req *Request) result {
	resp, err := p(ctx, req)
	if err == nil && ctx.Err() != nil {
		// Answered, but after the endpoint's deadline: too late to count.
		err = ctx.Err()
		resp = nil
	}
	return result{resp, err}
}

// mergeResults merges results in order. Backends' Body values are closed:
// a merged response is always decoded (pass-through and no-op are chosen
// for single backends only, which NewConcurrentMerge returns as they are).
func mergeResults(results []result) (*Response, error) {
	var (
		data     map[string]any
		errs     []error
		complete = true
		answered = false
	)
	for _, r := range results {
		if r.err != nil {
			errs = append(errs, r.err)
			complete = false
		}
		if r.resp == nil {
			continue
		}
		if r.resp.Body != nil {
			r.resp.Body.Close()
		}
		if !r.resp.IsComplete {
			complete = false
		}
		if r.resp.Data == nil {
			continue
		}
		answered = true
		if data == nil {
			data = make(map[string]any, len(r.resp.Data)*len(results))
		}
		for k, v := range r.resp.Data {
			data[k] = v
		}
	}
	var err error
	if len(errs) > 0 {
		err = &MergeError{Errs: errs}
	}
	if !answered {
		return nil, err
	}
	return &Response{Data: data, IsComplete: complete}, err
}
