package proxy

import (
	"errors"
	"testing"
)

func TestXMLAndRSSDecoders(t *testing.T) {
	t.Parallel()
	const rss = `<?xml version="1.0"?>
<rss version="2.0"><channel>
<title>News</title><description>All the news</description><language>en</language>
<copyright>c</copyright><image><url>http://img/x.png</url></image>
<item><title>First</title><link>http://x/1</link><guid>1</guid></item>
<item><title>Second</title><link>http://x/2</link></item>
</channel></rss>`
	tests := []struct {
		name         string
		encoding     string
		isCollection bool
		body         string
		want         string
		wantErr      error
	}{
		{"xml elements", "xml", false, `<user><id>7</id><name>Ann</name></user>`, `{"user":{"id":"7","name":"Ann"}}`, nil},
		{"xml attributes and text", "xml", false, `<a x="1"><b y="2">t</b></a>`, `{"a":{"-x":"1","b":{"#text":"t","-y":"2"}}}`, nil},
		{"xml repeated elements", "xml", false, `<list><i>1</i><i>2</i></list>`, `{"list":{"i":["1","2"]}}`, nil},
		{"xml declaration", "xml", false, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<r><v>x</v></r>\n", `{"r":{"v":"x"}}`, nil},
		{"xml collection", "xml", true, `<r><v>x</v></r>`, `{"collection":{"r":{"v":"x"}}}`, nil},
		{"xml invalid", "xml", false, `<r><v>x</r>`, "", ErrNotXML},
		{"xml empty", "xml", false, ``, "", ErrNotXML},
		{"xml not xml", "xml", false, `{"a":1}`, "", ErrNotXML},
		{"rss feed", "rss", false, rss, `{"author":null,"categories":null,"copyright":"c","custom":null,"description":"All the news","img_url":"http://img/x.png","items":[{"guid":"1","link":"http://x/1","links":["http://x/1"],"title":"First"},{"link":"http://x/2","links":["http://x/2"],"title":"Second"}],"language":"en","published":"","title":"News","type":"rss","updated":""}`, nil},
		{"rss not a feed", "rss", false, `<html><body>x</body></html>`, "", ErrNotXML},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dec, err := DecoderFor(tt.encoding, tt.isCollection)
			if err != nil || dec == nil {
				t.Fatalf("DecoderFor(%q) = %v, %v", tt.encoding, dec, err)
			}
			got, err := dec([]byte(tt.body))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("error = %v", err)
			}
			if s := marshal(t, got); s != tt.want {
				t.Errorf("data = %s\nwant   %s", s, tt.want)
			}
		})
	}
}

// FuzzDecodeXML checks that any body either decodes into data that
// marshals to JSON, or fails with ErrNotXML; it never panics.
func FuzzDecodeXML(f *testing.F) {
	for _, s := range []string{`<a x="1"><b>t</b><b>u</b></a>`, `<?xml version="1.0"?><r/>`, `<a><![CDATA[x]]></a>`, `<a>&amp;&lt;</a>`, ``, `<`, `<a><b></a>`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, dec := range []DecodeFunc{decodeXML, decodeXMLCollection, decodeRSS} {
			data, err := dec(body)
			if err != nil {
				if !errors.Is(err, ErrNotXML) {
					t.Fatalf("error %v does not wrap ErrNotXML", err)
				}
				continue
			}
			if data == nil {
				t.Fatal("nil data without an error")
			}
			marshal(t, data)
		}
	})
}
