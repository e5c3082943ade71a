package endpoint

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
)

// gzipFirst reports whether the request's Content-Encoding has gzip in
// the first position, the case KrakenD's decompress_gzip decompresses.
func gzipFirst(h http.Header) bool {
	v := h.Get("Content-Encoding")
	first, _, _ := strings.Cut(v, ",")
	return strings.EqualFold(strings.TrimSpace(first), "gzip")
}

// gunzip decompresses a gzip body (every member of it), refusing one that
// decompresses to more than limit bytes (413: the decompression-bomb
// bound is the endpoint's body limit, as KrakenD applies max_payload to
// the decompressed body) and one that is not gzip (400).
func gunzip(body []byte, limit int64) ([]byte, int) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, http.StatusBadRequest
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, http.StatusBadRequest
	}
	if int64(len(out)) > limit {
		return nil, http.StatusRequestEntityTooLarge
	}
	return out, 0
}

// dropFirstEncoding removes gzip, the first of the Content-Encoding the
// backends would receive (when input_headers let it through): the body
// they get is decompressed.
func dropFirstEncoding(h http.Header) {
	v := h.Get("Content-Encoding")
	if v == "" {
		return
	}
	_, rest, _ := strings.Cut(v, ",")
	if rest = strings.TrimSpace(rest); rest == "" {
		h.Del("Content-Encoding")
		return
	}
	h.Set("Content-Encoding", rest)
}
