"""lambdagate's Python runtime client.

It speaks the Lambda Runtime API (AWS_LAMBDA_RUNTIME_API) on behalf of a
handler, the way Lambda's python runtimes do: it imports the module named by
_HANDLER ("lambda_function.lambda_handler", "pkg/app.main") from
LAMBDA_TASK_ROOT, then asks for invocations one at a time and posts each
result, or the exception as Lambda's error JSON. Python standard library
only; run with -u so that print() output is not held in a buffer.
"""

import http.client
import importlib
import json
import os
import sys
import time
import traceback

BASE = "/2018-06-01/runtime"


class RuntimeAPI:
    """A keep-alive connection to the Runtime API."""

    def __init__(self, address):
        self.address = address
        self.conn = http.client.HTTPConnection(address)

    def call(self, method, path, body=None, headers=None):
        for attempt in (0, 1):
            try:
                self.conn.request(method, BASE + path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                return resp.status, resp.headers, resp.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.address)
                if attempt:
                    raise
        raise RuntimeError("unreachable")

    def post_json(self, path, doc, error_type=None):
        body = json.dumps(doc).encode()
        headers = {"Content-Type": "application/json"}
        if error_type:
            headers["Lambda-Runtime-Function-Error-Type"] = error_type
        return self.call("POST", path, body, headers)


class LambdaContext:
    """The context object Lambda passes as a handler's second argument."""

    def __init__(self, request_id, deadline_ms, invoked_arn, client_context, identity):
        self.aws_request_id = request_id
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_arn
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.client_context = client_context
        self.identity = identity
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def error_document(exc, request_id="", skip_frames=0):
    frames = traceback.extract_tb(exc.__traceback__)[skip_frames:]
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(frames),
    }


def log_error(doc):
    lines = ["[ERROR] %s: %s" % (doc["errorType"], doc["errorMessage"])]
    if doc.get("stackTrace"):
        lines.append("Traceback (most recent call last):")
        lines.extend(line.rstrip("\n") for line in doc["stackTrace"])
    print("\n".join(lines), flush=True)


def load_handler(spec):
    """Imports the module and returns the function, or raises
    (error_type, document) for init/error."""
    root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    if root not in sys.path:
        sys.path.insert(0, root)
    module_name, dot, function_name = spec.replace("/", ".").rpartition(".")
    if not dot or not module_name or not function_name:
        doc = {"errorMessage": "Bad handler '%s': expected module.function, like lambda_function.lambda_handler" % spec,
               "errorType": "Runtime.MalformedHandlerName", "requestId": "", "stackTrace": []}
        raise InitError(doc)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InitError({"errorMessage": "Unable to import module '%s': %s" % (module_name, exc),
                         "errorType": "Runtime.ImportModuleError", "requestId": "", "stackTrace": []})
    except SyntaxError as exc:
        raise InitError({"errorMessage": "Syntax error in module '%s': %s" % (module_name, exc),
                         "errorType": "Runtime.UserCodeSyntaxError", "requestId": "",
                         "stackTrace": traceback.format_exception_only(type(exc), exc)})
    except Exception as exc:  # the module raised while being imported
        raise InitError(error_document(exc, skip_frames=1))
    handler = getattr(module, function_name, None)
    if not callable(handler):
        raise InitError({"errorMessage": "Handler '%s' missing on module '%s'" % (function_name, module_name),
                         "errorType": "Runtime.HandlerNotFound", "requestId": "", "stackTrace": []})
    return handler


class InitError(Exception):
    def __init__(self, doc):
        super().__init__(doc["errorMessage"])
        self.doc = doc


def main():
    api = RuntimeAPI(os.environ["AWS_LAMBDA_RUNTIME_API"])
    try:
        handler = load_handler(os.environ.get("_HANDLER", "lambda_function.lambda_handler"))
    except InitError as exc:
        log_error(exc.doc)
        api.post_json("/init/error", exc.doc, exc.doc["errorType"])
        sys.exit(1)

    while True:
        try:
            status, headers, body = api.call("GET", "/invocation/next")
        except (OSError, http.client.HTTPException):
            gone()
        if status != 200:
            raise RuntimeError("Runtime API next returned HTTP %d: %r" % (status, body))
        request_id = headers.get("Lambda-Runtime-Aws-Request-Id", "")
        trace_id = headers.get("Lambda-Runtime-Trace-Id")
        if trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = trace_id
        context = LambdaContext(
            request_id,
            int(headers.get("Lambda-Runtime-Deadline-Ms") or 0),
            headers.get("Lambda-Runtime-Invoked-Function-Arn"),
            parse_json_header(headers.get("Lambda-Runtime-Client-Context")),
            parse_json_header(headers.get("Lambda-Runtime-Cognito-Identity")),
        )
        try:
            event = json.loads(body)
            result = handler(event, context)
        except Exception as exc:
            doc = error_document(exc, request_id, skip_frames=1)
            log_error(doc)
            api.post_json("/invocation/%s/error" % request_id, doc, doc["errorType"])
            continue
        try:
            payload = json.dumps(result).encode()
        except (TypeError, ValueError) as exc:
            doc = {"errorMessage": "Unable to marshal response: %s" % exc, "errorType": "Runtime.MarshalError",
                   "requestId": request_id, "stackTrace": []}
            log_error(doc)
            api.post_json("/invocation/%s/error" % request_id, doc, doc["errorType"])
            continue
        api.call("POST", "/invocation/%s/response" % request_id, payload, {"Content-Type": "application/json"})


def gone():
    """Ends the process at once: the gateway that started it is gone (its
    Runtime API refuses or drops the connection). Nothing is retried and
    nothing is written: the output pipe may have no reader either."""
    os._exit(1)


def parse_json_header(value):
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


if __name__ == "__main__":
    main()
