package fastserver

import (
	"hash/maphash"
	"sync"

	"github.com/valyala/fasthttp"
)

// handoff carries the route name Config.Route gave a request from the
// header hook, which sees only the request's header, to serve, which sees
// its RequestCtx. fasthttp calls both for a request on its connection's
// goroutine, one after the other, with the same header
// (&ctx.Request.Header), which no other connection uses meanwhile.
//
// Headers share a fixed number of slots. A request whose slot another one
// took between its hook and its handler gets no name, and its handler
// routes it itself. A slot holds a header only until its request is
// served, or until a later one takes the slot, so that at most len(slots)
// headers of requests that failed before their handler stay referenced.
type handoff struct {
	seed  maphash.Seed
	slots [128]handoffSlot
}

type handoffSlot struct {
	mu     sync.Mutex
	header *fasthttp.RequestHeader
	name   string
}

func newHandoff() *handoff { return &handoff{seed: maphash.MakeSeed()} }

func (h *handoff) slot(header *fasthttp.RequestHeader) *handoffSlot {
	return &h.slots[maphash.Comparable(h.seed, header)%uint64(len(h.slots))]
}

// put keeps name for header's request; "" drops what the slot holds for
// header (a request before it that never reached its handler).
func (h *handoff) put(header *fasthttp.RequestHeader, name string) {
	sl := h.slot(header)
	sl.mu.Lock()
	if name != "" {
		sl.header, sl.name = header, name
	} else if sl.header == header {
		sl.header, sl.name = nil, ""
	}
	sl.mu.Unlock()
}

// take returns and forgets the name kept for header's request, "" when
// there is none.
func (h *handoff) take(header *fasthttp.RequestHeader) string {
	sl := h.slot(header)
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if sl.header != header {
		return ""
	}
	name := sl.name
	sl.header, sl.name = nil, ""
	return name
}
