package jsonscan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

type validCase struct {
	name string
	in   string
	want bool // expected Valid result; must also equal encoding/json.Valid
}

// validCases covers every rule of the JSON grammar and the edges where
// encoding/json.Valid has particular behaviour. Each case is checked against
// encoding/json.Valid as well as against want.
var validCases = []validCase{
	// Empty input and whitespace.
	{"empty", "", false},
	{"space only", " ", false},
	{"all whitespace", " \t\r\n", false},
	{"whitespace around value", " \t\r\n1 \t\r\n", true},
	{"vertical tab", "\v1", false},
	{"form feed", "\f1", false},
	{"nbsp before value", "\u00a01", false},
	{"nbsp after value", "1\u00a0", false},
	{"BOM", "\ufeff{}", false},
	{"NUL only", "\x00", false},
	{"NUL after value", "{}\x00", false},
	{"NUL before value", "\x00{}", false},

	// Literals.
	{"true", "true", true},
	{"false", "false", true},
	{"null", "null", true},
	{"True", "True", false},
	{"tru", "tru", false},
	{"fals", "fals", false},
	{"nul", "nul", false},
	{"truex", "truex", false},
	{"nullnull", "nullnull", false},
	{"true1", "true1", false},
	{"t", "t", false},
	{"NaN", "NaN", false},
	{"Infinity", "Infinity", false},
	{"undefined", "undefined", false},
	{"literal in array", "[true,false,null]", true},
	{"literal cut in array", "[tru]", false},

	// Numbers.
	{"zero", "0", true},
	{"minus zero", "-0", true},
	{"minus", "-", false},
	{"minus space digit", "- 1", false},
	{"plus", "+1", false},
	{"leading zero", "01", false},
	{"minus leading zero", "-01", false},
	{"double zero", "00", false},
	{"zero fraction", "0.0", true},
	{"integer", "1234567890", true},
	{"negative", "-1234567890", true},
	{"big integer", "123456789012345678901234567890123456789012345678901234567890", true},
	{"big negative fraction", "-98765432109876543210.12345678901234567890123456789e-123456789", true},
	{"huge exponent", "1e999999999999999999999", true},
	{"trailing dot", "1.", false},
	{"leading dot", ".5", false},
	{"minus dot", "-.5", false},
	{"fraction", "1.5", true},
	{"double dot", "1.5.2", false},
	{"exponent without digits", "1e", false},
	{"exponent plus without digits", "1e+", false},
	{"exponent minus without digits", "1e-", false},
	{"exponent", "1e2", true},
	{"exponent upper minus", "1E-2", true},
	{"exponent plus", "1e+2", true},
	{"exponent leading zeros", "1e007", true},
	{"fraction exponent", "-0.5e-10", true},
	{"zero exponent", "0e0", true},
	{"dot exponent", "1.e5", false},
	{"double sign exponent", "1e+-5", false},
	{"double e", "1e5e5", false},
	{"exponent fraction", "1e5.5", false},
	{"hex", "0x10", false},
	{"digit after zero in array", "[01]", false},
	{"number then letter", "1a", false},
	{"number space number", "1 2", false},
	{"numbers in array", "[0,-0,1,-1,0.5,-0.5,1e1,1E+1,1e-1,10,99]", true},
	{"minus then bracket", "[-]", false},
	{"fraction cut in array", "[1.]", false},
	{"exponent cut in object", `{"a":1e}`, false},

	// Strings.
	{"empty string", `""`, true},
	{"string", `"hello, world"`, true},
	{"long string", `"` + strings.Repeat("abcdefghij", 100) + `"`, true},
	{"unterminated string", `"abc`, false},
	{"unterminated long string", `"` + strings.Repeat("x", 40), false},
	{"lone quote", `"`, false},
	{"single quotes", `'a'`, false},
	{"all simple escapes", `"\"\\\/\b\f\n\r\t"`, true},
	{"unicode escape", `"\u00e9\u0000\uFFFF\uD834\uDD1E"`, true},
	{"lone surrogate escape", `"\uD800"`, true},
	{"unicode escape upper and lower hex", `"\uAbCd"`, true},
	{"short unicode escape", `"\u12"`, false},
	{"short unicode escape at end", `"\u12`, false},
	{"unicode escape bad hex", `"\u12G4"`, false},
	{"unicode escape upper U", `"\U0041"`, false},
	{"bad escape x", `"\x41"`, false},
	{"bad escape a", `"\a"`, false},
	{"bad escape 0", `"\0"`, false},
	{"bad escape single quote", `"\'"`, false},
	{"escape at end", `"\`, false},
	{"escaped quote unterminated", `"\"`, false},
	{"escaped backslash then quote", `"\\"`, true},
	{"raw tab", "\"a\tb\"", false},
	{"raw newline", "\"a\nb\"", false},
	{"raw carriage return", "\"a\rb\"", false},
	{"raw NUL", "\"a\x00b\"", false},
	{"raw 0x1f", "\"\x1f\"", false},
	{"raw DEL", "\"\x7f\"", true},
	{"raw tab after 8 bytes", "\"abcdefghijklmnop\tq\"", false},
	{"escape after 8 bytes", `"abcdefghijklmnop\nqrstuvwxyz"`, true},
	{"quote within word", `"abc"def"`, false},
	{"UTF-8", `"héllo, 世界 🌍"`, true},
	{"invalid UTF-8 in string", "\"\xff\"", true},
	{"truncated UTF-8 in string", "\"abc\xe4\xb8\"", true},
	{"surrogate UTF-8 in string", "\"\xed\xa0\x80\"", true},
	{"overlong UTF-8 in string", "\"\xc0\xaf\"", true},
	{"invalid UTF-8 in key", "{\"\xfe\":1}", true},
	{"invalid UTF-8 in long string", "\"abcdefghijkl\xffmnopqrstuvwxyz\"", true},
	{"invalid UTF-8 outside string", "[\xff]", false},
	{"invalid UTF-8 after value", "{}\xff", false},
	{"valid UTF-8 outside string", "[\u00e9]", false},

	// Arrays.
	{"empty array", "[]", true},
	{"empty array spaced", "[ \t\r\n]", true},
	{"array", "[1, 2, 3]", true},
	{"nested arrays", "[[], [[]], [[[1]]]]", true},
	{"unterminated array", "[1, 2", false},
	{"unterminated empty array", "[", false},
	{"unterminated array after comma", "[1,", false},
	{"trailing comma array", "[1,]", false},
	{"leading comma array", "[,1]", false},
	{"double comma array", "[1,,2]", false},
	{"missing comma array", "[1 2]", false},
	{"array closed by brace", "[1}", false},
	{"empty array closed by brace", "[}", false},
	{"close only", "]", false},
	{"extra close", "[]]", false},
	{"colon in array", "[1:2]", false},

	// Objects.
	{"empty object", "{}", true},
	{"empty object spaced", "{ \t\r\n}", true},
	{"object", `{"a": 1, "b": [true, null], "c": {"d": "e"}}`, true},
	{"duplicate keys", `{"a":1,"a":2}`, true},
	{"unterminated object", `{"a":1`, false},
	{"unterminated empty object", "{", false},
	{"unterminated object after key", `{"a"`, false},
	{"unterminated object after colon", `{"a":`, false},
	{"unterminated object after comma", `{"a":1,`, false},
	{"unterminated key", `{"a`, false},
	{"trailing comma object", `{"a":1,}`, false},
	{"leading comma object", `{,"a":1}`, false},
	{"missing colon", `{"a" 1}`, false},
	{"double colon", `{"a"::1}`, false},
	{"missing value", `{"a":}`, false},
	{"missing comma object", `{"a":1 "b":2}`, false},
	{"non-string key", `{1:2}`, false},
	{"bare key", `{a:1}`, false},
	{"single-quoted key", `{'a':1}`, false},
	{"key only", `{"a"}`, false},
	{"object closed by bracket", `{"a":1]`, false},
	{"empty object closed by bracket", "{]", false},
	{"array in object closed by brace", `{"a":[1}}`, false},
	{"object in array closed by bracket", `[{"a":1]]`, false},
	{"comma after key", `{"a",1}`, false},
	{"empty key", `{"":""}`, true},
	{"escaped key", `{"\u0041\n":0}`, true},
	{"bad escape in key", `{"\q":0}`, false},
	{"whitespace everywhere", " { \"a\" : [ 1 , { } , [ ] ] , \"b\" : null } ", true},

	// Trailing data.
	{"value then garbage", "{} x", false},
	{"two objects", "{}{}", false},
	{"two objects spaced", "{} {}", false},
	{"two arrays", "[][]", false},
	{"two strings", `"a""b"`, false},
	{"value then comma", "1,", false},
	{"value then close", "1]", false},
	{"value then colon", `"a":1`, false},
	{"comment", "{} // c", false},
	{"block comment", "/* c */ {}", false},
}

// nest returns open followed by close, each repeated n times.
func nest(open, close string, n int) string {
	return strings.Repeat(open, n) + strings.Repeat(close, n)
}

// deepCases exercises the depth limit and the spilling of the container
// stack beyond 64 levels.
func deepCases() []validCase {
	mixed := func(n int) string {
		// Alternating arrays and objects: [{"k":[{"k":...}]}].
		var open, close strings.Builder
		for i := range n {
			if i%2 == 0 {
				open.WriteString("[")
				close.WriteString("]")
			} else {
				open.WriteString(`{"k":`)
				close.WriteString("}")
			}
		}
		c := []byte(close.String())
		for i, j := 0, len(c)-1; i < j; i, j = i+1, j-1 {
			c[i], c[j] = c[j], c[i]
		}
		return open.String() + "1" + string(c)
	}
	// objs nests n objects, each with a key and a trailing sibling key, so
	// that ',' and '}' are checked against a restored stack entry.
	objs := func(n int) string {
		return strings.Repeat(`{"a":`, n) + "0" + strings.Repeat(`,"b":1}`, n)
	}
	cases := []validCase{
		{"arrays 10000", nest("[", "]", 10000), true},
		{"arrays 10001", nest("[", "]", 10001), false},
		{"objects 10000", strings.Repeat(`{"a":`, 9999) + "{}" + strings.Repeat("}", 9999), true},
		{"objects 10001", strings.Repeat(`{"a":`, 10000) + "{}" + strings.Repeat("}", 10000), false},
		{"objects with values 10000", strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000), true},
		{"objects with values 10001", strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001), false},
		{"arrays 10000 with value", strings.Repeat("[", 10000) + "1" + strings.Repeat("]", 10000), true},
		{"arrays 10000 then sibling", "[" + nest("[", "]", 9999) + ",1]", true},
		{"arrays 10001 unterminated", strings.Repeat("[", 10001), false},
		{"arrays 10000 unterminated", strings.Repeat("[", 10000), false},
		{"mixed 10000", mixed(10000), true},
		{"mixed 10001", mixed(10001), false},
		{"arrays 1000000", nest("[", "]", 1000000), false},
		{"arrays 20000 closed by braces", strings.Repeat("[", 20000) + strings.Repeat("}", 20000), false},
		{"extra close after deep", nest("[", "]", 100) + "]", false},
		{"missing close after deep", strings.Repeat("[", 100) + strings.Repeat("]", 99), false},
	}
	for _, n := range []int{1, 2, 63, 64, 65, 66, 127, 128, 129, 130, 200} {
		cases = append(cases,
			validCase{fmt.Sprintf("arrays %d", n), nest("[", "]", n), true},
			validCase{fmt.Sprintf("mixed %d", n), mixed(n), true},
			validCase{fmt.Sprintf("objects %d", n), objs(n), true},
			// The wrong bracket at the innermost level, which for n > 64
			// is in the spilled part of the stack once closing begins.
			validCase{fmt.Sprintf("arrays %d outer brace", n), strings.Repeat("[", n) + strings.Repeat("]", n-1) + "}", false},
			validCase{fmt.Sprintf("objects %d outer bracket", n), objs(n)[:len(objs(n))-1] + "]", false},
			validCase{fmt.Sprintf("mixed %d swapped", n), strings.NewReplacer("]", "}", "}", "]").Replace(mixed(n)), false},
			validCase{fmt.Sprintf("mixed %d trailing comma", n), mixed(n)[:len(mixed(n))-1] + ",]", false},
		)
	}
	// A single wrong bracket at each level of a 130-deep mixed nesting.
	m := mixed(130)
	for _, k := range []int{0, 1, 2, 63, 64, 65, 66, 100, 127, 128, 129} {
		b := []byte(m)
		pos := len(b) - 1 - k
		switch b[pos] {
		case ']':
			b[pos] = '}'
		case '}':
			b[pos] = ']'
		}
		cases = append(cases, validCase{fmt.Sprintf("mixed 130 wrong close %d from end", k), string(b), false})
	}
	return cases
}

func allCases() []validCase {
	return append(append([]validCase(nil), validCases...), deepCases()...)
}

// checkAll compares every entry point with its definition in terms of
// encoding/json and utf8 and returns a description of each mismatch.
func checkAll(b []byte) []string {
	var errs []string
	want := json.Valid(b)
	if got := Valid(b); got != want {
		errs = append(errs, fmt.Sprintf("Valid = %v, json.Valid = %v", got, want))
	}
	wantUTF8 := want && utf8.Valid(b)
	if got := ValidUTF8(b); got != wantUTF8 {
		errs = append(errs, fmt.Sprintf("ValidUTF8 = %v, want %v", got, wantUTF8))
	}
	t := bytes.TrimLeft(b, " \t\r\n")
	wantObj := want && len(t) > 0 && t[0] == '{'
	if got := Object(b); got != wantObj {
		errs = append(errs, fmt.Sprintf("Object = %v, want %v", got, wantObj))
	}
	return errs
}

func TestValid(t *testing.T) {
	t.Parallel()
	for _, tc := range allCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := []byte(tc.in)
			if ref := json.Valid(b); ref != tc.want {
				t.Fatalf("table is wrong: json.Valid(%s) = %v, table says %v", quote(b), ref, tc.want)
			}
			if got := Valid(b); got != tc.want {
				t.Errorf("Valid(%s) = %v, want %v", quote(b), got, tc.want)
			}
			for _, e := range checkAll(b) {
				t.Errorf("%s: %s", quote(b), e)
			}
		})
	}
}

// TestValidPrefixes checks every prefix of some valid documents, which
// covers truncation at every position of every token, including inside the
// eight-byte string loop.
func TestValidPrefixes(t *testing.T) {
	t.Parallel()
	docs := [][]byte{
		realistic(1 << 10),
		[]byte(`{"a":[1,-2.5e+3,true,false,null,"x\"\\\/\b\f\n\r\t\u00e9y",{}],"b":{"c":[]}}`),
		[]byte("\"h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x8c\x8d, 0123456789abcdef\xe4\xb8\x96\""),
	}
	for _, doc := range docs {
		for n := 0; n <= len(doc); n++ {
			for _, e := range checkAll(doc[:n]) {
				t.Errorf("%s: %s", quote(doc[:n]), e)
			}
		}
	}
}

// TestMutations compares against encoding/json on many single-byte edits of
// realistic documents, at positions the fuzzer rarely reaches in long inputs.
func TestMutations(t *testing.T) {
	t.Parallel()
	docs := [][]byte{realistic(2 << 10), indented(realistic(1 << 10)), proxyResult(2 << 10)}
	interesting := []byte("\"\\{}[],:0123456789-+.eEtfnu \t\r\n\x00\x1f\x7f\x80\xc3\xff")
	rng := rand.New(rand.NewPCG(1, 2))
	for _, doc := range docs {
		for range 5000 {
			b := bytes.Clone(doc)
			pos := rng.IntN(len(b))
			c := interesting[rng.IntN(len(interesting))]
			switch rng.IntN(3) {
			case 0:
				b[pos] = c
			case 1:
				b = slices.Insert(b, pos, c)
			case 2:
				b = slices.Delete(b, pos, pos+1)
			}
			for _, e := range checkAll(b) {
				t.Errorf("edit at %d: %s: %s", pos, quote(b), e)
			}
		}
	}
}

// TestValidUTF8 checks that invalid UTF-8 is found wherever it sits in a
// string relative to the word-at-a-time loops, and that valid multi-byte
// sequences split across words are accepted.
func TestValidUTF8(t *testing.T) {
	t.Parallel()
	bad := []string{"\xff", "\xc3", "\xe4\xb8", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "\x80"}
	good := []string{"\u00e9", "\u4e16", "\U0001F30D", "\uFFFD", "\u007f"}
	for pre := 0; pre <= 40; pre++ {
		for post := 0; post <= 9; post++ {
			p, s := strings.Repeat("a", pre), strings.Repeat("b", post)
			for _, enc := range []string{`["%s%s%s"]`, `{"%s%s%s":0}`, `"%s%s%s\n"`, `"\t%s%s%s"`} {
				for _, mid := range append(bad, good...) {
					b := []byte(fmt.Sprintf(enc, p, mid, s))
					for _, e := range checkAll(b) {
						t.Errorf("%s: %s", quote(b), e)
					}
				}
			}
		}
	}
}

func TestObject(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want bool
	}{
		{"{}", true},
		{" \t\r\n{} \t\r\n", true},
		{`{"a":1}`, true},
		{"", false},
		{" ", false},
		{"{", false},
		{"[]", false},
		{`"{}"`, false},
		{"1", false},
		{"null", false},
		{"{} {}", false},
		{"\v{}", false},
		{"\u00a0{}", false},
		{"\ufeff{}", false},
		{`{"a":1,}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			if got := Object([]byte(tc.in)); got != tc.want {
				t.Errorf("Object(%q) = %v, want %v", tc.in, got, tc.want)
			}
			for _, e := range checkAll([]byte(tc.in)) {
				t.Errorf("%q: %s", tc.in, e)
			}
		})
	}
}

// TestAllocs is not parallel: testing.AllocsPerRun refuses to run in a
// parallel test, since allocations by other tests would be counted.
func TestAllocs(t *testing.T) {
	inputs := map[string][]byte{
		"1KB":          realistic(1 << 10),
		"10KB":         realistic(10 << 10),
		"1KB-indented": indented(realistic(1 << 10)),
		"nest 64":      []byte(nest("[", "]", 64)),
		"invalid":      []byte(`{"a":[1,2,}`),
	}
	for name, in := range inputs {
		for fname, f := range map[string]func([]byte) bool{"Valid": Valid, "ValidUTF8": ValidUTF8, "Object": Object} {
			if n := testing.AllocsPerRun(100, func() { f(in) }); n != 0 {
				t.Errorf("%s(%s): %v allocs per run, want 0", fname, name, n)
			}
		}
	}
}

func FuzzValid(f *testing.F) {
	for _, tc := range validCases {
		f.Add([]byte(tc.in))
	}
	for _, n := range []int{63, 64, 65, 129} {
		f.Add([]byte(nest("[", "]", n)))
		f.Add([]byte(strings.Repeat(`{"a":[`, n) + strings.Repeat("]}", n)))
	}
	f.Add(realistic(1 << 10))
	f.Add(indented(realistic(1 << 10)))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, e := range checkAll(b) {
			t.Errorf("%s: %s", quote(b), e)
		}
	})
}

// quote formats an input for a test message, abbreviating long ones.
func quote(b []byte) string {
	if len(b) > 200 {
		return fmt.Sprintf("%q...(%d bytes)", b[:200], len(b))
	}
	return strconv.Quote(string(b))
}

// realistic returns a compact JSON object of at least n bytes shaped like a
// typical API response: nested objects, arrays, strings (some with escapes
// and non-ASCII text), integers, fractions, exponents, booleans and nulls.
// The output is deterministic.
func realistic(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"status":"ok","requestId":"c0ffee00-1234-4abc-9def-0123456789ab","items":[`)
	tags := []string{"alpha", "beta", "gamma", "delta", "epsilon"}
	for i := 0; b.Len() < n-60; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"sku":"SKU-%06d","name":"Item %d \"deluxe\" edition","price":%d.%02d,`, 1000+i, i*7919%1000000, i, 3+i*37%500, i*13%100)
		fmt.Fprintf(&b, `"ratio":%de-%d,"delta":-%d,"active":%t,"discount":null,`, 1+i%9, 1+i%5, i%17, i%3 != 0)
		fmt.Fprintf(&b, `"tags":["%s","%s"],"dims":{"w":%d,"h":%d,"unit":"cm"},`, tags[i%5], tags[(i+2)%5], 10+i%40, 20+i%30)
		fmt.Fprintf(&b, `"note":"line one\nline two\t\u00e9t\u00e9 caf\u00e9 -- r\u00e9sum\u00e9 na\u00efve 日本語","url":"https:\/\/example.com\/items\/%d"}`, i)
	}
	b.WriteString(`],"count":42,"next":null}`)
	return b.Bytes()
}

// proxyResult returns a Lambda proxy-integration result of at least n
// bytes: a small envelope around a large HTML body, encoded by json.Marshal
// (so '<', '>' and '&' become \u escapes and newlines become \n).
func proxyResult(n int) []byte {
	var body strings.Builder
	for i := 0; body.Len() < n; i++ {
		fmt.Fprintf(&body, "<tr class=\"row\"><td>%d</td><td>Caf\u00e9 &amp; cr\u00e8me br\u00fbl\u00e9e, order #%06d</td><td>%d.%02d EUR</td></tr>\n", i, i*7919%1000000, i%300, i%100)
	}
	out, err := json.Marshal(map[string]any{
		"statusCode":      200,
		"headers":         map[string]string{"Content-Type": "text/html; charset=utf-8", "Cache-Control": "max-age=60"},
		"isBase64Encoded": false,
		"body":            body.String(),
	})
	if err != nil {
		panic(err)
	}
	return out
}

// indented returns src pretty-printed with two-space indentation.
func indented(src []byte) []byte {
	var b bytes.Buffer
	if err := json.Indent(&b, src, "", "  "); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func BenchmarkValid(b *testing.B) {
	inputs := []struct {
		name string
		data []byte
	}{
		{"1KB", realistic(1 << 10)},
		{"1KB-indented", indented(realistic(1 << 10))},
		{"10KB", realistic(10 << 10)},
		{"1MB", realistic(1 << 20)},
		{"1MB-proxy-html", proxyResult(1 << 20)},
	}
	impls := []struct {
		name string
		f    func([]byte) bool
	}{
		{"jsonscan", Valid},
		{"encoding-json", json.Valid},
		{"jsonscan-ValidUTF8", ValidUTF8},
	}
	for _, in := range inputs {
		if !json.Valid(in.data) {
			b.Fatalf("%s: benchmark input is not valid JSON", in.name)
		}
		for _, impl := range impls {
			b.Run(in.name+"/"+impl.name, func(b *testing.B) {
				b.SetBytes(int64(len(in.data)))
				b.ReportAllocs()
				for b.Loop() {
					if !impl.f(in.data) {
						b.Fatal("input reported invalid")
					}
				}
			})
		}
	}
}
