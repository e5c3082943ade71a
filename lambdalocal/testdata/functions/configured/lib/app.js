// configured is a test function whose function.json sets every key.
exports.main = async (event, context) => ({
  greeting: process.env.GREETING,
  memory: context.memoryLimitInMB,
  env: {
    AWS_REGION: process.env.AWS_REGION,
    AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION,
    AWS_LAMBDA_FUNCTION_NAME: process.env.AWS_LAMBDA_FUNCTION_NAME,
    AWS_LAMBDA_FUNCTION_VERSION: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    _HANDLER: process.env._HANDLER,
    LAMBDA_TASK_ROOT: process.env.LAMBDA_TASK_ROOT,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY,
    TZ: process.env.TZ,
    _X_AMZN_TRACE_ID: process.env._X_AMZN_TRACE_ID,
    HAS_RUNTIME_API: Boolean(process.env.AWS_LAMBDA_RUNTIME_API),
  },
});
