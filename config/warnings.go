package config

import (
	"fmt"
	"regexp"
	"strings"
)

// GroupedPaths is how many paths a grouped warning lists before "…".
const GroupedPaths = 3

var index = regexp.MustCompile(`\[[0-9]+\]`)

// GroupWarnings folds warnings that say the same of the same option in
// different places ("PATH: message", PATH differing only in its indexes:
// endpoints[0].backend[0].timeout and endpoints[7].backend[2].timeout)
// into one line per option: the path with [*] for the indexes, the
// message, the count and the first GroupedPaths paths. A warning said once
// stays as it is; the order is that of each group's first warning.
func GroupWarnings(warns []string) []string {
	type group struct {
		pattern, msg string
		paths        []string
		first        string
	}
	var order []*group
	groups := map[string]*group{}
	for _, w := range warns {
		path, msg, ok := strings.Cut(w, ": ")
		if !ok || !strings.Contains(path, "[") {
			order = append(order, &group{first: w})
			continue
		}
		pattern := index.ReplaceAllString(path, "[*]")
		key := pattern + "\x00" + msg
		g, ok := groups[key]
		if !ok {
			g = &group{pattern: pattern, msg: msg, first: w}
			groups[key] = g
			order = append(order, g)
		}
		g.paths = append(g.paths, path)
	}
	out := make([]string, 0, len(order))
	for _, g := range order {
		if len(g.paths) <= 1 {
			out = append(out, g.first)
			continue
		}
		shown := g.paths
		more := ""
		if len(shown) > GroupedPaths {
			shown, more = shown[:GroupedPaths], ", …"
		}
		out = append(out, fmt.Sprintf("%s: %s (%d places: %s%s)", g.pattern, g.msg, len(g.paths), strings.Join(shown, ", "), more))
	}
	return out
}
