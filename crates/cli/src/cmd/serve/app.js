// The page of `authdoctor serve`. Everything it shows comes from this
// server's API, which runs authdoctor's own command lines and masks their
// secrets; text is put in the page as text (never as HTML), and nothing is
// fetched from anywhere else.
'use strict';

const key = new URLSearchParams(location.search).get('key');
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c ?? '')));
  return e;
}

async function api(path, body, type) {
  const headers = { 'content-type': type || 'application/json' };
  if (key) headers['x-authdoctor-key'] = key;
  let r;
  try {
    r = await fetch(path, { method: 'POST', headers, body });
  } catch (e) {
    return { error: 'authdoctor serve does not answer: is it still running?' };
  }
  if (r.status === 413) return { error: 'The file is too large for the page (8 MB at most). Use authdoctor diagnose --har on the command line.' };
  let v;
  try { v = await r.json(); } catch (e) { return { error: `The answer was not JSON (${r.status}).` }; }
  if (!r.ok) return { error: v.error || `Refused (${r.status}).` };
  return { value: v, exit: r.headers.get('x-authdoctor-exit') };
}

function show(target, ...nodes) {
  target.replaceChildren(...nodes);
}

function failure(target, why) {
  show(target, el('p', { class: 'error', role: 'alert' }, why));
}

// Tabs, keyboard included (arrows move between them).
const tabs = ['token', 'curl', 'har'];
function select(name) {
  for (const t of tabs) {
    const on = t === name;
    $(`tab-${t}`).setAttribute('aria-selected', String(on));
    $(`tab-${t}`).tabIndex = on ? 0 : -1;
    $(`panel-${t}`).hidden = !on;
  }
}
tabs.forEach((t, i) => {
  $(`tab-${t}`).addEventListener('click', () => select(t));
  $(`tab-${t}`).addEventListener('keydown', (e) => {
    const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (d) { const n = tabs[(i + d + tabs.length) % tabs.length]; select(n); $(`tab-${n}`).focus(); }
  });
});
select('token');

// The token: its checks, its claims, its lifetime against the clock.
function fmtTime(s) { return new Date(s * 1000).toISOString().replace('.000Z', 'Z'); }

function lifetime(claims, now, leeway, local) {
  const { iat, nbf, exp } = claims;
  if (typeof exp !== 'number') return null;
  const start = Math.min(typeof iat === 'number' ? iat : exp, typeof nbf === 'number' ? nbf : exp, now);
  const end = Math.max(exp + leeway, now);
  const span = Math.max(end - start, 1);
  const x = (t) => 10 + ((t - start) / span) * 980;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'axis');
  svg.setAttribute('viewBox', '0 0 1000 90');
  svg.setAttribute('role', 'img');
  const label = `Valid from ${fmtTime(nbf ?? iat ?? exp)} to ${fmtTime(exp)} (leeway ${leeway} s); now ${fmtTime(now)}.`;
  svg.setAttribute('aria-label', label);
  const rect = (cls, a, b) => { const r = document.createElementNS(ns, 'rect'); r.setAttribute('class', cls); r.setAttribute('x', x(a)); r.setAttribute('y', 20); r.setAttribute('width', Math.max(x(b) - x(a), 1)); r.setAttribute('height', 30); svg.append(r); };
  // Labels near the right edge end at their mark instead of running off.
  const text = (t, xpos, y) => { const e = document.createElementNS(ns, 'text'); e.setAttribute('x', Math.min(Math.max(xpos, 2), 998)); e.setAttribute('y', y); if (xpos > 700) e.setAttribute('text-anchor', 'end'); e.textContent = t; svg.append(e); };
  rect('life', nbf ?? iat ?? exp, exp);
  rect('leeway', exp, exp + leeway);
  const line = document.createElementNS(ns, 'line');
  line.setAttribute('class', 'now'); line.setAttribute('x1', x(now)); line.setAttribute('x2', x(now)); line.setAttribute('y1', 10); line.setAttribute('y2', 60);
  svg.append(line);
  if (typeof local === 'number' && Math.abs(local - now) > 1) {
    const l = document.createElementNS(ns, 'line');
    l.setAttribute('class', 'now local'); l.setAttribute('x1', x(local)); l.setAttribute('x2', x(local)); l.setAttribute('y1', 10); l.setAttribute('y2', 60);
    svg.append(l);
    text(`this machine ${fmtTime(local)}`, x(local), 14);
    svg.setAttribute('aria-label', `${label} This machine's clock says ${fmtTime(local)}.`);
  }
  text(`iat/nbf ${fmtTime(nbf ?? iat ?? exp)}`, x(nbf ?? iat ?? exp), 14);
  text(`exp ${fmtTime(exp)}`, x(exp), 72);
  text(`${typeof local === 'number' ? "server's Date" : 'now'} ${fmtTime(now)}`, x(now), 86);
  return svg;
}

function renderToken(v) {
  const out = [];
  const failed = (v.causes || []);
  out.push(el('p', { class: `verdict ${v.valid ? 'ok' : 'bad'}` },
    v.valid ? 'The token passes every check.' : `The token fails: ${failed.join(', ') || 'see the checks'}.`));
  const now = typeof v.now === 'number' ? v.now : Math.floor(Date.parse(v.now) / 1000);
  const axis = v.claims ? lifetime(v.claims, now, v.leeway || 0) : null;
  if (axis) out.push(axis);
  const rows = (v.checks || []).map((c) => el('tr', {},
    el('td', {}, c.name), el('td', { class: c.status }, c.status), el('td', { class: 'id' }, c.cause || ''), el('td', {}, c.detail)));
  out.push(el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'check'), el('th', {}, 'result'), el('th', {}, 'cause'), el('th', {}, 'detail'))), el('tbody', {}, ...rows)));
  if (v.header) out.push(el('h3', {}, 'Header'), el('pre', {}, JSON.stringify(v.header, null, 2)));
  if (v.claims) out.push(el('h3', {}, 'Claims'), el('pre', {}, JSON.stringify(v.claims, null, 2)));
  return out;
}

let typing;
async function checkToken() {
  const token = $('token').value.trim();
  if (!token) { show($('token-result')); return; }
  const r = await api('/api/token', JSON.stringify({ token, jwks: $('jwks').value.trim(), issuer: $('issuer').value.trim(), audience: $('audience').value.trim() }));
  if (r.error) return failure($('token-result'), r.error);
  show($('token-result'), ...renderToken(r.value));
}
$('token').addEventListener('input', () => {
  // Drawn as discs, a huge paste would stall the page; that is no token.
  if ($('token').value.length > 65536) $('token').classList.remove('secret');
  clearTimeout(typing);
  typing = setTimeout(checkToken, 250);
});
$('verify').addEventListener('click', checkToken);

// A diagnosis, verdict first.
function renderDiagnosis(d) {
  const out = [];
  const causes = d.causes || [];
  if (!causes.length) {
    out.push(el('p', { class: 'verdict ok' }, 'The request was not refused, or no cause could be named.'));
  } else {
    out.push(el('p', { class: 'verdict bad' }, `Why: ${causes.map((c) => c.id).join(', ')}`));
  }
  for (const c of causes) {
    const box = el('div', { class: 'cause' }, el('h3', {}, el('span', { class: 'id' }, c.id), ' — ', c.summary || ''));
    if (c.likelihood) box.append(el('p', {}, `Likelihood: ${c.likelihood}`));
    if ((c.evidence || []).length) box.append(el('ul', {}, ...c.evidence.map((e) => el('li', {}, e))));
    const fixes = c.fixes || (c.fix ? [c.fix] : []);
    for (const f of fixes) box.append(el('p', {}, '→ ', typeof f === 'string' ? f : (f.action || f.summary || JSON.stringify(f))));
    out.push(box);
  }
  // The token against the server's clock and this machine's.
  const o = d.observations || {};
  const claims = o.token && o.token.claims;
  const secs = (t) => (t ? Math.floor(Date.parse(t) / 1000) : undefined);
  if (claims && typeof claims.exp === 'number') {
    const axis = lifetime(claims, secs(o.server_date) ?? secs(o.local_date), o.leeway_s || 0, o.server_date ? secs(o.local_date) : undefined);
    if (axis) out.push(el('h3', {}, 'The token against the clocks'), axis);
  }
  // The redirect chain: a hop on another origin got no credentials.
  const hops = d.exchanges || [];
  if (hops.length > 1) {
    const origin = (u) => { try { return new URL(u).origin; } catch (e) { return u; } };
    const first = origin(hops[0].url);
    out.push(el('h3', {}, 'Redirect chain'), el('ol', { class: 'chain' }, ...hops.map((h) => {
      const moved = origin(h.url) !== first;
      return el('li', { class: moved ? 'status-bad' : '' }, el('span', { class: 'url' }, `${h.status ?? ''} ${h.method || ''} ${h.url}`),
        moved ? ' — another origin: the Authorization header is not sent here' : '');
    })));
  }
  const r = d.retry || {};
  if (r.attempted) {
    out.push(el('h3', {}, 'What the experiment showed'), el('p', { class: 'experiment' }, `Sent again with a fresh token (${r.grant || 'a new grant'}): ${r.status ?? 'no answer'}${r.confirms ? ` — confirms ${r.confirms}.` : '.'}`));
    // "claim: old → new", side by side.
    const rows = (r.changes || []).map((c) => {
      const [name, rest] = String(c).split(/: (.*)/s);
      const [old, fresh] = (rest || '').split(' → ');
      return el('tr', {}, el('td', {}, name), el('td', {}, old ?? ''), el('td', {}, fresh ?? ''));
    });
    if (rows.length) {
      out.push(el('table', { class: 'changes' }, el('thead', {}, el('tr', {}, el('th', {}, 'claim'), el('th', {}, 'old token'), el('th', {}, 'fresh token'))), el('tbody', {}, ...rows)));
    }
  } else if (r.skipped) {
    out.push(el('p', { class: 'dim' }, `Not sent again with a fresh token: ${r.skipped}.`));
  }
  if ((d.credentials_sent || []).length) out.push(el('h3', {}, 'Where credentials went'), el('pre', {}, JSON.stringify(d.credentials_sent, null, 2)));
  return out;
}

$('diagnose').addEventListener('click', async () => {
  const curl = $('curl').value.trim();
  show($('curl-result'), el('p', {}, 'Sending the request…'));
  const r = await api('/api/diagnose', JSON.stringify({ curl, issuer: $('x-issuer').value.trim(), client_id: $('x-client-id').value.trim(), client_secret: $('x-client-secret').value }));
  if (r.error) return failure($('curl-result'), r.error);
  show($('curl-result'), ...renderDiagnosis(r.value));
});

// A HAR file: the session's requests first (nothing sent), then, on
// demand, the rejected ones diagnosed.
let har = null;
function statusClass(s) { return s >= 200 && s < 400 ? 'status-ok' : (s === 401 || s === 403 || s <= 0) ? 'status-bad' : 'status-warn'; }

async function loadHar(file) {
  show($('har-result'));
  if (file.size > 8 * 1024 * 1024) return failure($('har-timeline'), `${file.name} is ${Math.round(file.size / 1048576)} MB; the page takes 8 MB at most. Use authdoctor diagnose --har on the command line.`);
  har = await file.text();
  const r = await api('/api/har/timeline', har);
  if (r.error) { har = null; $('har-diagnose').hidden = true; return failure($('har-timeline'), r.error); }
  const entries = r.value.entries || [];
  const rows = entries.map((e) => {
    const tr = el('tr', e.rejected ? { class: 'rejected', tabindex: '0', 'data-entry': e.index, title: 'Diagnose this entry (sends it again)' } : {},
      el('td', {}, e.index), el('td', { class: statusClass(e.status) }, e.status <= 0 ? 'blocked' : e.status), el('td', {}, e.method), el('td', { class: 'url' }, e.url));
    if (e.rejected) {
      const go = () => diagnoseHar(e.index);
      tr.addEventListener('click', go);
      tr.addEventListener('keydown', (k) => { if (k.key === 'Enter') go(); });
    }
    return tr;
  });
  const rejected = entries.filter((e) => e.rejected).length;
  show($('har-timeline'),
    el('p', {}, `${entries.length} requests, ${rejected} refused or blocked.`),
    el('table', { id: 'timeline' }, el('thead', {}, el('tr', {}, el('th', {}, '#'), el('th', {}, 'status'), el('th', {}, 'method'), el('th', {}, 'URL'))), el('tbody', {}, ...rows)));
  $('har-diagnose').hidden = rejected === 0;
}

async function diagnoseHar(entry) {
  if (!har) return;
  show($('har-result'), el('p', {}, 'Sending the requests again…'));
  const r = await api(`/api/har/diagnose${entry === undefined ? '' : `?entry=${entry}`}`, har);
  if (r.error) return failure($('har-result'), r.error);
  const out = [];
  for (const e of r.value.entries || []) {
    out.push([e.entry, el('div', { class: 'entry', 'data-entry': e.entry }, el('h3', {}, `Entry ${e.entry} (the browser saw ${e.browser_status})`), ...renderDiagnosis(e.diagnosis || {}))]);
  }
  // Sign-ins the identity provider refused, read from the recording.
  for (const s of r.value.sign_in_refusals || []) {
    const said = s.error_description ? `${s.error} (${s.error_description})` : s.error;
    out.push([s.entry, el('div', { class: 'entry', 'data-entry': s.entry },
      el('h3', {}, `Entry ${s.entry}: the identity provider refused the sign-in`),
      el('p', {}, `✗ ${said}${s.cause ? ` [${s.cause}]` : ''}`),
      el('p', {}, s.meaning),
      el('p', {}, `→ ${s.fix}`))]);
  }
  out.sort((a, b) => a[0] - b[0]);
  if (!out.length) out.push([0, el('p', {}, 'No entry was rejected: nothing to diagnose.')]);
  show($('har-result'), ...out.map((x) => x[1]));
}

$('har').addEventListener('change', () => { if ($('har').files[0]) loadHar($('har').files[0]); });
$('har-diagnose').addEventListener('click', () => diagnoseHar());
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); if (e.dataTransfer.files[0]) loadHar(e.dataTransfer.files[0]); });

// Secrets hidden by default, each with its own control.
for (const [box, field] of [['show-token', 'token'], ['show-curl', 'curl']]) {
  $(box).addEventListener('change', () => $(field).classList.toggle('secret', !$(box).checked));
}
$('show-secret').addEventListener('change', () => { $('x-client-secret').type = $('show-secret').checked ? 'text' : 'password'; });
