// Package martian is KrakenD's "modifier/martian" namespace of HTTP
// backends: static changes to the request sent to the backend (headers,
// query strings, the body, the URL, cookies) and to the response it
// returns, before anything else reads it. The modifiers are Google's
// martian library's own (github.com/google/martian/v3, the library KrakenD
// uses), parsed from the same JSON, so that they behave as KrakenD's do.
//
// Only the modifiers, filters and groups listed in Supported are accepted;
// any other name (verifiers, martian's proxy-only modifiers) is refused at
// start-up with its JSON path. This package must not know how a backend
// is called: the HTTP transport runs Request before its send and Response
// on what comes back.
package martian

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	gmartian "github.com/google/martian/v3"
	// The modifier packages register their parsers with parse.
	_ "github.com/google/martian/v3/body"
	_ "github.com/google/martian/v3/cookie"
	_ "github.com/google/martian/v3/fifo"
	_ "github.com/google/martian/v3/header"
	_ "github.com/google/martian/v3/martianurl"
	"github.com/google/martian/v3/parse"
	_ "github.com/google/martian/v3/priority"
	_ "github.com/google/martian/v3/querystring"

	"github.com/lambdagate/lambdagate/config"
)

// Namespace is the extra_config key of a backend's modifiers.
const Namespace = "modifier/martian"

// Supported are the modifier names lambdagate accepts, with where each
// nests further modifiers: "modifiers" (a list), "modifier" and "else" (one
// each), or, for priority.Group, "modifiers" whose entries hold theirs
// under "modifier".
var Supported = map[string][]string{
	"header.Modifier":      nil,
	"header.Append":        nil,
	"header.Blacklist":     nil,
	"header.Copy":          nil,
	"header.Filter":        {"modifier", "else"},
	"header.RegexFilter":   {"modifier"},
	"querystring.Modifier": nil,
	"querystring.Filter":   {"modifier", "else"},
	"body.Modifier":        nil,
	"url.Modifier":         nil,
	"url.Filter":           {"modifier", "else"},
	"url.RegexFilter":      {"modifier", "else"},
	"cookie.Modifier":      nil,
	"cookie.Filter":        {"modifier", "else"},
	"fifo.Group":           {"modifiers"},
	"priority.Group":       {"modifiers"},
}

// Modifiers are a backend's parsed modifiers: what changes its requests,
// what changes its responses (either may be nil).
type Modifiers struct {
	req  gmartian.RequestModifier
	resp gmartian.ResponseModifier
}

// Parse returns the modifiers of b's "modifier/martian" namespace; nil
// when it has none. Errors name the JSON path of the part at fault.
func Parse(b *config.Backend) (*Modifiers, error) {
	raw, ok := b.ExtraConfig.Raw(Namespace)
	if !ok {
		return nil, nil
	}
	return FromJSON(config.Join(b.ExtraConfig.Path, Namespace), raw)
}

// FromJSON parses the modifier tree raw, found at path.
func FromJSON(path string, raw json.RawMessage) (*Modifiers, error) {
	if err := check(path, raw); err != nil {
		return nil, err
	}
	r, err := parse.FromJSON(raw)
	if err != nil {
		return nil, &config.Error{Path: path, Msg: strings.TrimPrefix(err.Error(), "parse: ")}
	}
	m := &Modifiers{req: r.RequestModifier(), resp: r.ResponseModifier()}
	if m.req == nil && m.resp == nil {
		return nil, &config.Error{Path: path, Msg: `modifies nothing: give its modifiers a "scope" of "request", "response" or both`}
	}
	return m, nil
}

// check walks the tree at path and refuses any modifier lambdagate does
// not support, by name and path, before martian's own parsers run.
func check(path string, raw json.RawMessage) error {
	var one map[string]json.RawMessage
	if err := json.Unmarshal(raw, &one); err != nil {
		return &config.Error{Path: path, Msg: "must be an object naming one modifier, such as {\"header.Modifier\": {…}}"}
	}
	if len(one) != 1 {
		names := make([]string, 0, len(one))
		for k := range one {
			names = append(names, k)
		}
		sort.Strings(names)
		return &config.Error{Path: path, Msg: fmt.Sprintf("names %d modifiers (%s): name exactly one, and put several in a \"fifo.Group\"", len(one), strings.Join(names, ", "))}
	}
	for name, body := range one {
		nests, ok := Supported[name]
		if !ok {
			return &config.Error{Path: config.Join(path, name), Msg: fmt.Sprintf("modifier %q is not supported by lambdagate; use one of %s", name, supportedList())}
		}
		at := config.Join(path, name)
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(body, &fields); err != nil {
			return &config.Error{Path: at, Msg: "must be an object"}
		}
		for _, key := range nests {
			sub, ok := fields[key]
			if !ok || bytes.Equal(bytes.TrimSpace(sub), []byte("null")) {
				continue
			}
			if key != "modifiers" {
				if err := check(config.Join(at, key), sub); err != nil {
					return err
				}
				continue
			}
			var list []json.RawMessage
			if err := json.Unmarshal(sub, &list); err != nil {
				return &config.Error{Path: config.Join(at, key), Msg: "must be a list of modifiers"}
			}
			for i, item := range list {
				itemPath := config.Join(at, key) + "[" + strconv.Itoa(i) + "]"
				if name == "priority.Group" {
					var entry struct {
						Modifier json.RawMessage `json:"modifier"`
					}
					if err := json.Unmarshal(item, &entry); err != nil || entry.Modifier == nil {
						return &config.Error{Path: itemPath, Msg: `must be {"priority": N, "modifier": {…}}`}
					}
					item, itemPath = entry.Modifier, config.Join(itemPath, "modifier")
				}
				if err := check(itemPath, item); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func supportedList() string {
	names := make([]string, 0, len(Supported))
	for k := range Supported {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// HasRequest reports whether the modifiers change requests.
func (m *Modifiers) HasRequest() bool { return m != nil && m.req != nil }

// HasResponse reports whether the modifiers change responses.
func (m *Modifiers) HasResponse() bool { return m != nil && m.resp != nil }

// Request applies the request-scope modifiers to the backend's request,
// before it is sent.
func (m *Modifiers) Request(r *http.Request) error {
	if m == nil || m.req == nil {
		return nil
	}
	if err := m.req.ModifyRequest(r); err != nil {
		return fmt.Errorf("martian request modifier: %w", err)
	}
	return nil
}

// Response applies the response-scope modifiers to the backend's
// response, before anything reads it.
func (m *Modifiers) Response(r *http.Response) error {
	if m == nil || m.resp == nil {
		return nil
	}
	if err := m.resp.ModifyResponse(r); err != nil {
		return fmt.Errorf("martian response modifier: %w", err)
	}
	return nil
}
