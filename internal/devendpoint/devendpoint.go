// Package devendpoint serves KrakenD's developer endpoints, the service's
// debug_endpoint and echo_endpoint: /__debug/ logs the request it gets at
// debug level and answers {"message":"pong"}; /__echo/ answers a
// description of the request as it arrived. Both take any method and any
// path below them, so that a KrakenD file can use the gateway itself as a
// backend ("url_pattern": "/__debug/{id}") to see what backends receive.
//
// The layer sits in front of the router and is absent when neither flag is
// set. This package must not know endpoints or backends.
package devendpoint

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
)

// The paths KrakenD serves them at; a path that lacks the trailing slash
// is redirected to it, as KrakenD's router does.
const (
	DebugPrefix = "/__debug/"
	EchoPrefix  = "/__echo/"
)

// maxBody bounds the body read from a request to either endpoint.
const maxBody = 1 << 20

// Options say which endpoints are served.
type Options struct {
	// Debug serves /__debug/ (debug_endpoint).
	Debug bool
	// Echo serves /__echo/ (echo_endpoint).
	Echo bool
	// Logger receives /__debug/'s lines, at debug level.
	Logger *slog.Logger
}

// Layer returns the layer that serves the endpoints opts enables in front
// of next; nil when it enables none.
func Layer(opts Options) func(http.Handler) http.Handler {
	if !opts.Debug && !opts.Echo {
		return nil
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := r.URL.Path
			switch {
			case opts.Debug && strings.HasPrefix(p, DebugPrefix):
				debug(w, r, opts.Logger)
			case opts.Echo && strings.HasPrefix(p, EchoPrefix):
				echo(w, r)
			case opts.Debug && p == strings.TrimSuffix(DebugPrefix, "/"),
				opts.Echo && p == strings.TrimSuffix(EchoPrefix, "/"):
				redirect(w, r)
			default:
				next.ServeHTTP(w, r)
			}
		})
	}
}

// redirect sends /__debug to /__debug/ (and /__echo likewise): 301 for GET,
// 307 for other methods, the query kept.
func redirect(w http.ResponseWriter, r *http.Request) {
	target := r.URL.Path + "/"
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	code := http.StatusMovedPermanently
	if r.Method != http.MethodGet {
		code = http.StatusTemporaryRedirect
	}
	http.Redirect(w, r, target, code)
}

func readBody(r *http.Request) string {
	if r.Body == nil {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	return string(b)
}

// secretHeaders are logged by /__debug/ with their values hidden.
var secretHeaders = map[string]bool{
	"Authorization": true, "Proxy-Authorization": true, "Cookie": true, "X-Api-Key": true,
}

// debug logs the request (credentials hidden) and answers pong.
func debug(w http.ResponseWriter, r *http.Request, logger *slog.Logger) {
	body := readBody(r)
	if logger.Enabled(r.Context(), slog.LevelDebug) {
		headers := make(map[string][]string, len(r.Header))
		for k, v := range r.Header {
			if secretHeaders[k] {
				v = []string{"[hidden]"}
			}
			headers[k] = v
		}
		logger.LogAttrs(r.Context(), slog.LevelDebug, "debug endpoint",
			slog.String("method", r.Method),
			slog.String("url", r.RequestURI),
			slog.Any("query", r.URL.Query()),
			slog.Any("headers", headers),
			slog.Int("body_bytes", len(body)))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	io.WriteString(w, `{"message":"pong"}`)
}

// echoed is what /__echo/ answers, with KrakenD's field names.
type echoed struct {
	URI         string              `json:"req_uri"`
	URIDetails  map[string]string   `json:"req_uri_details"`
	Method      string              `json:"req_method"`
	Querystring map[string][]string `json:"req_querystring"`
	Body        string              `json:"req_body"`
	Headers     map[string][]string `json:"req_headers"`
}

// echo answers the request's description.
func echo(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	out := echoed{
		URI: r.RequestURI,
		URIDetails: map[string]string{
			"scheme":   r.URL.Scheme,
			"user":     r.URL.User.String(),
			"host":     r.Host,
			"path":     r.URL.Path,
			"query":    q.Encode(),
			"fragment": r.URL.Fragment,
		},
		Method:      r.Method,
		Querystring: q,
		Body:        readBody(r),
		Headers:     r.Header,
	}
	b, err := json.Marshal(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(b)
}
