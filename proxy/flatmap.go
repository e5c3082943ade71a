package proxy

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// FlatmapOp is one operation of a flatmap_filter: Type "move" (two dot
// paths: rename, extract or embed), "del" (one or more paths) or "append"
// (two paths: the list to append and the list it is appended to). A "*"
// segment stands for every element of an array (or value of an object).
type FlatmapOp struct {
	Type string
	Args []string
}

// flatmapOp is an operation with its paths split.
type flatmapOp struct {
	kind flatmapKind
	args [][]string
}

type flatmapKind uint8

const (
	flatmapDel flatmapKind = iota
	flatmapMove
	flatmapAppend
)

// Flatmap is a compiled flatmap_filter.
type Flatmap struct {
	ops []flatmapOp
}

// CompileFlatmap checks ops and returns their compiled form, or an error
// naming the operation at fault (by its index) and what to do.
func CompileFlatmap(ops []FlatmapOp) (*Flatmap, error) {
	out := make([]flatmapOp, 0, len(ops))
	for i, op := range ops {
		var c flatmapOp
		switch op.Type {
		case "move":
			if len(op.Args) != 2 {
				return nil, fmt.Errorf("[%d]: move takes two paths, the source and the destination, got %d", i, len(op.Args))
			}
			c.kind = flatmapMove
		case "append":
			if len(op.Args) != 2 {
				return nil, fmt.Errorf("[%d]: append takes two paths, the list to append and the list it is appended to, got %d", i, len(op.Args))
			}
			c.kind = flatmapAppend
		case "del":
			if len(op.Args) == 0 {
				return nil, fmt.Errorf("[%d]: del takes the paths to delete, got none", i)
			}
		default:
			return nil, fmt.Errorf("[%d]: %q is not an operation: use move, del or append", i, op.Type)
		}
		for _, a := range op.Args {
			if a == "" {
				return nil, fmt.Errorf("[%d]: a path is empty", i)
			}
			c.args = append(c.args, strings.Split(a, "."))
		}
		out = append(out, c)
	}
	return &Flatmap{ops: out}, nil
}

// NewFlatmapStage returns the Middleware of an endpoint's
// proxy.flatmap_filter: the operations applied in order to the merged
// data of a response without an error (KrakenD leaves a partial or failed
// response as it is).
func NewFlatmapStage(f *Flatmap) Middleware {
	return func(next Proxy) Proxy {
		return func(ctx context.Context, req *Request) (*Response, error) {
			resp, err := next(ctx, req)
			if err != nil || resp == nil {
				return resp, err
			}
			resp.Data = f.Apply(resp.Data)
			return resp, nil
		}
	}
}

// Apply applies the operations to data, as KrakenD's flatmap does: the data is
// spread into a tree of labelled edges (an array's labelled by index), the
// operations move and cut edges, and the tree is gathered back (an
// array's elements in their order, so a removed element closes the gap).
//
// move with paths of the same length renames the last segment where the
// source matches; a shorter destination extracts the value towards the
// root, its "*" segments taking the matched positions (and stopping where
// the destination does not exist); a longer one embeds it, creating the
// objects between. A container emptied by the operations becomes null.
//
// append reads both paths as KrakenD does (a "*" gathers the values it
// matches into a list); when both are lists, the source's elements are
// written after the destination's, at the destination's path (where a "*"
// is a key like any other), and the source is deleted. Otherwise nothing
// changes.
func (f *Flatmap) Apply(data map[string]any) map[string]any {
	if data == nil {
		return nil
	}
	root := spread(data)
	for _, op := range f.ops {
		switch op.kind {
		case flatmapMove:
			root.move(op.args[0], op.args[1])
		case flatmapAppend:
			root.appendList(op.args[0], op.args[1])
		default:
			for _, p := range op.args {
				root.del(p)
			}
		}
	}
	m, _ := root.gather().(map[string]any)
	return m
}

// fnode is a value in the flatmap tree: a leaf (value) or a container
// (an array when list) with labelled children.
type fnode struct {
	value any
	list  bool
	edges []*fedge
}

type fedge struct {
	label string
	n     *fnode
}

func spread(v any) *fnode {
	n := &fnode{}
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 {
			n.value = t
			break
		}
		for k, e := range t {
			n.edges = append(n.edges, &fedge{label: k, n: spread(e)})
		}
	case []any:
		n.list = true
		if len(t) == 0 {
			n.value = t
			break
		}
		for i, e := range t {
			n.edges = append(n.edges, &fedge{label: strconv.Itoa(i), n: spread(e)})
		}
	default:
		n.value = v
	}
	return n
}

func (n *fnode) gather() any {
	if len(n.edges) == 0 {
		return n.value
	}
	if n.list {
		out := make([]any, len(n.edges))
		for i, e := range n.edges {
			out[i] = e.n.gather()
		}
		return out
	}
	out := make(map[string]any, len(n.edges))
	for _, e := range n.edges {
		out[e.label] = e.n.gather()
	}
	return out
}

func (n *fnode) child(label string) (*fedge, int) {
	for i, e := range n.edges {
		if e.label == label {
			return e, i
		}
	}
	return nil, -1
}

// cut removes n's edge i.
func (n *fnode) cut(i int) {
	n.edges = append(n.edges[:i], n.edges[i+1:]...)
}

// del removes what path names under n.
func (n *fnode) del(path []string) {
	if len(path) == 0 || len(n.edges) == 0 {
		return
	}
	if path[0] == "*" {
		if len(path) == 1 {
			n.edges = nil
			return
		}
		for _, e := range n.edges {
			e.n.del(path[1:])
		}
		return
	}
	e, i := n.child(path[0])
	if e == nil {
		return
	}
	if len(path) == 1 {
		n.cut(i)
		return
	}
	e.n.del(path[1:])
}

// matched is a node a path's prefix reached, with the labels it took.
type matched struct {
	n     *fnode
	trail []string
}

// match returns the nodes under n that path reaches: every child for "*",
// the first child of that label otherwise.
func (n *fnode) match(path []string) []matched {
	cur := []matched{{n: n}}
	for _, step := range path {
		var next []matched
		for _, m := range cur {
			for _, e := range m.n.edges {
				if step != "*" && e.label != step {
					continue
				}
				next = append(next, matched{n: e.n, trail: append(append([]string(nil), m.trail...), e.label)})
				if step != "*" {
					break
				}
			}
		}
		cur = next
	}
	return cur
}

// move moves what src names to dst (see Flatmap.Apply).
func (n *fnode) move(src, dst []string) {
	last := src[len(src)-1]
	parents := n.match(src[:len(src)-1])
	type moved struct {
		from matched
		e    *fedge
	}
	var taken []moved
	for _, p := range parents {
		e, i := p.n.child(last)
		if e == nil {
			continue
		}
		if len(src) == len(dst) {
			e.label = dst[len(dst)-1]
			continue
		}
		p.n.cut(i)
		taken = append(taken, moved{from: p, e: e})
	}
	label := dst[len(dst)-1]
	for _, t := range taken {
		t.e.label = label
		var at *fnode
		if len(src) > len(dst) {
			// Towards the root: follow dst, "*" taking the matched label,
			// as far as it exists.
			at = n
			for i, step := range dst[:len(dst)-1] {
				if step == "*" && i < len(t.from.trail) {
					step = t.from.trail[i]
				}
				e, _ := at.child(step)
				if e == nil {
					break
				}
				at = e.n
			}
		} else {
			// Deeper: from where it was, through dst's extra segments,
			// created as objects where missing.
			at = t.from.n
			for _, step := range dst[len(src)-1 : len(dst)-1] {
				e, _ := at.child(step)
				if e == nil {
					e = &fedge{label: step, n: &fnode{}}
					at.edges = append(at.edges, e)
				}
				at = e.n
			}
		}
		at.edges = append(at.edges, t.e)
	}
}

// get returns the value path names under n: every child's for "*" (as a
// list), nil where the path does not exist.
func (n *fnode) get(path []string) any {
	if len(path) == 0 {
		return n.gather()
	}
	if len(n.edges) == 0 {
		return nil
	}
	if path[0] == "*" {
		out := make([]any, len(n.edges))
		for i, e := range n.edges {
			out[i] = e.n.get(path[1:])
		}
		return out
	}
	if e, _ := n.child(path[0]); e != nil {
		return e.n.get(path[1:])
	}
	return nil
}

// add writes v at path under n, creating the objects on the way ("*" is a
// label there, as in KrakenD's flatmap); v's children go into the node
// already at path, those of the same label merged.
func (n *fnode) add(path []string, v any) {
	if len(path) == 0 {
		n.absorb(v)
		return
	}
	e, _ := n.child(path[0])
	if e == nil {
		e = &fedge{label: path[0], n: &fnode{}}
		n.edges = append(n.edges, e)
	}
	e.n.add(path[1:], v)
}

// absorb spreads v into n, keeping n's children.
func (n *fnode) absorb(v any) {
	switch t := v.(type) {
	case map[string]any:
		n.list = false
		if len(t) == 0 {
			n.value = t
			return
		}
		for k, e := range t {
			n.add([]string{k}, e)
		}
	case []any:
		n.list = true
		if len(t) == 0 {
			n.value = t
			return
		}
		for i, e := range t {
			n.add([]string{strconv.Itoa(i)}, e)
		}
	default:
		n.list = false
		n.value = v
	}
}

// appendList appends the list src names to the list dst names and
// deletes src (see Flatmap.Apply).
func (n *fnode) appendList(src, dst []string) {
	from, ok := n.get(src).([]any)
	if !ok {
		return
	}
	to, ok := n.get(dst).([]any)
	if !ok {
		return
	}
	n.add(dst, append(to, from...))
	n.del(src)
}
