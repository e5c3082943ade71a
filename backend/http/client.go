package http

import (
	"net"
	"net/http"
	"time"

	"github.com/lambdagate/lambdagate/config"
)

// newClient builds the client shared by HTTP backends from the
// service's connection settings.
func newClient(c config.HTTPClient) *http.Client {
	dialer := &net.Dialer{Timeout: c.DialerTimeout, KeepAlive: c.DialerKeepAlive}
	if dialer.Timeout == 0 {
		dialer.Timeout = 30 * time.Second
	}
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		DisableKeepAlives:     c.DisableKeepAlives,
		DisableCompression:    c.DisableCompression,
		MaxIdleConns:          c.MaxIdleConns,
		MaxIdleConnsPerHost:   c.MaxIdleConnsPerHost,
		IdleConnTimeout:       c.IdleConnTimeout,
		ResponseHeaderTimeout: c.ResponseHeaderTimeout,
		TLSHandshakeTimeout:   10 * time.Second,
	}
	if t.IdleConnTimeout == 0 {
		t.IdleConnTimeout = 90 * time.Second
	}
	return &http.Client{
		Transport: t,
		// Backends' redirects are followed, as KrakenD does.
	}
}
