package fastserver

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/valyala/fasthttp"
)

// patternEcho writes the request's Pattern.
var patternEcho = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Pattern) })

// nameUsers is a Config.Route that names the route of GET /users/{id}.
func nameUsers(method, path []byte) (string, int64) {
	if string(method) == "GET" && strings.HasPrefix(string(path), "/users/") {
		return "GET /users/{id}", 0
	}
	return "", 0
}

// TestRouteNameIsPattern: the name Config.Route gives a request reaches
// its handler as r.Pattern, unless its path holds escapes (the handler's
// URL.EscapedPath may then differ from what the hook saw).
func TestRouteNameIsPattern(t *testing.T) {
	t.Parallel()
	_, addr, _ := startFast(t, patternEcho, Config{Route: nameUsers})
	for _, tc := range []struct{ target, want string }{
		{"/users/42", "GET /users/{id}"},
		{"/users/42?q=1", "GET /users/{id}"},
		{"http://example.test/users/42", "GET /users/{id}"},
		{"/users/%41", ""},
		{"/other", ""},
	} {
		resp, _ := rawExchange(t, addr, get(tc.target), "GET", 0)
		if resp.Status != http.StatusOK || resp.Body != tc.want {
			t.Errorf("%s: status %d, Pattern %q; want %q", tc.target, resp.Status, resp.Body, tc.want)
		}
	}
}

// TestRouteNameNotKept: a pooled request does not keep the Pattern of the
// request before it, on the same connection or without Config.Route.
func TestRouteNameNotKept(t *testing.T) {
	t.Parallel()
	_, addr, _ := startFast(t, patternEcho, Config{Route: nameUsers})
	c := dial(t, addr)
	br := bufio.NewReader(c)
	for _, tc := range []struct{ target, want string }{
		{"/users/1", "GET /users/{id}"},
		{"/other", ""},
		{"/users/%41", ""},
		{"/users/2", "GET /users/{id}"},
	} {
		io.WriteString(c, get(tc.target))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.target, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != tc.want {
			t.Errorf("%s after the requests before it: Pattern %q, want %q", tc.target, b, tc.want)
		}
	}
	_, plain, _ := startFast(t, patternEcho, Config{})
	if resp, _ := rawExchange(t, plain, get("/users/1"), "GET", 0); resp.Body != "" {
		t.Errorf("without Config.Route: Pattern %q, want none", resp.Body)
	}
}

// collidingHeaders returns n request headers that share one handoff slot.
func collidingHeaders(h *handoff, n int) []*fasthttp.RequestHeader {
	bySlot := map[*handoffSlot][]*fasthttp.RequestHeader{}
	for {
		hdr := new(fasthttp.RequestHeader)
		sl := h.slot(hdr)
		bySlot[sl] = append(bySlot[sl], hdr)
		if len(bySlot[sl]) == n {
			return bySlot[sl]
		}
	}
}

func TestHandoff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(h *handoff, a, b *fasthttp.RequestHeader) (gotA, gotB string)
		a, b string
	}{
		{"a name is taken once", func(h *handoff, a, _ *fasthttp.RequestHeader) (string, string) {
			h.put(a, "A")
			first := h.take(a)
			return first, h.take(a)
		}, "A", ""},
		{"a request whose slot was taken gets none", func(h *handoff, a, b *fasthttp.RequestHeader) (string, string) {
			h.put(a, "A")
			h.put(b, "B")
			return h.take(a), h.take(b)
		}, "", "B"},
		{"no name drops the header's earlier one", func(h *handoff, a, _ *fasthttp.RequestHeader) (string, string) {
			h.put(a, "A")
			h.put(a, "")
			return h.take(a), ""
		}, "", ""},
		{"no name keeps another header's", func(h *handoff, a, b *fasthttp.RequestHeader) (string, string) {
			h.put(b, "B")
			h.put(a, "")
			return h.take(a), h.take(b)
		}, "", "B"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandoff()
			hdrs := collidingHeaders(h, 2)
			if a, b := tt.run(h, hdrs[0], hdrs[1]); a != tt.a || b != tt.b {
				t.Errorf("took %q and %q, want %q and %q", a, b, tt.a, tt.b)
			}
		})
	}
}

// TestHandoffConcurrent: under -race, requests in flight on many
// connections never take another's name.
func TestHandoffConcurrent(t *testing.T) {
	t.Parallel()
	h := newHandoff()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hdr := new(fasthttp.RequestHeader)
			name := fmt.Sprint("route-", g)
			for i := 0; i < 2000; i++ {
				h.put(hdr, name)
				if got := h.take(hdr); got != name && got != "" {
					t.Errorf("goroutine %d took %q", g, got)
					return
				}
			}
		}()
	}
	wg.Wait()
}
