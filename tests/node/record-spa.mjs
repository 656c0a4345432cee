// Records a real single-page app's session as a HAR file: headless Chromium
// (browser.mjs) runs a page that signs in with the npm oidc-client-ts (the
// authorization code flow with PKCE, its discovery document fetched) at the
// npm oidc-provider (its own sign-in and consent pages, filled in by the
// browser), then calls an API guarded by Auth0's express-oauth2-jwt-bearer.
// It signs in without naming the API (no `resource`), the commonest
// mistake of such pages: oidc-provider hands out an opaque token for its
// own userinfo, and the API refuses it (401: token.audience_mismatch, the
// page never asked for the API). With `resource`, the page names the API
// as the fix says (RFC 8707 `resource` in its authorization and token
// requests), gets a JWT for it, and the call is answered 200.
//
// With `refresh`, the page names the API and asks for a refresh token
// (offline_access), and its tokens live three seconds: it waits them out,
// tries to renew (oidc-client-ts' signinSilent, the refresh_token grant),
// is refused (invalid_grant: the refresh token expired too), and calls the
// API with the token it has, which the API refuses as expired
// (token.expired, the refused refresh just before it said beside).
//
// With `stale`, the same, but the refresh token lives on: the renewal
// succeeds, and the page calls the API with the token it had before it
// (one kept in a variable from sign-in), which the API refuses as expired
// (token.expired, the newer token the page was handed said with it).
//
//   node record-spa.mjs OUT.har [resource|refresh|stale]
//
// Prints one JSON line: for each call to the API, the cause it should be
// diagnosed with (null: nothing to diagnose).
import express from 'express';
import Provider from 'oidc-provider';
import * as jose from 'jose';
import { auth } from 'express-oauth2-jwt-bearer';
import { launch } from './browser.mjs';
import { listen, port } from './loopback.mjs';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';

const [, , out, mode] = process.argv;
const stale = mode === 'stale';
const refresh = mode === 'refresh' || stale;
const named = mode === 'resource' || refresh;
const audience = 'https://orders.spa.test';

// The app: its page and the oidc-client-ts bundle, on its own origin.
const app = express();
const appServer = await listen(app);
const origin = `http://127.0.0.1:${port(appServer)}`;

// The identity provider, on another origin: one public client (PKCE).
const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await jose.exportJWK(privateKey)), kid: 'spa-key-1', alg: 'RS256', use: 'sig' };
const idpHolder = express();
const idpServer = await listen(idpHolder);
const issuer = `http://127.0.0.1:${port(idpServer)}`;
// Tokens of three seconds where the page renews; express-oauth2-jwt-bearer
// allows five seconds of skew, so the page waits ten.
const ttl = refresh ? 3 : 600;
const provider = new Provider(issuer, {
  clients: [{ client_id: 'spa', token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], redirect_uris: [`${origin}/callback`], scope: 'openid offline_access read:orders' }],
  jwks: { keys: [jwk] },
  scopes: ['openid', 'offline_access', 'read:orders'],
  ttl: { RefreshToken: stale ? 600 : ttl },
  issueRefreshToken: async (ctx, client, code) => refresh && code.scopes.has('offline_access'),
  clientBasedCORS: () => true,
  features: {
    devInteractions: { enabled: true },
    resourceIndicators: {
      enabled: true,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource) => ({ scope: 'read:orders', audience: resource, accessTokenTTL: ttl, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }),
    },
  },
});
idpHolder.use(provider.callback());

// The API, on a third origin, with CORS for the app.
const api = express();
api.use((req, res, next) => {
  res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Headers': 'authorization', 'Vary': 'Origin' });
  if (req.method === 'OPTIONS') return res.sendStatus(204);
  next();
});
api.use(auth({ issuerBaseURL: issuer, audience, tokenSigningAlg: 'RS256' }));
api.get('/api/orders', (req, res) => res.json({ orders: [] }));
api.use((err, req, res, next) => {
  if (err.headers) res.set(err.headers);
  res.status(err.status || 500).json({ error: err.code || 'error', error_description: err.message });
});
const apiServer = await listen(api);
const apiUrl = `http://127.0.0.1:${port(apiServer)}/api/orders`;

const bundle = fileURLToPath(new URL('./node_modules/oidc-client-ts/dist/browser/oidc-client-ts.min.js', import.meta.url));
app.get('/oidc-client-ts.js', (req, res) => res.sendFile(bundle));
const page = `<!doctype html><meta charset="utf-8"><title>orders</title><pre id="log"></pre><script src="/oidc-client-ts.js"></script><script type="module">
const log = (m) => { document.getElementById('log').textContent += m + '\\n'; };
const named = ${JSON.stringify(named ? { resource: audience } : {})};
const refresh = ${JSON.stringify(refresh)};
const mgr = new oidc.UserManager({ authority: ${JSON.stringify(issuer)}, client_id: 'spa', redirect_uri: ${JSON.stringify(origin + '/callback')}, response_type: 'code', scope: refresh ? 'openid offline_access read:orders' : 'openid read:orders', prompt: refresh ? 'consent' : undefined, loadUserInfo: false, automaticSilentRenew: false, extraQueryParams: named, extraTokenParams: named });
if (location.pathname !== '/callback') {
  await mgr.signinRedirect();
} else {
  const user = await mgr.signinRedirectCallback();
  if (refresh) {
    log('refresh token ' + (user.refresh_token ? 'yes' : 'no'));
    await new Promise((r) => setTimeout(r, 10000));
    try {
      const renewed = await mgr.signinSilent();
      log('renewed ' + (renewed.access_token !== user.access_token ? 'with a new token' : 'with the same token'));
    } catch (e) { log('renewal refused: ' + e.message); }
  }
  const r = await fetch(${JSON.stringify(apiUrl)}, { headers: { Authorization: 'Bearer ' + user.access_token } });
  log('orders ' + r.status);
  log('done');
}
</script>`;
app.get('/', (req, res) => res.type('html').send(page));
app.get('/callback', (req, res) => res.type('html').send(page));

const browser = await launch();
try {
  const context = await browser.newContext({ recordHar: { path: out, content: 'embed' } });
  // The provider's pages load a web font: no network here, and no wait.
  await context.route(/fonts\.googleapis\.com/, (r) => r.abort());
  const p = await context.newPage();
  await p.goto(origin + '/');
  // The provider's own pages: its sign-in form (any login and password),
  // then its consent. Each wait outlasts the navigations around it.
  await p.waitForSelector('input[name="login"]', { timeout: 30000 });
  await p.fill('input[name="login"]', 'alice');
  await p.fill('input[name="password"]', 'wonderland');
  await p.click('button[type="submit"]');
  await p.waitForSelector('button:has-text("Continue")', { timeout: 30000 });
  await p.click('button:has-text("Continue")');
  await p.waitForFunction(() => document.getElementById('log')?.textContent.includes('done'), null, { timeout: 30000 });
  const logText = await p.textContent('#log');
  await context.close();
  const har = JSON.parse(readFileSync(out, 'utf8'));
  const expect = {};
  har.log.entries.forEach((e, i) => {
    if (e.request.url === apiUrl && e.request.method === 'GET') expect[i] = refresh ? 'token.expired' : named ? null : 'token.audience_mismatch';
  });
  process.stdout.write(JSON.stringify({ har: out, log: logText, expect }) + '\n');
} finally {
  await browser.close();
  for (const s of [appServer, idpServer, apiServer]) s.close();
  setTimeout(() => process.exit(0), 100);
}
