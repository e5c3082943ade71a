// Package cel implements KrakenD's validation/cel namespace: check_expr
// expressions in Google's Common Expression Language, compiled and
// type-checked once at start-up (cel-go), that admit or refuse a request,
// a response, or a JWT's claims.
//
// Which phase an expression belongs to follows from the variables it reads,
// as in KrakenD: req_* variables make it a request check (before the
// endpoint's merge or the backend's call), resp_* variables a response check
// (after it), JWT a token check (endpoints with auth/validator only, 401).
// A false check, or one that fails to evaluate (a missing header, a bad
// conversion), stops that layer: the endpoint answers 500, a backend fails
// as if it had failed itself.
//
// This package must not know about routing or transports: it returns
// proxy.Middlewares and a JWT check the gateway places.
package cel

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	celgo "cel.dev/cel-go/cel"

	"github.com/lambdagate/lambdagate/config"
)

// Namespace is the extra_config key of the checks.
const Namespace = "validation/cel"

// LegacyNamespace is KrakenD's older name of Namespace.
const LegacyNamespace = "github.com/devopsfaith/krakend-cel"

// Check is one item of the namespace's array.
type Check struct {
	// CheckExpr is the expression: true lets the request or response
	// through.
	CheckExpr string `json:"check_expr"`
}

// Phase says when an expression is evaluated.
type Phase uint8

const (
	// PhaseRequest checks run before the layer's call (req_* variables).
	PhaseRequest Phase = iota + 1
	// PhaseResponse checks run on the layer's response (resp_* variables).
	PhaseResponse
	// PhaseJWT checks run on a validated token's claims (JWT).
	PhaseJWT
)

// The variables an expression may read, by phase.
const (
	varReqMethod      = "req_method"
	varReqPath        = "req_path"
	varReqParams      = "req_params"
	varReqHeaders     = "req_headers"
	varReqQuerystring = "req_querystring"
	varRespCompleted  = "resp_completed"
	varRespStatus     = "resp_metadata_status"
	varRespHeaders    = "resp_metadata_headers"
	varRespData       = "resp_data"
	varJWT            = "JWT"
	varNow            = "now"
)

// env is the one CEL environment: KrakenD's variables and CEL's standard
// library. Built once; safe for concurrent use.
var env = func() *celgo.Env {
	strList := celgo.ListType(celgo.StringType)
	e, err := celgo.NewEnv(
		celgo.Variable(varNow, celgo.StringType),
		celgo.Variable(varReqMethod, celgo.StringType),
		celgo.Variable(varReqPath, celgo.StringType),
		celgo.Variable(varReqParams, celgo.MapType(celgo.StringType, celgo.StringType)),
		celgo.Variable(varReqHeaders, celgo.MapType(celgo.StringType, strList)),
		celgo.Variable(varReqQuerystring, celgo.MapType(celgo.StringType, strList)),
		celgo.Variable(varRespCompleted, celgo.BoolType),
		celgo.Variable(varRespStatus, celgo.IntType),
		celgo.Variable(varRespHeaders, celgo.MapType(celgo.StringType, strList)),
		celgo.Variable(varRespData, celgo.MapType(celgo.StringType, celgo.DynType)),
		celgo.Variable(varJWT, celgo.MapType(celgo.StringType, celgo.DynType)),
	)
	if err != nil {
		panic("cel: the environment: " + err.Error())
	}
	return e
}()

// Program is one compiled expression.
type Program struct {
	// Expr is the expression's text.
	Expr string
	// Path is its JSON path, for logs.
	Path string
	// Phase is when it is evaluated.
	Phase Phase
	prg   celgo.Program
}

// Compile parses and type-checks expr (at path, for messages) and decides
// its phase from the variables it reads. It never panics, whatever expr is.
func Compile(path, expr string) (*Program, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, &config.Error{Path: path, Msg: "is empty: write an expression that is true for what may pass, such as \"req_method == 'GET'\""}
	}
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		return nil, &config.Error{Path: path, Msg: "does not compile: " + oneLine(iss.Err().Error())}
	}
	if !ast.OutputType().IsExactType(celgo.BoolType) && !ast.OutputType().IsExactType(celgo.DynType) {
		return nil, &config.Error{Path: path, Msg: fmt.Sprintf("is of type %s: a check must be a bool", ast.OutputType())}
	}
	var req, resp, jwt bool
	for _, ref := range ast.NativeRep().ReferenceMap() {
		switch {
		case strings.HasPrefix(ref.Name, "req_"):
			req = true
		case strings.HasPrefix(ref.Name, "resp_"):
			resp = true
		case ref.Name == varJWT:
			jwt = true
		}
	}
	var phase Phase
	switch {
	case req && !resp && !jwt:
		phase = PhaseRequest
	case resp && !req && !jwt:
		phase = PhaseResponse
	case jwt && !req && !resp:
		phase = PhaseJWT
	case !req && !resp && !jwt:
		return nil, &config.Error{Path: path, Msg: "reads none of the req_*, resp_* or JWT variables: it would never be evaluated (KrakenD skips it too); read the request, the response or the token"}
	default:
		return nil, &config.Error{Path: path, Msg: "mixes request (req_*), response (resp_*) and token (JWT) variables: each is evaluated at a different time, so it could never pass; split it into one check per kind"}
	}
	prg, err := env.Program(ast, celgo.EvalOptions(celgo.OptOptimize))
	if err != nil {
		return nil, &config.Error{Path: path, Msg: "does not compile: " + oneLine(err.Error())}
	}
	return &Program{Expr: expr, Path: path, Phase: phase, prg: prg}, nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// Set is the compiled checks of one endpoint or backend, by phase.
type Set struct {
	Request, Response, JWT []*Program
}

// Decode reads the namespace (or its legacy name) from x and compiles its
// checks. It returns nil when neither is present.
func Decode(x *config.ExtraConfig) (*Set, error) {
	ns := Namespace
	if x.Has(LegacyNamespace) {
		if x.Has(Namespace) {
			x.Raw(Namespace)
			x.Raw(LegacyNamespace)
			return nil, &config.Error{Path: config.Join(x.Path, LegacyNamespace), Msg: fmt.Sprintf("both %q and its legacy name are set: keep %q only", Namespace, Namespace)}
		}
		ns = LegacyNamespace
	}
	raw, ok := x.Raw(ns)
	if !ok {
		return nil, nil
	}
	path := config.Join(x.Path, ns)
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, &config.Error{Path: path, Msg: "must be an array of {\"check_expr\": \"...\"} objects"}
	}
	if len(items) == 0 {
		return nil, &config.Error{Path: path, Msg: "is empty: list at least one {\"check_expr\": \"...\"}, or remove the namespace"}
	}
	var (
		s    Set
		errs config.Errors
	)
	for i, item := range items {
		ipath := fmt.Sprintf("%s[%d]", path, i)
		var c Check
		if err := config.DecodeNamespace(ipath, item, &c); err != nil {
			errs.Append("", err)
			continue
		}
		p, err := Compile(config.Join(ipath, "check_expr"), c.CheckExpr)
		if err != nil {
			errs.Append("", err)
			continue
		}
		switch p.Phase {
		case PhaseRequest:
			s.Request = append(s.Request, p)
		case PhaseResponse:
			s.Response = append(s.Response, p)
		case PhaseJWT:
			s.JWT = append(s.JWT, p)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return &s, nil
}

// ErrRefused is the cause of every refusal: a check that is false, or that
// fails to evaluate.
var ErrRefused = errors.New("refused by a validation/cel check")
