package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExamplesPassCheck loads every gateway configuration under examples/
// with `lambdagate check`, so that they never rot. A configuration beside a
// functions/ folder is checked as `run --functions` would run it.
func TestExamplesPassCheck(t *testing.T) {
	t.Parallel()
	var files []string
	filepath.WalkDir(filepath.Join("..", "examples"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var head struct {
			Version   int   `json:"version"`
			Endpoints []any `json:"endpoints"`
		}
		if json.Unmarshal(b, &head) == nil && head.Version == 3 && head.Endpoints != nil {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Fatal("no gateway configuration found under examples/")
	}
	for _, f := range files {
		t.Run(filepath.ToSlash(f), func(t *testing.T) {
			t.Parallel()
			args := []string{"check", "-c", f}
			if fi, err := os.Stat(filepath.Join(filepath.Dir(f), "functions")); err == nil && fi.IsDir() {
				args = append(args, "--functions", filepath.Join(filepath.Dir(f), "functions"))
			}
			code, stdout, stderr := runCLI(t, args...)
			if code != 0 {
				t.Errorf("lambdagate %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
			}
			if strings.Contains(stderr, "warning:") {
				t.Errorf("an example should run without warnings:\n%s", stderr)
			}
		})
	}
}
