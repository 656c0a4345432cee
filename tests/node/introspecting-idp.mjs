// The npm oidc-provider as an issuer of opaque access tokens that a
// resource server judges by introspection (RFC 7662) and that revokes them
// (RFC 7009): the client orders-cli takes tokens by client credentials;
// guard-rs (the resource server) introspects. Every introspection request
// is counted (GET /_count answers the count) and held 300 ms before the
// provider answers it, as a remote issuer's round trip would: requests
// that arrive together are asked about together. Prints its port, then
// serves until standard input closes.
import Provider from 'oidc-provider';
import * as jose from 'jose';
import { createServer } from 'node:http';

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await jose.exportJWK(privateKey)), kid: 'opaque-key-1', alg: 'RS256', use: 'sig' };
const server = createServer();
await new Promise((ok) => server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', ok));
const { port } = server.address();
const p = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    { client_id: 'orders-cli', client_secret: 'orders-secret-0123456789abcdef', grant_types: ['client_credentials'], redirect_uris: [], response_types: [], scope: 'orders:read' },
    { client_id: 'guard-rs', client_secret: 'guard-secret-0123456789abcdef', grant_types: ['client_credentials'], redirect_uris: [], response_types: [] },
  ],
  jwks: { keys: [jwk] },
  scopes: ['orders:read'],
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    devInteractions: { enabled: false },
  },
});
const serve = p.callback();
let introspections = 0;
server.on('request', (req, res) => {
  if (req.url === '/_count') {
    res.end(String(introspections));
  } else if (req.url.startsWith('/token/introspection')) {
    introspections += 1;
    setTimeout(() => serve(req, res), 300);
  } else {
    serve(req, res);
  }
});
process.stdout.write(`${port}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
