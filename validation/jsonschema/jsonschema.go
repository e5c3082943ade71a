// Package jsonschema is the validation/json-schema namespace of an
// endpoint: the client's request body validated against a JSON Schema
// before any backend or function is called, as KrakenD validates it. A
// body that fails gets 400; its errors are the error's text (the client
// reads them with router.return_error_msg, as in KrakenD; the access log
// has them always).
//
// The schema is compiled once, at start-up (santhosh-tekuri/jsonschema,
// draft-07 unless the schema's $schema says otherwise, as KrakenD's
// validator reads draft-04 to draft-07); it never loads a $ref from the
// network or the disk. This package must not read the body itself: the
// endpoint has read it, within its limit.
package jsonschema

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
)

// Namespace is the endpoint's extra_config key; its value is the schema.
const Namespace = "validation/json-schema"

// LegacyNamespace is KrakenD's older name of Namespace.
const LegacyNamespace = "github.com/devopsfaith/krakend-jsonschema"

// The errors of a body that cannot be validated, as KrakenD words them.
var (
	ErrEmptyBody     = errors.New("could not validate an empty body")
	ErrMalformedBody = errors.New("could not validate a malformed body")
)

// New returns the Middleware that validates e's request bodies against its
// schema, nil when e has none. The schema's errors name its JSON path.
func New(e *config.Endpoint) (proxy.Middleware, error) {
	name := Namespace
	raw, ok := e.ExtraConfig.Raw(Namespace)
	if legacy, lok := e.ExtraConfig.Raw(LegacyNamespace); lok {
		if ok {
			return nil, &config.Error{Path: config.Join(e.ExtraConfig.Path, LegacyNamespace), Msg: fmt.Sprintf("both %q and its legacy name are set: keep %q only", Namespace, Namespace)}
		}
		raw, ok, name = legacy, true, LegacyNamespace
	}
	if !ok {
		return nil, nil
	}
	path := config.Join(e.ExtraConfig.Path, name)
	schema, err := Compile(raw)
	if err != nil {
		return nil, &config.Error{Path: path, Msg: fmt.Sprintf("is not a JSON Schema lambdagate can use: %v", err)}
	}
	return func(next proxy.Proxy) proxy.Proxy {
		return func(ctx context.Context, req *proxy.Request) (*proxy.Response, error) {
			if err := Validate(schema, req.Body); err != nil {
				return nil, &proxy.StatusError{Status: http.StatusBadRequest, Err: err}
			}
			return next(ctx, req)
		}
	}, nil
}

// schemaURL names the one schema of a compiler, for its messages.
const schemaURL = "endpoint.schema.json"

// Compile compiles a schema document: draft-07 unless it says otherwise,
// with no $ref loaded from outside the document.
func Compile(raw []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.UseLoader(jsonschema.SchemeURLLoader{})
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, err
	}
	return c.Compile(schemaURL)
}

// Validate validates a request body: nil when it is valid, else
// ErrEmptyBody, ErrMalformedBody (not JSON) or the schema's errors, one
// line each ("- at /address/zip: ...").
func Validate(schema *jsonschema.Schema, body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return ErrEmptyBody
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return ErrMalformedBody
	}
	err = schema.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	return &Error{lines: lines(ve.BasicOutput())}
}

// Error is a body the schema refuses.
type Error struct {
	lines []string
}

// Error lists the schema's errors, one line each.
func (e *Error) Error() string { return strings.Join(e.lines, "\n") }

// lines flattens the output's errors: one line per error that has a
// message, with the place in the body at fault.
func lines(u *jsonschema.OutputUnit) []string {
	var out []string
	for _, e := range u.Errors {
		if e.Error == nil {
			continue
		}
		at := e.InstanceLocation
		if at == "" {
			at = "/"
		}
		out = append(out, fmt.Sprintf("- at %s: %s", at, e.Error.String()))
	}
	if len(out) == 0 && u.Error != nil {
		out = append(out, "- at /: "+u.Error.String())
	}
	return out
}
