// Package botdetect is KrakenD's "security/bot-detector" namespace: a
// request whose User-Agent the rules call a bot gets 403 before routing
// (on the service) or before the endpoint's other layers (on an endpoint).
//
// The rules, KrakenD's: an empty User-Agent is a bot when
// empty_user_agent_is_bot says so; else an exact match in allow is not a
// bot, an exact match in deny is, and so is a match of any of the patterns
// (Go regular expressions, unanchored, compiled at start-up). Anything else
// is not a bot. Verdicts are kept in a bounded LRU cache of cache_size
// User-Agents (none when 0), so a repeated User-Agent costs one lookup.
//
// Everything is decided in New; a detector the configuration does not set
// is absent. This package must not know how requests are routed.
package botdetect

import (
	"container/list"
	"net/http"
	"regexp"
	"sync"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/router"
)

// Namespace is the extra_config key of Options.
const Namespace = "security/bot-detector"

// Options is the namespace as written, KrakenD's names.
type Options struct {
	// Allow lists User-Agents (exact) that are never bots.
	Allow []string `json:"allow"`
	// Deny lists User-Agents (exact) that are bots.
	Deny []string `json:"deny"`
	// Patterns are regular expressions; a User-Agent any of them matches
	// is a bot.
	Patterns []string `json:"patterns"`
	// CacheSize is the number of User-Agents whose verdict is kept (0: none).
	CacheSize int `json:"cache_size"`
	// EmptyUserAgentIsBot refuses requests without a User-Agent.
	EmptyUserAgentIsBot bool `json:"empty_user_agent_is_bot"`
}

// Detector decides whether a User-Agent is a bot's.
type Detector struct {
	allow, deny map[string]struct{}
	patterns    []*regexp.Regexp
	emptyIsBot  bool
	cache       *lru // nil when cache_size is 0
}

// New builds the detector of x's namespace, nil when x has none. Problems
// (a pattern that does not compile, a negative cache_size) are config
// errors at their JSON paths.
func New(x *config.ExtraConfig) (*Detector, error) {
	var o Options
	ok, err := x.Decode(Namespace, &o)
	if !ok || err != nil {
		return nil, err
	}
	path := config.Join(x.Path, Namespace)
	var errs config.Errors
	d := &Detector{allow: set(o.Allow), deny: set(o.Deny), emptyIsBot: o.EmptyUserAgentIsBot}
	for i, p := range o.Patterns {
		re, err := regexp.Compile(p)
		if err != nil {
			errs.Add(config.Index(config.Join(path, "patterns"), i), "%q is not a regular expression: %v", p, err)
			continue
		}
		d.patterns = append(d.patterns, re)
	}
	switch {
	case o.CacheSize < 0:
		errs.Add(config.Join(path, "cache_size"), "must be 0 (no cache) or the number of User-Agents whose verdict is kept, got %d", o.CacheSize)
	case o.CacheSize > 0:
		d.cache = newLRU(o.CacheSize)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return d, nil
}

func set(vs []string) map[string]struct{} {
	m := make(map[string]struct{}, len(vs))
	for _, v := range vs {
		m[v] = struct{}{}
	}
	return m
}

// IsBot reports whether ua is a bot's User-Agent.
func (d *Detector) IsBot(ua string) bool {
	if ua == "" {
		return d.emptyIsBot
	}
	if d.cache != nil {
		if bot, ok := d.cache.get(ua); ok {
			return bot
		}
	}
	bot := d.decide(ua)
	if d.cache != nil {
		d.cache.add(ua, bot)
	}
	return bot
}

// decide applies the rules, in KrakenD's order.
func (d *Detector) decide(ua string) bool {
	if _, ok := d.allow[ua]; ok {
		return false
	}
	if _, ok := d.deny[ua]; ok {
		return true
	}
	for _, re := range d.patterns {
		if re.MatchString(ua) {
			return true
		}
	}
	return false
}

// refused answers a bot: 403 with an empty body, as KrakenD does.
func refused(w http.ResponseWriter) { w.WriteHeader(http.StatusForbidden) }

// Wrap returns next behind the detector (the service's layer).
func (d *Detector) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.IsBot(r.Header.Get("User-Agent")) {
			refused(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// WrapRoute returns the route handler next behind the detector (an
// endpoint's layer).
func (d *Detector) WrapRoute(next router.Handler) router.Handler {
	return func(w http.ResponseWriter, r *http.Request, params []string) {
		if d.IsBot(r.Header.Get("User-Agent")) {
			refused(w)
			return
		}
		next(w, r, params)
	}
}

// lru is a bounded map of User-Agents to verdicts, least recently used
// evicted first.
type lru struct {
	mu    sync.Mutex
	max   int
	items map[string]*list.Element
	order list.List // front: most recent; values are *entry
}

type entry struct {
	ua  string
	bot bool
}

func newLRU(n int) *lru { return &lru{max: n, items: make(map[string]*list.Element, n)} }

func (c *lru) get(ua string) (bool, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[ua]
	if !ok {
		return false, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*entry).bot, true
}

func (c *lru) add(ua string, bot bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[ua]; ok {
		el.Value.(*entry).bot = bot
		c.order.MoveToFront(el)
		return
	}
	c.items[ua] = c.order.PushFront(&entry{ua: ua, bot: bot})
	if c.order.Len() > c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.items, old.Value.(*entry).ua)
	}
}

// len is the number of verdicts kept.
func (c *lru) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
