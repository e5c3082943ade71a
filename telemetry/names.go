package telemetry

// Instrument names. The Prometheus exporter writes them with dots turned
// into underscores and the unit added: lambdagate.request.duration (unit
// s) is scraped as lambdagate_request_duration_seconds, a counter gets
// _total. docs/observability.md lists each with its attributes. The
// Lambda transport's and the local runtime's instruments are named next to
// them (backend/lambda and lambdalocal's Metric* constants).
const (
	// MetricRequests counts the requests an endpoint answered, by
	// AttrMethod, AttrRoute and AttrStatus.
	MetricRequests = "lambdagate.requests"
	// MetricRequestDuration is the histogram of the time an endpoint took
	// to answer, in seconds, by AttrMethod, AttrRoute and AttrStatus.
	MetricRequestDuration = "lambdagate.request.duration"
	// MetricRequestsInFlight is the number of requests being served, by
	// AttrMethod and AttrRoute.
	MetricRequestsInFlight = "lambdagate.requests.in_flight"
	// MetricBackendCalls counts backend calls, by AttrBackendKind,
	// AttrBackendTarget and AttrBackendOutcome.
	MetricBackendCalls = "lambdagate.backend.calls"
	// MetricBackendDuration is the histogram of backend call times, in
	// seconds (reading and decoding the reply included), by the same
	// attributes as MetricBackendCalls.
	MetricBackendDuration = "lambdagate.backend.duration"
)

// Attribute keys, on metrics (where the Prometheus exporter writes them
// with underscores) and on spans.
const (
	// AttrMethod is the client's HTTP method.
	AttrMethod = "http.request.method"
	// AttrRoute is the endpoint's path template, as configured
	// (/users/{id}), never the raw path.
	AttrRoute = "http.route"
	// AttrStatus is an HTTP status code.
	AttrStatus = "http.response.status_code"
	// AttrURLPath is the client's raw path (spans only: it is unbounded).
	AttrURLPath = "url.path"
	// AttrBackendKind is the backend's kind: "http", "lambda", ...
	AttrBackendKind = "backend.kind"
	// AttrBackendTarget is what the backend calls, from the configuration:
	// the host(s) of an HTTP backend, the function of a Lambda backend.
	AttrBackendTarget = "backend.target"
	// AttrBackendOutcome is how a backend call ended: one of
	// OutcomeSuccess, OutcomeError, OutcomeTimeout, OutcomePartial.
	AttrBackendOutcome = "backend.outcome"
	// AttrBackendName is the backend's place in the configuration, such
	// as endpoints[0].backend[1] (spans only).
	AttrBackendName = "backend.name"
	// AttrRequestID is the request's X-Request-Id (spans only).
	AttrRequestID = "lambdagate.request_id"
	// AttrServerAddress is the host:port an HTTP backend call went to.
	AttrServerAddress = "server.address"
)

// Values of AttrBackendOutcome.
const (
	// OutcomeSuccess: the backend answered completely.
	OutcomeSuccess = "success"
	// OutcomeError: the backend failed and gave nothing to merge.
	OutcomeError = "error"
	// OutcomeTimeout: the endpoint's timeout ended the call.
	OutcomeTimeout = "timeout"
	// OutcomePartial: the backend gave data but marked it incomplete, or
	// gave data along with an error (return_error_details).
	OutcomePartial = "partial"
)

// DurationBuckets are the histogram bucket bounds, in seconds, of every
// duration instrument: from half a millisecond to a minute.
var DurationBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// SizeBuckets are the histogram bucket bounds, in bytes, of payload sizes:
// from 100 bytes to Lambda's 6 MiB limit.
var SizeBuckets = []float64{100, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 3 << 20, 6 << 20}
