package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// IsComment reports whether a key is a comment, allowed anywhere and
// ignored: keys starting with @, $, _ or #.
func IsComment(key string) bool {
	return key != "" && strings.ContainsRune("@$_#", rune(key[0]))
}

// object walks one JSON object of the file, decoding the keys asked for and
// remembering them, so that what is left over can be reported.
type object struct {
	path  string
	keys  map[string]bool
	m     map[string]json.RawMessage
	seen  map[string]bool
	errs  *Errors
	warns *[]string
}

func newObject(path string, raw json.RawMessage, errs *Errors, warns *[]string) (*object, bool) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		errs.Add(path, "must be a JSON object, got %s", jsonKind(raw))
		return nil, false
	}
	return &object{path: path, m: m, seen: map[string]bool{}, errs: errs, warns: warns}, true
}

// expect sets the table of keys o may ask for (see keyTables).
func (o *object) expect(obj FileObject) *object {
	o.keys = keySets[obj]
	return o
}

func (o *object) get(key string) (json.RawMessage, bool) {
	if o.keys != nil && !o.keys[key] {
		panic("config: " + key + " is read but missing from keyTables")
	}
	o.seen[key] = true
	raw, ok := o.m[key]
	if ok && string(bytes.TrimSpace(raw)) == "null" {
		return nil, false
	}
	return raw, ok
}

func (o *object) has(key string) bool {
	_, ok := o.m[key]
	return ok
}

func (o *object) str(key string, dst *string) {
	raw, ok := o.get(key)
	if !ok {
		return
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		o.errs.Add(Join(o.path, key), "must be a string, got %s", jsonKind(raw))
	}
}

func (o *object) boolean(key string, dst *bool) {
	raw, ok := o.get(key)
	if !ok {
		return
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		o.errs.Add(Join(o.path, key), "must be true or false, got %s", jsonKind(raw))
	}
}

func (o *object) integer(key string, dst *int) {
	raw, ok := o.get(key)
	if !ok {
		return
	}
	var n json.Number
	// json.Number also takes a quoted number ("80"): refuse it, as a
	// string is not what the file is asked for.
	if jsonKind(raw) != "a number" || json.Unmarshal(raw, &n) != nil {
		o.errs.Add(Join(o.path, key), "must be a whole number, got %s", jsonKind(raw))
		return
	}
	i, err := n.Int64()
	if err != nil || i != int64(int(i)) {
		o.errs.Add(Join(o.path, key), "must be a whole number, got %s", n)
		return
	}
	*dst = int(i)
}

func (o *object) duration(key string, dst *time.Duration) {
	raw, ok := o.get(key)
	if !ok {
		return
	}
	d, err := parseDuration(raw)
	if err != nil {
		o.errs.Add(Join(o.path, key), "%v", err)
		return
	}
	*dst = d
}

// parseDuration reads a duration string ("1500ms", "2s", "1m").
func parseDuration(raw json.RawMessage) (time.Duration, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, fmt.Errorf("must be a duration string such as \"1500ms\", \"2s\" or \"1m\", got %s", jsonKind(raw))
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: write a number with a unit, such as \"1500ms\", \"2s\" or \"1m\"", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	return d, nil
}

func (o *object) strings(key string, dst *[]string) {
	raw, ok := o.get(key)
	if !ok {
		return
	}
	var s []string
	if err := json.Unmarshal(raw, &s); err != nil {
		o.errs.Add(Join(o.path, key), "must be an array of strings, got %s", jsonKind(raw))
		return
	}
	if s == nil {
		s = []string{}
	}
	*dst = s
}

func (o *object) stringMap(key string, dst *map[string]string) {
	raw, ok := o.get(key)
	if !ok {
		return
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		o.errs.Add(Join(o.path, key), "must be an object of strings, got %s", jsonKind(raw))
	}
}

func (o *object) array(key string) []json.RawMessage {
	raw, ok := o.get(key)
	if !ok {
		return nil
	}
	var a []json.RawMessage
	if err := json.Unmarshal(raw, &a); err != nil {
		o.errs.Add(Join(o.path, key), "must be an array, got %s", jsonKind(raw))
		return nil
	}
	return a
}

func (o *object) extra(dst *ExtraConfig) {
	path := Join(o.path, "extra_config")
	*dst = ExtraConfig{Path: path}
	raw, ok := o.get("extra_config")
	if !ok {
		return
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		o.errs.Add(path, "must be an object of namespaces, got %s", jsonKind(raw))
		return
	}
	for k := range m {
		if IsComment(k) {
			delete(m, k)
		}
	}
	dst.raw = m
}

// done reports the keys nobody asked for: known KrakenD keys that
// lambdagate does not implement are warnings, anything else an error.
func (o *object) done(unsupported map[string]string) {
	var keys []string
	for k := range o.m {
		if !o.seen[k] && !IsComment(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if why, ok := unsupported[k]; ok {
			*o.warns = append(*o.warns, fmt.Sprintf("%s: not supported by lambdagate, ignored (%s)", Join(o.path, k), why))
			continue
		}
		o.errs.Add(Join(o.path, k), "unknown key (check its spelling against docs/configuration.md; keys starting with @, $, _ or # are comments)")
	}
}

// jsonKind names the kind of a JSON value, for messages.
func jsonKind(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// DecodeNamespace decodes the raw JSON of a namespace (or any part of the
// file) at path into v, a pointer to a struct with json tags. Unknown keys
// are errors (comment keys excepted) and every error names its JSON path.
func DecodeNamespace(path string, raw json.RawMessage, v any) error {
	clean, err := stripComments(raw)
	if err != nil {
		return &Error{Path: path, Msg: "must be a JSON object, got " + jsonKind(raw)}
	}
	dec := json.NewDecoder(bytes.NewReader(clean))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			p := path
			if te.Field != "" {
				// Field is the dotted path of nested struct fields.
				for _, f := range strings.Split(te.Field, ".") {
					p = Join(p, f)
				}
			}
			return &Error{Path: p, Msg: fmt.Sprintf("must be %s, got a JSON %s", goKind(te.Type.Kind().String()), te.Value)}
		}
		msg := err.Error()
		if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			return &Error{Path: Join(path, strings.Trim(f, `"`)), Msg: "unknown key (check its spelling against the documentation)"}
		}
		return &Error{Path: path, Msg: strings.TrimPrefix(msg, "json: ")}
	}
	return nil
}

func goKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "a whole number"
	case "float32", "float64":
		return "a number"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	return "a " + k
}

// stripComments removes comment keys from every object in raw.
func stripComments(raw json.RawMessage) (json.RawMessage, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, errors.New("not an object")
	}
	dropCommentKeys(v)
	return json.Marshal(v)
}

func dropCommentKeys(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if IsComment(k) {
				delete(t, k)
				continue
			}
			dropCommentKeys(e)
		}
	case []any:
		for _, e := range t {
			dropCommentKeys(e)
		}
	}
}

// Has reports whether the namespace is present.
func (x *ExtraConfig) Has(namespace string) bool {
	_, ok := x.raw[namespace]
	return ok
}

// Raw returns the namespace's JSON and marks it used.
func (x *ExtraConfig) Raw(namespace string) (json.RawMessage, bool) {
	raw, ok := x.raw[namespace]
	if ok {
		if x.used == nil {
			x.used = map[string]bool{}
		}
		x.used[namespace] = true
	}
	return raw, ok
}

// Decode decodes a namespace into v (see DecodeNamespace) and marks it
// used. It reports whether the namespace was present.
func (x *ExtraConfig) Decode(namespace string, v any) (bool, error) {
	raw, ok := x.Raw(namespace)
	if !ok {
		return false, nil
	}
	return true, DecodeNamespace(Join(x.Path, namespace), raw, v)
}

// DecodeWithLegacy decodes namespace, or else its legacy name (one of
// KrakenD's older spellings), into v (see Decode) and marks both used. It
// returns the name it decoded, "" when neither is present. Both present is
// an error at the legacy name's path.
func (x *ExtraConfig) DecodeWithLegacy(namespace, legacy string, v any) (string, error) {
	if x.Has(legacy) {
		if x.Has(namespace) {
			x.Raw(namespace) // reported here, not as unused
			x.Raw(legacy)
			return legacy, &Error{Path: Join(x.Path, legacy), Msg: fmt.Sprintf("both %q and its legacy name are set: keep %q only", namespace, namespace)}
		}
		namespace = legacy
	}
	found, err := x.Decode(namespace, v)
	if !found {
		return "", err
	}
	return namespace, err
}

// Unused lists, sorted, the namespaces present that nobody decoded.
func (x *ExtraConfig) Unused() []string {
	var out []string
	for k := range x.raw {
		if !x.used[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Namespaces lists, sorted, the namespaces present.
func (x *ExtraConfig) Namespaces() []string {
	out := make([]string, 0, len(x.raw))
	for k := range x.raw {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// NewExtraConfig returns an extra_config at path holding the namespaces of
// raw, as parsing one would (for configs built in code, and tests).
func NewExtraConfig(path string, raw map[string]json.RawMessage) ExtraConfig {
	return ExtraConfig{Path: path, raw: raw}
}
