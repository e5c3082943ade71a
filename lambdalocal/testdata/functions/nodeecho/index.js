// nodeecho is a test function: it returns its event and context details,
// and fails, crashes, sleeps or logs on request.
exports.handler = async (event, context) => {
  console.log('nodeecho got', JSON.stringify(event));
  if (event.fail) {
    const err = new Error(event.fail);
    err.name = 'EchoError';
    throw err;
  }
  if (event.crash !== undefined) process.exit(event.crash);
  if (event.sleep_ms) await new Promise((r) => setTimeout(r, event.sleep_ms));
  if (event.log_lines) {
    for (let i = 0; i < event.log_lines; i++) console.log(`line ${i} ${'x'.repeat(40)}`);
  }
  if (event.big_response) return 'x'.repeat(event.big_response);
  return {
    event,
    requestId: context.awsRequestId,
    functionName: context.functionName,
    arn: context.invokedFunctionArn,
    remaining: context.getRemainingTimeInMillis(),
    clientContext: context.clientContext,
    pid: process.pid,
  };
};
