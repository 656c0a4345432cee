// Records a real browser session with a session cookie as a HAR file:
// headless Chromium (Debian's, driven by playwright-core) loads a page on
// its own loopback origin that signs in to an API behind a session cookie
// (tests/python/cookie_api.py, Flask's session) and calls it, making the
// mistakes such pages make with cookies:
//   0. signs in with a wrong password                      (401)
//   1. signs in at the API's origin (same site: 127.0.0.1), then calls it
//      without asking to send cookies to another origin  (401)
//   2. the same call with credentials: 'include'           (200)
//   3. signs in at the API by another site's name (localhost): the answer's
//      cookie has no SameSite, so the browser keeps it from that site, and
//      the call with credentials: 'include' goes without it (401)
//
//   node record-cookies.mjs API_PORT OUT.har
//
// Prints one JSON line: for each entry the page made on purpose, the
// cause it should be diagnosed with (null: nothing to diagnose).
import express from 'express';
import { recordSession } from './browser.mjs';

const [, , apiPort, out] = process.argv;
const sameSite = `http://127.0.0.1:${apiPort}`;
const crossSite = `http://localhost:${apiPort}`;

const app = express();
const server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
const origin = `http://127.0.0.1:${server.address().port}`;
const page = `<!doctype html><meta charset="utf-8"><title>account</title><pre id="log"></pre><script type="module">
const log = (m) => { document.getElementById('log').textContent += m + '\\n'; };
const call = async (url, init) => { try { const r = await fetch(url, init); log(url + ' ' + r.status); } catch (e) { log(url + ' failed ' + e); } };
const signIn = (api, password) => call(api + '/login', { method: 'POST', credentials: 'include', body: new URLSearchParams({ user: 'alice', password: password || 'wonderland' }) });
await signIn(${JSON.stringify(sameSite)}, 'not-wonderland');
await signIn(${JSON.stringify(sameSite)});
await call(${JSON.stringify(sameSite)} + '/api/me');
await call(${JSON.stringify(sameSite)} + '/api/me', { credentials: 'include' });
await signIn(${JSON.stringify(crossSite)});
await call(${JSON.stringify(crossSite)} + '/api/me', { credentials: 'include' });
log('done');
</script>`;
app.get('/', (req, res) => res.type('html').send(page));

try {
  const { har, log: logText } = await recordSession(origin + '/', out);
  // What each call to /api/me should be diagnosed with, by what the page
  // did: the mistake made, not what any server said.
  const expect = {};
  let calls = 0;
  har.log.entries.forEach((e, i) => {
    if ((e.request.postData?.text || '').includes('not-wonderland')) expect[i] = 'credentials.invalid';
    if (!e.request.url.endsWith('/api/me')) return;
    calls += 1;
    expect[i] = calls === 2 ? null : 'cookie.rejected';
  });
  process.stdout.write(JSON.stringify({ har: out, log: logText, expect }) + '\n');
} finally {
  server.close();
}
