package apigw

import "testing"

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	a, b := RequestID(), RequestID()
	if a == b || len(a) != 36 || a[14] != '4' || a[8] != '-' || a[23] != '-' {
		t.Errorf("request ids %q %q", a, b)
	}
}

func TestClientParts(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"192.0.2.7:5000": "192.0.2.7", "[2001:db8::1]:80": "2001:db8::1", "pipe": "pipe"} {
		if got := SourceIP(in); got != want {
			t.Errorf("SourceIP(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"api.example.com": "api", "api.example.com:8080": "api", "localhost": "localhost", "": ""} {
		if got := DomainPrefix(in); got != want {
			t.Errorf("DomainPrefix(%q) = %q, want %q", in, got, want)
		}
	}
}
