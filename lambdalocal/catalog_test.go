package lambdalocal

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// nodeVersion is a Node.js handler answering {"v": version} after waiting
// event.ms milliseconds.
func nodeVersion(version string) string {
	return `exports.handler = async (e) => { await new Promise(r => setTimeout(r, e.ms || 0)); return {v: "` + version + `"}; };`
}

// TestRescan: a Rescan adds new function folders, drops removed ones,
// restarts changed ones (their next call runs the new code), keeps the
// warm processes of unchanged ones, lets a call in progress on a changed
// function finish on its old process, and changes nothing when a folder
// is broken.
func TestRescan(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"ver/index.js":  nodeVersion("one"),
		"keep/index.js": nodeVersion("kept"),
	})
	srv, err := Start(context.Background(), Options{FunctionsDir: dir, CacheDir: testCache, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Close(ctx)
	})
	client := newClient(srv, noRetries)
	call := func(name, payload string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(payload)})
		if err != nil {
			return "", err
		}
		return string(out.Payload), nil
	}
	mustCall := func(name, payload, want string) {
		t.Helper()
		got, err := call(name, payload)
		if err != nil {
			t.Fatalf("invoking %s: %v", name, err)
		}
		if got != want {
			t.Fatalf("%s answered %s, want %s", name, got, want)
		}
	}
	mustCall("ver", `{}`, `{"v":"one"}`)
	mustCall("keep", `{}`, `{"v":"kept"}`)
	keepPool := srv.cat.Load().pool("keep")

	// Nothing changed: nothing to do.
	if ch, err := srv.Rescan(context.Background()); err != nil || !ch.Empty() {
		t.Fatalf("Rescan of an unchanged folder = %+v, %v; want no change", ch, err)
	}

	// A call in progress on "ver" while its code changes.
	slow := make(chan string, 1)
	go func() {
		got, err := call("ver", `{"ms":600}`)
		if err != nil {
			got = err.Error()
		}
		slow <- got
	}()
	waitFor(t, 5*time.Second, "the slow call to start", func() bool { return len(srv.cat.Load().pool("ver").slots) == 1 })
	time.Sleep(100 * time.Millisecond)

	write := func(path, content string) {
		t.Helper()
		full := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("ver/index.js", nodeVersion("two"))
	write("added/index.js", nodeVersion("new"))
	ch, err := srv.Rescan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ch.Added, []string{"added"}) || !slices.Equal(ch.Changed, []string{"ver"}) || len(ch.Removed) != 0 {
		t.Fatalf("Rescan = %+v, want added [added], changed [ver]", ch)
	}
	if got := <-slow; got != `{"v":"one"}` {
		t.Errorf("the call in progress during the rescan answered %s, want the old code's {\"v\":\"one\"}", got)
	}
	mustCall("ver", `{}`, `{"v":"two"}`)
	mustCall("added", `{}`, `{"v":"new"}`)
	if srv.cat.Load().pool("keep") != keepPool || keepPool.idleProcesses() != 1 {
		t.Errorf("the unchanged function lost its pool or its warm process")
	}
	if got := srv.Functions(); !slices.Equal(got, []string{"added", "keep", "ver"}) {
		t.Errorf("Functions() = %v", got)
	}
	// The old "ver" process ends once its call is done: one process per
	// function remains.
	waitFor(t, 5*time.Second, "the replaced process to stop", func() bool { return srv.processes() == 3 })

	// A broken folder: an error naming it, and nothing changes.
	write("broken/function.json", `{"timout": 3}`)
	if _, err := srv.Rescan(context.Background()); err == nil || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("Rescan with a broken folder: %v, want an error naming it", err)
	}
	mustCall("added", `{}`, `{"v":"new"}`)
	if err := os.RemoveAll(filepath.Join(dir, "broken")); err != nil {
		t.Fatal(err)
	}

	// A removed folder: its function is no longer served.
	if err := os.RemoveAll(filepath.Join(dir, "added")); err != nil {
		t.Fatal(err)
	}
	if ch, err := srv.Rescan(context.Background()); err != nil || !slices.Equal(ch.Removed, []string{"added"}) {
		t.Fatalf("Rescan after a removal = %+v, %v", ch, err)
	}
	_, err = call("added", `{}`)
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("a removed function answered %v, want ResourceNotFoundException", err)
	}
	waitFor(t, 5*time.Second, "the removed function's process to stop", func() bool { return srv.processes() == 2 })
}
