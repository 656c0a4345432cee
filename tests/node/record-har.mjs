// Records a real browser session as a HAR file: headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core) loads a single-page app
// that talks to the embedded lab and makes the mistakes such apps make.
//
//   node record-har.mjs LAB_JSON OUT.har
//
// LAB_JSON is the line `authdoctor lab --json` prints. The app is served on
// its own loopback origin and reaches the lab's API and identity provider
// through a same-origin proxy (/api, /idp), as an SPA behind its own
// gateway does; the redirect route leads the browser to another origin.
// The page, in order:
//   1. calls the API with an expired token              (401: token.expired)
//   2. calls it with a good token                       (200: nothing to diagnose)
//   3. calls a route that redirects to another origin   (Authorization dropped, then CORS)
//   4. signs in with the authorization code flow and PKCE, asking for no
//      audience, then calls the API with the access token (401:
//      token.audience_mismatch, its aud the client), the ID token, then
//      the refresh token (401: token.wrong_type)
// Prints one JSON line: the HAR path and, for each entry the page made on
// purpose, its URL and the cause it should be diagnosed with.
import express from 'express';
import { readFileSync } from 'node:fs';
import { recordSession } from './browser.mjs';

const [, , labJsonPath, out] = process.argv;
const lab = JSON.parse(readFileSync(labJsonPath, 'utf8'));
const ex = (cause) => lab.examples.find((e) => e.cause === cause).curl;
const tokenIn = (curl) => curl.split('Bearer ')[1].split('"')[0];
const expired = tokenIn(ex('token.expired'));
// The read-only token of the scope example is good for reading orders.
const good = tokenIn(ex('token.scope_insufficient'));
const idp = new URL(lab.issuers.prod).origin;
const prodPath = new URL(lab.issuers.prod).pathname;

const app = express();
app.use(express.urlencoded({ extended: false }));
// The gateway: /api/* to the lab's API, /idp/* to its identity provider.
const proxy = (base) => async (req, res) => {
  const url = base + req.originalUrl.replace(/^\/(api|idp)/, '');
  const headers = {};
  for (const h of ['authorization', 'content-type', 'accept']) if (req.headers[h]) headers[h] = req.headers[h];
  const body = req.method === 'POST' ? new URLSearchParams(req.body).toString() : undefined;
  const r = await fetch(url, { method: req.method, headers, body, redirect: 'manual' });
  res.status(r.status);
  for (const h of ['www-authenticate', 'content-type', 'location', 'cache-control']) {
    const v = r.headers.get(h);
    if (v) res.set(h, v);
  }
  res.send(Buffer.from(await r.arrayBuffer()));
};
app.use('/api', proxy(lab.api));
app.use('/idp', proxy(idp));

const server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
const origin = `http://127.0.0.1:${server.address().port}`;
const redirectUri = `${origin}/callback`;
const page = `<!doctype html><meta charset="utf-8"><title>orders app</title><pre id="log"></pre><script type="module">
const log = (m) => { document.getElementById('log').textContent += m + '\\n'; };
const call = async (path, token) => { try { const r = await fetch(path, { headers: token ? { Authorization: 'Bearer ' + token } : {} }); log(path + ' ' + r.status); } catch (e) { log(path + ' failed ' + e); } };
const b64url = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
const params = new URLSearchParams(location.search);
if (!params.get('code')) {
  await call('/api/orders', ${JSON.stringify(expired)});
  await call('/api/orders', ${JSON.stringify(good)});
  await call('/api/redirect/orders', ${JSON.stringify(good)});
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  sessionStorage.setItem('verifier', verifier);
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  location.href = '/idp${prodPath}/authorize?' + new URLSearchParams({ response_type: 'code', client_id: 'demo-spa', redirect_uri: ${JSON.stringify(redirectUri)}, scope: 'openid orders:read offline_access', code_challenge: challenge, code_challenge_method: 'S256', state: 's1', nonce: 'n1' });
} else {
  const r = await fetch('/idp${prodPath}/token', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', code: params.get('code'), redirect_uri: ${JSON.stringify(redirectUri)}, client_id: 'demo-spa', code_verifier: sessionStorage.getItem('verifier') }) });
  const t = await r.json();
  log('token ' + r.status + ' ' + Object.keys(t).join(','));
  await call('/api/orders', t.access_token);
  await call('/api/orders', t.id_token);
  await call('/api/orders', t.refresh_token);
  log('done');
}
</script>`;
app.get('/', (req, res) => res.type('html').send(page));
app.get('/callback', (req, res) => res.type('html').send(page));

const { har, log: logText } = await recordSession(origin + '/', out);
// What each entry the page made on purpose should be diagnosed with, by
// what it carried: the fault made, not what any server said.
const issued = {};
for (const e of har.log.entries) {
  if (e.request.url.endsWith('/token') && e.response.content?.text) Object.assign(issued, JSON.parse(e.response.content.text));
}
const expect = {};
har.log.entries.forEach((e, i) => {
  const auth = (e.request.headers.find((h) => h.name.toLowerCase() === 'authorization') || {}).value || '';
  const token = auth.replace(/^Bearer /, '');
  if (e.request.url === `${origin}/api/orders`) {
    if (token === expired) expect[i] = 'token.expired';
    else if (token === good) expect[i] = null;
    else if (token && token === issued.access_token) expect[i] = 'token.audience_mismatch';
    else if (token && token === issued.id_token) expect[i] = 'token.wrong_type';
    else if (token && token === issued.refresh_token) expect[i] = 'token.wrong_type';
  } else if (e.request.url === `${lab.api_other_host}/orders`) {
    expect[i] = 'header.lost_on_redirect';
  }
});
process.stdout.write(JSON.stringify({ har: out, log: logText, expect }) + '\n');
// Keep serving the app (the doctor sends the requests again) until stdin closes.
process.stdin.resume();
process.stdin.on('end', () => { server.close(); process.exit(0); });
