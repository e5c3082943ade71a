// A streaming function: what it streams depends on event.mode.
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  switch (event.mode) {
    case 'sse': {
      const stream = awslambda.HttpResponseStream.from(responseStream, {
        statusCode: 200,
        headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' },
        cookies: ['seen=1'],
      });
      for (let i = 1; i <= (event.count || 3); i++) {
        stream.write(`data: ${i} ${Date.now()}\n\n`);
        await sleep(event.gapMs || 50);
      }
      stream.end();
      return;
    }
    case 'fail':
      responseStream.setContentType('text/plain');
      responseStream.write('part');
      await sleep(20);
      throw new Error('boom');
    case 'early':
      throw new Error('before any byte');
    case 'bytes': {
      // event.mb megabytes, in 64 KiB writes, respecting backpressure.
      const chunk = Buffer.alloc(64 << 10, 'x');
      for (let i = 0; i < (event.mb || 1) * 16; i++) {
        if (!responseStream.write(chunk)) await new Promise((r) => responseStream.once('drain', r));
      }
      responseStream.end();
      return;
    }
    default:
      responseStream.setContentType('text/plain');
      responseStream.write('hello ');
      responseStream.write('world');
      responseStream.end();
  }
});
