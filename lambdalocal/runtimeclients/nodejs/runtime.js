// lambdagate's Node.js runtime client.
//
// It speaks the Lambda Runtime API (AWS_LAMBDA_RUNTIME_API) on behalf of a
// handler module, the way Lambda's nodejs runtimes do: it loads the module
// named by _HANDLER from LAMBDA_TASK_ROOT (CommonJS .js/.cjs, or an ES
// module .mjs / "type": "module"), then asks for invocations one at a time
// and posts each result or error. Handlers may be async or take a callback.
// console.* lines are written as Lambda writes them:
// "<ISO time>\t<request id>\t<LEVEL>\t<message>". Node.js standard library
// only.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const util = require('util');
const { pathToFileURL } = require('url');

const env = process.env;
const api = env.AWS_LAMBDA_RUNTIME_API || '';
const colon = api.lastIndexOf(':');
const apiHost = api.slice(0, colon);
const apiPort = Number(api.slice(colon + 1));
const base = '/2018-06-01/runtime';
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

let currentRequestId; // of the invocation in progress, for log lines

// gone ends the process at once: the gateway that started it is gone (its
// Runtime API refuses or drops connections, or the output pipe has no
// reader). Nothing is retried and nothing more is written, so that an
// orphaned client never spins.
function gone() {
  process.exit(1);
}

// write writes text to a file descriptor synchronously, so that every line
// is in the pipe before the result is posted. A pipe without a reader
// (EPIPE) or any other failure but a full pipe means the gateway is gone.
function write(fd, text) {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off);
    } catch (err) {
      if (err.code !== 'EAGAIN') gone();
    }
  }
}

function logLine(level, args) {
  const msg = util.format(...args);
  write(1, `${new Date().toISOString()}\t${currentRequestId}\t${level}\t${msg}\n`);
}

function patchConsole() {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
  for (const [name, level] of Object.entries(levels)) {
    console[name] = (...args) => logLine(level, args);
  }
}

// call makes one Runtime API request and resolves with
// { status, headers, body: Buffer }.
function call(method, urlPath, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: apiHost, port: apiPort, method, path: base + urlPath, agent, headers: headers || {} },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

// errorDocument turns anything thrown into Lambda's error JSON.
function errorDocument(err) {
  if (err instanceof Error) {
    const name = err.name && err.name !== 'Error' ? err.name : (err.constructor && err.constructor.name) || 'Error';
    return { errorType: name, errorMessage: err.message, trace: String(err.stack || '').split('\n') };
  }
  let message;
  try {
    message = typeof err === 'string' ? err : JSON.stringify(err);
  } catch (e) {
    message = String(err);
  }
  return { errorType: typeof err, errorMessage: message, trace: [] };
}

async function postError(urlPath, doc) {
  const body = JSON.stringify(doc);
  await call('POST', urlPath, body, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'Lambda-Runtime-Function-Error-Type': doc.errorType,
  });
}

// initError reports a failure to start and ends the process.
async function initError(errorType, err) {
  const doc = errorDocument(err);
  doc.errorType = errorType;
  logLine('ERROR', [`Init Error\t${JSON.stringify(doc)}`]);
  try {
    await postError('/init/error', doc);
  } finally {
    process.exit(1);
  }
}

// loadHandler imports the module _HANDLER names ("index.handler",
// "lib/app.main", "app.nested.fn") and returns the function.
async function loadHandler() {
  const spec = env._HANDLER || 'index.handler';
  const root = env.LAMBDA_TASK_ROOT || process.cwd();
  const slash = spec.lastIndexOf('/');
  const dot = spec.indexOf('.', slash + 1);
  if (dot < 0) {
    throw Object.assign(new Error(`Bad handler ${spec}: expected module.function, like index.handler`), { lambdaType: 'Runtime.MalformedHandlerName' });
  }
  const moduleName = spec.slice(0, dot);
  const fnPath = spec.slice(dot + 1).split('.');
  let file;
  for (const ext of ['.js', '.mjs', '.cjs']) {
    const candidate = path.resolve(root, moduleName + ext);
    if (fs.existsSync(candidate)) {
      file = candidate;
      break;
    }
  }
  if (!file) {
    throw Object.assign(new Error(`Cannot find module '${moduleName}' (looked for .js, .mjs and .cjs in ${root})`), { lambdaType: 'Runtime.ImportModuleError' });
  }
  let mod;
  try {
    if (file.endsWith('.mjs')) {
      mod = await import(pathToFileURL(file).href);
    } else {
      try {
        mod = require(file);
      } catch (err) {
        if (err.code !== 'ERR_REQUIRE_ESM' && err.code !== 'ERR_REQUIRE_ASYNC_MODULE') throw err;
        mod = await import(pathToFileURL(file).href);
      }
    }
  } catch (err) {
    if (err instanceof SyntaxError) err.lambdaType = 'Runtime.UserCodeSyntaxError';
    else if (!err.lambdaType) err.lambdaType = 'Runtime.ImportModuleError';
    throw err;
  }
  let fn = mod;
  for (const key of fnPath) {
    fn = fn == null ? undefined : fn[key];
  }
  if (typeof fn !== 'function' && mod && mod.default) {
    fn = mod.default;
    for (const key of fnPath) fn = fn == null ? undefined : fn[key];
  }
  if (typeof fn !== 'function') {
    throw Object.assign(new Error(`${spec} is undefined or not exported`), { name: 'Runtime.HandlerNotFound', lambdaType: 'Runtime.HandlerNotFound' });
  }
  return fn;
}

// runHandler calls the handler and settles with its result: from the
// promise it returns, the callback it calls, or its return value.
function runHandler(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (err, result) => {
      if (settled) return;
      settled = true;
      if (err !== undefined && err !== null) reject(err);
      else resolve(result);
    };
    context.done = done;
    context.succeed = (result) => done(null, result);
    context.fail = (err) => done(err == null ? new Error('handled') : err);
    try {
      const r = handler(event, context, done);
      if (r && typeof r.then === 'function') {
        r.then((v) => done(null, v), (e) => done(e == null ? new Error(String(e)) : e));
      } else if (handler.length < 3) {
        done(null, r);
      }
    } catch (err) {
      done(err);
    }
  });
}

function parseJSONHeader(value) {
  if (!value) return undefined;
  try {
    return JSON.parse(value);
  } catch (e) {
    return undefined;
  }
}

// ---- Response streaming ----------------------------------------------
//
// awslambda.streamifyResponse(async (event, responseStream, context) => ...)
// marks a handler whose response is streamed, as Lambda's Node.js runtime
// provides it: the response goes to the Runtime API in streaming mode
// (Lambda-Runtime-Function-Response-Mode: streaming, a chunked body sent as
// it is written), and a failure after the first byte is reported in the
// Lambda-Runtime-Function-Error-Type / -Error-Body trailers.
// awslambda.HttpResponseStream.from(stream, {statusCode, headers, cookies})
// begins an HTTP integration response: the JSON prelude, eight NUL bytes,
// then the body.

const streamingSymbol = Symbol.for('aws.lambda.runtime.handler.streaming');
const httpIntegrationType = 'application/vnd.awslambda.http-integration-response';

global.awslambda = global.awslambda || {};
global.awslambda.streamifyResponse = (handler) => {
  handler[streamingSymbol] = 'response';
  return handler;
};
global.awslambda.HttpResponseStream = class HttpResponseStream {
  static from(stream, prelude) {
    stream.setContentType(httpIntegrationType);
    stream.write(JSON.stringify(prelude || {}));
    stream.write(Buffer.alloc(8));
    return stream;
  }
};

function isStreamingHandler(handler) {
  return Boolean(handler && handler[streamingSymbol] === 'response');
}

// runStreamingHandler calls a streamified handler with a response stream
// whose bytes go to the Runtime API as they are written; it resolves once
// the response is posted.
async function runStreamingHandler(handler, body, context, requestId) {
  const { Writable } = require('stream');
  let contentType = 'application/octet-stream';
  let req;
  let posted;
  const open = () => {
    if (req) return;
    req = http.request({
      host: apiHost, port: apiPort, method: 'POST', agent,
      path: `${base}/invocation/${requestId}/response`,
      headers: {
        'Content-Type': contentType,
        'Lambda-Runtime-Function-Response-Mode': 'streaming',
        'Transfer-Encoding': 'chunked',
        Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
      },
    });
    posted = new Promise((resolve, reject) => {
      req.on('response', (res) => { res.resume(); res.on('end', resolve); res.on('error', reject); });
      req.on('error', reject);
    });
  };
  const stream = new Writable({
    write(chunk, encoding, cb) { open(); req.write(chunk, cb); },
  });
  stream.setContentType = (type) => { if (!req) contentType = type; };
  const finished = new Promise((resolve) => stream.on('finish', resolve));
  let failure;
  try {
    const event = JSON.parse(body.toString('utf8'));
    await handler(event, stream, context);
    if (!stream.writableEnded) stream.end();
    await finished;
  } catch (err) {
    failure = errorDocument(err);
  }
  if (!failure) {
    open();
    req.end();
    await posted;
    return;
  }
  logLine('ERROR', [`Invoke Error \t${JSON.stringify(failure)}`]);
  if (!req) {
    await postError(`/invocation/${requestId}/error`, failure);
    return;
  }
  req.addTrailers({
    'Lambda-Runtime-Function-Error-Type': failure.errorType,
    'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(failure)).toString('base64'),
  });
  req.end();
  await posted;
}
// ---- end of response streaming ------------------------------------------

async function main() {
  patchConsole();
  let handler;
  try {
    handler = await loadHandler();
  } catch (err) {
    await initError(err.lambdaType || 'Runtime.ImportModuleError', err);
    return;
  }
  // Both handlers end the process whatever happens while they report: a
  // handler that threw again would raise another rejection, and another,
  // at 100% CPU.
  process.on('uncaughtException', async (err) => {
    try {
      if (currentRequestId) {
        const doc = errorDocument(err);
        logLine('ERROR', [`Uncaught Exception \t${JSON.stringify(doc)}`]);
        await postError(`/invocation/${currentRequestId}/error`, doc);
      }
    } catch (e) {
      /* exiting anyway */
    } finally {
      process.exit(129);
    }
  });
  process.on('unhandledRejection', async (reason) => {
    try {
      const doc = errorDocument(reason);
      doc.errorType = 'Runtime.UnhandledPromiseRejection';
      logLine('ERROR', [`Unhandled Promise Rejection \t${JSON.stringify(doc)}`]);
      if (currentRequestId) await postError(`/invocation/${currentRequestId}/error`, doc);
    } catch (e) {
      /* exiting anyway */
    } finally {
      process.exit(128);
    }
  });

  for (;;) {
    let next;
    try {
      next = await call('GET', '/invocation/next');
    } catch (err) {
      // The Runtime API is the gateway's: refused or reset, it is gone.
      gone();
    }
    if (next.status !== 200) {
      throw new Error(`Runtime API next returned HTTP ${next.status}: ${next.body}`);
    }
    const h = next.headers;
    const requestId = h['lambda-runtime-aws-request-id'];
    const deadline = Number(h['lambda-runtime-deadline-ms']);
    currentRequestId = requestId;
    if (h['lambda-runtime-trace-id']) env._X_AMZN_TRACE_ID = h['lambda-runtime-trace-id'];
    const context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName: env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
      invokedFunctionArn: h['lambda-runtime-invoked-function-arn'],
      memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      awsRequestId: requestId,
      logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
      clientContext: parseJSONHeader(h['lambda-runtime-client-context']),
      identity: parseJSONHeader(h['lambda-runtime-cognito-identity']),
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    if (isStreamingHandler(handler)) {
      await runStreamingHandler(handler, next.body, context, requestId);
      currentRequestId = undefined;
      continue;
    }
    let result;
    let failure;
    try {
      const event = JSON.parse(next.body.toString('utf8'));
      result = await runHandler(handler, event, context);
    } catch (err) {
      failure = errorDocument(err);
    }
    if (failure) {
      logLine('ERROR', [`Invoke Error \t${JSON.stringify(failure)}`]);
      await postError(`/invocation/${requestId}/error`, failure);
    } else {
      let body;
      try {
        body = JSON.stringify(result === undefined ? null : result);
      } catch (err) {
        const doc = errorDocument(err);
        doc.errorType = 'Runtime.MarshalError';
        await postError(`/invocation/${requestId}/error`, doc);
        currentRequestId = undefined;
        continue;
      }
      await call('POST', `/invocation/${requestId}/response`, body, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
      });
    }
    currentRequestId = undefined;
  }
}

main().catch((err) => {
  try {
    write(2, `lambdagate runtime client: ${err && err.stack ? err.stack : err}\n`);
  } finally {
    process.exit(1);
  }
});
