// Command loadbench measures what the gateway adds to every call. In one
// run it starts a fake Lambda Invoke server (internal/fakelambda), an HTTP
// backend and the built gateway, all on 127.0.0.1, then for each scenario
// alternates wrk runs against the server directly (A) and through the
// gateway (B), A B A B A B, and prints requests/s, p50/p99 latency and the
// gateway/direct ratio (medians of the rounds), the added p50 latency at one
// connection, and the gateway's RSS idle and under load.
//
//	go run ./bench/loadbench -duration 5s -rounds 3 -conns 64
//
// wrk must be installed (Debian's package wrk). Every loop is bounded by
// -duration and -rounds; nothing leaves loopback.
package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/lambdagate/lambdagate/internal/fakelambda"
	"github.com/lambdagate/lambdagate/internal/lambdaapi"
)

type scenario struct {
	name string
	// direct: the request wrk sends to the fake server.
	directPath, directMethod, directBody string
	// gateway: the request wrk sends to the gateway.
	gwPath, gwMethod, gwBody string
	// auth is the gateway request's Authorization header ("" for none).
	auth string
	// baseline names the scenario (run before in the same run) whose
	// gateway req/s and p50 this one's are compared to: the cost of the
	// edge layer alone.
	baseline string
}

// failing names the scenarios whose every gateway reply is an error by
// design (the open circuit's 500s): their non-2xx replies are expected.
var failing = map[string]bool{"GET → Lambda, 100 B result, open circuit (answers 500 at once)": true}

func main() {
	duration := flag.Duration("duration", 5*time.Second, "length of each wrk run")
	rounds := flag.Int("rounds", 3, "A/B rounds per scenario")
	conns := flag.Int("conns", 64, "connections")
	threads := flag.Int("threads", 2, "wrk threads")
	bin := flag.String("gateway", "", "lambdagate binary (default: built from ./cmd/lambdagate)")
	only := flag.String("only", "", "run only the scenarios whose name contains this (several: separated by |; a scenario's baseline runs too)")
	otel := flag.String("telemetry", "off", "gateway telemetry: off, metrics (Prometheus), traces-1 or traces-0 (metrics and OTLP traces sampled at 1.0 or 0.0, exported to a sink in this process)")
	profile := flag.String("cpuprofile", "", "write the gateway's CPU profile of the whole run to this file")
	engine := flag.String("engine", "fasthttp", "the gateway's lambdagate/server.engine: fasthttp or net/http")
	reference := flag.Bool("reference", false, "also measure bench/minimalgw (the floor: fasthttp server and client and the SDK's signer, no features) on GET → Lambda 100 B, interleaved with direct and lambdagate runs")
	flag.Parse()
	if _, err := exec.LookPath("wrk"); err != nil {
		fatal("wrk is not installed: apt-get install wrk")
	}
	tmp, err := os.MkdirTemp("", "loadbench-")
	check(err)
	defer os.RemoveAll(tmp)
	if *bin == "" {
		*bin = filepath.Join(tmp, "lambdagate")
		build := exec.Command("go", "build", "-o", *bin, "./cmd/lambdagate")
		build.Stderr = os.Stderr
		check(build.Run())
	}

	fake := fakelambda.New(100)
	fakeURL := serve(fake, fake.ConnState)
	httpURL := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"user":{"id":42,"name":"someone","email":"someone@example.com"},"internal":"drop me"}`))
	}), nil)

	telemetry, err := telemetryConfig(*otel)
	check(err)
	if *engine != "fasthttp" && *engine != "net/http" {
		fatal("-engine: use fasthttp or net/http")
	}
	telemetry += `, "lambdagate/server": {"engine": "` + *engine + `"}`
	jwks, token := jwtFixture(tmp)
	redisAddr, redisSock, stopRedis := startRedis(tmp)
	defer stopRedis()
	cfg := gatewayConfig(fakeURL, httpURL, telemetry, jwks, redisAddr, redisSock)
	cfgFile := filepath.Join(tmp, "bench.json")
	check(os.WriteFile(cfgFile, []byte(cfg), 0o600))
	gw, gwURL := startGateway(*bin, cfgFile, *profile)
	defer stopGateway(gw)
	time.Sleep(500 * time.Millisecond)
	idleRSS := rssKB(gw.Process.Pid)

	lua := func(name, method, body string, auth ...string) string {
		f := filepath.Join(tmp, name+".lua")
		s := fmt.Sprintf("wrk.method = %q\nwrk.headers[\"Content-Type\"] = \"application/json\"\n", method)
		for _, a := range auth {
			s += fmt.Sprintf("wrk.headers[\"Authorization\"] = %q\n", a)
		}
		if body != "" {
			s += fmt.Sprintf("wrk.body = %q\n", body)
		}
		check(os.WriteFile(f, []byte(s), 0o600))
		return f
	}
	body1k := `{"items":[` + strings.TrimSuffix(strings.Repeat(`{"id":12345,"name":"abcdefghij"},`, 31), ",") + `]}`
	scenarios := []scenario{
		{"GET → Lambda, 100 B result", lambdaapi.EscapedInvokePath("size-100"), "POST", "{}", "/small", "GET", "", "", ""},
		{"GET → Lambda, 100 B result, JWT (RS256, cached keys)", lambdaapi.EscapedInvokePath("size-100"), "POST", "{}", "/small-jwt", "GET", "",
			"Bearer " + token, "GET → Lambda, 100 B result"},
		{"GET → Lambda, 100 B result, Lambda authorizer (cached)", lambdaapi.EscapedInvokePath("size-100"), "POST", "{}", "/small-authz", "GET", "",
			"Bearer bench", "GET → Lambda, 100 B result"},
		{"GET → Lambda, 100 B result, rate limit (endpoint and client by ip, never reached)", lambdaapi.EscapedInvokePath("size-100"), "POST", "{}", "/small-limited", "GET", "",
			"", "GET → Lambda, 100 B result"},
		{"GET → Lambda, 100 B result, Redis rate limit (router/redis, endpoint and client by ip, never reached)", lambdaapi.EscapedInvokePath("size-100"), "POST", "{}", "/small-redis", "GET", "",
			"", "GET → Lambda, 100 B result"},
		{"GET → Lambda, 100 B result, Redis rate limit on a Unix socket (as above, address unix://…)", lambdaapi.EscapedInvokePath("size-100"), "POST", "{}", "/small-redis-unix", "GET", "",
			"", "GET → Lambda, 100 B result"},
		{"GET → Lambda, 100 B result, open circuit (answers 500 at once)", lambdaapi.EscapedInvokePath("size-100"), "POST", "{}", "/small-open", "GET", "",
			"", "GET → Lambda, 100 B result"},
		{"GET → Lambda, 100 B result, cache_ttl (hits)", lambdaapi.EscapedInvokePath("size-100"), "POST", "{}", "/small-cached", "GET", "",
			"", "GET → Lambda, 100 B result"},
		{"GET → Lambda, 10 KB result", lambdaapi.EscapedInvokePath("size-10240"), "POST", "{}", "/large", "GET", "", "", ""},
		{"POST 1 KB body → Lambda echo", lambdaapi.EscapedInvokePath("echo"), "POST", body1k, "/echo", "POST", body1k, "", ""},
		{"merge Lambda + HTTP (allow)", lambdaapi.EscapedInvokePath("size-100"), "POST", "{}", "/merge", "GET", "", "", ""},
	}
	fmt.Printf("# loadbench: %d connections, %d wrk threads, %s per run, %d rounds (A=direct, B=gateway), %d CPUs, telemetry %s, engine %s\n\n",
		*conns, *threads, *duration, *rounds, numCPU(), *otel, *engine)
	fmt.Println("| scenario | direct req/s | gateway req/s | ratio | direct p50 / p99 | gateway p50 / p99 | gateway CPU / request | gateway peak RSS |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	peakRSS := idleRSS
	measured := map[string]result{} // gateway medians, by scenario
	var edges []string              // the edge layers' lines, printed after the table
	for _, sc := range scenarios {
		if !selected(*only, sc, scenarios) {
			continue
		}
		dScript := lua("d", sc.directMethod, sc.directBody)
		var gScript string
		if sc.auth != "" {
			gScript = lua("g", sc.gwMethod, sc.gwBody, sc.auth)
		} else {
			gScript = lua("g", sc.gwMethod, sc.gwBody)
		}
		var ds, gs []result
		scenarioRSS := idleRSS
		for i := 0; i < *rounds; i++ {
			ds = append(ds, runWrk(fakeURL+sc.directPath, dScript, *conns, *threads, *duration))
			stop := sampleRSS(gw.Process.Pid, &scenarioRSS)
			cpu0 := cpuTime(gw.Process.Pid)
			r := runWrk(gwURL+sc.gwPath, gScript, *conns, *threads, *duration)
			if r.requests > 0 {
				r.cpu = (cpuTime(gw.Process.Pid) - cpu0) / time.Duration(r.requests)
			}
			gs = append(gs, r)
			stop()
		}
		d, g := median(ds), median(gs)
		peakRSS = max(peakRSS, scenarioRSS)
		fmt.Printf("| %s | %.0f | %.0f | **%.2f** | %s / %s | %s / %s | %.1f µs | %.1f MB |\n", sc.name, d.rps, g.rps, g.rps/d.rps,
			fmtDur(d.p50), fmtDur(d.p99), fmtDur(g.p50), fmtDur(g.p99), float64(g.cpu)/float64(time.Microsecond), float64(scenarioRSS)/1024)
		if g.non2xx > 0 && failing[sc.name] {
			fmt.Printf("|   ↳ %d gateway replies were errors, as this scenario means | | | | | |\n", g.non2xx)
		} else if g.non2xx > 0 {
			fmt.Printf("|   ↳ %d non-2xx gateway replies: the gateway run is not valid | | | | | |\n", g.non2xx)
		}
		measured[sc.name] = g
		if base, ok := measured[sc.baseline]; ok && sc.baseline != "" && base.rps > 0 {
			edges = append(edges, fmt.Sprintf("| %s | %.0f | %.0f | **%.2f** | %s → %s | %.1f → %.1f µs |", sc.name, base.rps, g.rps, g.rps/base.rps,
				fmtDur(base.p50), fmtDur(g.p50), float64(base.cpu)/float64(time.Microsecond), float64(g.cpu)/float64(time.Microsecond)))
		}
	}
	if len(edges) > 0 {
		fmt.Println("\n| edge layer (vs the same scenario without it, this run) | without req/s | with req/s | ratio | gateway p50 | gateway CPU / request |")
		fmt.Println("|---|---|---|---|---|---|")
		for _, l := range edges {
			fmt.Println(l)
		}
	}
	if *only == "" || strings.Contains("latency", *only) {
		dScript := lua("d1", "POST", "{}")
		gScript := lua("g1", "GET", "")
		var dp, gp []time.Duration
		for i := 0; i < *rounds; i++ {
			dp = append(dp, runWrk(fakeURL+scenarios[0].directPath, dScript, 1, 1, *duration).p50)
			gp = append(gp, runWrk(gwURL+"/small", gScript, 1, 1, *duration).p50)
		}
		d, g := medianDur(dp), medianDur(gp)
		fmt.Printf("\nadded p50 latency at 1 connection (GET → Lambda, 100 B): direct %s, gateway %s, added **%s**\n", fmtDur(d), fmtDur(g), fmtDur(g-d))
	}
	if *reference {
		measureReference(tmp, fakeURL, gwURL, lua, *rounds, *conns, *threads, *duration, gw.Process.Pid)
	}
	st := fake.Stats()
	fmt.Printf("\ngateway RSS: idle %.1f MB, peak under load %.1f MB\n", float64(idleRSS)/1024, float64(peakRSS)/1024)
	fmt.Printf("fake Invoke server: %d requests over %d connections (direct runs included)\n", st.Requests, st.Connections)
}

// measureReference runs GET → Lambda 100 B directly (A), through lambdagate
// (B) and through bench/minimalgw (C), A B C A B C, and prints the medians,
// at 64 connections and at one.
func measureReference(tmp, fakeURL, gwURL string, lua func(name, method, body string, auth ...string) string, rounds, conns, threads int, d time.Duration, gwPid int) {
	bin := filepath.Join(tmp, "minimalgw")
	build := exec.Command("go", "build", "-o", bin, "./bench/minimalgw")
	build.Stderr = os.Stderr
	check(build.Run())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	addr := ln.Addr().String()
	ln.Close()
	invoke := fakeURL + lambdaapi.EscapedInvokePath("size-100")
	cmd := exec.Command(bin, "-listen", addr, "-invoke", invoke)
	cmd.Stderr = os.Stderr
	check(cmd.Start())
	defer stopGateway(cmd)
	minURL := "http://" + addr + "/"
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(minURL); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			fatal("minimalgw did not answer within 10s")
		}
	}
	dScript, gScript := lua("rd", "POST", "{}"), lua("rg", "GET", "")
	measure := func(url, script string, pid, c, t int) result {
		cpu0 := cpuTime(pid)
		r := runWrk(url, script, c, t, d)
		if r.requests > 0 {
			r.cpu = (cpuTime(pid) - cpu0) / time.Duration(r.requests)
		}
		return r
	}
	for _, c := range []int{conns, 1} {
		var ds, gs, ms []result
		for i := 0; i < rounds; i++ {
			ds = append(ds, runWrk(invoke, dScript, c, threads, d))
			gs = append(gs, measure(gwURL+"/small", gScript, gwPid, c, threads))
			ms = append(ms, measure(minURL, gScript, cmd.Process.Pid, c, threads))
		}
		dm, gm, mm := median(ds), median(gs), median(ms)
		fmt.Printf("\nreference, GET → Lambda 100 B, %d connection(s): direct %.0f req/s, p50 %s\n", c, dm.rps, fmtDur(dm.p50))
		fmt.Println("| gateway | req/s | ratio | p50 | added p50 | CPU / request |")
		fmt.Println("|---|---|---|---|---|---|")
		for _, row := range []struct {
			name string
			r    result
		}{{"lambdagate", gm}, {"minimalgw (floor)", mm}} {
			fmt.Printf("| %s | %.0f | **%.2f** | %s | %s | %.1f µs |\n", row.name, row.r.rps, row.r.rps/dm.rps,
				fmtDur(row.r.p50), fmtDur(row.r.p50-dm.p50), float64(row.r.cpu)/float64(time.Microsecond))
		}
	}
}

// telemetryConfig returns the telemetry/opentelemetry namespace (with a
// leading comma) for a -telemetry mode; traces go to an OTLP/HTTP sink
// served here, which accepts and drops them.
func telemetryConfig(mode string) (string, error) {
	prom := `"prometheus": [{"name": "bench", "listen_ip": "127.0.0.1", "port": 0}]`
	switch mode {
	case "off":
		return "", nil
	case "metrics":
		return `, "telemetry/opentelemetry": {"service_name": "loadbench", "exporters": {` + prom + `}}`, nil
	case "traces-1", "traces-0":
		sink := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			// An empty protobuf message is a valid ExportTraceServiceResponse.
			w.Header().Set("Content-Type", "application/x-protobuf")
		}), nil)
		host, port, _ := net.SplitHostPort(strings.TrimPrefix(sink, "http://"))
		rate := map[string]string{"traces-1": "1", "traces-0": "0"}[mode]
		return `, "telemetry/opentelemetry": {"service_name": "loadbench", "trace_sample_rate": ` + rate + `, "exporters": {` + prom +
			`, "otlp": [{"name": "sink", "host": "` + host + `", "port": ` + port + `, "use_http": true, "disable_metrics": true}]}}`, nil
	}
	return "", fmt.Errorf("-telemetry %q: use off, metrics, traces-1 or traces-0", mode)
}

// jwtFixture writes a JWK set with a fresh RSA key in dir and returns its
// path and a token (RS256) it signs, valid for a day.
func jwtFixture(dir string) (string, string) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	check(err)
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "bench", Use: "sig", Algorithm: "RS256"}}}
	b, err := json.Marshal(set)
	check(err)
	path := filepath.Join(dir, "jwks.json")
	check(os.WriteFile(path, b, 0o600))
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "bench"))
	check(err)
	payload, err := json.Marshal(map[string]any{"iss": "https://idp.bench", "sub": "bench-user", "exp": time.Now().Add(24 * time.Hour).Unix()})
	check(err)
	obj, err := signer.Sign(payload)
	check(err)
	tok, err := obj.CompactSerialize()
	check(err)
	return path, tok
}

func gatewayConfig(fakeURL, httpURL, telemetry, jwks, redisAddr, redisSock string) string {
	lambda := func(fn string) string {
		return fmt.Sprintf(`{"backend/lambda":{"function_name":%q,"region":"us-east-1","endpoint":%q}}`, fn, fakeURL)
	}
	cached := func(fn string) string {
		return fmt.Sprintf(`{"backend/lambda":{"function_name":%q,"region":"us-east-1","endpoint":%q,"cache_ttl":"1h"}}`, fn, fakeURL)
	}
	// The open circuit: a backend on a closed port, its circuit opened by
	// the first failure and kept open for an hour.
	open := fmt.Sprintf(`{"backend/lambda":{"function_name":"size-100","region":"us-east-1","endpoint":%q,"max_retries":0},
  "qos/circuit-breaker":{"interval":3600,"timeout":3600,"max_errors":0}}`, closedPortURL())
	return fmt.Sprintf(`{"version":3,"listen_ip":"127.0.0.1","port":0,"timeout":"10s",
"extra_config":{"router":{"disable_access_log":true},"telemetry/logging":{"level":"WARNING"},
 "redis":{"connection_pools":[{"name":"bench","address":%q},{"name":"bench-unix","address":"unix://%s"}]}%s},
"endpoints":[
 {"endpoint":"/small","backend":[{"host":["ignored"],"url_pattern":"/","extra_config":%s}]},
 {"endpoint":"/small-jwt","extra_config":{"auth/validator":{"alg":"RS256","jwk_local_path":%q,"issuer":"https://idp.bench"}},
  "backend":[{"host":["ignored"],"url_pattern":"/","extra_config":%s}]},
 {"endpoint":"/small-authz","extra_config":{"lambdagate/authorizer":{"function_name":%q,"payload_format_version":"1.0",
   "identity_source":["method.request.header.Authorization"],"region":"us-east-1","endpoint":%q}},
  "backend":[{"host":["ignored"],"url_pattern":"/","extra_config":%s}]},
 {"endpoint":"/small-limited","extra_config":{"qos/ratelimit/router":{"max_rate":100000000,"client_max_rate":100000000,"strategy":"ip"}},
  "backend":[{"host":["ignored"],"url_pattern":"/","extra_config":%s}]},
 {"endpoint":"/small-redis","extra_config":{"qos/ratelimit/router/redis":{"connection_name":"bench","max_rate":100000000,"client_max_rate":100000000,"strategy":"ip","on_failure_allow":true}},
  "backend":[{"host":["ignored"],"url_pattern":"/","extra_config":%s}]},
 {"endpoint":"/small-redis-unix","extra_config":{"qos/ratelimit/router/redis":{"connection_name":"bench-unix","max_rate":100000000,"client_max_rate":100000000,"strategy":"ip","on_failure_allow":true}},
  "backend":[{"host":["ignored"],"url_pattern":"/","extra_config":%s}]},
 {"endpoint":"/small-open","backend":[{"host":["ignored"],"url_pattern":"/","extra_config":%s}]},
 {"endpoint":"/small-cached","backend":[{"host":["ignored"],"url_pattern":"/","extra_config":%s}]},
 {"endpoint":"/large","backend":[{"host":["ignored"],"url_pattern":"/","extra_config":%s}]},
 {"endpoint":"/echo","method":"POST","backend":[{"host":["ignored"],"url_pattern":"/","extra_config":%s}]},
 {"endpoint":"/merge","backend":[
   {"host":["ignored"],"url_pattern":"/","extra_config":%s,"group":"lambda"},
   {"host":[%q],"url_pattern":"/user","allow":["user.id","user.name"]}]}
]}`, redisAddr, redisSock, telemetry, lambda("size-100"), jwks, lambda("size-100"), fakelambda.AllowAll, fakeURL, lambda("size-100"), lambda("size-100"), lambda("size-100"), lambda("size-100"), open, cached("size-100"), lambda("size-10240"), lambda("echo"), lambda("size-100"), httpURL)
}

// closedPortURL is a loopback URL nothing listens on.
func closedPortURL() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// selected reports whether -only (parts separated by |) selects sc: its
// name contains a part, or it is the baseline of a scenario that does.
func selected(only string, sc scenario, all []scenario) bool {
	if only == "" {
		return true
	}
	match := func(name string) bool {
		for _, part := range strings.Split(only, "|") {
			if strings.Contains(name, part) {
				return true
			}
		}
		return false
	}
	if match(sc.name) {
		return true
	}
	for _, o := range all {
		if o.baseline == sc.name && match(o.name) {
			return true
		}
	}
	return false
}

// startRedis runs Debian's redis-server on a free loopback port, without
// persistence, for the Redis rate-limit scenario; without redis-server on
// PATH, the pool points at a closed port and that scenario measures the
// failure policy (on_failure_allow) instead, which the output says.
func startRedis(dir string) (addr, sock string, stop func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	addr = "127.0.0.1:" + port
	sock = filepath.Join(dir, "redis.sock")
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadbench: redis-server is not installed: the Redis scenarios measure Redis unreachable (apt-get install redis-server)")
		return addr, sock, func() {}
	}
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir,
		"--unixsocket", sock, "--unixsocketperm", "700")
	check(cmd.Start())
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr, sock, func() { cmd.Process.Kill(); cmd.Wait() }
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	fatal("redis-server did not listen within 10s")
	return "", "", nil
}

func serve(h http.Handler, cs func(net.Conn, http.ConnState)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	srv := &http.Server{Handler: h, ConnState: cs}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String()
}

// startGateway runs the gateway on a free loopback port and waits until its
// health check answers. Its logs go to stderr.
func startGateway(bin, cfg, profile string) (*exec.Cmd, string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	args := []string{"run", "-c", cfg, "--port", port}
	if profile != "" {
		args = append(args, "--cpuprofile", profile)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "AWS_EC2_METADATA_DISABLED=true",
		"AWS_ACCESS_KEY_ID=AKIDBENCH", "AWS_SECRET_ACCESS_KEY=bench-secret", "AWS_REGION=us-east-1")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	check(cmd.Start())
	url := "http://127.0.0.1:" + port
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(url + "/__health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd, url
			}
		}
	}
	cmd.Process.Kill()
	fatal("gateway did not answer its health check within 30s")
	return nil, ""
}

// stopGateway stops the gateway with SIGTERM, so that it writes its CPU
// profile, and kills it if it has not exited within 10s.
func stopGateway(cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
	}
}

type result struct {
	rps      float64
	requests int
	p50, p99 time.Duration
	non2xx   int
	cpu      time.Duration // the gateway's CPU time per request (gateway runs)
}

var (
	rpsRe    = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	pctRe    = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)`)
	non2xxRe = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	countRe  = regexp.MustCompile(`(\d+) requests in `)
)

func runWrk(url, script string, conns, threads int, d time.Duration) result {
	if threads > conns {
		threads = conns
	}
	out, err := exec.Command("wrk", "-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns),
		"-d", fmt.Sprintf("%ds", int(d.Seconds())), "--latency", "-s", script, url).CombinedOutput()
	if err != nil {
		fatal(fmt.Sprintf("wrk %s: %v\n%s", url, err, out))
	}
	var r result
	if m := rpsRe.FindSubmatch(out); m != nil {
		r.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	}
	for _, m := range pctRe.FindAllSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(string(m[2]), 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[string(m[3])]
		dur := time.Duration(v * float64(unit))
		if string(m[1]) == "50" {
			r.p50 = dur
		} else {
			r.p99 = dur
		}
	}
	if m := non2xxRe.FindSubmatch(out); m != nil {
		r.non2xx, _ = strconv.Atoi(string(m[1]))
	}
	if m := countRe.FindSubmatch(out); m != nil {
		r.requests, _ = strconv.Atoi(string(m[1]))
	}
	return r
}

func median(rs []result) result {
	sort.Slice(rs, func(i, j int) bool { return rs[i].rps < rs[j].rps })
	m := rs[len(rs)/2]
	for _, r := range rs {
		m.non2xx += r.non2xx
	}
	return m
}

func medianDur(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

func fmtDur(d time.Duration) string {
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}

// cpuTime reads the CPU time (user and system) a process has used, from
// /proc/PID/stat, in clock ticks of 10 ms (USER_HZ is 100 on Linux).
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces: the fields after it follow ")".
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// rssKB reads a process's resident set size.
func rssKB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return 0
}

// sampleRSS records the peak RSS of pid every 100 ms until stopped.
func sampleRSS(pid int, peak *int64) func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if r := rssKB(pid); r > *peak {
					*peak = r
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

func numCPU() int { return runtime.NumCPU() }

func check(err error) {
	if err != nil {
		fatal(err.Error())
	}
}

func fatal(msg string) {
	fmt.Fprintln(os.Stderr, "loadbench:", msg)
	os.Exit(1)
}
