package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestContainerImage builds the image with scripts/image.sh (buildah, from
// scratch, nothing pulled) and checks its user, command and HEALTHCHECK;
// then runs it with podman on the host's network: /__health, a request to
// an HTTP backend, lambdagate health inside it, and a graceful stop. Where
// containers cannot run, it skips that part with the script's reason.
func TestContainerImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a container image")
	}
	if _, err := exec.LookPath("buildah"); err != nil {
		t.Skip("buildah is not installed (scripts/test.sh installs it): the image cannot be built")
	}
	tag := fmt.Sprintf("localhost/lambdagate:e2e-%d", os.Getpid())
	name := fmt.Sprintf("lambdagate-e2e-%d", os.Getpid())
	if out, err := exec.Command("../scripts/image.sh", "build", tag).CombinedOutput(); err != nil {
		t.Fatalf("scripts/image.sh build: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("podman", "rmi", "-f", tag).Run() })
	// What the image runs, as built: checked even where it cannot run.
	inspect, err := exec.Command("podman", "image", "inspect", "--format", "{{.Config.User}} {{.Config.Entrypoint}} {{.Config.Cmd}} {{.HealthCheck.Test}}", tag).CombinedOutput()
	if err != nil {
		t.Fatalf("podman image inspect: %v\n%s", err, inspect)
	}
	for _, want := range []string{"65532:65532", "[/usr/local/bin/lambdagate]", "[run -c /etc/lambdagate/krakend.json]", "[CMD /usr/local/bin/lambdagate health]"} {
		if !strings.Contains(string(inspect), want) {
			t.Errorf("image config %q lacks %q", inspect, want)
		}
	}
	var why bytes.Buffer
	probe := exec.Command("../scripts/image.sh", "can-run", tag)
	probe.Stdout, probe.Stderr = &why, &why
	if err := probe.Run(); err != nil {
		t.Skipf("the image is built, but containers cannot run on this machine: %s", strings.TrimSpace(why.String()))
	}

	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"from":"backend","path":%q}`, r.URL.Path)
	}))
	defer backend.Close()
	port := freePort(t)
	cfg := fmt.Sprintf(`{"version": 3, "listen_ip": "127.0.0.1", "port": %s, "endpoints": [
	  {"endpoint": "/api/{id}", "backend": [{"host": [%q], "url_pattern": "/items/{id}"}]}]}`, port, backend.URL)
	file := filepath.Join(t.TempDir(), "krakend.json")
	if err := os.WriteFile(file, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	run := exec.Command("podman", "run", "-d", "--name", name, "--network", "host",
		"-e", "AWS_EC2_METADATA_DISABLED=true",
		"-v", file+":/etc/lambdagate/krakend.json:ro", tag)
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("podman run: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("podman", "rm", "-f", name).Run() })
	logs := func() string {
		out, _ := exec.Command("podman", "logs", name).CombinedOutput()
		return string(out)
	}

	base := "http://127.0.0.1:" + port
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(base + "/__health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no 200 from /__health within 30s (%v); logs:\n%s", err, logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
	res, err := http.Get(base + "/api/42")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"path":"/items/42"`) {
		t.Fatalf("GET /api/42: %d %s; logs:\n%s", res.StatusCode, body, logs())
	}

	// The image's HEALTHCHECK is lambdagate health, on the default port:
	// run by hand against this port, and checked to be configured.
	if out, err := exec.Command("podman", "exec", name, "/usr/local/bin/lambdagate", "health", "--url", base+"/__health").CombinedOutput(); err != nil {
		t.Fatalf("lambdagate health in the container: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "podman", "stop", "-t", "10", name).CombinedOutput(); err != nil {
		t.Fatalf("podman stop: %v\n%s", err, out)
	}
	code, _ := exec.Command("podman", "inspect", "--format", "{{.State.ExitCode}}", name).Output()
	if strings.TrimSpace(string(code)) != "0" {
		t.Fatalf("exit code after SIGTERM %q, want 0; logs:\n%s", code, logs())
	}
}
