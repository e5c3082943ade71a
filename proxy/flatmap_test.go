package proxy

import (
	"strings"
	"testing"
)

// TestFlatmap holds KrakenD's flatmap operations on the shapes its
// documentation works through: renaming inside a collection, extracting
// and embedding, deleting with and without "*".
func TestFlatmap(t *testing.T) {
	t.Parallel()
	const orders = `{"collection": [
		{"id": 1, "shipping_id": "s1", "user": {"name": "Ann", "password": "x"}},
		{"id": 2, "shipping_id": "s2", "user": {"name": "Bob", "password": "y"}}]}`
	tests := []struct {
		name string
		ops  []FlatmapOp
		in   string
		want string
	}{
		{"rename in every element", []FlatmapOp{{"move", []string{"collection.*.shipping_id", "collection.*.shipping_code"}}}, orders,
			`{"collection":[{"id":1,"shipping_code":"s1","user":{"name":"Ann","password":"x"}},{"id":2,"shipping_code":"s2","user":{"name":"Bob","password":"y"}}]}`},
		{"extract a nested field in every element", []FlatmapOp{{"move", []string{"collection.*.user.name", "collection.*.user_name"}}}, orders,
			`{"collection":[{"id":1,"shipping_id":"s1","user":{"password":"x"},"user_name":"Ann"},{"id":2,"shipping_id":"s2","user":{"password":"y"},"user_name":"Bob"}]}`},
		{"delete a field of every element", []FlatmapOp{{"del", []string{"collection.*.user.password", "collection.*.shipping_id"}}}, orders,
			`{"collection":[{"id":1,"user":{"name":"Ann"}},{"id":2,"user":{"name":"Bob"}}]}`},
		{"delete one element: the others close up", []FlatmapOp{{"del", []string{"collection.0"}}}, orders,
			`{"collection":[{"id":2,"shipping_id":"s2","user":{"name":"Bob","password":"y"}}]}`},
		{"extract an element to the root", []FlatmapOp{{"move", []string{"collection.1", "second"}}}, orders,
			`{"collection":[{"id":1,"shipping_id":"s1","user":{"name":"Ann","password":"x"}}],"second":{"id":2,"shipping_id":"s2","user":{"name":"Bob","password":"y"}}}`},
		{"extract an object's field to the root", []FlatmapOp{{"move", []string{"user.address.city", "city"}}}, `{"user": {"address": {"city": "Oslo", "zip": "0150"}}}`,
			`{"city":"Oslo","user":{"address":{"zip":"0150"}}}`},
		{"embed into new objects", []FlatmapOp{{"move", []string{"id", "meta.ids.first"}}}, `{"id": 7, "name": "n"}`,
			`{"meta":{"ids":{"first":7}},"name":"n"}`},
		{"embed in every element", []FlatmapOp{{"move", []string{"collection.*.id", "collection.*.meta.id"}}, {"del", []string{"collection.*.user", "collection.*.shipping_id"}}}, orders,
			`{"collection":[{"meta":{"id":1}},{"meta":{"id":2}}]}`},
		{"operations run in order", []FlatmapOp{{"move", []string{"a", "b"}}, {"move", []string{"b", "c"}}}, `{"a": 1}`, `{"c":1}`},
		{"wildcard deletes every child: the container becomes null", []FlatmapOp{{"del", []string{"a.*"}}}, `{"a": {"x": 1, "y": 2}, "b": [1]}`, `{"a":null,"b":[1]}`},
		{"emptied by deletes: null", []FlatmapOp{{"del", []string{"b.0"}}}, `{"b": [1]}`, `{"b":null}`},
		{"empty from the backend stays empty", []FlatmapOp{{"del", []string{"x"}}}, `{"a": {}, "b": []}`, `{"a":{},"b":[]}`},
		{"same length renames the last segment only", []FlatmapOp{{"move", []string{"a.b", "x.c"}}}, `{"a": {"b": 1}}`, `{"a":{"c":1}}`},
		{"extraction stops where the destination does not exist", []FlatmapOp{{"move", []string{"a.b.c", "nope.c"}}}, `{"a": {"b": {"c": 1}}}`, `{"a":{"b":null},"c":1}`},
		{"missing source: nothing", []FlatmapOp{{"move", []string{"a.z", "a.y"}}, {"del", []string{"q.*.r"}}}, `{"a": {"b": 1}}`, `{"a":{"b":1}}`},
		{"numbers kept as written", []FlatmapOp{{"move", []string{"p", "price"}}}, `{"p": 1.50}`, `{"price":1.50}`},
		// append: KrakenD's docs ("append a collection after another one,
		// and return only the latter") and its flatmap's own test.
		{"append a list after another: only the latter stays", []FlatmapOp{{"append", []string{"a", "b"}}}, `{"a": [42], "b": [1]}`, `{"b":[1,42]}`},
		{"append kindergarten to schools", []FlatmapOp{{"append", []string{"kindergarten", "schools"}}},
			`{"kindergarten": [{"name": "k1"}], "schools": [{"name": "s1"}, {"name": "s2"}]}`,
			`{"schools":[{"name":"s1"},{"name":"s2"},{"name":"k1"}]}`},
		{"append to an empty list", []FlatmapOp{{"append", []string{"a", "b"}}}, `{"a": [1, 2], "b": []}`, `{"b":[1,2]}`},
		{"append an empty list: the destination unchanged", []FlatmapOp{{"append", []string{"a", "b"}}}, `{"a": [], "b": [1]}`, `{"b":[1]}`},
		{"append into a nested list", []FlatmapOp{{"append", []string{"extra", "a.list"}}}, `{"a": {"list": [1], "n": true}, "extra": [2, 3]}`,
			`{"a":{"list":[1,2,3],"n":true}}`},
		{"append a source that is not a list: nothing", []FlatmapOp{{"append", []string{"a", "b"}}}, `{"a": {"x": 1}, "b": [1]}`, `{"a":{"x":1},"b":[1]}`},
		{"append to a destination that is not a list: nothing", []FlatmapOp{{"append", []string{"a", "b"}}}, `{"a": [1], "b": {"x": 1}}`, `{"a":[1],"b":{"x":1}}`},
		{"append to a missing destination: nothing", []FlatmapOp{{"append", []string{"a", "b"}}}, `{"a": [1]}`, `{"a":[1]}`},
		{"append a wildcard source: the values it matches, then deleted", []FlatmapOp{{"append", []string{"items.*.tags", "all"}}},
			`{"items": [{"tags": ["x"]}, {"tags": ["y", "z"]}], "all": ["w"]}`, `{"all":["w",["x"],["y","z"]],"items":[null,null]}`},
		{"the docs' example: append, extract, delete, rename", []FlatmapOp{
			{"append", []string{"kindergarten", "schools"}},
			{"move", []string{"schools.1.students", "alumni"}},
			{"del", []string{"schools"}},
			{"del", []string{"alumni.*.password"}},
			{"move", []string{"alumni.*.PK_ID", "alumni.*.id"}}},
			`{"kindergarten": [{"students": [{"PK_ID": 9, "password": "k"}, {"PK_ID": 8, "password": "j"}]}],
			  "schools": [{"students": [{"PK_ID": 1, "password": "a"}]}]}`,
			`{"alumni":[{"id":9},{"id":8}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := CompileFlatmap(tt.ops)
			if err != nil {
				t.Fatal(err)
			}
			in, err := DecodeSafeJSON([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := marshal(t, f.Apply(in)); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestCompileFlatmapErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		ops  []FlatmapOp
		want string
	}{
		{[]FlatmapOp{{"move", []string{"a"}}}, "[0]: move takes two paths"},
		{[]FlatmapOp{{"del", []string{"a"}}, {"del", nil}}, "[1]: del takes the paths to delete, got none"},
		{[]FlatmapOp{{"append", []string{"a", "b", "c"}}}, "[0]: append takes two paths, the list to append and the list it is appended to, got 3"},
		{[]FlatmapOp{{"copy", []string{"a", "b"}}}, `[0]: "copy" is not an operation: use move, del or append`},
		{[]FlatmapOp{{"del", []string{""}}}, "[0]: a path is empty"},
	} {
		if _, err := CompileFlatmap(tt.ops); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want %q", tt.ops, err, tt.want)
		}
	}
}
