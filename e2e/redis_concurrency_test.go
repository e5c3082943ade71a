package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/lambdagate/lambdagate/internal/redistest"
)

// A gateway process killed (SIGKILL) during an invocation leaves its
// max_concurrency_redis lease behind: the other gateway of the fleet gets
// 429 while it lives, and invokes again once it has expired, the
// endpoint's timeout (1s) plus the 2s margin after it was granted.
func TestFleetLeaseOfAKilledReplicaExpires(t *testing.T) {
	srv := redistest.Start(t) // skips, or fails with CI set, without redis-server
	functions := filepath.Join("..", "backend", "lambda", "testdata", "functions")
	cfg := `{"version": 3,
	  "extra_config": {"redis": {"connection_pools": [{"name": "fleet", "address": "` + srv.Addr() + `", "max_retries": 0}]}},
	  "endpoints": [{"endpoint": "/inflight", "timeout": "1s", "input_query_strings": ["dir", "ms"],
	    "backend": [{"host": ["http://unused.invalid"], "url_pattern": "/",
	      "extra_config": {"backend/lambda": {"function_name": "inflight", "max_concurrency": 1, "max_concurrency_redis": {"connection_name": "fleet"}}}}]}]}`
	a := startGateway(t, cfg, "--functions", functions)
	b := startGateway(t, cfg, "--functions", functions)
	dir := t.TempDir()
	get := func(g *gatewayProc, ms string) int {
		resp, err := client.Get(g.URL + "/inflight?dir=" + dir + "&ms=" + ms)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := get(b, "10"); s != http.StatusOK {
		t.Fatalf("b, nothing in flight: %d, want 200", s)
	}
	rc := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rc.Close()
	key := "lambdagate:concurrency:GET /inflight:backend[0]"
	go get(a, "5000") // a takes the fleet's one place
	var granted time.Time
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		entries, _ := os.ReadDir(dir)
		if n, _ := rc.ZCard(context.Background(), key).Result(); n == 1 && len(entries) == 1 {
			granted = time.Now()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a's invocation did not start within 10s")
		}
	}
	a.cmd.Process.Kill() // no release: the replica is gone
	<-a.done
	if s := get(b, "10"); s != http.StatusTooManyRequests {
		t.Fatalf("the killed replica's lease alive: b got %d, want 429", s)
	}
	for {
		s := get(b, "10")
		if s == http.StatusOK {
			break
		}
		if s != http.StatusTooManyRequests || time.Since(granted) > 10*time.Second {
			t.Fatalf("%v after the grant: b got %d, want 429 until the lease expires, then 200", time.Since(granted), s)
		}
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(granted)
	t.Logf("b invoked again %v after the killed replica's lease was granted", took)
	if took < 2500*time.Millisecond || took > 5*time.Second {
		t.Errorf("b invoked again %v after the grant, want about 3s (timeout 1s + margin 2s)", took)
	}
}
