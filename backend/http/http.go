// Package http is the transport of plain HTTP backends: it fills the
// backend's url_pattern from the request, picks a host (round-robin), sends
// the call with the headers and query strings the endpoint lets through,
// and returns the reply's raw body for the decoding stage.
//
// Only 200 and 201 are successes, as in KrakenD; any other status becomes a
// *proxy.BackendError holding the backend's body. This package must not
// decode or shape bodies: the backend package does that for every kind.
package http

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/modifier/martian"
	"github.com/lambdagate/lambdagate/proxy"
	"github.com/lambdagate/lambdagate/qos/cache/httpcache"
	"github.com/lambdagate/lambdagate/telemetry"
)

// maxErrorBody bounds how much of an error reply is kept.
const maxErrorBody = 1 << 20

// kind is the HTTP kind of backend: it owns the client its backends share,
// tuned from the service's settings, and the gateway's shared store of
// qos/http-cache (built by the first backend with shared: true).
type kind struct {
	client *http.Client
	warn   func(string)
	// now is the caches' clock (nil: time.Now); tests set it.
	now func() time.Time

	shared   *httpcache.Store
	sharedBy *httpcache.Settings
	// redis are the service's Redis pools, for caches shared through one.
	redis backend.RedisPools
	// tel gives the shared caches' metrics (nil: none).
	tel *telemetry.Telemetry
}

// NewKind builds the HTTP kind of a gateway. It claims every backend:
// list it after the kinds that claim theirs by an extra_config namespace.
func NewKind(deps backend.Deps) (backend.Kind, error) {
	var c config.HTTPClient
	if deps.Service != nil {
		c = deps.Service.HTTPClient
	}
	warn := deps.Warn
	if warn == nil {
		warn = func(string) {}
	}
	return &kind{client: newClient(c), warn: warn, redis: deps.Redis, tel: deps.Telemetry}, nil
}

func (k *kind) Name() string { return "http" }

func (k *kind) Claims(*config.Backend) bool { return true }

func (k *kind) Close() { k.client.CloseIdleConnections() }

// HTTPClient returns the client the kind's backends share.
func (k *kind) HTTPClient() *http.Client { return k.client }

// Build builds the transport of an HTTP backend.
func (k *kind) Build(spec backend.Spec) (backend.Transport, error) {
	b := spec.Backend
	var errs config.Errors
	hosts, err := sanitizeHosts(b)
	if err != nil {
		errs.Append(config.Join(b.JSONPath, "host"), err)
	}
	tmpl, err := parseTemplate(b.URLPattern, spec.Endpoint, spec.Sequential, b.Index)
	if err != nil {
		errs.Append(config.Join(b.JSONPath, "url_pattern"), err)
	}
	settings, err := httpcache.Parse(b)
	errs.Append(b.JSONPath, err)
	mods, err := martian.Parse(b)
	errs.Append(b.JSONPath, err)
	if len(errs) > 0 {
		return backend.Transport{}, errs
	}
	t := &transport{
		client: k.client,
		hosts:  hosts,
		tmpl:   tmpl,
		method: b.Method,
		noop:   b.Encoding == proxy.EncodingNoOp,
		name:   b.JSONPath,
		mods:   mods,
	}
	if settings != nil {
		if b.Method != http.MethodGet && b.Method != http.MethodHead {
			k.warn(fmt.Sprintf("%s: the backend's method is %s: only GET and HEAD replies are cached, so this cache is never used", settings.Path, b.Method))
		} else {
			store, err := k.store(settings)
			if err != nil {
				return backend.Transport{}, err
			}
			t.cache = httpcache.NewLayer(store, k.now, t.noop)
			if name := settings.ConnectionName; name != "" {
				var client *redis.Client
				ok := false
				if k.redis != nil {
					client, ok = k.redis.Get(name)
				}
				if !ok {
					var names []string
					if k.redis != nil {
						names = k.redis.Names()
					}
					return backend.Transport{}, &config.Error{Path: config.Join(settings.Path, "connection_name"), Msg: fmt.Sprintf("%q is not one of the service's redis.connection_pools %q", name, names)}
				}
				var m metric.Meter
				if k.tel.BackendMetrics() {
					m = k.tel.Meter()
				}
				if err := t.cache.ShareThrough(client, name, b.JSONPath, m); err != nil {
					return backend.Transport{}, &config.Error{Path: settings.Path, Msg: "creating its metrics: " + err.Error()}
				}
			}
			t.cacheKey = t.method + " " + strings.Join(hosts, ",")
		}
	}
	return backend.Transport{Call: t.call, URL: t.url}, nil
}

// store returns the store of a backend's cache: its own, or the gateway's
// shared one, sized by the first shared backend (KrakenD's rule too); a
// later one asking for other bounds is an error.
func (k *kind) store(s *httpcache.Settings) (*httpcache.Store, error) {
	if !s.Shared {
		return httpcache.NewStore(s, k.now), nil
	}
	if k.shared == nil {
		k.shared, k.sharedBy = httpcache.NewStore(s, k.now), s
		return k.shared, nil
	}
	if first := k.sharedBy; s.Explicit && (s.MaxItems != first.MaxItems || s.MaxSize != first.MaxSize) {
		return nil, &config.Error{Path: s.Path, Msg: fmt.Sprintf("the shared cache holds %d items and %d bytes, as %s set first: give every shared backend the same max_items and max_size, or none", first.MaxItems, first.MaxSize, first.Path)}
	}
	return k.shared, nil
}

// sanitizeHosts adds http:// to hosts without a scheme and drops trailing
// slashes, unless disable_host_sanitize is set.
func sanitizeHosts(b *config.Backend) ([]string, error) {
	if len(b.Host) == 0 {
		return nil, fmt.Errorf("no host: set host on the backend or on the service")
	}
	out := make([]string, len(b.Host))
	for i, h := range b.Host {
		if !b.DisableHostSanitize {
			if !strings.Contains(h, "://") {
				h = "http://" + h
			}
			h = strings.TrimRight(h, "/")
			u, err := url.Parse(h)
			if err != nil || u.Host == "" {
				return nil, fmt.Errorf("%q is not a host: write host[:port] or scheme://host[:port]", b.Host[i])
			}
		}
		out[i] = h
	}
	return out, nil
}

type transport struct {
	client *http.Client
	hosts  []string
	next   atomic.Uint64
	tmpl   template
	method string
	// noop relays every status: a no-op backend passes its reply through
	// whatever it is.
	noop bool
	name string
	// cache, when qos/http-cache is set, serves calls from the store;
	// cacheKey prefixes its keys: the method and the configured hosts, so
	// that round-robin hosts share entries and backends of a shared store
	// never mix theirs.
	cache    *httpcache.Layer
	cacheKey string
	// mods are the backend's modifier/martian modifiers (nil: none): on
	// the request just before it is sent, on the response before
	// anything reads it, as KrakenD runs them around its HTTP client.
	mods *martian.Modifiers
}

// cacheHeaders are the reply headers the cache reads, returned in the
// metadata of a cached backend that is not no-op (the layer drops them).
var cacheHeaders = []string{"Cache-Control", "Expires", "Vary", "Date", "Age"}

func (t *transport) host() string {
	if len(t.hosts) == 1 {
		return t.hosts[0]
	}
	n := t.next.Add(1) - 1
	return t.hosts[n%uint64(len(t.hosts))]
}

// url is the URL send calls for req: req.URL when a script set it, else
// the url_pattern filled on the next host.
func (t *transport) url(req *proxy.Request) (string, error) {
	if req.URL != "" {
		return req.URL, nil
	}
	return t.tmpl.fill(t.host(), req.Params, req.Query, req.Claims)
}

func (t *transport) call(ctx context.Context, req *proxy.Request) (*proxy.Response, error) {
	if t.cache == nil {
		return t.send(ctx, req)
	}
	u := req.URL
	if u == "" {
		var err error
		if u, err = t.tmpl.fill("", req.Params, req.Query, req.Claims); err != nil {
			return nil, err
		}
	}
	key := t.cacheKey + u
	return t.cache.Call(ctx, key, req.Headers, t.send, req)
}

func (t *transport) send(ctx context.Context, req *proxy.Request) (*proxy.Response, error) {
	var host, u string
	if req.URL != "" {
		// A Lua script's URL: its scheme and host name the call.
		u = req.URL
		host = u
		if pu, err := url.Parse(u); err == nil {
			host = pu.Scheme + "://" + pu.Host
		}
	} else {
		host = t.host()
		var err error
		if u, err = t.tmpl.fill(host, req.Params, req.Query, req.Claims); err != nil {
			return nil, err
		}
	}
	var body io.Reader
	if len(req.Body) > 0 && t.method != http.MethodGet && t.method != http.MethodHead {
		body = bytes.NewReader(req.Body)
	}
	hreq, err := http.NewRequestWithContext(ctx, t.method, u, body)
	if err != nil {
		return nil, fmt.Errorf("backend %s: building the request to %s: %w", t.name, host, err)
	}
	// A copy: the call adds its trace headers.
	hreq.Header = req.Headers.Clone()
	if body != nil && len(req.Headers["Content-Length"]) != 1 {
		// As KrakenD: the body's length is announced only when the
		// endpoint forwards the client's Content-Length (input_headers);
		// otherwise it is sent chunked, its length unknown.
		hreq.ContentLength = 0
	}
	// The call's span (when telemetry is on) continues in the backend:
	// traceparent, tracestate and baggage, W3C.
	telemetry.InjectHTTP(ctx, hreq.Header)
	if h := hreq.Header.Get("Host"); h != "" {
		hreq.Host = h
		hreq.Header.Del("Host")
	}
	if t.mods != nil {
		if err := t.mods.Request(hreq); err != nil {
			return nil, fmt.Errorf("backend %s: %w", t.name, err)
		}
	}
	resp, err := t.client.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("backend %s: calling %s: %w", t.name, host, cleanURLError(err))
	}
	if t.mods != nil {
		if err := t.mods.Response(resp); err != nil {
			resp.Body.Close()
			return nil, fmt.Errorf("backend %s: %w", t.name, err)
		}
	}
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(attribute.String(telemetry.AttrServerAddress, hreq.URL.Host), attribute.Int(telemetry.AttrStatus, resp.StatusCode))
	}
	rc, err := decompress(resp)
	if err != nil {
		resp.Body.Close()
		return nil, fmt.Errorf("backend %s: %w", t.name, err)
	}
	// no-op passes any status through, as it passes everything else.
	if !t.noop && resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		defer rc.Close()
		b, _ := io.ReadAll(io.LimitReader(rc, maxErrorBody))
		return nil, &proxy.BackendError{
			Backend:     host + hreq.URL.Path,
			StatusCode:  resp.StatusCode,
			Body:        b,
			ContentType: resp.Header.Get("Content-Type"),
		}
	}
	out := &proxy.Response{IsComplete: true, Body: rc, Metadata: proxy.Metadata{StatusCode: resp.StatusCode}}
	if t.noop {
		h := resp.Header.Clone()
		if rc != resp.Body {
			h.Del("Content-Encoding")
			h.Del("Content-Length")
		}
		out.Metadata.Headers = h
	} else if t.cache != nil {
		h := make(http.Header, len(cacheHeaders))
		for _, k := range cacheHeaders {
			if vs := resp.Header[k]; len(vs) > 0 {
				h[k] = vs
			}
		}
		out.Metadata.Headers = h
	}
	return out, nil
}

// cleanURLError drops the URL from a client error: the message names the
// backend already, and a URL may carry values the client should not see.
func cleanURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// decompress returns the body, gunzipped when the backend sent gzip that
// the client did not already decode.
func decompress(resp *http.Response) (io.ReadCloser, error) {
	if resp.Uncompressed || !strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		return resp.Body, nil
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		if err == io.EOF {
			return resp.Body, nil
		}
		return nil, fmt.Errorf("gzip body: %w", err)
	}
	return &gzipBody{zr, resp.Body}, nil
}

type gzipBody struct {
	*gzip.Reader
	raw io.ReadCloser
}

func (g *gzipBody) Close() error {
	g.Reader.Close()
	return g.raw.Close()
}
