package gateway

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/fakelambda"
	"github.com/lambdagate/lambdagate/internal/lambdaapi"
	"github.com/lambdagate/lambdagate/internal/lambdainvoke"
)

// The streaming benchmarks (docs/BENCHMARKS.md, "Response streaming"):
// a fake Invoke API (fault injection's fake, here a fast source) streams
// through a gateway served by the fasthttp engine on loopback, as
// lambdagate run serves it.

// benchStreamFake streams, for function:
//   - "ts-N-G": N lines of 32 bytes, each holding the time it was written
//     (UnixNano), G ms apart;
//   - "bytes-M": M MiB in 64 KiB chunks;
//   - "slow-N": N events one second apart.
func benchStreamFake(b *testing.B) *fakelambda.Server {
	chunk := make([]byte, 64<<10)
	f := fakelambda.StartFunc(func(w http.ResponseWriter, c fakelambda.Call, _ int) {
		w.Header().Set("Content-Type", "text/event-stream")
		sw := lambdaapi.NewStreamWriter(w)
		parts := strings.Split(c.Name, "-")
		n, _ := strconv.Atoi(parts[1])
		switch parts[0] {
		case "ts":
			gap, _ := strconv.Atoi(parts[2])
			line := make([]byte, 32)
			for range n {
				s := strconv.FormatInt(time.Now().UnixNano(), 10)
				copy(line, s+strings.Repeat(" ", 31-len(s))+"\n")
				if sw.Chunk(line) != nil {
					return
				}
				time.Sleep(time.Duration(gap) * time.Millisecond)
			}
		case "bytes":
			for range n * 16 {
				if sw.Chunk(chunk) != nil {
					return
				}
			}
		case "slow":
			for i := range n {
				if i > 0 {
					time.Sleep(time.Second)
				}
				if sw.Chunk([]byte("data: tick\n\n")) != nil {
					return
				}
			}
		}
		sw.Complete(lambdaapi.InvokeComplete{})
	})
	f.ForgetCalls = true
	b.Cleanup(f.Close)
	return f
}

// streamBenchGateway serves one streaming endpoint per function on the fasthttp
// engine and returns its base URL.
func streamBenchGateway(b *testing.B, fake string, fns ...string) string {
	var eps []string
	for _, fn := range fns {
		eps = append(eps, `{"endpoint": "/`+fn+`", "output_encoding": "no-op", "timeout": "60s", "backend": [{"url_pattern": "/", "extra_config": {"backend/lambda": {"function_name": "`+fn+`", "invoke_mode": "RESPONSE_STREAM"}}}]}`)
	}
	c, _, err := config.Parse([]byte(`{"version": 3, "extra_config": {"router": {"disable_access_log": true}}, "endpoints": [` + strings.Join(eps, ",") + `]}`))
	if err != nil {
		b.Fatal(err)
	}
	c.ListenIP, c.Port = "127.0.0.1", 0
	g, _, err := New(c, Options{Logger: slog.New(slog.DiscardHandler), LocalLambdaURL: fake})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := g.Listen()
	if err != nil {
		b.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- g.Serve(ctx, ln) }()
	b.Cleanup(func() { stop(); <-served })
	return "http://" + ln.Addr().String()
}

// BenchmarkStreamFirstByte measures, per chunk, the time from the fake
// function writing it to the client reading it through the gateway, and
// reports its p50 and p99 (ms). One op is a stream of 100 chunks 2 ms
// apart.
func BenchmarkStreamFirstByte(b *testing.B) {
	fake := benchStreamFake(b)
	url := streamBenchGateway(b, fake.URL, "ts-100-2") + "/ts-100-2"
	client := &http.Client{Transport: &http.Transport{}}
	var lat []time.Duration
	b.ResetTimer()
	for range b.N {
		resp, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			ts, err := strconv.ParseInt(strings.TrimSpace(sc.Text()), 10, 64)
			if err != nil {
				b.Fatalf("line %q", sc.Text())
			}
			lat = append(lat, time.Since(time.Unix(0, ts)))
		}
		resp.Body.Close()
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100])/1e6, "p99-ms")
}

// peakRSS is the process's peak resident set (VmHWM), in MiB.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

// BenchmarkStreamThroughput streams 200 MiB through the gateway and
// directly from the fake (lambdainvoke's InvokeStream, what the gateway
// itself reads), and reports the growth of the process's peak RSS.
func BenchmarkStreamThroughput(b *testing.B) {
	b.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	fake := benchStreamFake(b)
	const fn = "bytes-200"
	b.Run("gateway", func(b *testing.B) {
		url := streamBenchGateway(b, fake.URL, fn) + "/" + fn
		client := &http.Client{Transport: &http.Transport{}}
		b.SetBytes(200 << 20)
		before := peakRSS()
		for range b.N {
			resp, err := client.Get(url)
			if err != nil {
				b.Fatal(err)
			}
			n, err := io.CopyBuffer(struct{ io.Writer }{io.Discard}, resp.Body, make([]byte, 256<<10))
			resp.Body.Close()
			if err != nil || n != 200<<20 {
				b.Fatalf("read %d, %v", n, err)
			}
		}
		b.ReportMetric(peakRSS()-before, "peak-RSS-growth-MiB")
	})
	b.Run("direct", func(b *testing.B) {
		c, err := lambdainvoke.New(context.Background(), lambdainvoke.Key{Endpoint: fake.URL, Local: true}, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(200 << 20)
		for range b.N {
			s, err := c.InvokeStream(context.Background(), &lambdainvoke.Invocation{FunctionName: fn, InvocationType: lambdaapi.InvocationRequestResponse, Payload: []byte(`{}`)})
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for {
				p, err := s.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				n += len(p)
			}
			s.Close()
			if n != 200<<20 {
				b.Fatalf("read %d", n)
			}
		}
	})
}

// BenchmarkSlowStreams holds 1000 concurrent streams of 3 events one
// second apart, and reports, at their peak, the goroutines of the process
// by owner (the gateway's server, the gateway's Invoke connections, the
// fake's server, the clients: one each, raw connections) per stream and the
// heap in use per stream.
func BenchmarkSlowStreams(b *testing.B) {
	const streams = 1000
	fake := benchStreamFake(b)
	addr := strings.TrimPrefix(streamBenchGateway(b, fake.URL, "slow-3"), "http://")
	for range b.N {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap0 := ms.HeapInuse
		var wg sync.WaitGroup
		started := make(chan struct{}, streams)
		errs := make(chan error, streams)
		for range streams {
			wg.Add(1)
			go slowClient(addr, &wg, started, errs)
		}
		for range streams {
			select {
			case <-started:
			case err := <-errs:
				b.Fatal(err)
			case <-time.After(30 * time.Second):
				b.Fatal("the streams did not start")
			}
		}
		runtime.ReadMemStats(&ms)
		heap := float64(ms.HeapInuse) - float64(heap0)
		counts := goroutinesByOwner()
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		for owner, n := range counts {
			b.ReportMetric(float64(n)/streams, owner+"-goroutines/stream")
		}
		b.ReportMetric(heap/streams/1024, "heap-KiB/stream")
	}
}

// slowClient reads one slow stream on a raw connection, in this one
// goroutine.
func slowClient(addr string, wg *sync.WaitGroup, started chan<- struct{}, errs chan<- error) {
	defer wg.Done()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		errs <- err
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	fmt.Fprintf(c, "GET /slow-3 HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	first := true
	events := 0
	for events < 3 {
		line, err := br.ReadString('\n')
		if err != nil {
			errs <- fmt.Errorf("after %d events: %v", events, err)
			return
		}
		if strings.HasPrefix(line, "data: tick") {
			events++
			if first {
				first = false
				started <- struct{}{}
			}
		}
	}
}

// goroutinesByOwner counts the process's goroutines by who started them,
// from their stacks.
func goroutinesByOwner() map[string]int {
	buf := make([]byte, 64<<20)
	buf = buf[:runtime.Stack(buf, true)]
	counts := map[string]int{}
	for _, g := range strings.Split(string(buf), "\n\n") {
		switch {
		case strings.Contains(g, "gateway.slowClient"):
			counts["client"]++
		case strings.Contains(g, "fakelambda"), strings.Contains(g, "net/http.(*conn).serve"), strings.Contains(g, "backgroundRead"):
			counts["fake"]++
		case strings.Contains(g, "persistConn"):
			counts["gateway-invoke-conn"]++
		case strings.Contains(g, "fasthttp"), strings.Contains(g, "fastserver"):
			counts["gateway-server"]++
		default:
			counts["other"]++
		}
	}
	return counts
}
