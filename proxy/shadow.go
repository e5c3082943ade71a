package proxy

import (
	"context"
	"time"
)

// NewShadowStage returns the Middleware of an endpoint's shadow backends
// (a backend's extra_config.proxy.shadow), as Lura's shadow proxy does: each
// request is sent to shadow too, with a copy of the request, in a goroutine
// of its own bounded by timeout and not cancelled with the client's
// request; its answer and its failure are dropped, and the client's answer
// never waits for it.
func NewShadowStage(shadow Proxy, timeout time.Duration) Middleware {
	return func(next Proxy) Proxy {
		return func(ctx context.Context, req *Request) (*Response, error) {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
			sreq := req.Clone()
			go func() {
				defer cancel()
				if resp, _ := shadow(sctx, sreq); resp != nil && resp.Body != nil {
					resp.Body.Close()
				}
			}()
			return next(ctx, req)
		}
	}
}
