package endpoint

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
)

// requestIDHeader is the header that carries a request's id: read from
// the client, returned to the client, and sent to every backend when the
// service asks for it (Options.SendRequestID).
const requestIDHeader = "X-Request-Id"

// maxRequestIDLen bounds an id taken from a client.
const maxRequestIDLen = 128

// requestID returns the request's id: the client's X-Request-Id when it is
// a sensible one (printable ASCII, at most 128 bytes), a new random one
// otherwise. It sets it on the response.
func requestID(w http.ResponseWriter, r *http.Request) string {
	id := r.Header.Get(requestIDHeader)
	if !validRequestID(id) {
		id = newRequestID()
	}
	w.Header()[requestIDHeader] = []string{id}
	return id
}

func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// newRequestID returns 128 random bits in hex. The ids need to be unique,
// not secret: the runtime's fast generator is enough.
func newRequestID() string {
	var raw [16]byte
	binary.LittleEndian.PutUint64(raw[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(raw[8:], rand.Uint64())
	var out [32]byte
	hex.Encode(out[:], raw[:])
	return string(out[:])
}
