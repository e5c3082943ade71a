// Package apigw holds the conventions of the API Gateway events lambdagate
// writes for functions: the Lambda backend's payloads (backend/lambda) and
// the Lambda authorizers' events (auth/authorizer) name the API, the stage
// and the time, and describe the client, the same way.
package apigw

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"strings"
)

// The API and stage the events name, unless configured otherwise.
const (
	APIID = "lambdagate"
	Stage = "$default"
)

// TimeFormat is API Gateway's requestTime (and payload 2.0 time) format.
const TimeFormat = "02/Jan/2006:15:04:05 -0700"

// RequestID returns a random UUID (version 4) for requestContext.
func RequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// SourceIP is the client's IP of a remote address (ip:port).
func SourceIP(remoteAddr string) string {
	if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return host
	}
	return remoteAddr
}

// DomainPrefix is the first label of a Host ("api" for api.example.com).
func DomainPrefix(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if i := strings.IndexByte(host, '.'); i > 0 {
		return host[:i]
	}
	return host
}
