// Servers that take credentials of their own (a password, an API key, an
// opaque token they look up), built with popular npm packages as their
// READMEs show:
//
//   express-basic-auth                   a bare 401 (no challenge, no body) by
//                                        default; `challenge: true` asks for Basic
//   @fastify/basic-auth                  Basic, with its own words for the rest
//   @fastify/bearer-auth                 a fixed set of API keys as Bearer tokens;
//                                        "invalid authorization header" for every
//                                        failure, no challenge
//   @node-oauth/express-oauth-server     node-oauth2-server's resource side: opaque
//                                        tokens looked up in its store, RFC 6750
//                                        error codes in a JSON body, no challenge
//   Debian's Apache, mod_auth_digest     HTTP Digest (RFC 7616, MD5, qop=auth) from
//                                        an htdigest file, sent with curl --digest
//   Debian's lighttpd, mod_auth          HTTP Digest with algorithm SHA-256
//   Rack::Auth::Basic (tests/ruby)       Basic, and a bare 400 to any other scheme
//   keycloak-connect (bearer-only)       Keycloak's Node adapter: 403 "Access denied"
//                                        to every failure, a missing token too;
//                                        tokens of a Keycloak-shaped realm here
//
// Prints one JSON line of scenarios (each a request, the fault made in
// it, and whether the doctor must name that cause first or among its
// readings, where the request alone cannot settle it), then serves on
// loopback until standard input closes.
import express from 'express';
import basicAuth from 'express-basic-auth';
import Fastify from 'fastify';
import fastifyBasic from '@fastify/basic-auth';
import bearerAuth from '@fastify/bearer-auth';
import OAuthServer from '@node-oauth/express-oauth-server';
import Keycloak from 'keycloak-connect';
import * as jose from 'jose';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen, freePort, accepting, apache } from './loopback.mjs';

const url = (s) => `http://127.0.0.1:${s.address().port}/api/orders`;
const basic = (user, password) => [['Authorization', `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`]];
const bearer = (t) => [['Authorization', `Bearer ${t}`]];
const servers = [];
const scenarios = [];
// `rank`: 'first' where the cause must lead the report; 'named' where the
// request alone leaves two readings and the right one must be among them.
// `curl`: curl's options for the password (`--digest`, `--anyauth`, and
// `-b ''` for its cookie engine), where the user gave them.
const add = (stack, target, cases) => {
  for (const [cause, headers, rank = 'first', curl = [], issuer = null] of cases) scenarios.push({ stack, cause, url: target, headers, rank, curl, issuer });
};
const PASSWORD = 'orders-password-0123';
const KEY = 'orders-key-0123456789abcdef';
const ok = (q, r) => r.json({ orders: [] });

{
  const a = express();
  a.use(basicAuth({ users: { admin: PASSWORD } }));
  a.get('/api/orders', ok);
  const s = await listen(a);
  servers.push(s);
  add('express-basic-auth (no challenge)', url(s), [
    [null, basic('admin', PASSWORD)],
    ['credentials.missing', []],
    ['credentials.invalid', basic('admin', 'a-wrong-password')],
    ['credentials.invalid', basic('nobody', PASSWORD)],
  ]);
}
{
  const a = express();
  a.use(basicAuth({ users: { admin: PASSWORD }, challenge: true, realm: 'orders' }));
  a.get('/api/orders', ok);
  const s = await listen(a);
  servers.push(s);
  add('express-basic-auth (challenge: true)', url(s), [
    ['credentials.missing', []],
    ['credentials.invalid', basic('admin', 'a-wrong-password')],
    ['scheme.mismatch', bearer(KEY)],
  ]);
}
{
  const f = Fastify();
  await f.register(fastifyBasic, {
    validate: async (user, password) => { if (user !== 'admin' || password !== PASSWORD) return new Error('Winter is coming'); },
    authenticate: { realm: 'orders' },
  });
  f.after(() => { f.addHook('onRequest', f.basicAuth); f.get('/api/orders', async () => ({ orders: [] })); });
  await f.listen({ port: 0, host: '127.0.0.1' });
  servers.push(f.server);
  add('@fastify/basic-auth', url(f.server), [
    [null, basic('admin', PASSWORD)],
    ['credentials.missing', []],
    ['credentials.invalid', basic('admin', 'a-wrong-password')],
    ['scheme.mismatch', bearer(KEY)],
  ]);
}
{
  const f = Fastify();
  await f.register(bearerAuth, { keys: new Set([KEY]) });
  f.get('/api/orders', async () => ({ orders: [] }));
  await f.listen({ port: 0, host: '127.0.0.1' });
  servers.push(f.server);
  add('@fastify/bearer-auth (API keys)', url(f.server), [
    [null, bearer(KEY)],
    ['credentials.missing', []],
    ['scheme.mismatch', basic('admin', PASSWORD)],
    // An unknown key and a JWT-only API's refusal of an opaque token
    // read alike here: both readings are owed.
    ['credentials.invalid', bearer('orders-key-retired-0123456789'), 'named'],
  ]);
}
{
  // node-oauth2-server's model: tokens in a store, one expired, one
  // without the route's scope.
  const tokens = new Map();
  const keep = (accessToken, ms, scope) => tokens.set(accessToken, { accessToken, accessTokenExpiresAt: new Date(Date.now() + ms), scope, client: { id: 'orders-cli' }, user: { id: 'alice' } });
  keep('nos-good-0123456789abcdef', 3600_000, ['read']);
  keep('nos-expired-0123456789abcdef', -60_000, ['read']);
  keep('nos-writer-0123456789abcdef', 3600_000, ['write']);
  const model = {
    getAccessToken: async (t) => tokens.get(t) || null,
    verifyScope: async (t, wanted) => [].concat(wanted).every((x) => (t.scope || []).includes(x)),
  };
  const oauth = new OAuthServer({ model });
  const a = express();
  a.get('/api/orders', oauth.authenticate({ scope: ['read'] }), ok);
  const s = await listen(a);
  servers.push(s);
  add('@node-oauth/express-oauth-server (opaque tokens it looks up)', url(s), [
    [null, bearer('nos-good-0123456789abcdef')],
    ['credentials.missing', []],
    ['token.expired', bearer('nos-expired-0123456789abcdef')],
    ['token.scope_insufficient', bearer('nos-writer-0123456789abcdef')],
    ['scheme.mismatch', basic('orders-cli', PASSWORD)],
    ['credentials.invalid', bearer('nos-unknown-0123456789abcdef'), 'named'],
  ]);
}

// Debian's Apache with mod_auth_digest and an htdigest file.
const realm = 'orders';
const digestUrl = await apache('keys-apache', ['authn_file', 'auth_digest'],
  (dir) => writeFileSync(join(dir, 'htdigest'), `admin:${realm}:${createHash('md5').update(`admin:${realm}:${PASSWORD}`).digest('hex')}\n`),
  (dir) => [
    `Alias /brief/orders ${dir}/orders.json`,
    '<Location /api>', '  AuthType Digest', `  AuthName "${realm}"`, '  AuthDigestDomain /api/', `  AuthUserFile ${dir}/htdigest`, '  Require valid-user', '</Location>',
    // Nonces that last a second: a recorded answer is stale soon after.
    '<Location /brief>', '  AuthType Digest', `  AuthName "${realm}"`, '  AuthDigestNonceLifetime 1', `  AuthUserFile ${dir}/htdigest`, '  Require valid-user', '</Location>',
  ]);
if (digestUrl) {
  const target = digestUrl;
  add("Apache mod_auth_digest (htdigest)", target, [
    [null, [], 'first', ['--digest', '-u', `admin:${PASSWORD}`]],
    [null, [], 'first', ['--anyauth', '-u', `admin:${PASSWORD}`]],
    ['credentials.missing', []],
    ['credentials.invalid', [], 'first', ['--digest', '-u', 'admin:a-wrong-password']],
    ['credentials.invalid', [], 'first', ['--digest', '-u', `nobody:${PASSWORD}`]],
    // The password sent as Basic to a server that asks for Digest.
    ['scheme.mismatch', basic('admin', PASSWORD)],
  ]);
  // A Digest answer recorded (as curl -v shows the one it sent, or a
  // browser's "Copy as cURL"), sent again once its nonce has gone stale.
  const brief = target.replace('/api/orders', '/brief/orders');
  const shown = String(spawnSync('curl', ['-sv', '-o', '/dev/null', '--digest', '-u', `admin:${PASSWORD}`, brief]).stderr);
  const recorded = shown.split('\n').find((l) => l.startsWith('> Authorization: Digest'));
  if (!recorded) throw new Error(`curl showed no Digest answer: ${shown}`);
  await new Promise((r) => setTimeout(r, 2500));
  add('Apache mod_auth_digest (htdigest)', brief, [
    ['credentials.invalid', [['Authorization', recorded.slice('> Authorization: '.length).trim()]]],
  ]);
  // And the report must say why: the answer, not the password.
  scenarios[scenarios.length - 1].says = 'nonce of an earlier exchange';
}
// Debian's lighttpd asking for Digest with SHA-256 (RFC 7616 §3.3).
const lighttpd = existsSync('/usr/sbin/lighttpd') && existsSync('/usr/lib/lighttpd/mod_auth.so');
if (lighttpd) {
  const dir = mkdtempSync(join(tmpdir(), 'authdoctor-keys-lighttpd-'));
  const sha = createHash('sha256').update(`admin:orders:${PASSWORD}`).digest('hex');
  writeFileSync(join(dir, 'htdigest'), `admin:orders:${sha}\n`);
  writeFileSync(join(dir, 'orders.json'), '{"orders":[]}');
  const port = await freePort();
  const conf = join(dir, 'lighttpd.conf');
  writeFileSync(conf, [
    `server.document-root = "${dir}"`, `server.port = ${port}`, 'server.bind = "127.0.0.1"',
    'server.modules = ( "mod_auth", "mod_authn_file" )',
    'auth.backend = "htdigest"', `auth.backend.htdigest.userfile = "${dir}/htdigest"`,
    'auth.require = ( "/orders.json" => ( "method" => "digest", "realm" => "orders", "require" => "valid-user", "algorithm" => "SHA-256" ) )', '',
  ].join('\n'));
  const lt = spawn('lighttpd', ['-D', '-f', conf], { stdio: 'ignore' });
  process.stdin.on('end', () => { lt.kill(); rmSync(dir, { recursive: true, force: true }); });
  await accepting(port);
  const target = `http://127.0.0.1:${port}/orders.json`;
  add('lighttpd mod_auth (Digest, SHA-256)', target, [
    [null, [], 'first', ['--digest', '-u', `admin:${PASSWORD}`]],
    ['credentials.missing', []],
    ['credentials.invalid', [], 'first', ['--digest', '-u', 'admin:a-wrong-password']],
    ['scheme.mismatch', basic('admin', PASSWORD)],
  ]);
}

// keycloak-connect in bearer-only mode, as its README configures it, in
// front of a realm served here the way Keycloak serves one (its discovery
// and its keys under /realms/NAME). Some faults only the issuer's keys
// tell apart: those scenarios name the issuer, as `--issuer` does.
{
  const { privateKey, publicKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const other = await jose.generateKeyPair('RS256');
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'realm-key-1', alg: 'RS256', use: 'sig' };
  const idp = express();
  const idpServer = await listen(idp);
  servers.push(idpServer);
  const base = `http://127.0.0.1:${idpServer.address().port}`;
  const realm = `${base}/realms/orders`;
  idp.get('/realms/:name/.well-known/openid-configuration', (q, r) => r.json({ issuer: `${base}/realms/${q.params.name}`, jwks_uri: `${base}/realms/${q.params.name}/protocol/openid-connect/certs` }));
  idp.get('/realms/:name/protocol/openid-connect/certs', (q, r) => r.json({ keys: [jwk] }));
  const kc = new Keycloak({}, { realm: 'orders', 'auth-server-url': `${base}/`, 'ssl-required': 'none', resource: 'orders-api', 'bearer-only': true, 'confidential-port': 0 });
  const a = express();
  a.use(kc.middleware());
  a.get('/api/orders', kc.protect(), ok);
  a.get('/api/admin', kc.protect('realm:admin'), ok);
  const s = await listen(a);
  servers.push(s);
  const now = Math.floor(Date.now() / 1000);
  // Keycloak's access token: `typ: Bearer`, `azp` the client, roles in
  // `realm_access`.
  const claims = { iss: realm, aud: 'account', azp: 'orders-api', sub: 'alice', typ: 'Bearer', scope: 'profile email', realm_access: { roles: ['user'] }, iat: now - 60, exp: now + 600 };
  const sign = (over = {}, key = privateKey, kid = 'realm-key-1') => new jose.SignJWT({ ...claims, ...over }).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid }).sign(key);
  const good = await sign();
  add('keycloak-connect (bearer-only: 403 "Access denied" to every failure)', url(s), [
    [null, bearer(good)],
    ['credentials.missing', []],
    ['token.expired', bearer(await sign({ iat: now - 3600, exp: now - 900 }))],
    ['token.malformed', bearer(good.slice(0, 120))],
    ['token.signature_invalid', bearer(await sign({}, other.privateKey)), 'first', [], realm],
    ['token.unknown_key', bearer(await sign({}, other.privateKey, 'realm-key-0-retired')), 'first', [], realm],
    ['token.issuer_mismatch', bearer(await sign({ iss: `${base}/realms/staging` })), 'first', [], realm],
  ]);
  add('keycloak-connect (bearer-only: 403 "Access denied" to every failure)', url(s).replace('/api/orders', '/api/admin'), [
    ['authz.forbidden', bearer(good), 'first', [], realm],
  ]);
}

// Rack::Auth::Basic (Debian's ruby-rack, under Sinatra), when scripts/test
// has installed Ruby's packages.
let ruby = false;
try { execFileSync('ruby', ['-e', 'require "rack"; require "sinatra/base"; require "webrick"'], { stdio: 'ignore' }); ruby = true; } catch {}
if (ruby) {
  const port = await freePort();
  const rb = spawn('ruby', [new URL('../ruby/basic.rb', import.meta.url).pathname, String(port), PASSWORD], { stdio: ['pipe', 'ignore', 'inherit'] });
  process.stdin.on('end', () => rb.kill());
  await accepting(port);
  add('Rack::Auth::Basic (Sinatra)', `http://127.0.0.1:${port}/api/orders`, [
    [null, basic('admin', PASSWORD)],
    ['credentials.missing', []],
    ['credentials.invalid', basic('admin', 'a-wrong-password')],
    // Its 400 to another scheme says nothing; without the token it asks
    // for Basic.
    ['scheme.mismatch', bearer(KEY)],
  ]);
}

// --digest to a server that asks for Basic: curl never sends the password.
add('express-basic-auth (challenge: true)', scenarios.find((s) => s.stack === 'express-basic-auth (challenge: true)').url, [
  ['scheme.mismatch', [], 'first', ['--digest', '-u', `admin:${PASSWORD}`]],
  [null, [], 'first', ['--anyauth', '-u', `admin:${PASSWORD}`]],
]);

process.stdout.write(`${JSON.stringify({ apache: digestUrl !== null, lighttpd, ruby, scenarios })}\n`);
process.stdin.resume();
process.stdin.on('end', () => { for (const s of servers) s.close(); setTimeout(() => process.exit(0), 100); });
