package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// Levels are the levels of the file where a namespace is read.
type Levels uint8

// The levels of extra_config.
const (
	OnService Levels = 1 << iota
	OnEndpoints
	OnBackends
)

// OptionsType is what a package that implements a namespace decodes it
// into, as it registered it (RegisterOptions).
type OptionsType struct {
	// Namespace is the extra_config key.
	Namespace string
	// Levels are where the package reads it with this type.
	Levels Levels
	// Type is the struct the namespace is decoded into.
	Type reflect.Type
	// Parts are the types of the json.RawMessage members the package
	// decodes in a second step, by their place in the namespace: a key,
	// keys joined by ".", "[]" after a key for each element of an array
	// ("exporters", "exporters.otlp[]").
	Parts map[string]reflect.Type
}

var (
	optionsMu    sync.Mutex
	optionsTypes []OptionsType
)

// RegisterOptions records that namespace is decoded, at the levels on,
// into a value of v's type (v is a struct, a pointer to one, a slice or a map: a map of any stands for a free-form object); parts are
// the types of its members decoded in a second step (see OptionsType). The
// package that reads the namespace calls it from an init function, so that
// the schema of the file (lambdagate schema) describes what it decodes. A
// namespace and level registered twice panics.
func RegisterOptions(namespace string, on Levels, v any, parts map[string]any) {
	t := structType(v)
	ot := OptionsType{Namespace: namespace, Levels: on, Type: t, Parts: map[string]reflect.Type{}}
	for at, p := range parts {
		ot.Parts[at] = structType(p)
	}
	optionsMu.Lock()
	defer optionsMu.Unlock()
	for _, o := range optionsTypes {
		if o.Namespace == namespace && o.Levels&on != 0 {
			panic(fmt.Sprintf("config: options of %q registered twice", namespace))
		}
	}
	optionsTypes = append(optionsTypes, ot)
}

func structType(v any) reflect.Type {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || (t.Kind() != reflect.Struct && t.Kind() != reflect.Slice && t.Kind() != reflect.Map) {
		panic(fmt.Sprintf("config: options must be a struct, a slice or a map, got %T", v))
	}
	return t
}

// RegisteredOptions lists the registered options types, by namespace.
func RegisteredOptions() []OptionsType {
	optionsMu.Lock()
	defer optionsMu.Unlock()
	out := slices.Clone(optionsTypes)
	slices.SortFunc(out, func(a, b OptionsType) int {
		if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
			return c
		}
		return int(a.Levels) - int(b.Levels)
	})
	return out
}

// NamespaceMessage says what happens to the namespace name when it sits,
// unread, in the extra_config at path: the message `check` gives.
func NamespaceMessage(path, name string) string {
	return unusedMessage(path, name)
}

// ProtectivePrefixes are the families of namespaces that protect
// endpoints: a name under one (in any letter case) that no table knows is
// refused.
func ProtectivePrefixes() []string {
	return slices.Clone(protectivePrefixes)
}
