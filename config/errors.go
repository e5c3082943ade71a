package config

import (
	"fmt"
	"strings"
)

// Error is one problem in the configuration, at a JSON path.
type Error struct {
	// Path is the JSON path at fault ("endpoints[2].backend[0].url_pattern").
	Path string
	// Msg says what is wrong and what to do.
	Msg string
}

// Error formats the problem as "path: message".
func (e *Error) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Errors is every problem found in a configuration.
type Errors []*Error

// Error lists the problems, one a line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Add records a problem at path.
func (es *Errors) Add(path, format string, args ...any) {
	*es = append(*es, &Error{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Append records err: an Errors value is flattened, an *Error kept, any
// other error recorded at path.
func (es *Errors) Append(path string, err error) {
	switch t := err.(type) {
	case nil:
	case Errors:
		*es = append(*es, t...)
	case *Error:
		*es = append(*es, t)
	default:
		es.Add(path, "%s", err.Error())
	}
}

// Err returns es as an error, or nil when there is no problem.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// Join returns the JSON path of key inside path: path.key, or
// path["key"] when the key is not a plain word (namespaces such as
// "backend/lambda").
func Join(path, key string) string {
	if !plainKey(key) {
		return path + `["` + key + `"]`
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for _, c := range k {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Index returns the JSON path of element i of the array at path.
func Index(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}
