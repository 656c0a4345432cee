// Third-party code against the authdoctor lab. Reads the lab's info JSON
// (what `authdoctor lab --json` prints) on stdin and writes one JSON object
// of results on stdout; the Rust test asserts on it.
//
// - openid-client (a certified relying party): discovery, client
//   credentials with client_secret_basic and _post, the authorization code
//   flow with PKCE and ID-token validation, refresh, introspection,
//   revocation;
// - jose: verifies the lab's access tokens against its remote JWKS;
// - express-oauth2-jwt-bearer (Auth0's API middleware), configured with the
//   lab's issuer and the orders audience: accepts good tokens and rejects
//   each faulty example.
import * as client from 'openid-client';
import * as jose from 'jose';
import express from 'express';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const lab = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const issuer = lab.issuers.prod;
const orders = `${lab.api}/orders`;
const cli = lab.clients.find((c) => c.client_id === 'demo-cli');
const out = {};
const insecure = { execute: [client.allowInsecureRequests] };

async function step(name, fn) {
  try {
    out[name] = { ok: true, ...(await fn()) };
  } catch (e) {
    out[name] = { ok: false, error: `${e.name}: ${e.message}${e.cause ? ` (${JSON.stringify(e.cause)})` : ''}` };
  }
}

let config;
await step('discovery', async () => {
  config = await client.discovery(new URL(issuer), cli.client_id, cli.client_secret, undefined, insecure);
  const m = config.serverMetadata();
  return { issuer: m.issuer, token_endpoint: m.token_endpoint };
});

let ccToken;
await step('client_credentials_post', async () => {
  const t = await client.clientCredentialsGrant(config, { scope: 'orders:read', resource: orders });
  ccToken = t.access_token;
  return { token_type: t.token_type, scope: t.scope, expires_in: t.expires_in };
});

await step('client_credentials_basic', async () => {
  const basic = await client.discovery(new URL(issuer), cli.client_id, undefined, client.ClientSecretBasic(cli.client_secret), insecure);
  const t = await basic.serverMetadata() && (await client.clientCredentialsGrant(basic, { scope: 'orders:read', resource: orders }));
  return { token_type: t.token_type };
});

await step('wrong_secret', async () => {
  const bad = await client.discovery(new URL(issuer), cli.client_id, 'not-the-secret', undefined, insecure);
  try {
    await client.clientCredentialsGrant(bad, { scope: 'orders:read' });
    return { rejected: false };
  } catch (e) {
    return { rejected: true, error: e.error, status: e.status };
  }
});

let codeTokens;
await step('authorization_code_pkce', async () => {
  const verifier = client.randomPKCECodeVerifier();
  const challenge = await client.calculatePKCECodeChallenge(verifier);
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: 'http://127.0.0.1:9/callback',
    scope: 'openid orders:read offline_access',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
    nonce,
    resource: orders,
  });
  const res = await fetch(url, { redirect: 'manual' });
  const location = res.headers.get('location');
  codeTokens = await client.authorizationCodeGrant(config, new URL(location), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
  });
  const claims = codeTokens.claims();
  return { sub: claims.sub, aud: claims.aud, has_refresh: !!codeTokens.refresh_token };
});

await step('refresh', async () => {
  const t = await client.refreshTokenGrant(config, codeTokens.refresh_token);
  let reuse;
  try {
    await client.refreshTokenGrant(config, codeTokens.refresh_token);
    reuse = 'accepted';
  } catch (e) {
    reuse = e.error;
  }
  return { rotated: t.refresh_token !== codeTokens.refresh_token, reuse };
});

await step('introspection_and_revocation', async () => {
  const before = await client.tokenIntrospection(config, ccToken);
  await client.tokenRevocation(config, ccToken);
  const after = await client.tokenIntrospection(config, ccToken);
  return { before: before.active, scope: before.scope, after: after.active };
});

await step('jose_remote_jwks', async () => {
  const jwks = jose.createRemoteJWKSet(new URL(`${issuer}/jwks`));
  const { payload, protectedHeader } = await jose.jwtVerify(codeTokens.access_token, jwks, {
    issuer,
    audience: orders,
    typ: 'at+jwt',
  });
  return { sub: payload.sub, typ: protectedHeader.typ };
});

// Auth0's middleware in front of a tiny API.
await step('express_oauth2_jwt_bearer', async () => {
  const app = express();
  app.use(auth({ issuerBaseURL: issuer, audience: orders, tokenSigningAlg: 'RS256' }));
  app.get('/orders', requiredScopes('orders:read'), (req, res) => res.json({ sub: req.auth.payload.sub }));
  app.use((err, req, res, next) => {
    res.status(err.status || 500).set(err.headers || {}).json({ error: err.code, message: err.message });
  });
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${server.address().port}/orders`;
  const call = async (authz) => {
    const r = await fetch(base, { headers: authz ? { authorization: authz } : {} });
    return { status: r.status, challenge: r.headers.get('www-authenticate') };
  };
  const results = { good: await call(`Bearer ${codeTokens.access_token}`), missing: await call(null) };
  for (const e of lab.examples) {
    // The examples that send a token with GET to the orders API itself.
    const m = e.curl.match(/^curl -i -H "Authorization: (Bearer  ?[^"]+)" (\S+)$/);
    if (!m || m[2] !== orders) continue;
    results[e.cause] = await call(m[1]);
  }
  server.close();
  return { results };
});

process.stdout.write(JSON.stringify(out) + '\n');
