package render

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/clbanning/mxj/v2"
	"go.yaml.in/yaml/v3"

	"github.com/lambdagate/lambdagate/proxy"
)

// Output encodings that write data in another format than JSON.
const (
	XML       = "xml"
	YAML      = "yaml"
	Negotiate = "negotiate"
)

// The Content-Type of each format, as KrakenD writes them (YAML: gin's
// application/x-yaml, not the application/yaml RFC 9512 registers, so that
// clients written against KrakenD see the same type).
const (
	xmlType  = "application/xml"
	yamlType = "application/x-yaml; charset=utf-8"
)

func init() {
	// Escape &, <, >, " and ' in values, as KrakenD's XML output does.
	mxj.XMLEscapeChars(true)
}

// writeXML writes the data as XML the way mxj maps data to XML (KrakenD's
// rule): a data with one key is its root element, more keys go under a
// <doc> root; keys starting with "-" are attributes, "#text" an element's
// text, a list repeats its element.
func writeXML(w http.ResponseWriter, status int, resp *proxy.Response) error {
	b, err := mxj.Map(dataOf(resp)).Xml()
	if err != nil {
		http.Error(w, "", http.StatusInternalServerError)
		return nil
	}
	w.Header()["Content-Type"] = xmlTypeValue
	w.WriteHeader(status)
	w.Write(b)
	return nil
}

// writeYAML writes the data as a YAML document (an empty mapping, {}, for
// no data).
func writeYAML(w http.ResponseWriter, status int, resp *proxy.Response) error {
	data := dataOf(resp)
	if data == nil {
		data = map[string]any{}
	}
	b, err := yaml.Marshal(yamlValue(data))
	if err != nil {
		http.Error(w, "", http.StatusInternalServerError)
		return nil
	}
	w.Header()["Content-Type"] = yamlTypeValue
	w.WriteHeader(status)
	w.Write(b)
	return nil
}

var (
	xmlTypeValue  = []string{xmlType}
	yamlTypeValue = []string{yamlType}
)

// The media types negotiate offers, in KrakenD's order: JSON first (also
// the answer without an Accept header, and when nothing matches), then
// text/plain, written as YAML, then XML.
var offered = [...]struct {
	mime  string
	write Func
}{
	{"application/json", writeJSON},
	{"text/plain", writeYAML},
	{"application/xml", writeXML},
}

// NegotiateFunc returns the Func the negotiate output encoding uses for a
// request with accept as its Accept header, chosen as KrakenD (gin)
// chooses: the client's types in the order it lists them (q values are not
// weighed), the first offered type each matches, where a * on either side
// matches the rest and a type that is a prefix of an offered one matches
// it; JSON when there is no Accept header or nothing matches.
func NegotiateFunc(accept string) Func {
	if accept == "" {
		return writeJSON
	}
	for part := range strings.SplitSeq(accept, ",") {
		if i := strings.IndexByte(part, ';'); i > 0 {
			part = part[:i]
		}
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		for _, o := range offered {
			if acceptMatches(part, o.mime) {
				return o.write
			}
		}
	}
	return writeJSON
}

// acceptMatches reports whether the client's media type a matches the
// offered type o, by gin's rule.
func acceptMatches(a, o string) bool {
	i := 0
	for ; i < len(a) && i < len(o); i++ {
		if a[i] == '*' || o[i] == '*' {
			return true
		}
		if a[i] != o[i] {
			return false
		}
	}
	return i == len(a)
}

// yamlValue returns v with its numbers as YAML numbers written as the
// backend wrote them (a json.Number is a string to the YAML encoder).
func yamlValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = yamlValue(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = yamlValue(e)
		}
		return out
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(string(t), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: t.String()}
	}
	return v
}
