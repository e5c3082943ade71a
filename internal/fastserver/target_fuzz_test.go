package fastserver

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// parseTarget must agree with url.ParseRequestURI, which net/http uses, on
// every request target: same verdict, same URL fields. The seeds run with
// every go test; fuzzing:
//
//	go test ./fastserver -run '^$' -fuzz FuzzParseTarget -fuzztime 60s -parallel 1

// targetSeeds are the request targets of the differential table, and more.
var targetSeeds = []string{
	"/", "/p?a=1&b=2&a=3", "/p?a=&b", "/p?", "/p??x", "/a%2Fb", "/caf%C3%A9", "/a%20b",
	"/caf%c3%a9?q=%2f", "/caf\xc3\xa9?q=\xc3\xa9", "/a;b,c=d$e&f+g:h@i~j", "/a/../b/./c",
	"//x//y", "/a#b", "http://example.com/x?y=1", "*", "?a=1", "/a?b=\x01", "/a?b=\x7f",
	"/x", "", "/%", "/%zz", "/a%2", "/a b", "/a\tb", "/\x00", "https://u:p@h:8080/p?q#f",
	"//host/path", "/a?b#c", "/~user", "/@x", "/:x", "/a:b", "http:/x", "mailto:x", "/a%00",
	"/%E2%82%AC", "/a+b?c+d", "/a\\b", "/a|b", "/a{b}", "/a[b]", "/a\"b", "/a<b>", "/a`b", "/a^b",
	"/p?q=\xff", "/\xff", "/a?%", "/a?b=%zz", "/a?\x00",
	// Disagreements fuzzing found once (fixed).
	"/a!b*c(d)'e", "/a?b=\x01c",
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range targetSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		if msg := compareTarget(target); msg != "" {
			t.Error(msg)
		}
	})
}

// compareTarget returns how parseTarget and url.ParseRequestURI disagree on
// target, or "".
func compareTarget(target string) string {
	var x exchange
	ok := x.parseTarget([]byte(target))
	u, err := url.ParseRequestURI(target)
	if ok != (err == nil) {
		return fmt.Sprintf("parseTarget(%q) = %v, url.ParseRequestURI error: %v", target, ok, err)
	}
	if !ok {
		return ""
	}
	got, want := x.url, *u
	var diffs []string
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"Scheme", got.Scheme, want.Scheme},
		{"Opaque", got.Opaque, want.Opaque},
		{"Host", got.Host, want.Host},
		{"Path", got.Path, want.Path},
		{"RawPath", got.RawPath, want.RawPath},
		{"RawQuery", got.RawQuery, want.RawQuery},
		{"ForceQuery", got.ForceQuery, want.ForceQuery},
		{"Fragment", got.Fragment, want.Fragment},
		{"User", got.User.String(), want.User.String()},
		{"EscapedPath()", got.EscapedPath(), want.EscapedPath()},
		{"String()", got.String(), want.String()},
	} {
		if f.got != f.want {
			diffs = append(diffs, fmt.Sprintf("%s: got %#v, url.ParseRequestURI %#v", f.name, f.got, f.want))
		}
	}
	if len(diffs) == 0 {
		return ""
	}
	return fmt.Sprintf("parseTarget(%q): %s", target, strings.Join(diffs, "; "))
}
