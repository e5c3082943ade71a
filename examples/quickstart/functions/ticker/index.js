// A streaming function: server-sent events, one every 300 ms, written as
// they are produced (the way a language model's tokens are streamed).
// awslambda.streamifyResponse and awslambda.HttpResponseStream are the
// Node.js runtime's globals, as in Lambda.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 200,
    headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' },
  });
  for (let i = 1; i <= 3; i++) {
    stream.write(`data: tick ${i}\n\n`);
    if (i < 3) await sleep(300);
  }
  stream.end();
});
