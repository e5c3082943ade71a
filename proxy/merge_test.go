package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// fixed returns a backend that answers data after delay, or fails with err.
func fixed(delay time.Duration, data map[string]any, err error) Proxy {
	return func(ctx context.Context, _ *Request) (*Response, error) {
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if err != nil {
			return nil, err
		}
		return &Response{Data: data, IsComplete: true}, nil
	}
}

func TestConcurrentMerge(t *testing.T) {
	t.Parallel()
	errA := errors.New("a failed")
	errB := errors.New("b failed")
	tests := []struct {
		name         string
		backends     []Proxy
		timeout      time.Duration
		wantData     string // "" for a nil response
		wantComplete bool
		wantErrs     []error // the MergeError's errors; nil for no error
	}{
		{"disjoint", []Proxy{
			fixed(0, map[string]any{"a": 1}, nil),
			fixed(0, map[string]any{"b": 2}, nil),
		}, time.Second, `{"a":1,"b":2}`, true, nil},
		{"later backend wins although it answers first", []Proxy{
			fixed(30*time.Millisecond, map[string]any{"k": "first", "a": 1}, nil),
			fixed(0, map[string]any{"k": "second"}, nil),
		}, time.Second, `{"a":1,"k":"second"}`, true, nil},
		{"later backend wins when it answers last", []Proxy{
			fixed(0, map[string]any{"k": "first"}, nil),
			fixed(30*time.Millisecond, map[string]any{"k": "second"}, nil),
		}, time.Second, `{"k":"second"}`, true, nil},
		{"one failed: partial", []Proxy{
			fixed(0, map[string]any{"a": 1}, nil),
			fixed(0, nil, errB),
		}, time.Second, `{"a":1}`, false, []error{errB}},
		{"one timed out: partial", []Proxy{
			fixed(0, map[string]any{"a": 1}, nil),
			fixed(5*time.Second, map[string]any{"b": 2}, nil),
		}, 50 * time.Millisecond, `{"a":1}`, false, []error{context.DeadlineExceeded}},
		{"all failed: nil", []Proxy{
			fixed(0, nil, errA),
			fixed(0, nil, errB),
		}, time.Second, "", false, []error{errA, errB}},
		{"three, middle failed", []Proxy{
			fixed(0, map[string]any{"a": 1}, nil),
			fixed(0, nil, errA),
			fixed(0, map[string]any{"c": 3}, nil),
		}, time.Second, `{"a":1,"c":3}`, false, []error{errA}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			resp, err := NewConcurrentMerge(tt.backends)(ctx, &Request{})
			if tt.wantData == "" {
				if resp != nil {
					t.Fatalf("resp = %+v, want nil", resp)
				}
			} else {
				if resp == nil {
					t.Fatalf("resp = nil, err %v", err)
				}
				if got := marshal(t, resp.Data); got != tt.wantData {
					t.Errorf("data = %s, want %s", got, tt.wantData)
				}
				if resp.IsComplete != tt.wantComplete {
					t.Errorf("IsComplete = %v, want %v", resp.IsComplete, tt.wantComplete)
				}
			}
			if tt.wantErrs == nil {
				if err != nil {
					t.Errorf("err = %v, want nil", err)
				}
				return
			}
			var me *MergeError
			if !errors.As(err, &me) {
				t.Fatalf("err = %T %v, want *MergeError", err, err)
			}
			if len(me.Errs) != len(tt.wantErrs) {
				t.Fatalf("errors = %v, want %v", me.Errs, tt.wantErrs)
			}
			for i := range me.Errs {
				if !errors.Is(me.Errs[i], tt.wantErrs[i]) {
					t.Errorf("error %d = %v, want %v", i, me.Errs[i], tt.wantErrs[i])
				}
			}
		})
	}
}

func TestConcurrentMergeRunsAtOnce(t *testing.T) {
	t.Parallel()
	// Each backend waits until all three are running: only a merge that
	// calls them at once can finish before the 5 s guard.
	var arrived sync.WaitGroup
	arrived.Add(3)
	all := make(chan struct{})
	go func() { arrived.Wait(); close(all) }()
	slow := func(ctx context.Context, _ *Request) (*Response, error) {
		arrived.Done()
		select {
		case <-all:
			return &Response{Data: map[string]any{}, IsComplete: true}, nil
		case <-time.After(5 * time.Second):
			return nil, errors.New("the other backends never started: calls are not concurrent")
		}
	}
	if _, err := NewConcurrentMerge([]Proxy{slow, slow, slow})(context.Background(), &Request{}); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentMergeSingleIsTheBackend(t *testing.T) {
	t.Parallel()
	b := func(context.Context, *Request) (*Response, error) {
		return &Response{Metadata: Metadata{StatusCode: 201}, IsComplete: true}, nil
	}
	resp, _ := NewConcurrentMerge([]Proxy{b})(context.Background(), &Request{})
	if resp.Metadata.StatusCode != 201 {
		t.Errorf("single backend's metadata lost: %+v", resp)
	}
}

func TestMergeIncompleteBackend(t *testing.T) {
	t.Parallel()
	partial := func(context.Context, *Request) (*Response, error) {
		return &Response{Data: map[string]any{"b": 1}, IsComplete: false}, nil
	}
	resp, err := NewConcurrentMerge([]Proxy{fixed(0, map[string]any{"a": 1}, nil), partial})(context.Background(), &Request{})
	if err != nil || resp.IsComplete {
		t.Errorf("resp = %+v, err %v; want incomplete, no error", resp, err)
	}
}

func TestSequentialMerge(t *testing.T) {
	t.Parallel()
	var (
		mu   sync.Mutex
		seen []Params
	)
	record := func(data map[string]any, err error) Proxy {
		return func(_ context.Context, r *Request) (*Response, error) {
			mu.Lock()
			seen = append(seen, r.Params)
			mu.Unlock()
			if err != nil {
				return nil, err
			}
			return &Response{Data: data, IsComplete: true}, nil
		}
	}
	user := decodeData(t, `{"id": 42, "profile": {"slug": "ann"}, "n": 1.50}`)
	needs := [][]SequentialParam{{
		{Name: "resp0_id", Backend: 0, Path: "id", Slot: 1},
		{Name: "resp0_profile.slug", Backend: 0, Path: "profile.slug", Slot: 2},
	}, nil, nil}
	req := &Request{Params: Params{"u1"}}
	resp, err := NewSequentialMerge([]Proxy{
		record(user, nil),
		record(map[string]any{"second": true, "id": "override"}, nil),
		record(map[string]any{"third": true}, nil),
	}, needs)(context.Background(), req)
	if err != nil || !resp.IsComplete {
		t.Fatalf("resp = %+v, err %v", resp, err)
	}
	if got, want := marshal(t, resp.Data), `{"id":"override","n":1.50,"profile":{"slug":"ann"},"second":true,"third":true}`; got != want {
		t.Errorf("data = %s, want %s", got, want)
	}
	wantLater := Params{"u1", "42", "ann"}
	if !reflect.DeepEqual(seen[0], Params{"u1"}) {
		t.Errorf("backend 0 saw %v", seen[0])
	}
	for i := 1; i < 3; i++ {
		if !reflect.DeepEqual(seen[i], wantLater) {
			t.Errorf("backend %d saw %v, want %v", i, seen[i], wantLater)
		}
	}
	if len(req.Params) != 1 {
		t.Errorf("the caller's request was changed: %v", req.Params)
	}
}

func TestSequentialMergeStops(t *testing.T) {
	t.Parallel()
	calls := 0
	counting := func(data map[string]any, err error) Proxy {
		return func(context.Context, *Request) (*Response, error) {
			calls++
			if err != nil {
				return nil, err
			}
			return &Response{Data: data, IsComplete: true}, nil
		}
	}
	boom := errors.New("boom")
	tests := []struct {
		name      string
		backends  []Proxy
		needs     [][]SequentialParam
		wantCalls int
		wantData  string
		wantErr   string
	}{
		{"failure stops the chain", []Proxy{
			counting(map[string]any{"a": 1}, nil), counting(nil, boom), counting(map[string]any{"c": 1}, nil),
		}, nil, 2, `{"a":1}`, "boom"},
		{"first failed: nothing", []Proxy{counting(nil, boom), counting(map[string]any{"b": 1}, nil)}, nil, 1, "", "boom"},
		{"missing field stops the chain", []Proxy{
			counting(map[string]any{"a": 1}, nil), counting(map[string]any{"b": 1}, nil),
		}, [][]SequentialParam{{{Name: "resp0_id", Backend: 0, Path: "id", Slot: 0}}}, 1, `{"a":1}`,
			`sequential: {resp0_id}: backend 0's response has no "id"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls = 0
			resp, err := NewSequentialMerge(tt.backends, tt.needs)(context.Background(), &Request{})
			if calls != tt.wantCalls {
				t.Errorf("calls = %d, want %d", calls, tt.wantCalls)
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
			if tt.wantData == "" {
				if resp != nil {
					t.Errorf("resp = %+v, want nil", resp)
				}
				return
			}
			if resp == nil || resp.IsComplete || marshal(t, resp.Data) != tt.wantData {
				t.Errorf("resp = %+v, want incomplete %s", resp, tt.wantData)
			}
		})
	}
}

func TestScalarString(t *testing.T) {
	t.Parallel()
	n := decodeData(t, `{"n": 1.50, "s": "x y", "b": true, "z": null}`)
	for k, want := range map[string]string{"n": "1.50", "s": "x y", "b": "true", "z": ""} {
		if got := ScalarString(n[k]); got != want {
			t.Errorf("ScalarString(%s) = %q, want %q", k, got, want)
		}
	}
}

type relayErr struct{}

func (relayErr) Error() string     { return "relay" }
func (relayErr) ClientStatus() int { return 418 }

func TestStatusFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"plain", errors.New("x"), 500},
		{"backend error", &BackendError{StatusCode: 404}, 500},
		{"backend error relayed", &BackendError{StatusCode: 404, Relay: true}, 404},
		{"backend error fail status", &BackendError{StatusCode: 500, FailStatus: 502}, 502},
		{"status error", &StatusError{Status: 429, Err: errors.New("slow down")}, 429},
		{"wrapped", fmt.Errorf("ctx: %w", &StatusError{Status: 504, Err: context.DeadlineExceeded}), 504},
		{"merge: first client error decides", &MergeError{Errs: []error{errors.New("x"), &BackendError{StatusCode: 403, Relay: true}, relayErr{}}}, 403},
		{"merge: none", &MergeError{Errs: []error{errors.New("x")}}, 500},
		{"custom", relayErr{}, 418},
	}
	for _, tt := range tests {
		if got := StatusFor(tt.err); got != tt.want {
			t.Errorf("%s: StatusFor = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestErrorTexts(t *testing.T) {
	t.Parallel()
	be := &BackendError{Backend: "http://h/x", StatusCode: 404, Body: []byte("nf"), ContentType: "text/plain"}
	if be.Error() != "backend http://h/x answered status 404" {
		t.Errorf("BackendError = %q", be.Error())
	}
	if b, ct, ok := be.RelayedBody(); ok || string(b) != "nf" || ct != "text/plain" {
		t.Errorf("RelayedBody unrelayed = %q %q %v", b, ct, ok)
	}
	be.Relay = true
	if _, _, ok := be.RelayedBody(); !ok {
		t.Error("RelayedBody relayed: ok = false")
	}
	se := &StatusError{Status: 429, Header: http.Header{"Retry-After": {"1"}}, Err: errors.New("throttled")}
	if se.Error() != "throttled" || se.Header.Get("Retry-After") != "1" || !errors.Is(se, se.Err) {
		t.Errorf("StatusError = %q", se.Error())
	}
	me := &MergeError{Errs: []error{errors.New("a"), errors.New("b")}}
	if !strings.EqualFold(me.Error(), "a; b") {
		t.Errorf("MergeError = %q", me.Error())
	}
}

func TestRequestClone(t *testing.T) {
	t.Parallel()
	r := &Request{Params: Params{"1"}, Query: map[string][]string{"q": {"1"}}, Headers: http.Header{"X": {"1"}}, Body: []byte("b")}
	c := r.Clone()
	c.Params[0] = "2"
	c.Query["q"][0] = "2"
	c.Headers.Set("X", "2")
	if r.Params[0] != "1" || r.Query["q"][0] != "1" || r.Headers.Get("X") != "1" {
		t.Errorf("Clone shares maps: %+v", r)
	}
	if (&Request{}).Clone().Query != nil {
		t.Error("Clone of a nil Query is not nil")
	}
}

func TestParams(t *testing.T) {
	t.Parallel()
	p := Params{"a", "b"}
	for slot, want := range map[int]string{0: "a", 1: "b", 2: "", -1: ""} {
		if got := p.Value(slot); got != want {
			t.Errorf("Value(%d) = %q, want %q", slot, got, want)
		}
	}
	tests := []struct {
		name string
		slot int
		want Params
	}{
		{"the next slot", 2, Params{"a", "b", "v"}},
		{"a set slot", 0, Params{"v", "b"}},
		{"past the next slot", 3, Params{"a", "b", "", "v"}},
	}
	for _, tt := range tests {
		if got := (Params{"a", "b"}).set(tt.slot, "v"); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: set(%d) = %q, want %q", tt.name, tt.slot, got, tt.want)
		}
	}
}

// TestSequentialPropagated holds the params KrakenD's
// sequential_propagated_params set: optional ones left unset when the
// field is missing (the chain goes on), an array joined by commas, and
// respN the whole payload of a backend that was not decoded.
func TestSequentialPropagated(t *testing.T) {
	t.Parallel()
	var seen Params
	last := func(_ context.Context, r *Request) (*Response, error) {
		seen = r.Params
		return &Response{Data: map[string]any{"last": true}, IsComplete: true}, nil
	}
	tests := []struct {
		name  string
		first *Response
		needs []SequentialParam
		want  Params
	}{
		{"optional missing field: unset", &Response{Data: map[string]any{"a": 1}, IsComplete: true},
			[]SequentialParam{{Name: "resp0_nope", Path: "nope", Slot: 0, Optional: true}}, nil},
		{"array joined by commas", &Response{Data: decodeData(t, `{"tags": ["x", 2, true]}`), IsComplete: true},
			[]SequentialParam{{Name: "resp0_tags", Path: "tags", Slot: 0, Optional: true}}, Params{"x,2,true"}},
		{"whole payload of raw bytes", &Response{Raw: []byte(`<a>1</a>`), IsComplete: true},
			[]SequentialParam{{Name: "resp0", Slot: 0, Optional: true}}, Params{"<a>1</a>"}},
		{"whole payload of a stream", &Response{Body: io.NopCloser(strings.NewReader("streamed")), IsComplete: true},
			[]SequentialParam{{Name: "resp0", Slot: 0, Optional: true}}, Params{"streamed"}},
		{"whole payload of decoded data: unset", &Response{Data: map[string]any{"a": 1}, IsComplete: true},
			[]SequentialParam{{Name: "resp0", Slot: 0, Optional: true}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen = nil
			first := func(context.Context, *Request) (*Response, error) { return tt.first, nil }
			resp, err := NewSequentialMerge([]Proxy{first, last}, [][]SequentialParam{tt.needs, nil})(context.Background(), &Request{})
			if err != nil || resp == nil || !resp.IsComplete {
				t.Fatalf("resp %+v, err %v: the chain stopped", resp, err)
			}
			if !reflect.DeepEqual(seen, tt.want) {
				t.Errorf("the second backend saw params %q, want %q", seen, tt.want)
			}
		})
	}
}
