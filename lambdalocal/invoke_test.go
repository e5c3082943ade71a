package lambdalocal

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

// invoke calls a function on the shared server through the AWS SDK.
func invoke(t *testing.T, in *lambda.InvokeInput) *lambda.InvokeOutput {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := newClient(shared).Invoke(ctx, in)
	if err != nil {
		t.Fatalf("Invoke %s: %v", aws.ToString(in.FunctionName), err)
	}
	return out
}

func decodeJSON(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("payload %q is not a JSON object: %v", data, err)
	}
	return m
}

func TestInvokeRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		function string
		python   bool
		check    func(t *testing.T, got map[string]any)
	}{
		{"goecho", false, func(t *testing.T, got map[string]any) {
			if got["event"].(map[string]any)["hello"] != "world" {
				t.Errorf("event not echoed: %v", got)
			}
		}},
		{"nodeecho", false, func(t *testing.T, got map[string]any) {
			if got["event"].(map[string]any)["hello"] != "world" || got["functionName"] != "nodeecho" {
				t.Errorf("event or context not echoed: %v", got)
			}
			if r := got["remaining"].(float64); r <= 0 || r > 3000 {
				t.Errorf("getRemainingTimeInMillis() = %v, want within the 3 s timeout", r)
			}
		}},
		{"esm", false, func(t *testing.T, got map[string]any) {
			if got["esm"] != true || got["event"].(map[string]any)["hello"] != "world" {
				t.Errorf("got %v", got)
			}
		}},
		{"pyecho", true, func(t *testing.T, got map[string]any) {
			if got["event"].(map[string]any)["hello"] != "world" || got["functionName"] != "pyecho" || got["memory"] != "128" {
				t.Errorf("got %v", got)
			}
		}},
		{"pyhandler", true, func(t *testing.T, got map[string]any) {
			if got["handler"] != "handler.handler" {
				t.Errorf("got %v", got)
			}
		}},
		{"configured", false, func(t *testing.T, got map[string]any) {
			env := got["env"].(map[string]any)
			want := map[string]any{
				"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
				"AWS_LAMBDA_FUNCTION_NAME": "configured", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
				"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "_HANDLER": "lib/app.main",
				"AWS_ACCESS_KEY_ID": dummyAccessKeyID, "AWS_SECRET_ACCESS_KEY": dummySecretAccessKey,
				"HAS_RUNTIME_API": true,
			}
			for k, v := range want {
				if env[k] != v {
					t.Errorf("%s = %v, want %v", k, env[k], v)
				}
			}
			if got["greeting"] != "hi" || got["memory"] != "256" {
				t.Errorf("function.json environment or memory not applied: %v", got)
			}
			if !strings.HasSuffix(env["LAMBDA_TASK_ROOT"].(string), "configured") {
				t.Errorf("LAMBDA_TASK_ROOT = %v", env["LAMBDA_TASK_ROOT"])
			}
			if !strings.HasPrefix(env["_X_AMZN_TRACE_ID"].(string), "Root=1-") {
				t.Errorf("trace id not passed: %v", env["_X_AMZN_TRACE_ID"])
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.function, func(t *testing.T) {
			t.Parallel()
			if tt.python {
				requirePython(t)
			}
			out := invoke(t, &lambda.InvokeInput{FunctionName: aws.String(tt.function), Payload: []byte(`{"hello":"world"}`)})
			if out.StatusCode != 200 || out.FunctionError != nil || aws.ToString(out.ExecutedVersion) != "$LATEST" {
				t.Fatalf("status %d, function error %q, version %q; payload %s",
					out.StatusCode, aws.ToString(out.FunctionError), aws.ToString(out.ExecutedVersion), out.Payload)
			}
			tt.check(t, decodeJSON(t, out.Payload))
		})
	}
}

// reportPattern is Lambda's REPORT line.
var reportPattern = regexp.MustCompile(`^REPORT RequestId: ([0-9a-f-]{36})\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\t`)

func TestTailLog(t *testing.T) {
	t.Parallel()
	tests := []struct {
		function, payload, want string
		python                  bool
	}{
		{"nodeecho", `{"marker":"tail-node"}`, "\tINFO\tnodeecho got {\"marker\":\"tail-node\"}", false},
		{"goecho", `{"marker":"tail-go"}`, "goecho got 1 keys", false},
		{"pyecho", `{"marker":"tail-py"}`, "pyecho got {'marker': 'tail-py'}", true},
	}
	for _, tt := range tests {
		t.Run(tt.function, func(t *testing.T) {
			t.Parallel()
			if tt.python {
				requirePython(t)
			}
			out := invoke(t, &lambda.InvokeInput{FunctionName: aws.String(tt.function), Payload: []byte(tt.payload), LogType: types.LogTypeTail})
			logs, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
			if err != nil || len(logs) == 0 {
				t.Fatalf("X-Amz-Log-Result %q: %v", aws.ToString(out.LogResult), err)
			}
			lines := strings.Split(strings.TrimSuffix(string(logs), "\n"), "\n")
			var start, end int = -1, -1
			for i, l := range lines {
				if strings.HasPrefix(l, "START RequestId: ") {
					start = i
				}
				if strings.HasPrefix(l, "END RequestId: ") {
					end = i
				}
			}
			if start < 0 || end < 0 || end != len(lines)-2 || !reportPattern.MatchString(lines[len(lines)-1]) {
				t.Fatalf("log is not START … END, REPORT:\n%s", logs)
			}
			reqID := reportPattern.FindStringSubmatch(lines[len(lines)-1])[1]
			if lines[start] != "START RequestId: "+reqID+" Version: $LATEST" || lines[end] != "END RequestId: "+reqID {
				t.Errorf("START/END lines do not match the REPORT's request id:\n%s", logs)
			}
			if !strings.Contains(strings.Join(lines[start+1:end], "\n"), tt.want) {
				t.Errorf("the function's output %q is not between START and END:\n%s", tt.want, logs)
			}
		})
	}
}

func TestTailLogKeepsLast4KB(t *testing.T) {
	t.Parallel()
	out := invoke(t, &lambda.InvokeInput{FunctionName: aws.String("nodeecho"), Payload: []byte(`{"log_lines":300}`), LogType: types.LogTypeTail})
	logs, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if len(logs) > 4096 || len(logs) < 4000 {
		t.Fatalf("log result is %d bytes, want the last 4 KB", len(logs))
	}
	if strings.Contains(string(logs), "START RequestId") || !strings.Contains(string(logs), "line 299 ") ||
		!strings.Contains(string(logs), "\nREPORT RequestId: ") {
		t.Errorf("want the end of the log (last lines, END, REPORT), got:\n%s", logs)
	}
}

func TestEventInvocation(t *testing.T) {
	t.Parallel()
	marker := "event-" + randomHex(6)
	out := invoke(t, &lambda.InvokeInput{FunctionName: aws.String("nodeecho"), InvocationType: types.InvocationTypeEvent,
		Payload: []byte(`{"marker":"` + marker + `"}`)})
	if out.StatusCode != 202 || len(out.Payload) != 0 {
		t.Fatalf("Event invocation: status %d, payload %q; want 202 and no payload", out.StatusCode, out.Payload)
	}
	// The function runs in the background: its line reaches the log.
	waitFor(t, 10*time.Second, "the Event invocation's output in the log", func() bool {
		for _, l := range sharedLogs.lines() {
			if strings.Contains(l.msg, marker) && l.attrs["function"] == "nodeecho" && l.attrs["request_id"] != "" {
				return true
			}
		}
		return false
	})
}

func TestDryRun(t *testing.T) {
	t.Parallel()
	out := invoke(t, &lambda.InvokeInput{FunctionName: aws.String("badinit"), InvocationType: types.InvocationTypeDryRun})
	if out.StatusCode != 204 || out.FunctionError != nil {
		t.Fatalf("DryRun: status %d, function error %q; want 204", out.StatusCode, aws.ToString(out.FunctionError))
	}
}

func TestUnknownFunction(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, qualifier, wantARN string }{
		{"nope", "", "arn:aws:lambda:us-east-1:000000000000:function:nope"},
		{"nope", "live", "arn:aws:lambda:us-east-1:000000000000:function:nope:live"},
		{"arn:aws:lambda:us-east-1:000000000000:function:nope", "", "arn:aws:lambda:us-east-1:000000000000:function:nope"},
	} {
		in := &lambda.InvokeInput{FunctionName: aws.String(tt.name), Payload: []byte(`{}`)}
		if tt.qualifier != "" {
			in.Qualifier = aws.String(tt.qualifier)
		}
		_, err := newClient(shared).Invoke(context.Background(), in)
		var notFound *types.ResourceNotFoundException
		if !errors.As(err, &notFound) {
			t.Fatalf("Invoke %s: got %v, want ResourceNotFoundException", tt.name, err)
		}
		if want := "Function not found: " + tt.wantARN; notFound.ErrorMessage() != want || aws.ToString(notFound.Type) != "User" {
			t.Errorf("message %q, Type %q; want %q, User", notFound.ErrorMessage(), aws.ToString(notFound.Type), want)
		}
	}
}

func TestFunctionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, function, payload string
		python                  bool
		wantError, wantType     string
		wantMessage             string
	}{
		{"node throws", "nodeecho", `{"fail":"node says no"}`, false, "Handled", "EchoError", "node says no"},
		{"python raises", "pyecho", `{"fail":"python says no"}`, true, "Handled", "EchoError", "python says no"},
		{"go returns error", "goecho", `{"fail":"go says no"}`, false, "Handled", "errorString", "go says no"},
		{"bootstrap exits at start", "badinit", `{}`, false, "Unhandled", "Runtime.ExitError", "Runtime exited with error: exit status 3"},
		{"response too large", "nodeecho", `{"big_response":6300000}`, false, "Unhandled", "Function.ResponseSizeTooLarge", "exceeded maximum allowed payload size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.python {
				requirePython(t)
			}
			out := invoke(t, &lambda.InvokeInput{FunctionName: aws.String(tt.function), Payload: []byte(tt.payload)})
			got := decodeJSON(t, out.Payload)
			if out.StatusCode != 200 || aws.ToString(out.FunctionError) != tt.wantError || got["errorType"] != tt.wantType ||
				!strings.Contains(got["errorMessage"].(string), tt.wantMessage) {
				t.Errorf("status %d, X-Amz-Function-Error %q, payload %s; want 200, %s, errorType %s, message with %q",
					out.StatusCode, aws.ToString(out.FunctionError), out.Payload, tt.wantError, tt.wantType, tt.wantMessage)
			}
		})
	}
}

func TestRequestTooLarge(t *testing.T) {
	t.Parallel()
	// A JSON string of exactly the limit is accepted; one byte more is not.
	atLimit := []byte(`"` + strings.Repeat("a", maxRequestPayload-2) + `"`)
	out := invoke(t, &lambda.InvokeInput{FunctionName: aws.String("sleeper"), Payload: atLimit})
	if out.StatusCode != 200 || out.FunctionError != nil {
		t.Fatalf("payload of exactly %d bytes: status %d, error %q", len(atLimit), out.StatusCode, aws.ToString(out.FunctionError))
	}
	over := []byte(`"` + strings.Repeat("a", maxRequestPayload-1) + `"`)
	_, err := newClient(shared).Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("sleeper"), Payload: over})
	var tooLarge *types.RequestTooLargeException
	if !errors.As(err, &tooLarge) || !strings.Contains(tooLarge.ErrorMessage(), "6291456 bytes") {
		t.Fatalf("payload of %d bytes: got %v, want RequestTooLargeException", len(over), err)
	}
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) || re.HTTPStatusCode() != 413 {
		t.Errorf("HTTP status: %v, want 413", err)
	}
}

func TestInvalidRequests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       *lambda.InvokeInput
		wantCode string
	}{
		{"payload is not JSON", &lambda.InvokeInput{FunctionName: aws.String("nodeecho"), Payload: []byte(`{oops`)}, "InvalidRequestContentException"},
		{"qualifiers differ", &lambda.InvokeInput{FunctionName: aws.String("nodeecho:a"), Qualifier: aws.String("b")}, "InvalidParameterValueException"},
		{"bad name", &lambda.InvokeInput{FunctionName: aws.String("no spaces please")}, "InvalidParameterValueException"},
		{"bad client context", &lambda.InvokeInput{FunctionName: aws.String("nodeecho"), ClientContext: aws.String("not base64!")}, "InvalidRequestContentException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newClient(shared).Invoke(context.Background(), tt.in)
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.wantCode || apiErr.ErrorMessage() == "" {
				t.Fatalf("got %v, want %s with a message", err, tt.wantCode)
			}
		})
	}
}

func TestQualifiersAndARNs(t *testing.T) {
	t.Parallel()
	const arn = "arn:aws:lambda:us-east-1:000000000000:function:nodeecho"
	tests := []struct {
		name, qualifier, wantARN string
	}{
		{"nodeecho", "", arn},
		{"nodeecho", "$LATEST", arn + ":$LATEST"},
		{"nodeecho:live", "", arn + ":live"},
		{"nodeecho:live", "live", arn + ":live"},
		{arn, "", arn},
		{"000000000000:function:nodeecho:7", "", arn + ":7"},
		{"arn:aws:lambda:eu-west-1:123456789012:function:nodeecho", "", arn},
	}
	for _, tt := range tests {
		in := &lambda.InvokeInput{FunctionName: aws.String(tt.name), Payload: []byte(`{}`)}
		if tt.qualifier != "" {
			in.Qualifier = aws.String(tt.qualifier)
		}
		out := invoke(t, in)
		if got := decodeJSON(t, out.Payload)["arn"]; got != tt.wantARN || aws.ToString(out.ExecutedVersion) != "$LATEST" {
			t.Errorf("Invoke %q qualifier %q: function saw ARN %v, executed %q; want %s, $LATEST",
				tt.name, tt.qualifier, got, aws.ToString(out.ExecutedVersion), tt.wantARN)
		}
	}
}

func TestClientContext(t *testing.T) {
	t.Parallel()
	cc := base64.StdEncoding.EncodeToString([]byte(`{"custom":{"team":"gateway"}}`))
	out := invoke(t, &lambda.InvokeInput{FunctionName: aws.String("nodeecho"), ClientContext: aws.String(cc)})
	got := decodeJSON(t, out.Payload)["clientContext"]
	if custom, _ := got.(map[string]any)["custom"].(map[string]any); custom["team"] != "gateway" {
		t.Errorf("context.clientContext = %v", got)
	}
}

func TestFunctionOutputIsLogged(t *testing.T) {
	t.Parallel()
	marker := "logged-" + randomHex(6)
	out := invoke(t, &lambda.InvokeInput{FunctionName: aws.String("nodeecho"), Payload: []byte(`{"m":"` + marker + `"}`)})
	reqID := decodeJSON(t, out.Payload)["requestId"].(string)
	for _, l := range sharedLogs.lines() {
		if strings.Contains(l.msg, marker) {
			if l.attrs["function"] != "nodeecho" || l.attrs["request_id"] != reqID {
				t.Errorf("line %q logged with %v, want function nodeecho, request_id %s", l.msg, l.attrs, reqID)
			}
			return
		}
	}
	t.Errorf("the function's output %q never reached the logger", marker)
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
