package e2e

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

var metricsURLRe = regexp.MustCompile(`prometheus metrics served.*?url"?[=:]"?(http://[^\s"]+)`)

// metricsURL waits for the gateway's Prometheus exporter to be served and
// returns its URL.
func metricsURL(t *testing.T, g *gatewayProc) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := metricsURLRe.FindStringSubmatch(g.Logs()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("no Prometheus URL in the gateway's logs:\n%s", g.Logs())
	return ""
}

// scrape is one scrape of a Prometheus endpoint, parsed with the
// Prometheus library.
type scrape map[string]*dto.MetricFamily

func scrapeMetrics(t *testing.T, url string) scrape {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("scraping %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("scraping %s: status %d", url, resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing the scrape of %s: %v", url, err)
	}
	return mfs
}

// value sums, over the series of family whose labels include labels, the
// counter or gauge value, or the histogram's sample count.
func (s scrape) value(family string, labels map[string]string) float64 {
	mf := s[family]
	if mf == nil {
		return 0
	}
	var sum float64
	for _, m := range mf.GetMetric() {
		match := 0
		for _, l := range m.GetLabel() {
			if v, ok := labels[l.GetName()]; ok && v == l.GetValue() {
				match++
			}
		}
		if match != len(labels) {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum
}

// labelValues lists the distinct values of label in family.
func (s scrape) labelValues(family, label string) []string {
	seen := map[string]bool{}
	if mf := s[family]; mf != nil {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label {
					seen[l.GetValue()] = true
				}
			}
		}
	}
	var out []string
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// delta is what one series grew by between two scrapes.
func delta(before, after scrape, family string, labels map[string]string) float64 {
	return after.value(family, labels) - before.value(family, labels)
}

// otlpReceiver is an OTLP/HTTP trace receiver: it keeps every span it is
// sent, decoded with the OTLP protobuf types.
type otlpReceiver struct {
	srv   *httptest.Server
	mu    sync.Mutex
	spans []receivedSpan
}

// receivedSpan is a span with its resource's attributes.
type receivedSpan struct {
	*tracepb.Span
	Resource map[string]string
}

func startOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	rc := &otlpReceiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
			http.Error(w, "not an OTLP trace export", http.StatusNotFound)
			return
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			body = zr
		}
		b, err := io.ReadAll(body)
		var req coltracepb.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(b, &req)
		}
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		rc.mu.Lock()
		for _, rs := range req.GetResourceSpans() {
			res := attrMap(rs.GetResource().GetAttributes())
			for _, ss := range rs.GetScopeSpans() {
				for _, sp := range ss.GetSpans() {
					rc.spans = append(rc.spans, receivedSpan{sp, res})
				}
			}
		}
		rc.mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// dump returns every span received, as text, for searching.
func (rc *otlpReceiver) dump() string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var b strings.Builder
	for _, s := range rc.spans {
		b.WriteString(s.Span.String())
		b.WriteString("\n")
		for k, v := range s.Resource {
			b.WriteString(k + "=" + v + "\n")
		}
	}
	return b.String()
}

// hostPort returns the receiver's host and port.
func (rc *otlpReceiver) hostPort() (string, string) {
	hp := strings.TrimPrefix(rc.srv.URL, "http://")
	i := strings.LastIndexByte(hp, ':')
	return hp[:i], hp[i+1:]
}

// trace returns the spans received with traceID (hex).
func (rc *otlpReceiver) trace(traceID string) []receivedSpan {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []receivedSpan
	for _, s := range rc.spans {
		if fmt.Sprintf("%x", s.GetTraceId()) == traceID {
			out = append(out, s)
		}
	}
	return out
}

// attrMap flattens OTLP attributes to strings.
func attrMap(kvs []*commonpb.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		v := kv.GetValue()
		switch v.GetValue().(type) {
		case *commonpb.AnyValue_IntValue:
			m[kv.GetKey()] = fmt.Sprint(v.GetIntValue())
		case *commonpb.AnyValue_BoolValue:
			m[kv.GetKey()] = fmt.Sprint(v.GetBoolValue())
		case *commonpb.AnyValue_DoubleValue:
			m[kv.GetKey()] = fmt.Sprint(v.GetDoubleValue())
		default:
			m[kv.GetKey()] = v.GetStringValue()
		}
	}
	return m
}

// hexID formats a span or trace id.
func hexID(b []byte) string { return fmt.Sprintf("%x", b) }

// mustEqualAttrs reports each of want's attributes that span lacks or
// holds with another value.
func mustEqualAttrs(t *testing.T, what string, span receivedSpan, want map[string]string) {
	t.Helper()
	got := attrMap(span.GetAttributes())
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: attribute %s = %q, want %q (all: %v)", what, k, got[k], v, got)
		}
	}
}
