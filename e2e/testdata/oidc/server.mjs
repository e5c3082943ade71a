// The OpenID Connect server of e2e/oidc_test.go: oauth2-mock-server on
// 127.0.0.1, over HTTPS with the key and certificate the test generated
// (OIDC_TLS_KEY, OIDC_TLS_CERT), one RS256 key to start with.
//
// It prints {"issuer": URL} once it listens. A token request may carry
// "claims", a JSON object merged into the token's payload. A line "rotate"
// on stdin adds a new key and signs every later token with it; the server
// answers {"rotated": kid}.
import { createInterface } from 'node:readline';
import { OAuth2Server } from 'oauth2-mock-server';

const server = new OAuth2Server(process.env.OIDC_TLS_KEY, process.env.OIDC_TLS_CERT);
let current = await server.issuer.keys.generate('RS256');

server.service.on('beforeTokenSigning', (token, req) => {
  const extra = req.body && req.body.claims;
  if (extra) {
    Object.assign(token.payload, JSON.parse(extra));
  }
});

const signWithCurrent = server.issuer.buildToken.bind(server.issuer);
server.issuer.buildToken = (opts = {}) => signWithCurrent({ ...opts, kid: current.kid });

await server.start(0, '127.0.0.1');
// The issuer names the address, not "localhost": the certificate is for
// 127.0.0.1, and the tests never leave it.
server.issuer.url = `https://127.0.0.1:${server.address().port}`;
console.log(JSON.stringify({ issuer: server.issuer.url }));

createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line.trim() === 'rotate') {
    current = await server.issuer.keys.generate('RS256');
    console.log(JSON.stringify({ rotated: current.kid }));
  }
});

const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
