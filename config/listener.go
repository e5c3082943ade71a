package config

import (
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
	o.done(unsupportedTLS)
	*dst = t
	if t.Disabled {
		return
	}
	for _, f := range []struct{ key, file string }{{"public_key", t.PublicKey}, {"private_key", t.PrivateKey}} {
		p := Join("tls", f.key)
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
