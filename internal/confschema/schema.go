// Package confschema builds the JSON Schema (draft 2020-12) of the file
// lambdagate reads, from the tables and types the decoder uses: config's
// key tables (config.Keys, config.UnsupportedKeys), its namespace table,
// and the options types each implementing package registers
// (config.RegisterOptions). Descriptions come from the documentation's
// option tables (ParseDocs), kept in descriptions.json. It must not decide
// anything about the file the decoder does not.
package confschema

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/lambdagate/lambdagate/config"
	// The gateway links every package that implements a namespace, and
	// so their options' registrations.
	_ "github.com/lambdagate/lambdagate/gateway"
)

// Draft is the JSON Schema dialect of the schema.
const Draft = "https://json-schema.org/draft/2020-12/schema"

//go:embed descriptions.json
var descriptionsJSON []byte

// commentKeys matches the keys the decoder ignores as comments.
const commentKeys = "^[@$_#]"

// DurationPattern matches the durations the decoder accepts: Go's syntax,
// not negative.
const DurationPattern = `^(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`

// Schema returns the schema as JSON, indented.
func Schema() ([]byte, error) {
	var d Descriptions
	if err := json.Unmarshal(descriptionsJSON, &d); err != nil {
		return nil, fmt.Errorf("confschema: descriptions.json: %w", err)
	}
	g := &generator{docs: d, defs: map[string]any{}}
	root := g.object(config.ServiceObject)
	root["$schema"] = Draft
	root["$id"] = "urn:lambdagate:config"
	root["title"] = "lambdagate configuration (KrakenD's krakend.json, version 3)"
	root["description"] = "The file lambdagate reads. It checks keys and types; `lambdagate check` checks the rest (files that exist, placeholders, the functions' names)."
	root["$defs"] = g.defs
	if len(g.missing) > 0 {
		return nil, &MissingError{Places: g.missing}
	}
	return json.MarshalIndent(root, "", "  ")
}

// MissingError lists the options no documentation table describes.
type MissingError struct {
	// Places are the options, as scope and place.
	Places []string
}

func (e *MissingError) Error() string {
	return "confschema: no description in the docs' option tables for: " + strings.Join(e.Places, ", ")
}

type generator struct {
	docs    Descriptions
	defs    map[string]any
	missing []string
}

func (g *generator) describe(scope, place string) string {
	m, ok := g.docs.Lookup(scope, place)
	if !ok {
		g.missing = append(g.missing, scope+" "+place)
	}
	return m
}

var objectDef = map[config.KeyKind]config.FileObject{config.KeyTLS: config.TLSObject}

// object is the schema of one object of the file that config decodes.
func (g *generator) object(obj config.FileObject) map[string]any {
	props := map[string]any{}
	var required []string
	for _, k := range config.Keys(obj) {
		var s map[string]any
		switch k.Kind {
		case config.KeyString:
			s = map[string]any{"type": "string"}
		case config.KeyBool:
			s = map[string]any{"type": "boolean"}
		case config.KeyInt:
			s = map[string]any{"type": "integer"}
		case config.KeyDuration:
			s = map[string]any{"$ref": "#/$defs/duration"}
		case config.KeyStrings:
			s = map[string]any{"type": "array", "items": map[string]any{"type": "string"}}
		case config.KeyStringMap:
			s = map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}}
		case config.KeyKeyPairs:
			s = map[string]any{"type": "array", "minItems": 1, "maxItems": 1, "items": map[string]any{
				"type":                 "object",
				"properties":           map[string]any{"public_key": map[string]any{"type": "string"}, "private_key": map[string]any{"type": "string"}},
				"patternProperties":    map[string]any{commentKeys: map[string]any{}},
				"additionalProperties": false,
			}}
		case config.KeyTLS:
			g.def(string(objectDef[k.Kind]), func() any { return g.object(objectDef[k.Kind]) })
			s = map[string]any{"$ref": "#/$defs/tls"}
		case config.KeyEndpoints:
			g.def("endpoint", func() any { return g.object(config.EndpointObject) })
			s = map[string]any{"type": "array", "items": map[string]any{"$ref": "#/$defs/endpoint"}}
		case config.KeyBackends:
			g.def("backend", func() any { return g.object(config.BackendObject) })
			s = map[string]any{"type": "array", "minItems": 1, "items": map[string]any{"$ref": "#/$defs/backend"}}
		case config.KeyExtraConfig:
			name := "extra_config_" + string(obj)
			g.def(name, func() any { return g.extraConfig(obj) })
			s = map[string]any{"$ref": ref(name)}
		default:
			panic(fmt.Sprintf("confschema: key kind %d", k.Kind))
		}
		if k.Name == "version" {
			s["const"] = 3
		}
		if len(k.Enum) > 0 && k.Lenient {
			// Other values are read as json, with a warning: editors
			// suggest the known ones without refusing the rest.
			s["examples"] = k.Enum
		} else if len(k.Enum) > 0 {
			s["enum"] = k.Enum
		}
		s["description"] = g.describe(string(obj), k.Name)
		props[k.Name] = s
		if k.Required {
			required = append(required, k.Name)
		}
	}
	for name, why := range config.UnsupportedKeys(obj) {
		desc, ok := g.docs.Lookup(string(obj), name)
		if !ok {
			desc = "Accepted with a warning, not implemented: " + why + "."
		}
		props[name] = map[string]any{"description": desc}
	}
	s := map[string]any{
		"type":                 "object",
		"properties":           props,
		"patternProperties":    map[string]any{commentKeys: map[string]any{"description": "A comment: ignored."}},
		"additionalProperties": false,
	}
	if len(required) > 0 {
		s["required"] = required
	}
	if obj == config.ServiceObject {
		g.defs["duration"] = map[string]any{
			"type":        "string",
			"pattern":     DurationPattern,
			"description": "A duration: a number with a unit (ns, us, ms, s, m, h), such as \"1500ms\", \"2s\" or \"1h30m\".",
		}
	}
	return s
}

// ref is the reference to the definition name.
func ref(name string) string {
	return "#/$defs/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(name)
}

// def adds a definition once.
func (g *generator) def(name string, build func() any) {
	if _, ok := g.defs[name]; ok {
		return
	}
	g.defs[name] = nil // a placeholder against recursion
	g.defs[name] = build()
}

var levelOf = map[config.FileObject]config.Levels{
	config.ServiceObject: config.OnService, config.EndpointObject: config.OnEndpoints, config.BackendObject: config.OnBackends,
}

var pathOf = map[config.FileObject]string{
	config.ServiceObject: "extra_config", config.EndpointObject: "endpoints[0].extra_config", config.BackendObject: "endpoints[0].backend[0].extra_config",
}

// extraConfig is the schema of the extra_config of obj: the options of
// the namespaces read there, the others as the decoder classes them.
func (g *generator) extraConfig(obj config.FileObject) map[string]any {
	level := levelOf[obj]
	props := map[string]any{}
	for _, ot := range config.RegisteredOptions() {
		if ot.Levels&level == 0 {
			continue
		}
		name := "options_" + string(obj) + "_" + ot.Namespace
		g.def(name, func() any { return g.options(ot) })
		ns, _ := config.LookupNamespace(ot.Namespace)
		props[ot.Namespace] = map[string]any{"$ref": ref(name), "description": ns.Does + " (read " + ns.ReadBy + ")"}
	}
	names := config.KnownNamespaces()
	for _, name := range names {
		if _, ok := props[name]; ok {
			continue
		}
		msg := config.NamespaceMessage(pathOf[obj], name)
		if config.ClassifyNamespace(name).Refused() {
			props[name] = map[string]any{"not": map[string]any{}, "description": "Refused here: " + msg}
		} else {
			props[name] = map[string]any{"description": "Accepted with a warning: " + msg}
		}
	}
	var prefixes []string
	for _, p := range config.ProtectivePrefixes() {
		prefixes = append(prefixes, anyCase(p))
	}
	return map[string]any{
		"type":       "object",
		"properties": props,
		"propertyNames": map[string]any{
			"description": "A namespace lambdagate or KrakenD knows, or any other name that protects nothing (an unknown name under " + strings.Join(config.ProtectivePrefixes(), ", ") + " is refused).",
			"anyOf": []any{
				map[string]any{"enum": names},
				map[string]any{"not": map[string]any{"pattern": "^(" + strings.Join(prefixes, "|") + ")"}},
			},
		},
	}
}

// anyCase is a pattern matching s in any letter case.
func anyCase(s string) string {
	var b strings.Builder
	for _, r := range s {
		lo, up := strings.ToLower(string(r)), strings.ToUpper(string(r))
		switch {
		case lo != up:
			b.WriteString("[" + lo + up + "]")
		case strings.ContainsRune(`.*+?()[]{}|^$\/`, r):
			b.WriteString(`\` + string(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

var rawMessage = reflect.TypeFor[json.RawMessage]()
var jsonNumber = reflect.TypeFor[json.Number]()

// options is the schema of a namespace's options type.
func (g *generator) options(ot config.OptionsType) map[string]any {
	scope := "ns:" + ot.Namespace
	if ns, ok := config.LookupNamespace(ot.Namespace); ok && ns.Current != "" {
		scope = "ns:" + ns.Current
	}
	return g.typeSchema(ot, scope, "", ot.Type)
}

func (g *generator) typeSchema(ot config.OptionsType, scope, place string, t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == rawMessage {
		if p, ok := ot.Parts[place]; ok {
			return g.typeSchema(ot, scope, place, p)
		}
		return map[string]any{}
	}
	if t == jsonNumber {
		return map[string]any{"type": "number"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.typeSchema(ot, scope, place+"[]", t.Elem())}
	case reflect.Map:
		return map[string]any{
			"type":                 "object",
			"patternProperties":    map[string]any{commentKeys: map[string]any{}},
			"additionalProperties": g.typeSchema(ot, scope, place+"[]", t.Elem()),
		}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		props := map[string]any{}
		for _, f := range fields(t) {
			at := f.name
			if place != "" {
				at = place + "." + f.name
			}
			s := g.typeSchema(ot, scope, at, f.typ)
			if f.refused {
				// Read only to be refused with a message that says
				// what to write instead.
				s = map[string]any{"not": map[string]any{}}
			}
			s["description"] = g.describe(scope, at)
			props[f.name] = s
		}
		return map[string]any{
			"type":                 "object",
			"properties":           props,
			"patternProperties":    map[string]any{commentKeys: map[string]any{"description": "A comment: ignored."}},
			"additionalProperties": false,
		}
	}
	panic(fmt.Sprintf("confschema: %s of %s: type %s", place, ot.Namespace, t))
}

type field struct {
	name    string
	typ     reflect.Type
	refused bool
	warned  bool
}

// fields are the JSON members of a struct as encoding/json decodes them:
// by tag, exported fields only, embedded structs inlined.
func fields(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				out = append(out, fields(et)...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		// schema:"refused" marks a member decoded only to be refused,
		// schema:"warned" one decoded only to be ignored with a warning.
		mark := f.Tag.Get("schema")
		out = append(out, field{name: name, typ: f.Type, refused: mark == "refused", warned: mark == "warned"})
	}
	return out
}
