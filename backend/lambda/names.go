package lambda

import (
	"path"

	"github.com/lambdagate/lambdagate/internal/lambdaapi"
)

// validFunctionName reports whether s is a function name Lambda's Invoke
// accepts (lambdaapi.ValidFunctionName): a name taken from the endpoint
// path is checked before invoking.
func validFunctionName(s string) bool { return lambdaapi.ValidFunctionName(s) }

// matchAllowed returns the index of the first allowed_functions glob name
// matches (path.Match syntax: * matches any run of characters, as names
// hold no /), or -1.
func matchAllowed(name string, globs []string) int {
	for i, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return i
		}
	}
	return -1
}
