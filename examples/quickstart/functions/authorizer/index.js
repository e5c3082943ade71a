// authorizer is a Lambda TOKEN authorizer, as API Gateway calls one: it
// allows the bearer token "let-me-in" for the method ARN it is asked about,
// denies any other, and hands the user's name to the backend as context.
exports.handler = async (event) => {
  const allowed = event.authorizationToken === 'Bearer let-me-in';
  return {
    principalId: allowed ? 'ada' : 'anonymous',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{Action: 'execute-api:Invoke', Effect: allowed ? 'Allow' : 'Deny', Resource: event.methodArn}],
    },
    context: {user: 'ada'},
  };
};
