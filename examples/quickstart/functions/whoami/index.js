// whoami answers with what the endpoint's Lambda authorizer said of the
// caller: API Gateway puts it under requestContext.authorizer.
exports.handler = async (event) => ({user: event.requestContext.authorizer.user});
