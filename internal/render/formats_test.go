package render

import (
	"net/http/httptest"
	"testing"

	"github.com/lambdagate/lambdagate/proxy"
)

func TestRenderXMLAndYAML(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		encoding string
		resp     *proxy.Response
		wantType string
		wantBody string
	}{
		{"xml one key is the root", "xml", &proxy.Response{Data: data(t, `{"user": {"id": 7, "name": "Ann"}}`)}, xmlType,
			`<user><id>7</id><name>Ann</name></user>`},
		{"xml more keys under doc", "xml", &proxy.Response{Data: data(t, `{"b": "x", "a": [1, 2.50]}`)}, xmlType,
			`<doc><a>1</a><a>2.50</a><b>x</b></doc>`},
		{"xml attributes and text", "xml", &proxy.Response{Data: data(t, `{"a": {"-x": "1", "#text": "t"}}`)}, xmlType,
			`<a x="1">t</a>`},
		{"xml escapes", "xml", &proxy.Response{Data: data(t, `{"a": "<b> & 'c'"}`)}, xmlType,
			`<a>&lt;b&gt; &amp; &apos;c&apos;</a>`},
		{"xml nil", "xml", nil, xmlType, `<doc/>`},
		{"yaml", "yaml", &proxy.Response{Data: data(t, `{"b": "x", "a": [1, 2.50], "n": null, "t": true}`)}, "application/x-yaml; charset=utf-8",
			"a:\n    - 1\n    - 2.50\nb: x\n\"n\": null\nt: true\n"},
		{"yaml nil", "yaml", nil, "application/x-yaml; charset=utf-8", "{}\n"},
		{"yaml exact numbers", "yaml", &proxy.Response{Data: data(t, `{"big": 12345678901234567890, "e": 1e5, "neg": -3}`)}, "application/x-yaml; charset=utf-8",
			"big: 12345678901234567890\ne: 1e5\nneg: -3\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := New(tt.encoding)
			if err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			f(w, 203, tt.resp)
			if w.Code != 203 {
				t.Errorf("status = %d, want 203", w.Code)
			}
			if got := w.Header().Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
			if got := w.Body.String(); got != tt.wantBody {
				t.Errorf("body = %q\nwant   %q", got, tt.wantBody)
			}
		})
	}
}

// TestNegotiate checks which format the Accept header chooses, by
// KrakenD's (gin's) rule.
func TestNegotiate(t *testing.T) {
	t.Parallel()
	resp := &proxy.Response{Data: data(t, `{"a": 1}`)}
	tests := []struct {
		accept   string
		wantType string
	}{
		{"", jsonType},
		{"application/json", jsonType},
		{"application/xml", xmlType},
		{"text/plain", yamlType},
		{"text/plain; charset=utf-8", yamlType},
		{"*/*", jsonType},
		{"application/*", jsonType},
		{"text/*", yamlType},
		{"text/html, application/xml;q=0.9, */*;q=0.8", xmlType},
		{"application/xml;q=0.1, application/json", xmlType}, // q values are not weighed
		{" , text/plain", yamlType},
		{"text/xml", jsonType}, // not offered: JSON
		{"image/png", jsonType},
		{"application/yaml", jsonType},
		{"text", yamlType}, // a prefix of text/plain
	}
	for _, tt := range tests {
		t.Run(tt.accept, func(t *testing.T) {
			t.Parallel()
			w := httptest.NewRecorder()
			NegotiateFunc(tt.accept)(w, 200, resp)
			if got := w.Header().Get("Content-Type"); got != tt.wantType {
				t.Errorf("Accept %q: Content-Type = %q, want %q (body %q)", tt.accept, got, tt.wantType, w.Body.String())
			}
		})
	}
}
