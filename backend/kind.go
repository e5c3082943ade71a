package backend

import (
	"net/url"
	"strings"
)

// Kind is one kind of backend: the Factory that claims and builds its
// backends, and the names its calls are reported under in telemetry.
type Kind struct {
	// Name is the kind's name in metrics and spans: "http", "lambda", ...
	Name string
	// Factory builds the transports of the backends of this kind.
	Factory Factory
	// Target names, from the configuration only, what one backend of
	// this kind calls (its function, its host): a metric label, so its
	// values must be bounded. Nil means HostTarget.
	Target func(spec Spec) string
}

// Unnamed turns factories into kinds without a name, for callers that
// only have factories (tests, Build).
func Unnamed(factories []Factory) []Kind {
	kinds := make([]Kind, len(factories))
	for i, f := range factories {
		kinds[i] = Kind{Factory: f}
	}
	return kinds
}

// HostTarget is the default target of a backend: its hosts, without
// scheme, joined by commas, as configured.
func HostTarget(spec Spec) string {
	hosts := make([]string, 0, len(spec.Backend.Host))
	for _, h := range spec.Backend.Host {
		if u, err := url.Parse(h); err == nil && u.Host != "" {
			h = u.Host
		}
		hosts = append(hosts, strings.TrimRight(h, "/"))
	}
	return strings.Join(hosts, ",")
}
