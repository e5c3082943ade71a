// sleeper sleeps for event.ms milliseconds and returns its process id.
exports.handler = async (event) => {
  await new Promise((r) => setTimeout(r, event.ms || 0));
  return { pid: process.pid };
};
