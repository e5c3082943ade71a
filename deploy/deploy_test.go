// Package deploy holds the Helm chart (helm/lambdagate), the manifests
// rendered from it (manifests/) and the image's default configuration
// (image/). Its tests lint and render the chart with Helm, check the
// manifests are up to date, and decode every rendered object strictly into
// the Kubernetes API's types.
package deploy

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/lambdagate/lambdagate/config"
)

var update = flag.Bool("update", false, "rewrite manifests/ from the chart")

const chart = "helm/lambdagate"

// renders are the manifests kept in manifests/: the chart's defaults, and
// the chart with a Redis pool and an IRSA role (rollout reload).
var renders = []struct {
	file string
	args []string
}{
	{"manifests/lambdagate.yaml", nil},
	{"manifests/lambdagate-redis-irsa.yaml", []string{
		"--set", "redis.address=redis.lambdagate.svc:6379", "--set", "redis.existingSecret=lambdagate-redis",
		"--set", "reload=rollout",
		"--set-string", `serviceAccount.annotations.eks\.amazonaws\.com/role-arn=arn:aws:iam::123456789012:role/lambdagate`,
	}},
}

func helm(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("helm"); err == nil {
		return p
	}
	gopath, _ := exec.Command("go", "env", "GOPATH").Output()
	p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "helm")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("helm is not installed (scripts/test.sh installs it with go install)")
	}
	t.Skip("helm is not installed (scripts/test.sh installs it with go install)")
	return ""
}

func TestHelmLint(t *testing.T) {
	out, err := exec.Command(helm(t), "lint", "--strict", chart).CombinedOutput()
	if err != nil {
		t.Fatalf("helm lint: %v\n%s", err, out)
	}
}

func render(t *testing.T, args []string) []byte {
	t.Helper()
	cmd := exec.Command(helm(t), append([]string{"template", "lambdagate", chart, "--namespace", "lambdagate"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm template: %v\n%s", err, stderr.String())
	}
	return out
}

// TestManifestsAreUpToDate checks manifests/ against helm template (go
// test ./deploy -update rewrites them).
func TestManifestsAreUpToDate(t *testing.T) {
	for _, r := range renders {
		got := render(t, r.args)
		if *update {
			if err := os.WriteFile(r.file, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(r.file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what helm template renders: run go test ./deploy -update", r.file)
		}
	}
}

// TestManifestsDecodeStrictly decodes every object of manifests/ into the
// Kubernetes API's Go types with the API server's strict decoding (an
// unknown or duplicate field is an error), checks the kinds the chart
// promises, and parses the ConfigMap's krakend.json with lambdagate's own
// decoder.
func TestManifestsDecodeStrictly(t *testing.T) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, policyv1.AddToScheme, autoscalingv2.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	decoder := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
	for _, r := range renders {
		data, err := os.ReadFile(r.file)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		reader := utilyaml.NewYAMLReader(bufioReader(data))
		for {
			doc, err := reader.Read()
			if err != nil {
				break
			}
			if len(bytes.TrimSpace(stripComments(doc))) == 0 {
				continue
			}
			obj, gvk, err := decoder.Decode(doc, nil, nil)
			if err != nil {
				t.Fatalf("%s: %v\n%s", r.file, err, doc)
			}
			kinds[gvk.Kind]++
			switch o := obj.(type) {
			case *corev1.ConfigMap:
				if _, _, err := config.Parse([]byte(o.Data["krakend.json"])); err != nil {
					t.Errorf("%s: the ConfigMap's krakend.json: %v", r.file, err)
				}
			case *appsv1.Deployment:
				c := o.Spec.Template.Spec.Containers[0]
				if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/__health" || c.LivenessProbe == nil || c.LivenessProbe.HTTPGet.Path != "/__health" {
					t.Errorf("%s: probes are not on /__health", r.file)
				}
				if c.Resources.Requests.Cpu().IsZero() {
					t.Errorf("%s: no CPU request (the autoscaler needs one)", r.file)
				}
			}
		}
		for _, k := range []string{"ConfigMap", "Deployment", "Service", "ServiceAccount", "PodDisruptionBudget", "HorizontalPodAutoscaler"} {
			if kinds[k] != 1 {
				t.Errorf("%s: %d %s, want 1", r.file, kinds[k], k)
			}
		}
	}
}

// TestStrictDecodingRefusesUnknownFields shows the check can fail: a
// misspelt field of a Deployment is refused.
func TestStrictDecodingRefusesUnknownFields(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := appsv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	decoder := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
	doc := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replica: 2\n")
	if _, _, err := decoder.Decode(doc, nil, nil); err == nil || !strings.Contains(err.Error(), "replica") {
		t.Fatalf("want an unknown field error, got %v", err)
	}
}
