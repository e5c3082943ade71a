package config

import (
	"encoding/json"
	"os"
)

// DefaultMaxIdleConnsPerHost keeps enough connections alive to each backend
// host for a busy gateway (Go's own default is 2).
const DefaultMaxIdleConnsPerHost = 250

func parseHTTPClient(o *object, c *HTTPClient) {
	c.MaxIdleConnsPerHost = DefaultMaxIdleConnsPerHost
	o.duration("dialer_timeout", &c.DialerTimeout)
	o.duration("dialer_keep_alive", &c.DialerKeepAlive)
	o.boolean("disable_keep_alives", &c.DisableKeepAlives)
	o.boolean("disable_compression", &c.DisableCompression)
	o.integer("max_idle_connections", &c.MaxIdleConns)
	o.integer("max_idle_connections_per_host", &c.MaxIdleConnsPerHost)
	o.duration("idle_connection_timeout", &c.IdleConnTimeout)
	o.duration("response_header_timeout", &c.ResponseHeaderTimeout)
	if c.MaxIdleConns < 0 {
		o.errs.Add("max_idle_connections", "must not be negative")
	}
	if c.MaxIdleConnsPerHost < 0 {
		o.errs.Add("max_idle_connections_per_host", "must not be negative")
	}
}

func parseTLS(root *object, dst **TLS) {
	raw, ok := root.get("tls")
	if !ok {
		return
	}
	o, ok := newObject("tls", raw, root.errs, root.warns)
	if !ok {
		return
	}
	o.expect(TLSObject)
	t := &TLS{MinVersion: "TLS12", MaxVersion: "TLS13"}
	o.boolean("disabled", &t.Disabled)
	o.str("public_key", &t.PublicKey)
	o.str("private_key", &t.PrivateKey)
	o.str("min_version", &t.MinVersion)
	o.str("max_version", &t.MaxVersion)
	pairAt := "tls"
	if parseKeyPairs(o, t) {
		pairAt = "tls.keys[0]"
	}
	o.done(unsupportedTLS)
	*dst = t
	if t.Disabled {
		return
	}
	for _, f := range []struct{ key, file string }{{"public_key", t.PublicKey}, {"private_key", t.PrivateKey}} {
		p := Join(pairAt, f.key)
		if f.file == "" {
			o.errs.Add(p, "is missing: give the PEM file's path")
			continue
		}
		if _, err := os.Stat(f.file); err != nil {
			o.errs.Add(p, "cannot read %s: %v", f.file, err)
		}
	}
	for _, v := range []struct{ key, val string }{{"min_version", t.MinVersion}, {"max_version", t.MaxVersion}} {
		if v.val != "TLS12" && v.val != "TLS13" {
			o.errs.Add(Join("tls", v.key), "%q is not allowed: use TLS12 or TLS13 (older versions are insecure)", v.val)
		}
	}
	if t.MinVersion == "TLS13" && t.MaxVersion == "TLS12" {
		o.errs.Add("tls.max_version", "is below min_version")
	}
}

// parseKeyPairs reads KrakenD's tls.keys, the array of key pairs that its
// current schema writes instead of public_key and private_key: one pair is
// served as they are; more are refused, as lambdagate serves one
// certificate and would answer the other domains' handshakes with it.
// It reports whether the pair came from tls.keys.
func parseKeyPairs(o *object, t *TLS) bool {
	raw, ok := o.get("keys")
	if !ok {
		return false
	}
	var pairs []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &pairs); err != nil {
		o.errs.Add("tls.keys", "must be an array of objects with public_key and private_key, got %s", jsonKind(raw))
		return false
	}
	switch {
	case len(pairs) == 0:
		o.errs.Add("tls.keys", "is empty: give one key pair, {\"public_key\": \"cert.pem\", \"private_key\": \"key.pem\"}")
		return false
	case len(pairs) > 1:
		o.errs.Add("tls.keys", "holds %d key pairs, but lambdagate serves one certificate: keep one pair (other domains would get a certificate that is not theirs)", len(pairs))
		return false
	case t.PublicKey != "" || t.PrivateKey != "":
		o.errs.Add("tls.keys", "and tls.public_key/private_key are both set: keep one of them")
		return false
	}
	for k, v := range pairs[0] {
		p := "tls.keys[0]." + k
		var dst *string
		switch k {
		case "public_key":
			dst = &t.PublicKey
		case "private_key":
			dst = &t.PrivateKey
		default:
			if !IsComment(k) {
				o.errs.Add(p, "unknown key (a key pair has public_key and private_key)")
			}
			continue
		}
		if err := json.Unmarshal(v, dst); err != nil {
			o.errs.Add(p, "must be a string, got %s", jsonKind(v))
		}
	}
	return true
}
