package authorizer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/clientip"
	"github.com/lambdagate/lambdagate/internal/lambdaapi"
	"github.com/lambdagate/lambdagate/internal/lambdainvoke"
	"github.com/lambdagate/lambdagate/internal/router"
	"github.com/lambdagate/lambdagate/proxy"
)

// startupTimeout bounds loading the AWS configuration of the client.
const startupTimeout = 30 * time.Second

// Decode reads an endpoint's lambdagate/authorizer namespace. It returns
// the options and the namespace's JSON path, and ok false when the
// endpoint has none.
func Decode(x *config.ExtraConfig) (o *Options, path string, ok bool, err error) {
	o = &Options{}
	path = config.Join(x.Path, Namespace)
	ok, err = x.Decode(Namespace, o)
	return o, path, ok, err
}

// Deps is what an Authorizer needs besides its options.
type Deps struct {
	// Clients are the gateway's invocation clients, shared by its
	// authorizers.
	Clients *lambdainvoke.Clients
	// LocalURL, when set, is the Invoke endpoint of the in-process local
	// runtime: authorizers without an endpoint are invoked there.
	LocalURL string
	// Logger receives failures, refusals' access-log lines and reasons.
	Logger *slog.Logger
	// AccessLog writes a line for each refused request, as the endpoint
	// does for the others.
	AccessLog bool
	// ReturnErrorMsg writes why a request was refused as its body
	// (router.return_error_msg); off, bodies are empty.
	ReturnErrorMsg bool
	// Warn receives start-up warnings.
	Warn func(string)
	// ClientIP resolves the events' sourceIp by the router's client-IP
	// options (nil: the peer's address).
	ClientIP *clientip.Resolver
}

// Authorizer authorizes the requests of one endpoint with its Lambda
// authorizer.
type Authorizer struct {
	settings
	invoker lambdainvoke.Invoker
	arn     methodARN
	cache   *cache // nil when result_ttl is 0
	timeout time.Duration
	route   string   // the endpoint's path template
	params  []string // its placeholders, in path order
	name    string   // "GET /users/{id}", for logs

	logger         *slog.Logger
	accessLog      bool
	returnErrorMsg bool
	clientIP       *clientip.Resolver
}

// New builds the authorizer of endpoint e from its options; path is the
// namespace's JSON path, for errors. Problems are config.Errors.
func New(o *Options, path string, e *config.Endpoint, deps Deps) (*Authorizer, error) {
	s, errs := o.resolve(path)
	if len(errs) > 0 {
		return nil, errs
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Warn == nil {
		deps.Warn = func(string) {}
	}
	if deps.Clients == nil {
		deps.Clients = &lambdainvoke.Clients{}
	}
	key := o.key().OrLocal(deps.LocalURL)
	ctx, cancel := context.WithTimeout(context.Background(), startupTimeout)
	client, err := deps.Clients.Get(ctx, key, deps.Logger)
	cancel()
	if err != nil {
		at := path
		var ce *lambdainvoke.ConfigError
		if errors.As(err, &ce) && lambdainvoke.OptionOf(ce.Field) != "" {
			at = config.Join(path, lambdainvoke.OptionOf(ce.Field))
		}
		return nil, config.Errors{{Path: at, Msg: err.Error()}}
	}
	if key.Local {
		deps.Logger.Info("lambda authorizer uses the local Lambda runtime", "endpoint", e.JSONPath, "function", s.function)
	}
	region := s.arnRegion
	if region == "" {
		region = client.Region()
	}
	warnUnforwarded(e, s.propagate, path, deps.Warn)
	return newAuthorizer(s, client, region, e, deps), nil
}

// newAuthorizer builds an Authorizer around an invoker.
func newAuthorizer(s settings, inv lambdainvoke.Invoker, region string, e *config.Endpoint, deps Deps) *Authorizer {
	a := &Authorizer{
		settings:       s,
		invoker:        inv,
		arn:            newMethodARN(region, s.accountID, s.apiID, s.stage),
		timeout:        e.Timeout,
		route:          e.Path,
		params:         e.Params,
		name:           e.Method + " " + e.Path,
		logger:         deps.Logger,
		accessLog:      deps.AccessLog,
		returnErrorMsg: deps.ReturnErrorMsg,
		clientIP:       deps.ClientIP,
	}
	if a.logger == nil {
		a.logger = slog.New(slog.DiscardHandler)
	}
	if s.ttl > 0 {
		a.cache = newCache(s.ttl, MaxCacheEntries)
	}
	return a
}

// warnUnforwarded warns of propagate_context headers the endpoint's
// input_headers do not let through to its backends.
func warnUnforwarded(e *config.Endpoint, props []propagation, path string, warn func(string)) {
	if slices.Contains(e.InputHeaders, "*") {
		return
	}
	for i, p := range props {
		if !slices.ContainsFunc(e.InputHeaders, func(h string) bool { return strings.EqualFold(h, p.header) }) {
			warn(fmt.Sprintf("%s: %s is not in the endpoint's input_headers, so no backend receives it: add it there", config.Index(config.Join(path, "propagate_context"), i), p.header))
		}
	}
}

// Wrap returns next behind the authorizer: next runs only for a request
// the authorizer allows, with the propagate_context headers set (the
// client's own copies always removed) and the answer in the request's
// context (proxy.AuthorizerFrom).
func (a *Authorizer) Wrap(next router.Handler) router.Handler {
	return func(w http.ResponseWriter, r *http.Request, params []string) {
		start := time.Now()
		for _, p := range a.propagate {
			delete(r.Header, p.header)
		}
		ans, status, why := a.authorize(r, params, start)
		if status != 0 {
			a.refuse(w, r, status, why, start)
			return
		}
		for i, p := range a.propagate {
			if vs := ans.headers[i]; vs != nil {
				if r.Header == nil {
					r.Header = http.Header{}
				}
				r.Header[p.header] = vs
			}
		}
		next(w, r.WithContext(proxy.WithAuthorizer(r.Context(), ans.result)), params)
	}
}

// Why requests are refused, besides the function's own failures.
var (
	errDenied        = errors.New("the authorizer's policy denies the request's method ARN explicitly")
	errNotAllowed    = errors.New("the authorizer's policy allows nothing that matches the request's method ARN")
	errNotAuthorized = errors.New("the authorizer answered isAuthorized false")
	errUnauthorized  = errors.New("the authorizer function answered Unauthorized")
	errARNTooLong    = fmt.Errorf("the request's method ARN is longer than %d bytes", MaxMethodARN)
)

// authorize returns the answer that allows r, or the status to answer
// and why.
func (a *Authorizer) authorize(r *http.Request, params []string, now time.Time) (*answer, int, error) {
	var stack [4]string
	values := stack[:0]
	for i := range a.sources {
		v := a.sources[i].value(r)
		if v == "" {
			return nil, http.StatusUnauthorized, fmt.Errorf("the request lacks the identity source %s", a.sources[i].expr)
		}
		values = append(values, v)
	}
	arn := a.arn.of(r.Method, r.URL.EscapedPath())
	if len(arn) > MaxMethodARN {
		return nil, http.StatusRequestURITooLong, errARNTooLong
	}
	var key cacheKey
	var ans *answer
	if a.cache != nil {
		key = keyOf(values)
		ans = a.cache.get(key, now)
	}
	if ans == nil {
		var status int
		var err error
		// A copy: values stays on the stack of a cache hit.
		in := eventFor{r: r, params: params, values: slices.Clone(values), methodARN: arn, now: now}
		if ans, status, err = a.invoke(r, in); err != nil {
			return nil, status, err
		}
		if a.cache != nil {
			a.cache.put(key, ans, now)
		}
	}
	return a.decide(ans, arn)
}

// decide returns what ans says of a request's method ARN.
func (a *Authorizer) decide(ans *answer, arn string) (*answer, int, error) {
	if ans.policy == nil {
		if !ans.authorized {
			return nil, http.StatusForbidden, errNotAuthorized
		}
		return ans, 0, nil
	}
	switch ans.policy.evaluate(arn) {
	case deniedExplicitly:
		return nil, http.StatusForbidden, errDenied
	case deniedImplicitly:
		return nil, http.StatusForbidden, errNotAllowed
	}
	return ans, 0, nil
}

// invoke calls the authorizer function for a request, under the
// endpoint's timeout, and decodes its answer.
func (a *Authorizer) invoke(r *http.Request, in eventFor) (*answer, int, error) {
	payload, err := a.event(in)
	if err != nil {
		return nil, http.StatusInternalServerError, fmt.Errorf("building the authorizer's event: %w", err)
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.timeout)
	defer cancel()
	res, err := a.invoker.Invoke(ctx, &lambdainvoke.Invocation{
		FunctionName:   a.function,
		Qualifier:      a.qualifier,
		InvocationType: lambdaapi.InvocationRequestResponse,
		Payload:        payload,
	})
	switch {
	case err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return nil, http.StatusInternalServerError, fmt.Errorf("the authorizer function did not answer within the endpoint's timeout (%s)", a.timeout)
	case err != nil:
		return nil, http.StatusInternalServerError, fmt.Errorf("invoking the authorizer function: %w", err)
	case res.FunctionError != "":
		if isUnauthorized(res.Payload) {
			return nil, http.StatusUnauthorized, errUnauthorized
		}
		return nil, http.StatusInternalServerError, functionError(res.FunctionError, res.Payload)
	}
	ans, err := parseAnswer(res.Payload, a.version, a.simple)
	if err != nil {
		return nil, http.StatusInternalServerError, fmt.Errorf("malformed answer: %w", err)
	}
	ans.headers = headerValues(a.propagate, ans.result)
	return ans, 0, nil
}

// refuse answers a request the authorizer did not let through, and logs
// it: a failure of the authorizer as an error, with its reason; a refusal
// at debug level, and in the access log.
func (a *Authorizer) refuse(w http.ResponseWriter, r *http.Request, status int, why error, start time.Time) {
	ctx := r.Context()
	outcome := "forbidden"
	switch status {
	case http.StatusUnauthorized:
		outcome = "unauthorized"
	case http.StatusInternalServerError:
		outcome = "error"
		a.logger.LogAttrs(ctx, slog.LevelError, "lambda authorizer failed",
			slog.String("route", a.name), slog.String("function", a.function), slog.String("reason", why.Error()))
	case http.StatusRequestURITooLong:
		outcome = "rejected"
	}
	if status != http.StatusInternalServerError && a.logger.Enabled(ctx, slog.LevelDebug) {
		a.logger.LogAttrs(ctx, slog.LevelDebug, "lambda authorizer refused the request",
			slog.String("route", a.name), slog.Int("status", status), slog.String("reason", why.Error()))
	}
	if a.returnErrorMsg {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprint(w, why.Error())
	} else {
		w.WriteHeader(status)
	}
	if a.accessLog {
		a.logger.LogAttrs(ctx, slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("route", a.name),
			slog.Int("status", status), slog.Duration("duration", time.Since(start)),
			slog.String("outcome", outcome), slog.String("remote", r.RemoteAddr))
	}
}
