package proxy

import (
	"context"
	"sort"
	"strings"
)

// Shape says how a backend's data is reshaped, in this order: Target, then
// Allow (or Deny when Allow is empty), then Mapping, then Group.
type Shape struct {
	// Target is a dot path to the object that becomes the data; empty
	// keeps the whole body.
	Target string
	// Allow lists the dot paths to keep; everything else is dropped.
	Allow []string
	// Deny lists the dot paths to drop; ignored when Allow is set.
	Deny []string
	// Mapping renames top-level keys (old name → new name).
	Mapping map[string]string
	// Group, when set, puts the whole data under this key.
	Group string
}

// IsZero reports whether s changes nothing.
func (s Shape) IsZero() bool {
	return s.Target == "" && len(s.Allow) == 0 && len(s.Deny) == 0 && len(s.Mapping) == 0 && s.Group == ""
}

// pathTree is a set of dot paths prepared for walking: a nil child means the
// path ends there.
type pathTree map[string]pathTree

func newPathTree(paths []string) pathTree {
	root := pathTree{}
	for _, p := range paths {
		node := root
		parts := strings.Split(p, ".")
		for i, part := range parts {
			child, seen := node[part]
			if seen && child == nil {
				break // a shorter path already covers this one
			}
			if i == len(parts)-1 {
				node[part] = nil
				break
			}
			if child == nil {
				child = pathTree{}
				node[part] = child
			}
			node = child
		}
	}
	return root
}

// keep returns the parts of data that t names. Arrays met on the way are
// walked element by element.
func (t pathTree) keep(data map[string]any) map[string]any {
	out := make(map[string]any, len(t))
	for key, sub := range t {
		v, ok := data[key]
		if !ok {
			continue
		}
		if sub == nil {
			out[key] = v
			continue
		}
		if kept, ok := sub.keepValue(v); ok {
			out[key] = kept
		}
	}
	return out
}

func (t pathTree) keepValue(v any) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		return t.keep(x), true
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if kept, ok := t.keepValue(e); ok {
				out = append(out, kept)
			}
		}
		return out, true
	}
	return nil, false
}

// drop removes from data, in place, the parts t names.
func (t pathTree) drop(data map[string]any) {
	for key, sub := range t {
		v, ok := data[key]
		if !ok {
			continue
		}
		if sub == nil {
			delete(data, key)
			continue
		}
		sub.dropValue(v)
	}
}

func (t pathTree) dropValue(v any) {
	switch x := v.(type) {
	case map[string]any:
		t.drop(x)
	case []any:
		for _, e := range x {
			t.dropValue(e)
		}
	}
}

// lookup follows a dot path through nested objects.
func lookup(data map[string]any, path []string) (any, bool) {
	var cur any = data
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = m[p]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

// Lookup returns the value at a dot path in data.
func Lookup(data map[string]any, dotPath string) (any, bool) {
	return lookup(data, strings.Split(dotPath, "."))
}

// LookupPath returns the value at a path already split into its keys.
func LookupPath(data map[string]any, path []string) (any, bool) { return lookup(data, path) }

// NewShaper prepares s once and returns the function that applies it, or
// nil when s changes nothing. The function may change its argument.
func NewShaper(s Shape) func(map[string]any) map[string]any {
	if s.IsZero() {
		return nil
	}
	var target []string
	if s.Target != "" {
		target = strings.Split(s.Target, ".")
	}
	var allow, deny pathTree
	if len(s.Allow) > 0 {
		allow = newPathTree(s.Allow)
	} else if len(s.Deny) > 0 {
		deny = newPathTree(s.Deny)
	}
	// Renames are applied in the order of their old names, after the keys
	// that keep theirs: a renamed key wins a clash, whatever the map order.
	type rename struct{ from, to string }
	mapping := make([]rename, 0, len(s.Mapping))
	for k, v := range s.Mapping {
		mapping = append(mapping, rename{k, v})
	}
	sort.Slice(mapping, func(i, j int) bool { return mapping[i].from < mapping[j].from })
	group := s.Group
	return func(data map[string]any) map[string]any {
		if target != nil {
			v, _ := lookup(data, target)
			switch t := v.(type) {
			case map[string]any:
				data = t
			case []any:
				data = map[string]any{"collection": t}
			default:
				data = map[string]any{}
			}
		}
		if allow != nil {
			data = allow.keep(data)
		} else if deny != nil {
			deny.drop(data)
		}
		if len(mapping) > 0 {
			renamed := make(map[string]any, len(data))
			for k, v := range data {
				renamed[k] = v
			}
			for _, m := range mapping {
				if _, ok := data[m.from]; ok {
					delete(renamed, m.from)
				}
			}
			for _, m := range mapping {
				if v, ok := data[m.from]; ok {
					renamed[m.to] = v
				}
			}
			data = renamed
		}
		if group != "" {
			data = map[string]any{group: data}
		}
		return data
	}
}

// NewShapeStage returns a Middleware that shapes the Data of every
// response of next with s. It is absent when s shapes nothing, which is
// also the only case where a reply may pass through undecoded.
func NewShapeStage(s Shape) Middleware {
	shape := NewShaper(s)
	return func(next Proxy) Proxy {
		if shape == nil {
			return next
		}
		return func(ctx context.Context, req *Request) (*Response, error) {
			resp, err := next(ctx, req)
			if resp != nil && resp.Data != nil {
				resp.Data = shape(resp.Data)
			}
			return resp, err
		}
	}
}
