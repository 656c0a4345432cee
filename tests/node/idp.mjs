// The npm oidc-provider alone, as an identity provider behind a proxy
// whose access log tests/logs.rs reads: one confidential client
// (logs-cli: client credentials, and the code flow with refresh tokens, so
// that a dead refresh token is answered invalid_grant). Prints its port,
// then serves until standard input closes.
import Provider from 'oidc-provider';
import * as jose from 'jose';

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await jose.exportJWK(privateKey)), kid: 'logs-key-1', alg: 'RS256', use: 'sig' };
const port = Number(process.argv[2]);
const p = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{ client_id: 'logs-cli', client_secret: 'logs-secret-0123456789abcdef', grant_types: ['client_credentials', 'authorization_code', 'refresh_token'], redirect_uris: ['https://app.example.test/cb'], response_types: ['code'], scope: 'openid read:orders' }],
  jwks: { keys: [jwk] },
  scopes: ['openid', 'offline_access', 'read:orders'],
  features: { clientCredentials: { enabled: true }, introspection: { enabled: true }, devInteractions: { enabled: false } },
});
// Behind a proxy: the address it writes X-Forwarded-For with.
p.proxy = true;
const server = p.listen(port, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
