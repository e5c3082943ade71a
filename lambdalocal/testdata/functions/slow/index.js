// slow sleeps for event.ms milliseconds: longer than its timeout when asked.
exports.handler = async (event) => {
  console.log('slow sleeping', event.ms);
  await new Promise((r) => setTimeout(r, event.ms || 0));
  return { pid: process.pid };
};
