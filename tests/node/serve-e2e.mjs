// The page of `authdoctor serve` in a real browser (Debian's Chromium,
// driven by playwright-core): a lab token pasted and decoded, a lab curl
// line diagnosed, a HAR file dropped and its rejected entry diagnosed, bad
// input answered on the page, the keyboard, and what the page must never
// do: ask anything of another host, or show a secret in the clear.
// Usage: node serve-e2e.mjs URL LAB.json SESSION.har NOT-JSON-FILE SHOTS-DIR RECORDED.har
// Prints one JSON line: what was seen.
import { launch } from './browser.mjs';
import { readFileSync } from 'node:fs';

const [, , base, labPath, harPath, junkPath, shots, recordedPath] = process.argv;
const lab = JSON.parse(readFileSync(labPath, 'utf8'));
const example = (cause) => lab.examples.find((e) => e.cause === cause).curl;
const tokenOf = (line) => line.split('Bearer ')[1].split('"')[0];
const expired = tokenOf(example('token.expired'));
const audience = example('token.audience_mismatch');
const redirect = example('header.lost_on_redirect');

const browser = await launch();
const seen = { requests: [], verdicts: {} };
const fail = (why) => { throw new Error(why); };
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('request', (r) => seen.requests.push(r.url()));
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // Script errors; a status the page was answered (a refused bad input) is
  // not one.
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
  await page.goto(base);

  // A token, decoded as it is typed.
  await page.fill('#token', expired);
  await page.waitForSelector('#token-result .verdict', { timeout: 20000 });
  seen.verdicts.token = await page.textContent('#token-result .verdict');
  seen.axis = await page.locator('#token-result svg.axis').count();
  await page.screenshot({ path: `${shots}/serve-token.png`, fullPage: true });

  // The token is hidden until asked for.
  seen.hiddenByDefault = await page.evaluate(() => document.getElementById('token').classList.contains('secret'));
  await page.check('#show-token');
  seen.shown = await page.evaluate(() => !document.getElementById('token').classList.contains('secret'));
  await page.uncheck('#show-token');

  // The keyboard moves between the tabs.
  await page.focus('#tab-token');
  await page.keyboard.press('ArrowRight');
  seen.keyboard = await page.getAttribute('#tab-curl', 'aria-selected');

  // A curl line, diagnosed when asked.
  await page.fill('#curl', audience);
  await page.click('#diagnose');
  await page.waitForSelector('#curl-result .verdict', { timeout: 60000 });
  await page.waitForFunction(() => !document.querySelector('#curl-result').textContent.includes('Sending'), null, { timeout: 60000 });
  seen.verdicts.curl = await page.textContent('#curl-result .verdict');
  seen.curlAxis = await page.locator('#curl-result svg.axis').count();
  await page.screenshot({ path: `${shots}/serve-curl.png`, fullPage: true });

  // Every example of the lab, pasted and diagnosed: the first cause named,
  // or the page's refusal.
  seen.examples = {};
  for (const e of lab.examples) {
    await page.fill('#curl', e.curl);
    await page.click('#diagnose');
    await page.waitForFunction(() => {
      const r = document.querySelector('#curl-result');
      return r && !r.textContent.includes('Sending') && (r.querySelector('.verdict') || r.querySelector('.error'));
    }, null, { timeout: 60000 });
    seen.examples[e.cause] = await page.evaluate(() => {
      const r = document.querySelector('#curl-result');
      const first = r.querySelector('.cause .id');
      return first ? first.textContent : (r.querySelector('.error') || r.querySelector('.verdict')).textContent;
    });
  }

  // An expired token, confirmed with a fresh one: the claims side by side.
  const cli = lab.clients.find((c) => c.client_id === 'demo-cli');
  await page.click('#experiment summary');
  await page.fill('#x-issuer', lab.issuers.prod);
  await page.fill('#x-client-id', cli.client_id);
  await page.fill('#x-client-secret', cli.client_secret);
  seen.secretHidden = await page.getAttribute('#x-client-secret', 'type');
  await page.fill('#curl', example('token.expired'));
  await page.click('#diagnose');
  await page.waitForSelector('#curl-result .experiment', { timeout: 60000 });
  seen.experiment = await page.textContent('#curl-result .experiment');
  seen.changes = await page.locator('#curl-result table.changes tbody tr').allTextContents();
  const resultText = await page.textContent('#curl-result');
  seen.secretInResult = resultText.includes(cli.client_secret);
  await page.screenshot({ path: `${shots}/serve-experiment.png`, fullPage: true });
  await page.fill('#x-client-secret', '');

  // A redirect that drops the header: the chain, the hop marked.
  await page.fill('#curl', redirect);
  await page.click('#diagnose');
  await page.waitForFunction(() => document.querySelector('#curl-result ol.chain'), null, { timeout: 60000 });
  seen.verdicts.redirect = await page.textContent('#curl-result .verdict');
  seen.chain = await page.locator('#curl-result ol.chain li').count();
  seen.marked = await page.locator('#curl-result ol.chain li.status-bad').count();
  // Readable on a phone.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${shots}/serve-redirect-phone.png`, fullPage: true });
  seen.overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  await page.setViewportSize({ width: 1280, height: 900 });

  // A HAR file: the timeline, then the rejected entry diagnosed.
  await page.click('#tab-har');
  await page.setInputFiles('#har', harPath);
  await page.waitForSelector('#timeline tbody tr', { timeout: 20000 });
  seen.timeline = await page.locator('#timeline tbody tr').count();
  seen.rejectedRows = await page.locator('#timeline tbody tr.rejected').count();
  await page.click('#har-diagnose');
  await page.waitForFunction(() => document.querySelector('#har-result .verdict'), null, { timeout: 60000 });
  seen.verdicts.har = await page.textContent('#har-result');
  await page.screenshot({ path: `${shots}/serve-har.png`, fullPage: true });

  // A session recorded by Chromium itself, every refused entry diagnosed.
  await page.setInputFiles('#har', recordedPath);
  await page.waitForFunction(() => document.querySelectorAll('#timeline tbody tr').length > 2, null, { timeout: 20000 });
  seen.recordedRows = await page.locator('#timeline tbody tr').count();
  await page.click('#har-diagnose');
  await page.waitForFunction(() => document.querySelectorAll('#har-result .entry').length > 0, null, { timeout: 120000 });
  seen.recorded = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#har-result .entry')].map((e) => {
    const first = e.querySelector('.cause .id');
    return [e.dataset.entry, first ? first.textContent : ''];
  })));

  // Bad input: a file that is not JSON, and a 2 MB token.
  await page.setInputFiles('#har', junkPath);
  await page.waitForSelector('#har-timeline .error', { timeout: 20000 });
  seen.junk = await page.textContent('#har-timeline .error');
  await page.setInputFiles('#har', { name: 'huge.har', mimeType: 'application/json', buffer: Buffer.alloc(9 * 1024 * 1024, 32) });
  await page.waitForFunction(() => document.querySelector('#har-timeline .error')?.textContent.includes('MB'), null, { timeout: 20000 });
  seen.hugeHar = await page.textContent('#har-timeline .error');
  await page.click('#tab-token');
  await page.check('#show-token');
  const before = await page.textContent('#token-result');
  await page.fill('#token', 'eyJ' + 'A'.repeat(2 * 1024 * 1024));
  await page.waitForFunction((old) => {
    const r = document.querySelector('#token-result');
    return r && r.textContent !== old && (r.querySelector('.error') || r.querySelector('.verdict'));
  }, before, { timeout: 30000 });
  seen.huge = await page.textContent('#token-result');

  // Nothing in the clear: neither token's signature is anywhere in the page.
  const html = await page.content();
  const secrets = lab.examples
    .filter((e) => e.curl.includes('Bearer '))
    .map((e) => tokenOf(e.curl).slice(-24))
    .concat(lab.clients.filter((c) => c.client_secret).map((c) => c.client_secret));
  seen.leaked = secrets.filter((s) => html.includes(s)).length;
  seen.errors = errors;
} finally {
  await browser.close();
}
const origin = new URL(base).origin;
seen.foreign = seen.requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:'));
seen.requests = seen.requests.length;
process.stdout.write(JSON.stringify(seen) + '\n');
