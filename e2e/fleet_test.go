package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/internal/redistest"
	"github.com/lambdagate/lambdagate/internal/syncbuf"
)

// The fleet's figures (docs/fleet.md): the shared limit, the load, the
// bounds.
const (
	fleetRate      = 50              // max_rate, per second, for the whole fleet
	fleetCapacity  = 5               // capacity: the burst
	fleetReplicas  = 3               // lambdagate processes behind HAProxy
	fleetClients   = 8               // concurrent clients
	fleetLoad      = 4 * time.Second // each loaded phase; the first second is not measured
	fleetDown      = 2 * time.Second // the phase with Redis stopped
	fleetPause     = 5 * time.Millisecond
	fleetMaxPerCli = 4000             // requests per client and phase, at most
	fleetAnswerIn  = 2 * time.Second  // every request answers within it
	fleetTolerance = 0.10             // the accepted rate within 10% of max_rate
	fleetClientTO  = 10 * time.Second // a client's timeout: past it, a request hung
)

// TestFleetSharesOneRedisLimitBehindHAProxy runs a fleet: a real
// redis-server, three `lambdagate run` processes with the same
// configuration (qos/ratelimit/router/redis, max_rate 50/s, on an endpoint
// backed by an HTTP server), and a real HAProxy balancing round robin over
// them. Under load spread over the replicas, the fleet accepts 50/s within
// 10%; with Redis stopped, on_failure_allow false answers 503 (without
// Retry-After) to every request, quickly; with Redis back, the shared limit
// holds again.
func TestFleetSharesOneRedisLimitBehindHAProxy(t *testing.T) {
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("haproxy is not installed, and CI is set: install Debian's haproxy (scripts/test.sh does)")
		}
		t.Skip("haproxy is not installed (apt-get install haproxy): skipped; with CI set this fails")
	}
	srv := redistest.Start(t) // skips, or fails with CI set, without redis-server

	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(be.Close)

	cfg := fmt.Sprintf(`{"version": 3, "host": [%q],
		"extra_config": {"redis": {"connection_pools": [{"name": "fleet", "address": %q}]}},
		"endpoints": [{"endpoint": "/limited",
			"extra_config": {"qos/ratelimit/router/redis": {"connection_name": "fleet", "on_failure_allow": false,
				"max_rate": %d, "capacity": %d, "every": "1s"}},
			"backend": [{"url_pattern": "/ok"}]}]}`, be.URL, srv.Addr(), fleetRate, fleetCapacity)
	var servers []string
	for i := range fleetReplicas {
		g := startGateway(t, cfg)
		u, err := url.Parse(g.URL)
		if err != nil {
			t.Fatal(err)
		}
		servers = append(servers, fmt.Sprintf("    server g%d %s", i+1, u.Host))
	}
	lb := startHAProxy(t, haproxy, servers)
	target := lb + "/limited"

	// Phase 1: the shared limit under load spread over the replicas.
	up := fleetLoadPhase(t, target, fleetLoad)
	up.check(t, "Redis up", false)
	up.checkRate(t, "Redis up")

	// Phase 2: Redis stopped; on_failure_allow false refuses every request
	// with 503 and no Retry-After, within the bound.
	srv.Stop()
	down := fleetLoadPhase(t, target, fleetDown)
	down.check(t, "Redis stopped", true)
	if down.total == 0 || down.failure503 != down.total {
		t.Errorf("Redis stopped: %d of %d requests answered 503 without Retry-After (on_failure_allow false), want all; statuses %v",
			down.failure503, down.total, down.statuses)
	}

	// Phase 3: Redis back (empty): once every replica checks against it
	// again, the shared limit holds as before.
	srv.Restart()
	ready := 0
	for deadline := time.Now().Add(10 * time.Second); ready < fleetReplicas && time.Now().Before(deadline); {
		r, err := fleetGet(target)
		if err == nil && r.status == 200 {
			ready++
		} else {
			ready = 0
			time.Sleep(50 * time.Millisecond)
		}
	}
	if ready < fleetReplicas {
		t.Fatalf("Redis back: %d requests in a row through the fleet got 200 within 10s, want %d", ready, fleetReplicas)
	}
	back := fleetLoadPhase(t, target, fleetLoad)
	back.check(t, "Redis back", false)
	back.checkRate(t, "Redis back")
	if back.measuredFailure503 != 0 {
		t.Errorf("Redis back: %d requests answered 503 without Retry-After (a failed check) after the first second", back.measuredFailure503)
	}
}

// startHAProxy writes an HAProxy configuration (mode http, round robin over
// servers, bound to 127.0.0.1 on a free port), runs `haproxy -f cfg -db` in
// the foreground and kills it when the test ends. It returns the base URL.
// Each response carries the replica that served it in X-Fleet-Replica.
func startHAProxy(t *testing.T, bin string, servers []string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	conf := `global
    maxconn 512
    nbthread 1

defaults
    mode http
    timeout connect 2s
    timeout client 15s
    timeout server 15s

frontend fleet
    bind ` + addr + `
    default_backend gateways

backend gateways
    balance roundrobin
    http-response set-header X-Fleet-Replica %s
` + strings.Join(servers, "\n") + "\n"
	file := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &syncbuf.Buffer{}
	cmd := exec.Command(bin, "-f", file, "-db")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting haproxy: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("haproxy logs:\n%s", logs.String())
		}
	})
	base := "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		select {
		case <-done:
			t.Fatalf("haproxy exited before listening; config:\n%s\nlogs:\n%s", conf, logs.String())
		default:
		}
		if r, err := fleetGet(base + "/__health"); err == nil && r.replica != "" {
			return base
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("haproxy did not answer on %s within 10s; logs:\n%s", addr, logs.String())
	return ""
}

var fleetClient = &http.Client{
	Timeout:   fleetClientTO,
	Transport: &http.Transport{MaxIdleConnsPerHost: fleetClients, MaxIdleConns: fleetClients},
}

type fleetResult struct {
	at, took    time.Duration // completion since the phase's start; latency
	status      int
	replica     string
	retryAfter  bool
	err         error
	errorString string
}

func fleetGet(u string) (fleetResult, error) {
	resp, err := fleetClient.Get(u)
	if err != nil {
		return fleetResult{}, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return fleetResult{status: resp.StatusCode, replica: resp.Header.Get("X-Fleet-Replica"), retryAfter: resp.Header.Get("Retry-After") != ""}, nil
}

// fleetPhase is what a loaded phase measured.
type fleetPhase struct {
	dur                time.Duration
	total              int
	errors             []string
	slowest            time.Duration
	statuses           map[int]int
	failure503         int               // 503 without Retry-After: a failed check
	limit503           int               // 503 with Retry-After: over the limit
	perSecond          []map[int]int     // statuses per second window
	perReplica         map[string][2]int // requests, accepted
	unserved           int               // answers not from a replica (HAProxy's own)
	measuredAccepted   int               // 200s after the first second
	measuredFailure503 int
}

// fleetLoadPhase sends GETs from fleetClients clients for dur (each at most
// fleetMaxPerCli requests, fleetPause apart) and sorts the answers.
func fleetLoadPhase(t *testing.T, target string, dur time.Duration) *fleetPhase {
	t.Helper()
	start := time.Now()
	deadline := start.Add(dur)
	var mu sync.Mutex
	var results []fleetResult
	var wg sync.WaitGroup
	for range fleetClients {
		wg.Go(func() {
			var mine []fleetResult
			for n := 0; n < fleetMaxPerCli && time.Now().Before(deadline); n++ {
				sent := time.Now()
				r, err := fleetGet(target)
				r.took = time.Since(sent)
				r.at = time.Since(start)
				if err != nil {
					r.err, r.errorString = err, err.Error()
				}
				mine = append(mine, r)
				time.Sleep(fleetPause)
			}
			mu.Lock()
			results = append(results, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	windows := int(dur / time.Second)
	p := &fleetPhase{dur: dur, statuses: map[int]int{}, perReplica: map[string][2]int{}, perSecond: make([]map[int]int, windows)}
	for i := range p.perSecond {
		p.perSecond[i] = map[int]int{}
	}
	for _, r := range results {
		p.total++
		if r.took > p.slowest {
			p.slowest = r.took
		}
		if r.err != nil {
			p.errors = append(p.errors, r.errorString)
			continue
		}
		p.statuses[r.status]++
		if r.replica == "" {
			p.unserved++
		} else {
			c := p.perReplica[r.replica]
			c[0]++
			if r.status == 200 {
				c[1]++
			}
			p.perReplica[r.replica] = c
		}
		failure := r.status == 503 && !r.retryAfter
		switch {
		case failure:
			p.failure503++
		case r.status == 503:
			p.limit503++
		}
		w := int(r.at / time.Second)
		if w < windows {
			p.perSecond[w][r.status]++
		}
		if w >= 1 && w < windows {
			if r.status == 200 {
				p.measuredAccepted++
			}
			if failure {
				p.measuredFailure503++
			}
		}
	}
	var secs []string
	for i, s := range p.perSecond {
		secs = append(secs, fmt.Sprintf("s%d: %d×200 %d×503 %d×429", i, s[200], s[503], s[429]))
	}
	var reps []string
	for name, c := range p.perReplica {
		reps = append(reps, fmt.Sprintf("%s %d requests, %d accepted", name, c[0], c[1]))
	}
	sort.Strings(reps)
	t.Logf("%v of load from %d clients: %d requests (%.0f/s), statuses %v (503: %d over the limit, %d failed checks), slowest %v; per second [%s]; per replica [%s]",
		dur, fleetClients, p.total, float64(p.total)/dur.Seconds(), p.statuses, p.limit503, p.failure503, p.slowest.Round(time.Millisecond),
		strings.Join(secs, ", "), strings.Join(reps, ", "))
	return p
}

// check: no transport error, every answer in time and from a replica, only
// 200, 503 and 429, and the load spread over every replica. With redisDown,
// no 200 either.
func (p *fleetPhase) check(t *testing.T, name string, redisDown bool) {
	t.Helper()
	if len(p.errors) > 0 {
		t.Errorf("%s: %d requests failed, such as %s", name, len(p.errors), p.errors[0])
	}
	if p.slowest > fleetAnswerIn {
		t.Errorf("%s: the slowest request took %v, beyond %v", name, p.slowest, fleetAnswerIn)
	}
	if p.unserved > 0 {
		t.Errorf("%s: %d answers came from HAProxy itself, not from a replica", name, p.unserved)
	}
	for status, n := range p.statuses {
		if status != 200 && status != 503 && status != 429 {
			t.Errorf("%s: %d answers %d, want only 200, 503 and 429", name, n, status)
		}
	}
	if redisDown && p.statuses[200] > 0 {
		t.Errorf("%s: %d requests let through (on_failure_allow false)", name, p.statuses[200])
	}
	if len(p.perReplica) != fleetReplicas {
		t.Errorf("%s: %d replicas answered, want %d: %v", name, len(p.perReplica), fleetReplicas, p.perReplica)
	}
	for replica, c := range p.perReplica {
		// Round robin: each replica a third of the requests (a fourth at least).
		if c[0]*4 < p.total {
			t.Errorf("%s: replica %s answered %d of %d requests", name, replica, c[0], p.total)
		}
		if !redisDown && c[1] == 0 {
			t.Errorf("%s: replica %s accepted no request", name, replica)
		}
	}
}

// checkRate: the requests accepted after the first second, over the whole
// fleet, are max_rate per second within fleetTolerance.
func (p *fleetPhase) checkRate(t *testing.T, name string) {
	t.Helper()
	secs := int(p.dur/time.Second) - 1
	rate := float64(p.measuredAccepted) / float64(secs)
	t.Logf("%s: %d accepted over %ds after the first: %.1f/s for a configured %d/s (%+.1f%%)",
		name, p.measuredAccepted, secs, rate, fleetRate, 100*(rate-fleetRate)/fleetRate)
	if rate < fleetRate*(1-fleetTolerance) || rate > fleetRate*(1+fleetTolerance) {
		t.Errorf("%s: the fleet accepted %.1f/s, want %d/s within %.0f%%", name, rate, fleetRate, 100*fleetTolerance)
	}
	// The load must exceed the limit, or the rate measures the clients.
	if p.total < 4*fleetRate*int(p.dur/time.Second) {
		t.Errorf("%s: only %d requests in %v: the load did not exceed the limit enough", name, p.total, p.dur)
	}
}
