package cel

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"cel.dev/cel-go/interpreter"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
)

// Refusal is the error of a refused request or response: which check (by
// its index in its phase) refused it. Its text is what return_error_msg
// shows; it names no configuration path.
type Refusal struct {
	// Phase is the check's phase.
	Phase Phase
	// Index is the check's position among its phase's checks.
	Index int
}

// Error says which check refused.
func (r *Refusal) Error() string {
	what := "request"
	if r.Phase == PhaseResponse {
		what = "response"
	}
	return what + " aborted by validation/cel check #" + strconv.Itoa(r.Index)
}

// Unwrap returns ErrRefused.
func (r *Refusal) Unwrap() error { return ErrRefused }

// ParamNames returns the names req_params has for a request of e, by slot:
// KrakenD's, the placeholder's first letter upper-cased ({id} is
// req_params.Id), path params first, then the earlier responses' fields of
// a sequential endpoint (Resp0_field).
func ParamNames(e *config.Endpoint) []string {
	ps := e.Placeholders()
	names := make([]string, 0, len(ps))
	for _, p := range ps {
		if p.Slot < 0 {
			continue
		}
		for len(names) <= p.Slot {
			names = append(names, "")
		}
		names[p.Slot] = upperFirst(p.Name)
	}
	return names
}

func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// Middleware returns the set's request and response checks around a
// layer: request checks before next is called (a refusal: next is not
// called), response checks on its answer. It returns nil when the set has
// neither, so that the layer is absent. names are req_params' names by slot
// (ParamNames); logger gets the refusals.
func (s *Set) Middleware(names []string, logger *slog.Logger) proxy.Middleware {
	if s == nil || (len(s.Request) == 0 && len(s.Response) == 0) {
		return nil
	}
	pre, post := s.Request, s.Response
	return func(next proxy.Proxy) proxy.Proxy {
		return func(ctx context.Context, req *proxy.Request) (*proxy.Response, error) {
			var now nowValue
			if len(pre) > 0 {
				a := reqActivation{req: req, names: names, now: &now}
				if err := eval(ctx, logger, pre, &a); err != nil {
					return nil, err
				}
			}
			resp, err := next(ctx, req)
			if err != nil || len(post) == 0 {
				return resp, err
			}
			a := respActivation{resp: resp, now: &now}
			if err := eval(ctx, logger, post, &a); err != nil {
				if resp != nil && resp.Body != nil {
					resp.Body.Close()
				}
				return nil, err
			}
			return resp, nil
		}
	}
}

// ClaimsCheck returns the set's JWT checks as one function of a token's
// claims, true when every check passes; nil when the set has none.
func (s *Set) ClaimsCheck(logger *slog.Logger) func(ctx context.Context, claims map[string]any) bool {
	if s == nil || len(s.JWT) == 0 {
		return nil
	}
	checks := s.JWT
	return func(ctx context.Context, claims map[string]any) bool {
		var now nowValue
		a := jwtActivation{claims: claims, now: &now}
		return eval(ctx, logger, checks, &a) == nil
	}
}

// eval runs the checks in order, stopping at the first that is not true.
func eval(ctx context.Context, logger *slog.Logger, checks []*Program, a interpreter.Activation) error {
	for i, p := range checks {
		out, _, err := p.prg.Eval(a)
		if err == nil {
			if ok, isBool := out.Value().(bool); isBool && ok {
				continue
			}
		}
		if logger != nil && logger.Enabled(ctx, slog.LevelInfo) {
			attrs := []slog.Attr{slog.String("check", p.Path)}
			if err != nil {
				attrs = append(attrs, slog.String("error", err.Error()))
			}
			logger.LogAttrs(ctx, slog.LevelInfo, "validation/cel refused", attrs...)
		}
		return &Refusal{Phase: p.Phase, Index: i}
	}
	return nil
}

// nowValue is a request's now: the time of its first read, as RFC 3339
// text, so that every check of a request sees the same.
type nowValue struct{ s string }

func (n *nowValue) get() string {
	if n.s == "" {
		n.s = time.Now().Format(time.RFC3339)
	}
	return n.s
}

// reqActivation resolves the request variables, each only when read.
type reqActivation struct {
	req   *proxy.Request
	names []string
	now   *nowValue
}

func (a *reqActivation) ResolveName(name string) (any, bool) {
	switch name {
	case varReqMethod:
		return a.req.Method, true
	case varReqPath:
		return a.req.Path, true
	case varReqParams:
		m := make(map[string]string, len(a.names))
		for i, n := range a.names {
			if n != "" && i < len(a.req.Params) {
				m[n] = a.req.Params[i]
			}
		}
		return m, true
	case varReqHeaders:
		return headerMap(a.req.Headers), true
	case varReqQuerystring:
		return map[string][]string(a.req.Query), true
	case varNow:
		return a.now.get(), true
	}
	return nil, false
}

func (a *reqActivation) Parent() interpreter.Activation { return nil }

// respActivation resolves the response variables.
type respActivation struct {
	resp *proxy.Response
	now  *nowValue
}

func (a *respActivation) ResolveName(name string) (any, bool) {
	r := a.resp
	if r == nil {
		r = &proxy.Response{}
	}
	switch name {
	case varRespCompleted:
		return r.IsComplete, true
	case varRespStatus:
		return r.Metadata.StatusCode, true
	case varRespHeaders:
		return headerMap(r.Metadata.Headers), true
	case varRespData:
		if r.Data == nil {
			return map[string]any{}, true
		}
		return r.Data, true
	case varNow:
		return a.now.get(), true
	}
	return nil, false
}

func (a *respActivation) Parent() interpreter.Activation { return nil }

// jwtActivation resolves JWT and now.
type jwtActivation struct {
	claims map[string]any
	now    *nowValue
}

func (a *jwtActivation) ResolveName(name string) (any, bool) {
	switch name {
	case varJWT:
		if a.claims == nil {
			return map[string]any{}, true
		}
		return a.claims, true
	case varNow:
		return a.now.get(), true
	}
	return nil, false
}

func (a *jwtActivation) Parent() interpreter.Activation { return nil }

func headerMap(h http.Header) map[string][]string {
	if h == nil {
		return map[string][]string{}
	}
	return map[string][]string(h)
}
