package lambdalocal

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// newRequestID returns a random (version 4) UUID, the form of Lambda's
// request ids.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// newTraceID returns an X-Ray trace header value, as Lambda passes in
// Lambda-Runtime-Trace-Id: Root=1-<epoch hex>-<96-bit hex>;Parent=<64-bit hex>;Sampled=0.
func newTraceID() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), hex.EncodeToString(b[:12]), hex.EncodeToString(b[12:]))
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// maxTraceHeader bounds an X-Amzn-Trace-Id taken from a caller.
const maxTraceHeader = 256

// validTraceHeader reports whether h can be passed to a function as its
// trace: an X-Ray header (Root=...) of printable ASCII, bounded.
func validTraceHeader(h string) bool {
	if len(h) > maxTraceHeader || !strings.HasPrefix(h, "Root=") {
		return false
	}
	for i := 0; i < len(h); i++ {
		if h[i] <= ' ' || h[i] >= 0x7f {
			return false
		}
	}
	return true
}
