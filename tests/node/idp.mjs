// The npm oidc-provider alone, as an identity provider behind a proxy
// whose access log tests/logs.rs reads: one confidential client
// (logs-cli, client_credentials, client_secret_basic or _post). Prints
// its port, then serves until standard input closes.
import Provider from 'oidc-provider';
import * as jose from 'jose';

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await jose.exportJWK(privateKey)), kid: 'logs-key-1', alg: 'RS256', use: 'sig' };
const port = Number(process.argv[2]);
const p = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{ client_id: 'logs-cli', client_secret: 'logs-secret-0123456789abcdef', grant_types: ['client_credentials'], redirect_uris: [], response_types: [], scope: 'read:orders' }],
  jwks: { keys: [jwk] },
  scopes: ['openid', 'read:orders'],
  features: { clientCredentials: { enabled: true }, introspection: { enabled: true }, devInteractions: { enabled: false } },
});
// Behind a proxy: the address it writes X-Forwarded-For with.
p.proxy = true;
const server = p.listen(port, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
