// The npm oidc-provider as an issuer of opaque access tokens that a
// resource server judges by introspection (RFC 7662) and that revokes them
// (RFC 7009): the client orders-cli takes tokens by client credentials;
// guard-rs (the resource server) introspects. GET /_refresh_token answers
// a refresh token of alice's grant to orders-cli (scope orders:read among
// others), made by the provider's own models as its code flow would. Every introspection request
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
    { client_id: 'orders-cli', client_secret: 'orders-secret-0123456789abcdef', grant_types: ['client_credentials', 'authorization_code', 'refresh_token'], redirect_uris: ['https://app.example.test/cb'], response_types: ['code'], scope: 'openid offline_access orders:read' },
    { client_id: 'guard-rs', client_secret: 'guard-secret-0123456789abcdef', grant_types: ['client_credentials'], redirect_uris: [], response_types: [] },
  ],
  jwks: { keys: [jwk] },
  scopes: ['openid', 'offline_access', 'orders:read'],
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    devInteractions: { enabled: false },
  },
});
const serve = p.callback();
// A refresh token of alice's grant to orders-cli, made by the provider's
// own models (as its code flow makes one after a sign-in).
async function refreshToken() {
  const client = await p.Client.find('orders-cli');
  const grant = new p.Grant({ accountId: 'alice', clientId: client.clientId });
  grant.addOIDCScope('openid offline_access orders:read');
  const grantId = await grant.save();
  const rt = new p.RefreshToken({ accountId: 'alice', client, grantId, scope: 'openid offline_access orders:read', gty: 'authorization_code' });
  return rt.save();
}
let introspections = 0;
server.on('request', (req, res) => {
  if (req.url === '/_count') {
    res.end(String(introspections));
  } else if (req.url === '/_refresh_token') {
    refreshToken().then((t) => res.end(t), (e) => { res.statusCode = 500; res.end(String(e)); });
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
