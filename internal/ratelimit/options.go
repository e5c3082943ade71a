package ratelimit

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/lambdagate/lambdagate/config"
)

// The namespaces: an endpoint's limits (RouterOptions) and a backend's
// (ProxyOptions), each also read under KrakenD's older name.
const (
	RouterNamespace       = "qos/ratelimit/router"
	RouterLegacyNamespace = "github.com/devopsfaith/krakend-ratelimit/juju/router"
	ProxyNamespace        = "qos/ratelimit/proxy"
	ProxyLegacyNamespace  = "github.com/devopsfaith/krakend-ratelimit/juju/proxy"
)

// limitOptions reads the options every rate limit has (a rate, the time it
// is counted over, the bucket's capacity), with errors at their JSON paths
// under path.
type limitOptions struct {
	path string
	errs *config.Errors
}

// duration reads the duration option key (such as "10m"), def when absent.
func (o limitOptions) duration(key, s string, def time.Duration) time.Duration {
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		o.errs.Add(config.Join(o.path, key), "%q is not a duration: write a number with a unit, such as \"1s\", \"10m\" or \"1h\"", s)
		return def
	}
	if d <= 0 {
		o.errs.Add(config.Join(o.path, key), "%q must be above zero", s)
		return def
	}
	return d
}

// rate returns the bucket of maxRate tokens every `every` that holds
// capacity tokens, and whether there is one: a maxRate of 0 limits
// nothing, as in KrakenD. A capacity of 0 is KrakenD's default: the rate a
// second, rounded down, and at least 1.
func (o limitOptions) rate(rateKey, capKey string, maxRate float64, capacity int, every time.Duration) (rate, bool) {
	if maxRate < 0 || math.IsNaN(maxRate) {
		o.errs.Add(config.Join(o.path, rateKey), "must be a number of requests of 0 or more (0: no limit), got %v", maxRate)
		return rate{}, false
	}
	if capacity < 0 {
		o.errs.Add(config.Join(o.path, capKey), "must be a number of requests of 0 or more (0: the default), got %d", capacity)
		return rate{}, false
	}
	if maxRate == 0 {
		return rate{}, false
	}
	perSecond := maxRate * float64(time.Second) / float64(every)
	if capacity == 0 {
		capacity = int(max(math.Floor(min(perSecond, math.MaxInt32)), 1))
	}
	r, ok := newRate(perSecond, capacity)
	if !ok {
		o.errs.Add(config.Join(o.path, rateKey), "%v every %s with a capacity of %d takes longer than %v to refill: raise the rate", maxRate, every, capacity, maxRefill)
	}
	return r, ok
}

// renamed refuses KrakenD 1's option names, which KrakenD 2 ignores
// (leaving the endpoint without its limit), with their current names.
func (o limitOptions) renamed(old string, raw json.RawMessage, current string) {
	if raw != nil {
		o.errs.Add(config.Join(o.path, old), "is KrakenD 1's name of this option, which KrakenD 2 ignores: write %q", current)
	}
}

// warnf formats a start-up warning about the option key.
func (o limitOptions) warnf(key, format string, args ...any) string {
	return config.Join(o.path, key) + ": " + fmt.Sprintf(format, args...)
}
