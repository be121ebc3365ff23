// Clicks through the running demo in headless Chromium, the way a person would: the real
// page, the widget, the sandbox's consent screen, the callback page and the hook.
//
//   scripts/demo &                       # the demo, on the local sandbox
//   node demo/browser-check.mjs [http://localhost:8030] [--shots DIR]
//
// Needs Debian's chromium (scripts/setup) and playwright-core from tests/browser/node_modules
// (scripts/test-browser installs it from the committed lock). Checks: redirect mode into the
// Enterprise test account; popup mode into the Starter account (optional "tickets" dropped);
// the commerce tier refused on the Starter account (HubSpot's error page, nothing stored); a
// marketplace-initiated install; the installs page; and that no page or asset the browser
// loaded carries the client secret. Exits non-zero on the first failure.
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { chromium } = await import(join(root, 'tests/browser/node_modules/playwright-core/index.mjs'));
const args = process.argv.slice(2);
const shotsAt = args.indexOf('--shots');
const shots = shotsAt >= 0 ? args.splice(shotsAt, 2)[1] : null;
const site = (args[0] || 'http://localhost:8030').replace(/\/$/, '');
const world = JSON.parse(readFileSync(join(root, 'demo/sandbox/world.json'), 'utf8'));
const secret = world.apps[0].client_secret;
const clientId = world.apps[0].client_id;
if (shots) mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
const context = await browser.newContext();
const loaded = [];
context.on('response', async (r) => {
  try {
    if (r.request().resourceType() !== 'other') loaded.push({ url: r.url(), body: (await r.body()).toString('latin1') });
  } catch {}
});
const errors = [];
const failed = [];
const watch = (page) => {
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && errors.push(m.text()));
  page.on('response', (r) => r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`));
};
const shot = async (page, name) => shots && page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
const installs = async () => (await (await fetch(`${site}/installs.json`)).json()).installs;
const step = (s) => console.log(`  ${s}`);

async function consent(page, accountName) {
  await page.waitForSelector('#grant');
  await page.getByLabel(accountName, { exact: false }).check();
  await page.click('#grant');
}

try {
  const page = await context.newPage();
  watch(page);
  await page.goto(`${site}/`);
  const link = page.locator('#install-redirect a');
  const href = await link.getAttribute('href');
  assert.ok(href.startsWith(`https://app.hubspot.com/oauth/authorize?client_id=${clientId}&`), href);
  await shot(page, '1-page');

  // 1. Redirect mode, the Enterprise test account.
  await page.hover('#install-redirect');
  await Promise.all([page.waitForURL(/\/oauth\/authorize/), link.click()]);
  assert.match(page.url(), /^http:\/\/localhost:8031\/oauth\/authorize\?.*state=/);
  await shot(page, '2-consent');
  await consent(page, 'Acme Corp');
  await page.waitForURL(/\/oauth\/callback/);
  await page.waitForSelector('body[data-outcome]');
  assert.equal(await page.getAttribute('body', 'data-outcome'), 'installed', await page.textContent('main'));
  const text = await page.textContent('[data-hsinstall-result]');
  assert.match(text, /Installed in HubSpot account 50001\. Granted: oauth, crm\.objects\.contacts\.read, crm\.objects\.deals\.write, crm\.objects\.deals\.read, tickets\./);
  assert.ok(!page.url().includes('code='), 'the code left the address bar');
  await shot(page, '3-callback');
  step(`redirect mode: ${text.trim()}`);

  // 2. Popup mode, the Starter account (no tickets: the optional scope is dropped).
  await page.goto(`${site}/`);
  await page.hover('#install-popup');
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.locator('#install-popup a').click()]);
  watch(popup);
  await popup.waitForURL(/localhost:8031\/oauth\/authorize/);
  await consent(popup, 'Bright Bakery');
  await page.waitForSelector('body[data-outcome="installed"]', { timeout: 15000 });
  const result = await page.textContent('#result');
  assert.match(result, /Installed in HubSpot account 50002\. Granted: oauth, crm\.objects\.contacts\.read, crm\.objects\.deals\.write, crm\.objects\.deals\.read\./);
  await popup.waitForEvent('close', { timeout: 5000 }).catch(() => {});
  await shot(page, '4-popup-result');
  step(`popup mode: ${result.trim()}`);

  // 3. The commerce tier on an account without commerce: HubSpot's error page, no redirect.
  await page.goto(`${site}/`);
  await page.hover('#install-tier');
  await Promise.all([page.waitForURL(/\/oauth\/authorize/), page.locator('#install-tier a').click()]);
  assert.match(page.url(), /scope=[^&]*e-commerce/);
  await consent(page, 'Bright Bakery');
  await page.waitForSelector('#sandbox-error');
  const refused = await page.textContent('#sandbox-error');
  assert.match(refused, /doesn't have access to e-commerce/);
  assert.equal((await installs()).length, 2);
  step(`conditional scope without the feature: "${refused.trim()}"`);

  // 4. A marketplace-initiated install: the listing's Install, the hook's step=authorize redirect, consent, step=finalize.
  await page.goto(`http://localhost:8031/marketplace/${clientId}`);
  await Promise.all([page.waitForURL(/\/marketplace\/.*\/continue/), page.click('#marketplace-install')]);
  await consent(page, 'Acme Corp');
  await page.waitForSelector('#hsinstall-outcome');
  const finalize = await page.textContent('#hsinstall-outcome');
  assert.match(finalize, /Installed in HubSpot account 50001/);
  step(`marketplace-initiated: ${finalize.trim()}`);

  // 5. The installs page: installs and the attempt log, never a token.
  await page.goto(`${site}/installs`);
  const table = await page.textContent('#installs');
  assert.match(table, /50001/);
  assert.match(table, /50002/);
  const log = await page.textContent('#attempts');
  assert.match(log, /installed/);
  assert.match(log, /callback\.marketplace_initiated/);
  await shot(page, '5-installs');
  step('installs page: 2 installs, the attempt log');

  // 6. Nothing the browser loaded carries the client secret or a token.
  const leaks = loaded.filter((r) => r.body.includes(secret) || /sbx-(at|rt)-/.test(r.body)).map((r) => r.url);
  assert.deepEqual(leaks, []);
  assert.deepEqual(errors, []);
  // Only the favicon (none here or at the sandbox) and the sandbox's refusal of the commerce tier failed to load.
  assert.deepEqual(failed.filter((f) => !/^404 .*\/favicon\.ico$/.test(f) && !/^403 http:\/\/localhost:8031\/oauth\/consent$/.test(f)), []);
  step(`no secret or token in the ${loaded.length} responses the browser loaded; no console error`);
  console.log('demo browser check: passed');
} finally {
  await browser.close();
}
