package config

import (
	"encoding/json"
	"reflect"
	"testing"
)

// sequentialEndpoint has two path params and three backends whose
// url_patterns read earlier responses, in both spellings, twice, and from
// a backend it does not have.
func sequentialEndpoint() *Endpoint {
	return &Endpoint{
		Path:   "/u/{id}/{foo_bar}",
		Params: []string{"id", "foo_bar"},
		Backend: []*Backend{
			{URLPattern: "/a/{id}?x={resp2_late}"},
			{URLPattern: "/b/{Resp0_user.id}/{Foo_bar}"},
			{URLPattern: "/c/{resp1_n}/{resp0_user.id}/{resp0_a}?y={resp9_x}&z={bad"},
		},
	}
}

func TestPlaceholders(t *testing.T) {
	t.Parallel()
	want := []Placeholder{
		{Kind: ParamPlaceholder, Name: "id", Slot: 0},
		{Kind: ParamPlaceholder, Name: "foo_bar", Slot: 1},
		{Kind: RespPlaceholder, Name: "resp0_user.id", Slot: 2, Backend: 0, Field: "user.id"},
		{Kind: RespPlaceholder, Name: "resp0_a", Slot: 3, Backend: 0, Field: "a"},
		{Kind: RespPlaceholder, Name: "resp1_n", Slot: 4, Backend: 1, Field: "n"},
		{Kind: RespPlaceholder, Name: "resp2_late", Slot: 5, Backend: 2, Field: "late"},
	}
	e := sequentialEndpoint()
	e.Backend[2].URLPattern = "/c/{resp1_n}/{resp0_user.id}/{resp0_a}?y={resp9_x}"
	if got := e.Placeholders(); !reflect.DeepEqual(got, want) {
		t.Errorf("Placeholders() =\n%+v\nwant\n%+v", got, want)
	}
	// A url_pattern that does not parse adds nothing (config.Parse reports it).
	if got := sequentialEndpoint().Placeholders(); len(got) != 4 {
		t.Errorf("with a broken url_pattern: %+v, want the params and backend 1's two fields", got)
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	e := sequentialEndpoint()
	e.Backend[2].URLPattern = "/c/{resp1_n}"
	// A path param named like a response field is a path param.
	e.Params = append(e.Params, "resp1_x")
	tests := []struct {
		name string
		want Placeholder
		ok   bool
	}{
		{"id", Placeholder{Kind: ParamPlaceholder, Name: "id", Slot: 0}, true},
		{"Id", Placeholder{Kind: ParamPlaceholder, Name: "id", Slot: 0}, true},
		{"Foo_bar", Placeholder{Kind: ParamPlaceholder, Name: "foo_bar", Slot: 1}, true},
		{"resp1_x", Placeholder{Kind: ParamPlaceholder, Name: "resp1_x", Slot: 2}, true},
		{"resp0_user.id", Placeholder{Kind: RespPlaceholder, Name: "resp0_user.id", Slot: 3, Backend: 0, Field: "user.id"}, true},
		{"Resp0_user.id", Placeholder{Kind: RespPlaceholder, Name: "resp0_user.id", Slot: 3, Backend: 0, Field: "user.id"}, true},
		{"resp1_n", Placeholder{Kind: RespPlaceholder, Name: "resp1_n", Slot: 4, Backend: 1, Field: "n"}, true},
		// Fields no url_pattern of the endpoint reads, or of a backend it
		// does not have, have no slot.
		{"resp9_x", Placeholder{Kind: RespPlaceholder, Name: "resp9_x", Slot: -1, Backend: 9, Field: "x"}, true},
		{"resp0_other", Placeholder{Kind: RespPlaceholder, Name: "resp0_other", Slot: -1, Backend: 0, Field: "other"}, true},
		{"JWT.sub", Placeholder{Kind: ClaimPlaceholder, Name: "JWT.sub", Slot: -1, Field: "sub"}, true},
		{"JWT.org.id", Placeholder{Kind: ClaimPlaceholder, Name: "JWT.org.id", Slot: -1, Field: "org.id"}, true},
		{"JWT.roles.0", Placeholder{Kind: ClaimPlaceholder, Name: "JWT.roles.0", Slot: -1, Field: "roles.0"}, true},
		{"JWT.", Placeholder{}, false},
		{"JWT.a..b", Placeholder{}, false},
		{"JWT.a.", Placeholder{}, false},
		{"jwt.sub", Placeholder{}, false},
		{"ID", Placeholder{}, false},
		{"foo", Placeholder{}, false},
	}
	for _, tt := range tests {
		got, ok := e.Resolve(tt.name)
		if ok != tt.ok || got != tt.want {
			t.Errorf("Resolve(%q) = %+v, %v; want %+v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseResp(t *testing.T) {
	t.Parallel()
	resp := func(name string, backend int, field string) Placeholder {
		return Placeholder{Kind: RespPlaceholder, Name: name, Backend: backend, Field: field}
	}
	tests := []struct {
		in   string
		want Placeholder
		ok   bool
	}{
		{"resp0_id", resp("resp0_id", 0, "id"), true},
		{"resp12_user.id", resp("resp12_user.id", 12, "user.id"), true},
		{"resp0_a_b", resp("resp0_a_b", 0, "a_b"), true},
		{"Resp0_id", resp("resp0_id", 0, "id"), true},
		{"resp_id", Placeholder{}, false},
		{"respx_id", Placeholder{}, false},
		{"resp0_", Placeholder{}, false},
		{"resp0", Placeholder{}, false},
		{"RESP0_id", Placeholder{}, false},
		{"resp-1_id", Placeholder{}, false},
		{"id", Placeholder{}, false},
	}
	for _, tt := range tests {
		got, ok := parseResp(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("parseResp(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParamIndex(t *testing.T) {
	t.Parallel()
	params := []string{"lambda", "Id", "id", "1a"}
	tests := []struct {
		name string
		want int
		ok   bool
	}{
		{"lambda", 0, true},
		{"Lambda", 0, true},
		{"Id", 1, true}, // the exact name wins over id's title-cased one
		{"id", 2, true},
		{"1a", 3, true},
		{"LAMBDA", -1, false},
		{"", -1, false},
	}
	for _, tt := range tests {
		if got, ok := ParamIndex(params, tt.name); got != tt.want || ok != tt.ok {
			t.Errorf("ParamIndex(%q) = %d, %v; want %d, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestTitleCase(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"foo_bar": "Foo_bar", "id": "Id", "Id": "Id", "": "", "1a": "1a", "éa": "éa"} {
		if got := TitleCase(in); got != want {
			t.Errorf("TitleCase(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitURLPattern(t *testing.T) {
	t.Parallel()
	lit := func(s string) PatternPart { return PatternPart{Literal: s} }
	ph := func(s string) PatternPart { return PatternPart{Placeholder: s} }
	tests := []struct {
		in   string
		want []PatternPart
	}{
		{"/a", []PatternPart{lit("/a")}},
		{"/u/item-{id}.json", []PatternPart{lit("/u/item-"), ph("id"), lit(".json")}},
		{"/u/{a}{b}?x={Id}", []PatternPart{lit("/u/"), ph("a"), ph("b"), lit("?x="), ph("Id")}},
	}
	for _, tt := range tests {
		got, err := SplitURLPattern(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitURLPattern(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestValidatesJWT(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ns   string
		want bool
	}{
		{"auth/validator", true},
		{"github.com/devopsfaith/krakend-jose/validator", true},
		{"auth/signer", false},
		{"", false},
	}
	for _, tt := range tests {
		raw := map[string]json.RawMessage{}
		if tt.ns != "" {
			raw[tt.ns] = json.RawMessage(`{}`)
		}
		e := &Endpoint{ExtraConfig: NewExtraConfig("endpoints[0].extra_config", raw)}
		if got := e.ValidatesJWT(); got != tt.want {
			t.Errorf("with %q: ValidatesJWT() = %v, want %v", tt.ns, got, tt.want)
		}
	}
	// A claim placeholder takes no slot: Placeholders lists params only.
	e := &Endpoint{Params: []string{"id"}, Backend: []*Backend{{URLPattern: "/u/{JWT.sub}/{id}"}}}
	if got := e.Placeholders(); len(got) != 1 || got[0].Kind != ParamPlaceholder {
		t.Errorf("Placeholders() = %+v, want only the param", got)
	}
}
