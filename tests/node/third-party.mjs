// Third-party servers for the doctor's tests: the npm oidc-provider as the
// identity provider (two of them: prod and staging), Auth0's
// express-oauth2-jwt-bearer in front of an API (and the same API under
// faketime, its clock 15 minutes fast, when faketime is installed).
// Prints one JSON line of scenarios (each a request and the cause it
// should be diagnosed with), then serves until standard input closes.
import Provider from 'oidc-provider';
import * as jose from 'jose';
import express from 'express';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
import { spawn, execFileSync } from 'node:child_process';
import { startStacks } from './api-stacks.mjs';
import { listen, port, freePort, accepting, apache } from './loopback.mjs';
import { fileURLToPath } from 'node:url';
import { existsSync, mkdtempSync, writeFileSync, rmSync, chmodSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The API, alone, when run as `node third-party.mjs api ISSUER AUDIENCE`.
if (process.argv[2] === 'api') {
  const [, , , issuer, audience] = process.argv;
  const app = express();
  // Opaque tokens: only the provider can say whether one is active (RFC 7662).
  app.get('/api/opaque/orders', async (req, res) => {
    const token = req.headers.authorization.slice('Bearer '.length);
    const r = await fetch(`${issuer}/token/introspection`, {
      method: 'POST',
      body: new URLSearchParams({ token }),
      headers: { authorization: `Basic ${Buffer.from('tp-cli:tp-secret-0123456789abcdef').toString('base64')}` },
    });
    const j = await r.json();
    if (!j.active) {
      res.status(401).set('WWW-Authenticate', 'Bearer realm="api", error="invalid_token", error_description="token is not active"').json({ error: 'invalid_token' });
      return;
    }
    res.json({ sub: j.sub });
  });
  app.use(auth({ issuerBaseURL: issuer, audience, tokenSigningAlg: 'RS256' }));
  app.get('/api/orders', requiredScopes('read:orders'), (req, res) => res.json({ sub: req.auth.payload.sub }));
  app.use((err, req, res, next) => res.status(err.status || 500).set(err.headers || {}).json({ error: err.code, message: err.message }));
  const s = await listen(app);
  process.stdout.write(`${port(s)}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
} else {
  await main();
}

// An issuer with its signing key, and a next key it publishes ahead of a
// rotation (as key rotation is done): a token signed with it is one issued
// after the rotation, which a server that took the issuer's keys once, at
// start, refuses.
async function provider(name) {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await jose.exportJWK(privateKey)), kid: `${name}-key-1`, alg: 'RS256', use: 'sig' };
  const next = (await jose.generateKeyPair('RS256', { extractable: true })).privateKey;
  const nextJwk = { ...(await jose.exportJWK(next)), kid: `${name}-key-2`, alg: 'RS256', use: 'sig' };
  const holder = express();
  const server = await listen(holder);
  const issuer = `http://127.0.0.1:${port(server)}`;
  const p = new Provider(issuer, {
    clients: [{ client_id: 'tp-cli', client_secret: 'tp-secret-0123456789abcdef', grant_types: ['client_credentials'], redirect_uris: [], response_types: [], scope: 'read:orders write:orders' }],
    jwks: { keys: [jwk, nextJwk] },
    scopes: ['openid', 'read:orders', 'write:orders'],
    ttl: { ClientCredentials: 600, AccessToken: 600 },
    features: {
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource) => ({ scope: 'read:orders write:orders', audience: resource, accessTokenTTL: 600, ...(resource.includes('opaque') ? { accessTokenFormat: 'opaque' } : { accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }) }),
      },
    },
  });
  holder.use(p.callback());
  return { issuer, jwk, privateKey, next: { privateKey: next, jwk: nextJwk }, server };
}

async function token(issuer, { scope = 'read:orders', resource }) {
  const body = new URLSearchParams({ grant_type: 'client_credentials', scope, resource });
  const r = await fetch(`${issuer}/token`, { method: 'POST', body, headers: { authorization: `Basic ${Buffer.from('tp-cli:tp-secret-0123456789abcdef').toString('base64')}` } });
  const j = await r.json();
  if (!j.access_token) throw new Error(`no token for ${resource}: ${JSON.stringify(j)}`);
  return j.access_token;
}

async function main() {
  const prod = await provider('prod');
  const staging = await provider('staging');
  const apiAud = 'https://orders.api.test';
  const apiProc = spawn(process.execPath, [fileURLToPath(import.meta.url), 'api', prod.issuer, apiAud], { stdio: ['pipe', 'pipe', 'ignore'] });
  const apiPort = await new Promise((resolve) => apiProc.stdout.once('data', (d) => resolve(String(d).trim())));
  const api = `http://127.0.0.1:${apiPort}/api/orders`;
  let skewed = null;
  let faketime = false;
  try { execFileSync('which', ['faketime']); faketime = true; } catch {}
  if (faketime) {
    const p2 = spawn('faketime', ['-f', '+15m', process.execPath, fileURLToPath(import.meta.url), 'api', prod.issuer, apiAud], { stdio: ['pipe', 'pipe', 'ignore'] });
    skewed = `http://127.0.0.1:${await new Promise((resolve) => p2.stdout.once('data', (d) => resolve(String(d).trim())))}/api/orders`;
    process.stdin.on('end', () => p2.kill());
  }
  process.stdin.on('end', () => apiProc.kill());

  const good = await token(prod.issuer, { resource: apiAud });
  const claims = jose.decodeJwt(good);
  const sign = async (key, kid, over) => new jose.SignJWT({ ...claims, ...over }).setProtectedHeader({ alg: 'RS256', kid, typ: 'at+jwt' }).sign(key);
  const now = Math.floor(Date.now() / 1000);
  const other = await jose.generateKeyPair('RS256');
  const bearer = (t) => [['Authorization', `Bearer ${t}`]];
  const scenarios = [
    { cause: null, url: api, headers: bearer(good) },
    { cause: 'credentials.missing', url: api, headers: [] },
    { cause: 'token.expired', url: api, headers: bearer(await sign(prod.privateKey, prod.jwk.kid, { iat: now - 3600, exp: now - 900 })) },
    { cause: 'token.audience_mismatch', url: api, headers: bearer(await token(prod.issuer, { resource: 'https://billing.api.test' })) },
    { cause: 'token.issuer_mismatch', url: api, headers: bearer(await token(staging.issuer, { resource: apiAud })) },
    { cause: 'token.signature_invalid', url: api, headers: bearer(await sign(other.privateKey, prod.jwk.kid, {})) },
    { cause: 'token.unknown_key', url: api, headers: bearer(await sign(other.privateKey, 'prod-key-0-retired', {})) },
    { cause: 'token.scope_insufficient', url: api, headers: bearer(await token(prod.issuer, { scope: 'write:orders', resource: apiAud })) },
    { cause: 'header.malformed', url: api, headers: [['Authorization', `Bearer  ${good}`]] },
    { cause: 'scheme.mismatch', url: api, headers: [['Authorization', `Token ${good}`]] },
    { cause: 'token.alg_rejected', url: api, headers: bearer(`${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${good.split('.')[1]}.`) },
    // A DPoP-bound token (its cnf.jkt) sent as a Bearer token without a
    // proof: express-oauth2-jwt-bearer checks DPoP by default (1.10).
    { cause: 'token.binding_required', url: api, headers: bearer(await sign(prod.privateKey, prod.jwk.kid, { cnf: { jkt: await jose.calculateJwkThumbprint(await jose.exportJWK(other.publicKey)) } })) },
  ];
  const revoked = await token(prod.issuer, { resource: 'https://opaque.api.test' });
  const rv = await fetch(`${prod.issuer}/token/revocation`, { method: 'POST', body: new URLSearchParams({ token: revoked }), headers: { authorization: `Basic ${Buffer.from('tp-cli:tp-secret-0123456789abcdef').toString('base64')}` } });
  if (rv.status !== 200) throw new Error(`revocation answered ${rv.status}: ${await rv.text()}`);
  scenarios.push({ cause: 'token.revoked', url: api.replace('/api/orders', '/api/opaque/orders'), headers: bearer(revoked), audience: 'https://opaque.api.test' });
  if (skewed) scenarios.push({ cause: 'clock.skew', url: skewed, headers: bearer(good) });

  // The same faults at resource servers built with other popular packages.
  // The cause is the fault made; where a server accepts the request anyway
  // (a lenient header parser), there is no failure to diagnose.
  const stacks = await startStacks({ issuer: prod.issuer, jwksUri: `${prod.issuer}/jwks`, audience: apiAud, scope: 'read:orders' });
  // And the Python ones (tests/python), when scripts/test has installed them.
  const py = fileURLToPath(new URL('../python/.venv/bin/python', import.meta.url));
  let python = false;
  try { execFileSync(py, ['-c', 'import fastapi, flask_jwt_extended, rest_framework_simplejwt, authlib, strawberry, litestar, jose, mcp']); python = true; } catch {}
  if (python) {
    const p3 = spawn(py, [fileURLToPath(new URL('../python/stacks.py', import.meta.url)), prod.issuer, `${prod.issuer}/jwks`, apiAud, 'read:orders'], { stdio: ['pipe', 'pipe', 'inherit'] });
    process.stdin.on('end', () => p3.kill());
    const line = await new Promise((resolve) => { let buf = ''; p3.stdout.on('data', (d) => { buf += d; if (buf.includes('\n')) resolve(buf.split('\n')[0]); }); });
    for (const [name, st] of Object.entries(JSON.parse(line))) stacks[name] = { ...st, server: { close: () => {} } };
  }
  // And the Go ones (tests/go), when scripts/test has built them: go-oidc
  // behind net/http, and a gRPC service (grpc-go with go-grpc-middleware's
  // auth interceptor over go-oidc), called as grpc://.
  const goBin = (name) => fileURLToPath(new URL(`../../target/go/${name}`, import.meta.url));
  const go = ['oidc-api', 'grpc-api', 'web-api'].every((b) => existsSync(goBin(b)));
  if (go) {
    const [httpPort, grpcPort, ginPort, chiPort, jwtPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    const g1 = spawn(goBin('oidc-api'), [String(httpPort), prod.issuer, apiAud], { stdio: 'ignore' });
    const g2 = spawn(goBin('grpc-api'), ['serve', String(grpcPort), prod.issuer, apiAud, 'read:orders', 'json'], { stdio: 'ignore' });
    const g3 = spawn(goBin('web-api'), ['gin', String(ginPort), prod.issuer, apiAud], { stdio: 'ignore' });
    const g4 = spawn(goBin('web-api'), ['chi', String(chiPort), prod.issuer, apiAud], { stdio: 'ignore' });
    const g5 = spawn(goBin('web-api'), ['golang-jwt', String(jwtPort), prod.issuer, apiAud], { stdio: 'ignore' });
    process.stdin.on('end', () => { g1.kill(); g2.kill(); g3.kill(); g4.kill(); g5.kill(); });
    await accepting(httpPort);
    await accepting(grpcPort);
    await accepting(ginPort);
    await accepting(chiPort);
    await accepting(jwtPort);
    const none = { close: () => {} };
    stacks['net/http + go-oidc'] = { url: `http://127.0.0.1:${httpPort}/api/orders`, enforcesScope: false, server: none };
    stacks['gin + go-oidc (AbortWithError: a bare 401)'] = { url: `http://127.0.0.1:${ginPort}/api/orders`, enforcesScope: false, server: none };
    stacks['chi + go-oidc (http.Error with its words)'] = { url: `http://127.0.0.1:${chiPort}/api/orders`, enforcesScope: false, server: none };
    stacks['net/http + golang-jwt (keys read once at start)'] = { url: `http://127.0.0.1:${jwtPort}/api/orders`, enforcesScope: false, server: none };
    stacks['grpc-go + go-grpc-middleware + go-oidc'] = { url: `grpc://127.0.0.1:${grpcPort}/grpc.health.v1.Health/Check`, method: 'POST', grpcPort, enforcesScope: true, server: none };
  }
  // And Debian's Apache with mod_auth_openidc as an OAuth 2.0 resource
  // server (AuthType oauth20), trusting prod's key as a PEM file named by
  // its kid (the module fetches a key set only over https), when
  // scripts/test has installed them. It says only "JWT token could not be
  // validated", whatever the fault.
  const oidcUrl = await apache('tp-apache', ['auth_openidc'],
    (dir) => writeFileSync(join(dir, 'prod.pem'), createPublicKey({ key: prod.jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' })),
    (dir) => [
      'OIDCCryptoPassphrase only-for-a-test',
      `OIDCOAuthVerifyCertFiles ${prod.jwk.kid}#${dir}/prod.pem`,
      '<Location /api>', '  AuthType oauth20', '  Require valid-user', '</Location>',
    ]);
  if (oidcUrl) stacks['Apache mod_auth_openidc (AuthType oauth20)'] = { url: oidcUrl, enforcesScope: false, server: { close: () => {} } };
  // And Debian's Apache with mod_oauth2 (liboauth2), an OAuth 2.0 resource
  // server of its own: the issuer's metadata (RFC 8414) names its key set,
  // and the audience and scope are Require rules on the token's claims
  // (compared whole: a token with a second scope is refused).
  const oauth2Url = await apache('tp-oauth2', ['oauth2'], () => {}, () => [
    '<Location /api>', '  AuthType oauth2',
    `  OAuth2TokenVerify metadata ${prod.issuer}/.well-known/openid-configuration`,
    '  <RequireAll>', `    Require oauth2_claim aud:${apiAud}`, '    Require oauth2_claim scope:read:orders', '  </RequireAll>',
    '</Location>',
  ]);
  if (oauth2Url) stacks['Apache mod_oauth2 (liboauth2)'] = { url: oauth2Url, enforcesScope: true, server: { close: () => {} } };
  // And Debian's HAProxy checking tokens itself (jwt_verify), configured
  // as HAProxy's own guide to it does and the deployments that copy it:
  // each failed check denied (403) with the guide's words, prod's key as a
  // PEM file (HAProxy reads no key set), the scope a rule of its own.
  if (existsSync('/usr/sbin/haproxy')) {
    const dir = mkdtempSync(join(tmpdir(), 'authdoctor-tp-haproxy-'));
    writeFileSync(join(dir, 'prod.pem'), createPublicKey({ key: prod.jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }));
    const hp = await freePort();
    const conf = join(dir, 'haproxy.cfg');
    const deny = (words, cond) => `  http-request deny content-type 'text/html' string '${words}' ${cond}`;
    writeFileSync(conf, [
      'global', '  maxconn 256', 'defaults', '  mode http', '  timeout connect 5s', '  timeout client 30s', '  timeout server 30s',
      'frontend api', `  bind 127.0.0.1:${hp}`,
      deny('Missing Authorization HTTP header', 'unless { req.hdr(authorization) -m found }'),
      "  http-request set-var(txn.alg) http_auth_bearer,jwt_header_query('$.alg')",
      "  http-request set-var(txn.iss) http_auth_bearer,jwt_payload_query('$.iss')",
      "  http-request set-var(txn.aud) http_auth_bearer,jwt_payload_query('$.aud')",
      "  http-request set-var(txn.exp) http_auth_bearer,jwt_payload_query('$.exp','int')",
      "  http-request set-var(txn.scope) http_auth_bearer,jwt_payload_query('$.scope')",
      deny('Unsupported JWT signing algorithm', 'unless { var(txn.alg) -m str RS256 }'),
      deny('Invalid JWT issuer', `unless { var(txn.iss) -m str ${prod.issuer} }`),
      deny('Invalid JWT audience', `unless { var(txn.aud) -m str ${apiAud} }`),
      deny('Invalid JWT signature', `unless { http_auth_bearer,jwt_verify(txn.alg,"${dir}/prod.pem") -m int 1 }`),
      '  http-request set-var(txn.now) date()',
      deny('JWT has expired', 'if { var(txn.exp),sub(txn.now) -m int lt 0 }'),
      '  http-request deny if { path_beg /api/ } { method GET } ! { var(txn.scope) -m sub read:orders }',
      `  http-request return status 200 content-type application/json string '{"orders":[]}'`, '',
    ].join('\n'));
    const haproxy = spawn('haproxy', ['-db', '-f', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
    process.stdin.on('end', () => { haproxy.kill(); rmSync(dir, { recursive: true, force: true }); });
    await accepting(hp);
    stacks["HAProxy jwt_verify (HAProxy's guide: 403 and its words)"] = { url: `http://127.0.0.1:${hp}/api/orders`, enforcesScope: true, server: { close: () => {} } };
  }
  // An auth service for the proxies that delegate each request to one
  // (nginx's auth_request, Caddy's forward_auth, as the deployments of
  // oauth2-proxy and of small token checkers do): express-oauth2-jwt-bearer's
  // middleware at /verify, and the API's answer at /backend/orders.
  const checker = express();
  checker.get('/verify', auth({ issuerBaseURL: prod.issuer, audience: apiAud, tokenSigningAlg: 'RS256' }), requiredScopes('read:orders'), (req, res) => res.sendStatus(204));
  checker.get('/backend/orders', (req, res) => res.json({ orders: [] }));
  checker.use((err, req, res, next) => res.status(err.status || 500).set(err.headers || {}).json({ error: err.code, message: err.message }));
  const checkerServer = await listen(checker);
  const cp = port(checkerServer);
  // Debian's nginx in front of it (auth_request). By nginx's default, a
  // 401 or 403 of the service reaches the client as nginx's own page: the
  // service's challenge and words are dropped.
  if (existsSync('/usr/sbin/nginx')) {
    const dir = mkdtempSync(join(tmpdir(), 'authdoctor-tp-nginx-'));
    chmodSync(dir, 0o755);
    const np = await freePort();
    writeFileSync(join(dir, 'nginx.conf'), [
      'worker_processes 1;', 'daemon off;', `pid ${dir}/nginx.pid;`, `error_log ${dir}/error.log;`,
      'events { worker_connections 256; }',
      'http {', '  access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/${t};`),
      `  server { listen 127.0.0.1:${np};`,
      `    location /api/ { auth_request /_auth; proxy_pass http://127.0.0.1:${cp}/backend/; }`,
      `    location = /_auth { internal; proxy_pass http://127.0.0.1:${cp}/verify; proxy_pass_request_body off; proxy_set_header Content-Length ""; }`,
      '  }', '}', '',
    ].join('\n'));
    const nginx = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
    process.stdin.on('end', () => { nginx.kill(); rmSync(dir, { recursive: true, force: true }); });
    await accepting(np);
    stacks["nginx auth_request + express-oauth2-jwt-bearer (nginx's own 401 page)"] = { url: `http://127.0.0.1:${np}/api/orders`, enforcesScope: true, server: checkerServer };
  }
  // Debian's Caddy in front of it (forward_auth): a refusal of the service
  // reaches the client as the service gave it, its challenge included.
  if (existsSync('/usr/bin/caddy')) {
    const dir = mkdtempSync(join(tmpdir(), 'authdoctor-tp-caddy-'));
    const kp = await freePort();
    writeFileSync(join(dir, 'Caddyfile'), [
      '{', '  admin off', '  auto_https off', '}',
      `http://127.0.0.1:${kp} {`,
      `  forward_auth 127.0.0.1:${cp} {`, '    uri /verify', '  }',
      '  rewrite * /backend/orders',
      `  reverse_proxy 127.0.0.1:${cp}`,
      '}', '',
    ].join('\n'));
    const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir };
    const caddy = spawn('caddy', ['run', '--adapter', 'caddyfile', '--config', join(dir, 'Caddyfile')], { stdio: 'ignore', env });
    process.stdin.on('end', () => { caddy.kill(); rmSync(dir, { recursive: true, force: true }); });
    await accepting(kp);
    stacks['Caddy forward_auth + express-oauth2-jwt-bearer (the service\'s answer passed on)'] = { url: `http://127.0.0.1:${kp}/api/orders`, enforcesScope: true, server: { close: () => {} } };
  }
  // And a Ruby one (tests/ruby: Sinatra with ruby-jwt, Debian's packages)
  // when scripts/test has installed them.
  let ruby = false;
  try { execFileSync('ruby', ['-e', 'require "jwt"; require "sinatra/base"; require "webrick"'], { stdio: 'ignore' }); ruby = true; } catch {}
  if (ruby) {
    const rp = await freePort();
    const rb = spawn('ruby', [fileURLToPath(new URL('../ruby/api.rb', import.meta.url)), String(rp), prod.issuer, `${prod.issuer}/jwks`, apiAud], { stdio: ['pipe', 'ignore', 'inherit'] });
    process.stdin.on('end', () => rb.kill());
    await accepting(rp);
    stacks["Sinatra + ruby-jwt (the tutorials' authorize_request)"] = { url: `http://127.0.0.1:${rp}/api/orders`, enforcesScope: false, server: { close: () => {} } };
  }
  // And Perl ones (tests/perl: Mojolicious with Crypt::JWT, and with
  // Mojo::JWT; Debian's packages) when scripts/test has installed them.
  let perl = false;
  try { execFileSync('perl', ['-MMojolicious::Lite', '-MCrypt::JWT', '-MMojo::JWT', '-e', '1'], { stdio: 'ignore' }); perl = true; } catch {}
  if (perl) {
    const pp = await freePort();
    const pl = spawn('perl', [fileURLToPath(new URL('../perl/api.pl', import.meta.url)), String(pp), prod.issuer, `${prod.issuer}/jwks`, apiAud], { stdio: ['pipe', 'ignore', 'inherit'] });
    process.stdin.on('end', () => pl.kill());
    await accepting(pp);
    const none = { close: () => {} };
    stacks['Mojolicious + Crypt::JWT (decode_jwt with kid_keys)'] = { url: `http://127.0.0.1:${pp}/crypt-jwt/api/orders`, enforcesScope: false, server: none };
    stacks['Mojolicious + Mojo::JWT (issuer and audience checked by the app)'] = { url: `http://127.0.0.1:${pp}/mojo-jwt/api/orders`, enforcesScope: false, server: none };
  }
  // Whether a stack accepts a request: its HTTP status, or for a gRPC
  // one, 200 where the call is OK (the Go client's verdict).
  const accepts = async (st, headers) => {
    if (st.grpcPort) {
      const auth = headers.find(([n]) => n.toLowerCase() === 'authorization');
      const out = execFileSync(goBin('grpc-api'), ['call', String(st.grpcPort), '1', auth ? auth[1] : '-']);
      return String(out).startsWith('OK ');
    }
    // A GraphQL stack: its query POSTed, accepted where the answer
    // carries no errors (a refusal may come in a 200's).
    if (st.body) {
      const r = await fetch(st.url, { method: 'POST', headers: Object.fromEntries(headers), body: st.body });
      const text = await r.text();
      let errors = [];
      try { errors = JSON.parse(text).errors || []; } catch {}
      return r.status < 400 && errors.length === 0;
    }
    const r = await fetch(st.url, { headers: Object.fromEntries(headers) });
    await r.arrayBuffer();
    return r.status < 400;
  };
  const opaque = await token(prod.issuer, { resource: 'https://opaque.api.test' });
  // What Auth0 hands a client that asks for no audience: a token encrypted
  // (JWE, alg dir) for its own userinfo, its issuer in the header.
  const encrypted = await new jose.CompactEncrypt(new TextEncoder().encode(JSON.stringify({ iss: prod.issuer, sub: 'alice', aud: `${prod.issuer}/userinfo`, iat: now, exp: now + 600 })))
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', iss: prod.issuer })
    .encrypt(crypto.getRandomValues(new Uint8Array(32)));
  // The faults made at a stack whose audience is `aud`, `t` its good token.
  const faultsFor = (aud) => [
    [null, (t) => bearer(t)],
    ['credentials.missing', () => []],
    ['token.expired', async () => bearer(await sign(prod.privateKey, prod.jwk.kid, { aud, iat: now - 3600, exp: now - 900 }))],
    ['token.expired', async () => bearer(await sign(prod.privateKey, prod.jwk.kid, { aud, iat: now - 600, exp: now - 20 }))],
    ['token.audience_mismatch', async () => bearer(await token(prod.issuer, { resource: 'https://billing.api.test' }))],
    ['token.issuer_mismatch', async () => bearer(await token(staging.issuer, { resource: aud }))],
    ['token.signature_invalid', async () => bearer(await sign(other.privateKey, prod.jwk.kid, { aud }))],
    ['token.unknown_key', async () => bearer(await sign(other.privateKey, 'prod-key-0-retired', { aud }))],
    // Signed with the key the issuer published next: refused only by a
    // server that never read the issuer's keys again.
    ['server.misconfigured', async () => bearer(await sign(prod.next.privateKey, prod.next.jwk.kid, { aud }))],
    ['header.malformed', (t) => [['Authorization', `Bearer  ${t}`]]],
    ['scheme.mismatch', (t) => [['Authorization', `Token ${t}`]]],
    // RFC 9110 makes the scheme case-insensitive; some servers do not.
    ['header.malformed', (t) => [['Authorization', `bearer ${t}`]]],
    ['token.alg_rejected', (t) => bearer(`${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${t.split('.')[1]}.`)],
    ['token.wrong_type', () => bearer(opaque)],
    ['token.audience_mismatch', () => bearer(encrypted)],
    // A DPoP-bound token (RFC 9449: its cnf.jkt) sent as a Bearer token,
    // without a proof: refused by a server that knows DPoP, taken by one
    // that does not.
    ['token.binding_required', async () => bearer(await sign(prod.privateKey, prod.jwk.kid, { aud, cnf: { jkt: await jose.calculateJwkThumbprint(await jose.exportJWK(other.publicKey)) } }))],
    ['token.scope_insufficient', async () => bearer(await token(prod.issuer, { scope: 'write:orders', resource: aud })), 'scope'],
  ];
  for (const [name, st] of Object.entries(stacks)) {
    // A stack that is its own resource (an MCP server) has tokens of its own.
    const aud = st.audience || apiAud;
    const mine = aud === apiAud ? good : await token(prod.issuer, { resource: aud });
    for (const [cause, make, needs] of faultsFor(aud)) {
      if (needs === 'scope' && !st.enforcesScope) continue;
      if (st.faults && !st.faults.includes(cause)) continue;
      const headers = await make(mine);
      if (st.body) headers.push(['Content-Type', 'application/json']);
      if (st.headers) headers.push(...st.headers);
      const ok = await accepts(st, headers);
      scenarios.push({ stack: name, cause: ok ? null : (st.expect?.cause ?? cause), alone: st.expect?.alone, url: st.url, method: st.body ? 'POST' : st.method, headers, body: st.body, audience: st.audience, metadata: st.metadata, also: st.also });
    }
  }
  process.stdin.on('end', () => { for (const st of Object.values(stacks)) st.server.close(); });
  process.stdout.write(JSON.stringify({ issuer: prod.issuer, audience: apiAud, client_id: 'tp-cli', client_secret: 'tp-secret-0123456789abcdef', faketime, python, go, ruby, perl, scenarios }) + '\n');
  process.stdin.resume();
  process.stdin.on('end', () => { prod.server.close(); staging.server.close(); setTimeout(() => process.exit(0), 100); });
}
