package confschema

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"
)

// DocFiles are the documentation pages descriptions are read from, by
// their path in the repository.
var DocFiles = []string{"docs/configuration.md", "docs/observability.md"}

// Descriptions are the documented options: scope → key → meaning. A scope
// is a FileObject of package config ("service", "endpoint", "backend",
// "tls") or "ns:" and a namespace; a key is an option's name or its dotted
// place in the namespace ("exporters.otlp[]").
type Descriptions map[string]map[string]string

var (
	headingNS = regexp.MustCompile("^#{2,4} `([^`]+)` \\(")
	// headingNSList is a heading of several namespaces: "### `a`, `b`
	// (endpoint), `c` (backend)".
	headingNSList = regexp.MustCompile("^#{2,4} `[^`]+`(,| \\([a-z, ]+\\),) `")
	backticked    = regexp.MustCompile("`([^`]+)`")
	mdLink        = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	sectionOf     = map[string]string{"## Service (the root object)": "service", "## HTTP client settings": "service", "## TLS": "tls", "## Endpoint": "endpoint", "## Backend": "backend"}
	// The tables of options accepted with a warning and of options
	// refused: where, the options, what lambdagate does.
	otherTables = map[string]string{"### Accepted with a warning": "Accepted with a warning, not implemented: ", "### Refused": "Refused: "}
)

// ParseDocs reads the option tables of the documentation pages (see
// DocFiles): in each section that documents an object of the file or a
// namespace, every table row whose first cell names options in backticks
// gives them its last non-empty cell as their meaning; the table of options
// accepted with a warning gives each its "what lambdagate does instead".
func ParseDocs(pages map[string][]byte) Descriptions {
	d := Descriptions{}
	for _, name := range DocFiles {
		scope := ""
		if name == "docs/observability.md" {
			scope = "ns:telemetry/opentelemetry"
		}
		// alsoScopes are the other namespaces of a heading that names
		// several: its tables describe each.
		var alsoScopes []string
		sc := bufio.NewScanner(bytes.NewReader(pages[name]))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		inObservabilityConfig := false
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "#") {
				if name == "docs/observability.md" {
					inObservabilityConfig = line == "## Configuration"
					continue
				}
				scope, alsoScopes = "", nil
				if s, ok := sectionOf[strings.TrimSpace(line)]; ok {
					scope = s
				} else if headingNSList.MatchString(line) {
					for i, m := range backticked.FindAllStringSubmatch(line, -1) {
						if i == 0 {
							scope = "ns:" + m[1]
						} else {
							alsoScopes = append(alsoScopes, "ns:"+m[1])
						}
					}
				} else if m := headingNS.FindStringSubmatch(line); m != nil {
					scope = "ns:" + m[1]
				} else if _, ok := otherTables[line]; ok {
					scope = line
				}
				continue
			}
			if scope == "" || (name == "docs/observability.md" && !inObservabilityConfig) || !strings.HasPrefix(line, "| ") {
				continue
			}
			cells := splitRow(line)
			if prefix, ok := otherTables[scope]; ok {
				addOther(d, prefix, cells)
				continue
			}
			if len(cells) < 2 || !strings.HasPrefix(cells[0], "`") {
				continue
			}
			meaning := lastCell(cells[1:])
			for _, m := range backticked.FindAllStringSubmatch(cells[0], -1) {
				d.add(scope, m[1], meaning)
				for _, also := range alsoScopes {
					d.add(also, m[1], meaning)
				}
			}
		}
	}
	return d
}

// addOther reads a row of the tables of options accepted with a warning
// or refused: where (objects or namespaces), the options, what lambdagate
// does.
func addOther(d Descriptions, prefix string, cells []string) {
	if len(cells) != 3 {
		return
	}
	var scopes []string
	switch where := cells[0]; {
	case backticked.MatchString(where):
		for _, m := range backticked.FindAllStringSubmatch(where, -1) {
			if m[1] == "tls" {
				scopes = append(scopes, "tls")
			} else {
				scopes = append(scopes, "ns:"+m[1])
			}
		}
	case where == "service", where == "endpoint", where == "backend":
		scopes = []string{where}
	}
	for _, scope := range scopes {
		for _, m := range backticked.FindAllStringSubmatch(cells[1], -1) {
			d.add(scope, m[1], prefix+cells[2])
		}
	}
}

func (d Descriptions) add(scope, key, meaning string) {
	if meaning == "" {
		return
	}
	if d[scope] == nil {
		d[scope] = map[string]string{}
	}
	if _, ok := d[scope][key]; !ok {
		d[scope][key] = meaning
	}
}

// splitRow splits a Markdown table row into its cells, links reduced to
// their text.
func splitRow(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(strings.TrimSuffix(line, "|"), "|")
	var cells []string
	for _, c := range strings.Split(line, " | ") {
		c = strings.TrimSpace(strings.Trim(strings.TrimSpace(c), "|"))
		cells = append(cells, mdLink.ReplaceAllString(c, "$1"))
	}
	return cells
}

func lastCell(cells []string) string {
	for i := len(cells) - 1; i >= 0; i-- {
		if cells[i] != "" && cells[i] != "—" {
			return cells[i]
		}
	}
	return ""
}

// Lookup returns the meaning documented for the option at place (dotted,
// "[]" for array elements) in scope: the place itself, else its last key,
// else the nearest enclosing place documented.
func (d Descriptions) Lookup(scope, place string) (string, bool) {
	s := d[scope]
	for _, p := range []string{place, place + "[]"} {
		if m, ok := s[p]; ok {
			return m, true
		}
	}
	keys := strings.Split(place, ".")
	if m, ok := s[strings.TrimSuffix(keys[len(keys)-1], "[]")]; ok {
		return m, true
	}
	for i := len(keys) - 1; i > 0; i-- {
		parent := strings.Join(keys[:i], ".")
		for _, p := range []string{parent, parent + "[]", strings.TrimSuffix(parent, "[]")} {
			if m, ok := s[p]; ok {
				return m, true
			}
		}
	}
	return "", false
}
