package lambda

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/lambdaapi"
	"github.com/lambdagate/lambdagate/internal/lambdainvoke"
	"github.com/lambdagate/lambdagate/proxy"
)

// resolveStream checks invoke_mode and stream_idle_timeout against the
// backend's other options.
func (o *Options) resolveStream(at func(string) string, s *settings, errs *config.Errors) {
	switch o.InvokeMode {
	case "", InvokeModeBuffered:
		if o.StreamIdleTimeout != "" {
			errs.Add(at("stream_idle_timeout"), "only applies with invoke_mode %s: set it, or remove stream_idle_timeout", InvokeModeStream)
		}
		return
	case InvokeModeStream:
		s.stream = true
	default:
		errs.Add(at("invoke_mode"), "%q is not an invoke mode: use %s (default) or %s", o.InvokeMode, InvokeModeBuffered, InvokeModeStream)
		return
	}
	if s.invocationType != InvocationRequestResponse {
		errs.Add(at("invocation_type"), "is %s: invoke_mode %s streams a RequestResponse invocation's response; remove one of them", s.invocationType, InvokeModeStream)
	}
	if o.CacheTTL != "" {
		errs.Add(at("cache_ttl"), "is not implemented with invoke_mode %s (a stream is not cached): remove one of them", InvokeModeStream)
	}
	if o.MaxConcurrency != 0 {
		errs.Add(at("max_concurrency"), "is not implemented with invoke_mode %s yet: remove one of them", InvokeModeStream)
	}
	if o.ResponseFormat == FormatAPIGateway {
		errs.Add(at("response_format"), "apigateway does not apply to invoke_mode %s: a streaming function sets its status and headers with an HTTP integration prelude (awslambda.HttpResponseStream.from); remove response_format", InvokeModeStream)
	}
	if o.StreamIdleTimeout != "" {
		d, err := time.ParseDuration(o.StreamIdleTimeout)
		if err != nil || d <= 0 {
			errs.Add(at("stream_idle_timeout"), "%q is not a positive duration: write a number with a unit, such as \"10s\"", o.StreamIdleTimeout)
		}
		s.idleTimeout = d
	}
}

// checkStreamEndpoint refuses a streaming backend on an endpoint that would
// need its whole body: streaming is the endpoint's, with one backend and
// no-op output.
func checkStreamEndpoint(base string, e *config.Endpoint, b *config.Backend) config.Errors {
	var errs config.Errors
	at := config.Join(base, "invoke_mode")
	if e == nil {
		return nil
	}
	if len(e.Backend) != 1 {
		errs.Add(at, "%s needs the endpoint's only backend: this endpoint has %d, and merging needs every body whole; give the streaming function an endpoint of its own", InvokeModeStream, len(e.Backend))
	}
	if e.OutputEncoding != proxy.EncodingNoOp {
		errs.Add(at, "%s needs the endpoint's output_encoding \"no-op\" (it is %q): any other output shapes the whole body", InvokeModeStream, e.OutputEncoding)
	}
	if b.Encoding != proxy.EncodingNoOp {
		errs.Add(at, "%s needs the backend's encoding \"no-op\" (it is %q): decoding needs the whole body", InvokeModeStream, b.Encoding)
	}
	return errs
}

// errIdle ends a stream idle past stream_idle_timeout.
var errIdle = errors.New("no chunk arrived within stream_idle_timeout")

// callStream invokes the backend's function with InvokeWithResponseStream.
// It waits for the first chunk (and, for an HTTP integration stream, the
// whole prelude), so that a failure before the first byte gets the usual
// status; the rest of the stream is the Response's Body, read as the
// function writes it.
func (t *transport) callStream(ctx context.Context, req *proxy.Request) (*proxy.Response, error) {
	in, fm, fromParam, err := t.prepare(ctx, req)
	if err != nil {
		return nil, err
	}
	fn := in.FunctionName
	sctx, cancel := context.WithCancelCause(ctx)
	s, err := t.streamer.InvokeStream(sctx, in)
	var res *lambdainvoke.Result
	if s != nil {
		res = &lambdainvoke.Result{StatusCode: s.StatusCode, ExecutedVersion: s.ExecutedVersion, RequestID: s.RequestID}
	}
	if fm != nil {
		fm.invoked(ctx, len(in.Payload), res, err)
	}
	if t.tel != nil && t.tel.spans {
		annotate(ctx, fn, t.qualifier, res, err)
	}
	if err != nil {
		cancel(nil)
		return nil, clientError(ctx, err, fn, fromParam)
	}
	b := &streamBody{s: s, cancel: cancel, sctx: sctx, idle: t.idleTimeout, fn: fn, t: t, fm: fm, ctx: ctx}
	if b.idle > 0 {
		b.timer = time.AfterFunc(b.idle, func() { cancel(errIdle) })
	}
	head, err := b.next()
	if err != nil && err != io.EOF {
		b.Close()
		return nil, streamStartError(ctx, sctx, err, fn)
	}
	meta := proxy.Metadata{StatusCode: http.StatusOK, Headers: http.Header{}}
	if s.ExecutedVersion != "" {
		meta.Headers.Set(lambdaapi.HeaderExecutedVersion, s.ExecutedVersion)
	}
	if s.ContentType == lambdaapi.ContentTypeHTTPIntegration {
		p, rest, perr := readPrelude(b, head, err)
		if perr != nil {
			b.Close()
			return nil, streamStartError(ctx, sctx, perr, fn)
		}
		meta.StatusCode = p.StatusCode
		for k, v := range p.Headers {
			meta.Headers.Set(k, v)
		}
		for _, c := range p.Cookies {
			meta.Headers.Add("Set-Cookie", c)
		}
		head = rest
	} else {
		ct := s.ContentType
		if ct == "" {
			ct = lambdaapi.DefaultStreamContentType
		}
		meta.Headers.Set("Content-Type", ct)
	}
	b.pending = head
	if err == io.EOF {
		b.eof = true
	}
	return &proxy.Response{IsComplete: true, Body: b, Metadata: meta}, nil
}

// readPrelude reads chunks until the HTTP integration prelude is whole.
// head and err are the first chunk's.
func readPrelude(b *streamBody, head []byte, err error) (lambdaapi.HTTPPrelude, []byte, error) {
	buf := append([]byte(nil), head...)
	for {
		p, rest, perr := lambdaapi.SplitPrelude(buf)
		if perr == nil {
			return p, rest, nil
		}
		if !errors.Is(perr, lambdaapi.ErrPreludeIncomplete) {
			return p, nil, fmt.Errorf("the function's response stream: %w", perr)
		}
		if err == io.EOF {
			return p, nil, errors.New("the function's response stream ended inside its HTTP integration prelude")
		}
		var chunk []byte
		chunk, err = b.next()
		if err != nil && err != io.EOF {
			return p, nil, err
		}
		buf = append(buf, chunk...)
	}
}

// streamStartError is the error of a stream that failed before its first
// byte: the usual table (a function error is 502, the endpoint's timeout
// 504), with the idle timeout a 504 too.
func streamStartError(ctx, sctx context.Context, err error, fn string) error {
	if errors.Is(context.Cause(sctx), errIdle) && ctx.Err() == nil {
		return &proxy.StatusError{Status: http.StatusGatewayTimeout, Err: fmt.Errorf("lambda function %q: %w", fn, errIdle)}
	}
	var se *lambdainvoke.StreamError
	if errors.As(err, &se) && ctx.Err() == nil {
		return &proxy.StatusError{Status: http.StatusBadGateway, Err: fmt.Errorf("lambda function %q failed: %w", fn, err)}
	}
	return clientError(ctx, err, fn, false)
}

// streamBody is a streamed invocation's rest, as an io.ReadCloser: one
// Read returns at most one chunk, so that the writer can flush after each.
type streamBody struct {
	s       *lambdainvoke.Stream
	cancel  context.CancelCauseFunc
	ctx     context.Context // the request's
	sctx    context.Context // the stream's, ended by Close and the idle timer
	timer   *time.Timer     // stream_idle_timeout's, nil without one
	idle    time.Duration
	pending []byte
	eof     bool
	err     error
	fn      string
	t       *transport
	fm      *functionMetrics
	once    sync.Once
}

// next returns the next chunk, the idle timer rearmed around the wait.
func (b *streamBody) next() ([]byte, error) {
	chunk, err := b.s.Next()
	if b.timer != nil && err == nil {
		b.timer.Reset(b.idle)
	}
	return chunk, err
}

// Read returns the bytes of the next chunk. A stream that fails midway
// returns an error naming why (*lambdainvoke.StreamError, the idle
// timeout, the endpoint's timeout); it is logged and counted once.
func (b *streamBody) Read(p []byte) (int, error) {
	if len(b.pending) > 0 {
		n := copy(p, b.pending)
		b.pending = b.pending[n:]
		return n, nil
	}
	if b.eof {
		return 0, io.EOF
	}
	if b.err != nil {
		return 0, b.err
	}
	chunk, err := b.next()
	if err == io.EOF {
		b.eof = true
		return 0, io.EOF
	}
	if err != nil {
		b.err = b.failed(err)
		return 0, b.err
	}
	n := copy(p, chunk)
	if n < len(chunk) {
		b.pending = append(b.pending[:0], chunk[n:]...)
	}
	return n, nil
}

// WriteTo writes the rest of the stream to w, one Write per chunk, with no
// copy: the writer flushes after each (internal/render).
func (b *streamBody) WriteTo(w io.Writer) (int64, error) {
	var total int64
	if len(b.pending) > 0 {
		n, err := w.Write(b.pending)
		total += int64(n)
		b.pending = nil
		if err != nil {
			return total, err
		}
	}
	if b.eof {
		return total, nil
	}
	if b.err != nil {
		return total, b.err
	}
	for {
		chunk, err := b.next()
		if err == io.EOF {
			b.eof = true
			return total, nil
		}
		if err != nil {
			b.err = b.failed(err)
			return total, b.err
		}
		n, err := w.Write(chunk)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
}

// failed names a mid-stream failure, logs it and counts it in the errors
// metric (by the function's error code, Timeout, Canceled or
// StreamIdleTimeout).
func (b *streamBody) failed(err error) error {
	code := ""
	var se *lambdainvoke.StreamError
	switch {
	case errors.As(err, &se):
		code = se.Code
	case errors.Is(context.Cause(b.sctx), errIdle):
		code, err = "StreamIdleTimeout", errIdle
	case errors.Is(b.ctx.Err(), context.DeadlineExceeded):
		code, err = errTypeTimeout, fmt.Errorf("endpoint timeout reached while streaming: %w", b.ctx.Err())
	case b.ctx.Err() != nil:
		code = errTypeCanceled
	default:
		code = errTypeConnection
	}
	if b.fm != nil {
		b.fm.inst.errors.Add(b.ctx, 1, b.fm.errors.options(code)...)
	}
	if code != errTypeCanceled {
		b.t.logger.LogAttrs(b.ctx, slog.LevelWarn, "lambda response stream failed", slog.String("function", b.fn), slog.String("error_type", code), slog.String("error", err.Error()))
	}
	return fmt.Errorf("lambda function %q: %w", b.fn, err)
}

// Close ends the stream and its invocation at once.
func (b *streamBody) Close() error {
	b.once.Do(func() {
		if b.timer != nil {
			b.timer.Stop()
		}
		b.cancel(nil)
		b.s.Close()
	})
	return nil
}
