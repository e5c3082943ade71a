package fakelambda_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/lambdagate/lambdagate/internal/fakelambda"
	"github.com/lambdagate/lambdagate/internal/lambdaapi"
)

// post sends body to url and returns the status, headers and body.
func post(t *testing.T, url, body string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// TestNew: the benchmarks' handler answers by name and counts Invoke calls
// and connections, and nothing else.
func TestNew(t *testing.T) {
	fake := fakelambda.New(100)
	defer fake.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: fake, ConnState: fake.ConnState}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	for _, tc := range []struct{ name, body, want string }{
		{"anything", "{}", string(fakelambda.Result(100))},
		{"size-40", "{}", string(fakelambda.Result(40))},
		{"size-x", "{}", string(fakelambda.Result(100))},
		{"echo", `{"a":1}`, `{"a":1}`},
		{"echo", "", "{}"},
		{"ok", "{}", fakelambda.OKBody},
	} {
		status, h, body := post(t, base+lambdaapi.EscapedInvokePath(tc.name), tc.body)
		if status != 200 || body != tc.want || h.Get(lambdaapi.HeaderExecutedVersion) != lambdaapi.LatestVersion || h.Get(lambdaapi.HeaderRequestID) == "" {
			t.Errorf("%s: %d %q %v, want 200 %q", tc.name, status, body, h, tc.want)
		}
	}
	if len(fakelambda.Result(100)) != 100 {
		t.Errorf("Result(100) is %d bytes", len(fakelambda.Result(100)))
	}
	if status, _, _ := post(t, base+"/fault/"+fakelambda.Throttle, ""); status != 429 {
		t.Errorf("HTTP throttle: %d", status)
	}
	resp, err := http.Get(base + fakelambda.StatsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st fakelambda.Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if st != fake.Stats() || st.Requests != 6 || st.Connections < 1 {
		t.Errorf("stats %+v, Stats() %+v; want 6 requests", st, fake.Stats())
	}
	if fake.Attempts("echo") != 0 || fake.Calls() != nil || fake.InFlight() != 0 {
		t.Error("New records calls")
	}
}

// TestStartFunc: every Invoke call goes to the reply with its attempt
// number, and is recorded; other requests are answered by name.
func TestStartFunc(t *testing.T) {
	fake := fakelambda.StartFunc(func(w http.ResponseWriter, c fakelambda.Call, attempt int) {
		w.Header().Set(lambdaapi.HeaderFunctionError, lambdaapi.FunctionErrorHandled)
		io.WriteString(w, c.Name+" "+string(c.Body)+" "+strings.Repeat("+", attempt))
	})
	defer fake.Close()
	fn := "arn:aws:lambda:us-east-1:123456789012:function:f:live"
	for i, want := range []string{fn + " {} +", fn + " {} ++"} {
		status, h, body := post(t, fake.URL+lambdaapi.EscapedInvokePath(fn)+"?Qualifier=live", "{}")
		if status != 200 || body != want || h.Get(lambdaapi.HeaderFunctionError) != lambdaapi.FunctionErrorHandled {
			t.Errorf("call %d: %d %q, want %q", i+1, status, body, want)
		}
	}
	if _, _, body := post(t, fake.URL+"/fault/anything", "x"); body != fakelambda.OKBody {
		t.Errorf("HTTP call: %q", body)
	}
	calls := fake.Calls()
	if len(calls) != 3 || fake.Attempts(fn) != 2 || fake.Attempts("anything") != 1 || fake.Stats().Requests != 2 {
		t.Fatalf("calls %+v, attempts %d", calls, fake.Attempts(fn))
	}
	c := calls[0]
	if c.Name != fn || c.Path != lambdaapi.EscapedInvokePath(fn) || c.Query != "Qualifier=live" || !c.Lambda || string(c.Body) != "{}" || c.Header.Get("Content-Type") != "application/json" {
		t.Errorf("first call %+v", c)
	}
	if c := calls[2]; c.Lambda || c.Name != "anything" || c.Path != "/fault/anything" || string(c.Body) != "x" {
		t.Errorf("HTTP call %+v", c)
	}
	fake.Reset()
	if fake.Calls() != nil || fake.Attempts(fn) != 0 || fake.Stats().Requests != 2 {
		t.Error("Reset kept calls, or forgot Stats")
	}
}
