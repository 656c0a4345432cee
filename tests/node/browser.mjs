// What the tests' browser sessions share: Debian's headless Chromium
// (CHROMIUM names another), driven by playwright-core.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';

// Chromium, started quietly: no sandbox (tests run as root), no network
// of its own (background updates, QUIC).
export const launch = () => chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

// Loads `url` in a fresh context that records a HAR to `out` (bodies
// embedded), waits until the page's #log says "done", and returns the HAR
// (parsed) and the page's log.
export const recordSession = async (url, out) => {
  const browser = await launch();
  try {
    const context = await browser.newContext({ recordHar: { path: out, content: 'embed' } });
    const p = await context.newPage();
    await p.goto(url);
    await p.waitForFunction(() => document.getElementById('log')?.textContent.includes('done'), null, { timeout: 30000 });
    const log = await p.textContent('#log');
    await context.close();
    return { har: JSON.parse(readFileSync(out, 'utf8')), log };
  } finally {
    await browser.close();
  }
};
