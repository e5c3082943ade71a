package proxy

// hopByHop lists the headers that describe one connection, not the message
// (RFC 9110, section 7.6.1), by canonical name.
var hopByHop = map[string]bool{
	"Connection":          true,
	"Proxy-Connection":    true,
	"Keep-Alive":          true,
	"Proxy-Authenticate":  true,
	"Proxy-Authorization": true,
	"Te":                  true,
	"Trailer":             true,
	"Transfer-Encoding":   true,
	"Upgrade":             true,
}

// HopByHop reports whether the canonical header name k describes one
// connection rather than the message: a proxy must not pass it on.
func HopByHop(k string) bool { return hopByHop[k] }
