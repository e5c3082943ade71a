package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/clbanning/mxj/v2"
	"github.com/mmcdole/gofeed"
)

// Encodings of replies that are not JSON, decoded into data as KrakenD's
// xml and rss encodings decode them.
const (
	EncodingXML = "xml"
	EncodingRSS = "rss"
)

// ErrNotXML reports a body that is not the XML (or the feed) its encoding
// expects.
var ErrNotXML = fmt.Errorf("body is not valid XML")

// decodeXML turns an XML document into data as mxj maps it (KrakenD's
// rule): the root element is the one key, an element's text is a string,
// an attribute is a key with a "-" before its name, a repeated element a
// list, and an element with both attributes and text keeps its text under
// "#text".
func decodeXML(body []byte) (map[string]any, error) {
	m, err := mxj.NewMapXml(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotXML, err)
	}
	return map[string]any(m), nil
}

// decodeXMLCollection puts the whole document under "collection", as
// KrakenD's xml encoding does with is_collection.
func decodeXMLCollection(body []byte) (map[string]any, error) {
	m, err := decodeXML(body)
	if err != nil {
		return nil, err
	}
	return map[string]any{"collection": m}, nil
}

// decodeRSS turns an RSS, Atom or JSON feed into data with KrakenD's keys:
// items, author, categories, custom, copyright, description, type,
// language, title, published, updated and, when the feed has an image,
// img_url. Items and author are written as the feed parser's JSON names
// them, so that shaping sees the same fields the client gets.
func decodeRSS(body []byte) (map[string]any, error) {
	// A parser holds state while it parses: one per reply.
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w feed: %v", ErrNotXML, err)
	}
	out := map[string]any{
		"items":       feed.Items,
		"author":      feed.Author,
		"categories":  feed.Categories,
		"custom":      feed.Custom,
		"copyright":   feed.Copyright,
		"description": feed.Description,
		"type":        feed.FeedType,
		"language":    feed.Language,
		"title":       feed.Title,
		"published":   feed.Published,
		"updated":     feed.Updated,
	}
	if feed.Image != nil {
		out["img_url"] = feed.Image.URL
	}
	// The parser's structs become plain data (maps, lists, json.Number),
	// as every other stage expects.
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("%w feed: %v", ErrNotXML, err)
	}
	v, err := parseJSON(b)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}
