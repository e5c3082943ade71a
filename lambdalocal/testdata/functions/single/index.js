// single runs one invocation at a time (concurrency 1): it sleeps for
// event.ms milliseconds and logs event.marker when it starts.
exports.handler = async (event) => {
  if (event.marker) console.log('single started', event.marker);
  await new Promise((r) => setTimeout(r, event.ms || 0));
  return { pid: process.pid, finished: Date.now() };
};
