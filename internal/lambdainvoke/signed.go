package lambdainvoke

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/restjson"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/lambdagate/lambdagate/internal/lambdaapi"
)

// signingName is Lambda's SigV4 service name.
const signingName = "lambda"

// maxErrorBody bounds how much of an Invoke API error answer is read.
const maxErrorBody = 64 << 10

// userAgent identifies the gateway to Lambda.
const userAgent = "lambdagate"

// Client invokes functions through one Invoke endpoint with one set of
// credentials (an Invoker): one request per attempt, signed with the SDK's
// SigV4 signer and cached credentials, and sent by a sender (fasthttp's
// client by default). It skips the SDK's per-call middleware stack, whose
// cost exceeds the whole HTTP hop (see docs/BENCHMARKS.md). Build one with
// New, or share them with Clients.
type Client struct {
	base   string   // the Invoke endpoint, no trailing slash
	parsed *url.URL // base, parsed once; nil if it does not parse
	region string
	creds  aws.CredentialsProvider
	signer *v4.Signer
	sender sender
	// pooled says Invoke fills a pooled request for the signer: decided
	// once, in newClient, from the sender and the endpoint.
	pooled bool
	// sdkMaxAttempts is the SDK's configured attempts (AWS_MAX_ATTEMPTS,
	// max_attempts in the profile), 0 when unset.
	sdkMaxAttempts int
	// lastPath holds the Invoke paths of the last function invoked: a
	// caller with a fixed function name builds them once.
	lastPath atomic.Pointer[invokePath]

	// streamOnce builds streamClient, the net/http client of streamed
	// invocations (InvokeStream), on first use.
	streamOnce   sync.Once
	streamClient *http.Client
	streamErr    error
	streamReady  atomic.Pointer[http.Client] // streamClient, once built
}

// invokePath is a function's Invoke path, decoded and escaped, and its
// whole URL as text (without a qualifier).
type invokePath struct {
	name, path, rawPath, uri string
}

// pathFor returns the Invoke path of the function name.
func (s *Client) pathFor(name string) *invokePath {
	if p := s.lastPath.Load(); p != nil && p.name == name {
		return p
	}
	p := &invokePath{
		name:    name,
		path:    s.parsed.Path + lambdaapi.InvokePath(name),
		rawPath: s.parsed.EscapedPath() + lambdaapi.EscapedInvokePath(name),
	}
	u := *s.parsed
	u.Path, u.RawPath = p.path, p.rawPath
	p.uri = u.String()
	s.lastPath.Store(p)
	return p
}

// Header values the Invoke request sends, shared by every request: the
// signer and the senders only read them.
var (
	contentTypeValue = []string{"application/octet-stream"}
	userAgentValue   = []string{userAgent}
	logTailValue     = []string{lambdaapi.LogTypeTail}
	invocationValues = map[string][]string{
		lambdaapi.InvocationRequestResponse: {lambdaapi.InvocationRequestResponse},
		lambdaapi.InvocationEvent:           {lambdaapi.InvocationEvent},
		lambdaapi.InvocationDryRun:          {lambdaapi.InvocationDryRun},
	}
)

// newClient returns the Client of an Invoke endpoint. Whether requests are
// pooled is decided here, once, not per call: fastSender copies what it
// needs of the request, so the request handed to the signer can be pooled;
// netSender keeps the request it sends, and an endpoint that does not parse
// has no URL to copy, so both get a request of their own (newRequest).
func newClient(endpoint, region string, creds aws.CredentialsProvider, snd sender) *Client {
	if _, cached := creds.(*aws.CredentialsCache); !cached {
		creds = aws.NewCredentialsCache(creds)
	}
	parsed := parseBase(trimEndpoint(endpoint))
	_, fast := snd.(*fastSender)
	return &Client{
		base:   trimEndpoint(endpoint),
		parsed: parsed,
		region: region,
		creds:  creds,
		signer: v4.NewSigner(),
		sender: snd,
		pooled: fast && parsed != nil,
	}
}

// CloseIdle closes the Client's idle connections.
func (s *Client) CloseIdle() {
	s.sender.closeIdle()
	if c := s.streamReady.Load(); c != nil {
		c.CloseIdleConnections()
	}
}

// CheckCredentials retrieves the Client's credentials as an invocation
// would: a *CredentialsError when none can be had.
func (s *Client) CheckCredentials(ctx context.Context) error {
	if _, err := s.creds.Retrieve(ctx); err != nil {
		return &CredentialsError{Err: err}
	}
	return nil
}

// Region is the region the Client signs for: the Key's, the SDK's, or
// us-east-1 for a local runtime or a custom endpoint without one.
func (s *Client) Region() string { return s.region }

// SDKMaxAttempts is the number of attempts the AWS configuration asks for
// (AWS_MAX_ATTEMPTS, max_attempts in the profile), 0 when it says none:
// see AttemptsFor.
func (s *Client) SDKMaxAttempts() int { return s.sdkMaxAttempts }

// Invoke sends one invocation: it never retries (see WithRetries).
func (s *Client) Invoke(ctx context.Context, in *Invocation) (*Result, error) {
	var req *http.Request
	var uri string
	if s.pooled {
		pr := invokeRequests.Get().(*invokeRequest)
		defer pr.release()
		req, uri = s.fill(pr, in), pr.uri
	} else {
		var err error
		if req, err = s.newRequest(ctx, in); err != nil {
			return nil, err
		}
	}
	if err := s.sign(ctx, req, in); err != nil {
		return nil, err
	}
	r, err := s.sender.send(ctx, req, uri, in.Payload)
	if err != nil {
		var se *sendError
		if errors.As(err, &se) && se.beforeReply {
			// Wrapped as the SDK wraps it, so its retry rules see a
			// connection error.
			return nil, &smithyhttp.RequestSendError{Err: se.err}
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if r.status < 200 || r.status > 299 {
		return nil, apiErrorOf(r)
	}
	return &Result{
		StatusCode:      r.status,
		Payload:         r.body,
		FunctionError:   r.functionError,
		LogResult:       r.logResult,
		ExecutedVersion: r.executedVersion,
		RequestID:       r.requestID,
	}, nil
}

// invokeRequest is a pooled Invoke request, for senders that do not keep
// the request once sent.
type invokeRequest struct {
	req    http.Request
	url    url.URL
	header http.Header
	uri    string // the URL as text
}

var invokeRequests = sync.Pool{New: func() any {
	return &invokeRequest{header: make(http.Header, 8)}
}}

func (pr *invokeRequest) release() {
	pr.req = http.Request{}
	clear(pr.header)
	invokeRequests.Put(pr)
}

// fill makes pr the Invoke request of in, as newRequest would build it.
func (s *Client) fill(pr *invokeRequest, in *Invocation) *http.Request {
	p := s.pathFor(in.FunctionName)
	pr.url = *s.parsed
	pr.url.Path, pr.url.RawPath = p.path, p.rawPath
	pr.uri = p.uri
	if in.Qualifier != "" {
		pr.url.RawQuery = lambdaapi.QualifierParam + "=" + url.QueryEscape(in.Qualifier)
		pr.uri = pr.url.String()
	}
	pr.req = http.Request{
		Method:        http.MethodPost,
		URL:           &pr.url,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        pr.header,
		Host:          pr.url.Host,
		ContentLength: int64(len(in.Payload)),
	}
	setInvokeHeaders(pr.header, in)
	return &pr.req
}

// newRequest builds the Invoke request: POST to the function's Invoke path
// (lambdaapi.EscapedInvokePath: the name escaped as the SDK escapes it),
// with ?Qualifier=q when the invocation has a qualifier.
func (s *Client) newRequest(ctx context.Context, in *Invocation) (*http.Request, error) {
	var req *http.Request
	if s.parsed != nil {
		// The URL is the endpoint's, parsed once, with the Invoke path set:
		// no parsing per request.
		u := *s.parsed
		p := s.pathFor(in.FunctionName)
		u.Path, u.RawPath = p.path, p.rawPath
		if in.Qualifier != "" {
			u.RawQuery = lambdaapi.QualifierParam + "=" + url.QueryEscape(in.Qualifier)
		}
		req = (&http.Request{
			Method:        http.MethodPost,
			URL:           &u,
			Proto:         "HTTP/1.1",
			ProtoMajor:    1,
			ProtoMinor:    1,
			Header:        make(http.Header, 8),
			Host:          u.Host,
			ContentLength: int64(len(in.Payload)),
			// No Body and no context here: the SigV4 signer needs neither,
			// fastSender sends the payload itself and netSender sets both.
		})
	} else {
		raw := s.base + lambdaapi.EscapedInvokePath(in.FunctionName)
		if in.Qualifier != "" {
			raw += "?" + lambdaapi.QualifierParam + "=" + url.QueryEscape(in.Qualifier)
		}
		var err error
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, raw, bytes.NewReader(in.Payload))
		if err != nil {
			return nil, fmt.Errorf("building the Invoke request: %w", err)
		}
	}
	setInvokeHeaders(req.Header, in)
	return req, nil
}

// setInvokeHeaders sets the Invoke request's headers: those the SDK sends
// for the invocation's options.
func setInvokeHeaders(h http.Header, in *Invocation) {
	h["Content-Type"] = contentTypeValue
	h["User-Agent"] = userAgentValue
	if in.InvocationType != "" {
		v, ok := invocationValues[in.InvocationType]
		if !ok {
			v = []string{in.InvocationType}
		}
		h[lambdaapi.HeaderInvocationType] = v
	}
	if in.LogTail {
		h[lambdaapi.HeaderLogType] = logTailValue
	}
	if in.TraceHeader != "" {
		// Not signed (SigV4 ignores it), as the SDK sends it.
		h[lambdaapi.HeaderTraceID] = []string{in.TraceHeader}
	}
}

// readBody reads a whole result, bounded by maxResultBytes (the gateway's
// decoding stage reads no more: proxy.MaxBodyBytes).
func readBody(resp *http.Response) ([]byte, error) {
	n := resp.ContentLength
	if n < 0 || n > maxResultBytes {
		n = 512
	}
	buf := bytes.NewBuffer(make([]byte, 0, n+1))
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, maxResultBytes+1)); err != nil {
		return nil, fmt.Errorf("reading the function's result: %w", err)
	}
	if buf.Len() > maxResultBytes {
		return nil, fmt.Errorf("the function's result is larger than %d bytes", maxResultBytes)
	}
	return buf.Bytes(), nil
}

// readLimited reads at most n bytes of r.
func readLimited(r io.Reader, n int64) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r, n))
}

// apiErrorOf decodes an Invoke API error answer: the code from
// X-Amzn-ErrorType, else from the body's code or __type, as the SDK does.
func apiErrorOf(r *reply) *APIError {
	body := r.body
	if len(body) > maxErrorBody {
		body = body[:maxErrorBody]
	}
	e := &APIError{
		StatusCode: r.status,
		RetryAfter: r.retryAfter,
		RequestID:  r.requestID,
	}
	code, msg, _ := restjson.GetErrorInfo(json.NewDecoder(bytes.NewReader(body)))
	if r.errorType != "" {
		code = restjson.SanitizeErrorCode(r.errorType)
	}
	e.Code, e.Message = code, msg
	return e
}

// parseBase parses an Invoke endpoint once; nil when it does not parse as
// an absolute URL without query (newRequest then builds the URL as text).
func parseBase(base string) *url.URL {
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil
	}
	return u
}

// sign signs req for in with the client's credentials; anonymous
// credentials (no keys) leave it unsigned.
func (s *Client) sign(ctx context.Context, req *http.Request, in *Invocation) error {
	creds, err := s.creds.Retrieve(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &CredentialsError{Err: err}
	}
	if in.payloadHash == "" {
		sum := sha256.Sum256(in.Payload)
		in.payloadHash = hex.EncodeToString(sum[:])
	}
	if creds.HasKeys() {
		if err := s.signer.SignHTTP(ctx, creds, req, in.payloadHash, signingName, s.region, time.Now()); err != nil {
			return fmt.Errorf("signing the request: %w", err)
		}
	}
	return nil
}
