// Browser tests of <hubspot-install-button> and handleInstallCallback, in Debian's headless
// Chromium driven by playwright-core, against tests/browser/server.mjs (loopback). HubSpot's
// authorize host is routed to the server's stand-in, which redirects back with ?code=&state=.
// Run by scripts/test-browser (node --test); screenshots go to tests/browser/out/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer, CLIENT_ID, SCOPES, OPTIONAL, PORTAL_ID } from './server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'out');
const HUBSPOT = /^https:\/\/app(-[a-z0-9]+)?\.hubspot\.com\//;
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let s, browser;
before(async () => {
  await mkdir(out, { recursive: true });
  s = await startServer();
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS });
});
after(async () => {
  if (browser) await browser.close();
  if (s) await s.close();
});

/** A fresh browser context whose requests to HubSpot's hosts go to the stand-in. */
async function context(options = {}) {
  s.reset();
  const c = await browser.newContext(options);
  await c.route(HUBSPOT, (route) => {
    const u = new URL(route.request().url());
    return route.fulfill({ status: 302, headers: { location: `${s.origin}${u.pathname}${u.search}` } });
  });
  c.setDefaultTimeout(15000);
  return c;
}

/** Opens a test page; collects console messages and page errors of every page of the context. */
async function open(c, query = '') {
  const logs = [];
  const watch = (p) => {
    p.on('console', (m) => logs.push({ type: m.type(), text: m.text(), url: p.url() }));
    p.on('pageerror', (e) => logs.push({ type: 'pageerror', text: String(e), url: p.url() }));
  };
  c.on('page', watch);
  const p = await c.newPage();
  await p.goto(`${s.origin}/button?${query}`);
  return { p, logs };
}

/** Waits until the element is enhanced (or gave up): true when enhanced. */
const enhanced = (p) =>
  p.evaluate(() => customElements.whenDefined('hubspot-install-button').then(() => document.querySelector('hubspot-install-button').load()).then((x) => x !== null));

const events = (p) => p.evaluate(() => window.__events);
const authoredHref = (query = '') => s.core.buildInstallUrl({ clientId: CLIENT_ID, redirectUri: `${s.origin}${query}`, scopes: SCOPES, optionalScopes: OPTIONAL }).url;
const callbackResult = async (p) => {
  await p.waitForURL(/\/callback/);
  await p.waitForFunction(() => window.__result !== undefined);
  return p.evaluate(() => ({ result: window.__result, text: document.querySelector('#result').textContent, search: location.search, events: window.__events, pending: Object.keys(sessionStorage).filter((k) => k.startsWith('hsinstall:state:')) }));
};
const hsLogs = (logs, type) => logs.filter((l) => l.type === type && l.text.startsWith('hsinstall:'));

function assertFreshState(state) {
  assert.ok(state, 'the install URL carries a state');
  const d = s.core.decodeState(state);
  assert.ok(d.nonce_bytes >= 16, `at least 16 random bytes (got ${d.nonce_bytes})`);
  const now = Date.now() / 1000;
  assert.ok(d.expires_at > now && d.expires_at <= now + 3600, 'an expiry within the hour');
}

test('the link works with JavaScript disabled', async () => {
  const c = await context({ javaScriptEnabled: false });
  try {
    const { p } = await open(c, 'preview');
    assert.equal(await p.getAttribute('hubspot-install-button a', 'href'), authoredHref('/callback'));
    await p.click('hubspot-install-button a');
    await p.waitForURL(/\/callback\?code=/);
    assert.equal(s.log.authorize.length, 1);
    const q = s.log.authorize[0].query;
    assert.equal(q.client_id, CLIENT_ID);
    assert.equal(q.scope, SCOPES.join(' '));
    assert.equal(q.optional_scope, OPTIONAL.join(' '));
    assert.equal(q.redirect_uri, `${s.origin}/callback`);
    assert.equal(q.state, undefined, 'no script, no state: the authored link as is');
  } finally {
    await c.close();
  }
});

test('a CSP that blocks WebAssembly leaves the plain link working, with one clear console warning', async () => {
  const c = await context();
  try {
    const { p, logs } = await open(c, 'csp=nowasm&preview');
    assert.equal(await enhanced(p), false);
    await sleep(300);
    const warnings = hsLogs(logs, 'warning');
    assert.equal(warnings.length, 1, JSON.stringify(logs));
    assert.match(warnings[0].text, /Content-Security-Policy.*'wasm-unsafe-eval'.*plain link/);
    assert.equal(hsLogs(logs, 'error').length, 0);
    assert.equal(await p.getAttribute('hubspot-install-button a', 'href'), authoredHref('/callback'));
    await p.click('hubspot-install-button a');
    await p.waitForURL(/\/callback\?code=/);
    assert.equal(s.log.authorize.length, 1);
    assert.equal(s.log.authorize[0].query.client_id, CLIENT_ID);
    assert.equal(s.log.authorize[0].query.state, undefined);
  } finally {
    await c.close();
  }
});

test('redirect flow end to end: click, authorize, callback, hook POST with the right state, success shown; a replay is refused', async () => {
  const c = await context();
  try {
    const { p, logs } = await open(c, '');
    assert.equal(await enhanced(p), true);
    assert.equal(await p.getAttribute('hubspot-install-button a', 'href'), authoredHref('/callback'), 'the authored href stays until the click');
    await p.click('hubspot-install-button a');
    const r = await callbackResult(p);
    assert.equal(s.log.authorize.length, 1);
    const q = s.log.authorize[0].query;
    assertFreshState(q.state);
    assert.equal(q.client_id, CLIENT_ID);
    assert.equal(q.scope, SCOPES.join(' '));
    assert.equal(q.optional_scope, OPTIONAL.join(' '));
    assert.equal(s.log.hook.length, 1);
    const body = s.log.hook[0].body;
    assert.equal(s.log.hook[0].type, 'application/json');
    assert.deepEqual(Object.keys(body).sort(), ['code', 'redirect_uri', 'state']);
    assert.equal(body.state, q.state);
    assert.equal(body.redirect_uri, `${s.origin}/callback`);
    assert.match(body.code, /^na1-/);
    assert.equal(r.result.ok, true);
    assert.equal(r.result.portalId, PORTAL_ID);
    assert.deepEqual(r.result.scopes, SCOPES);
    assert.match(r.text, new RegExp(`Installed in HubSpot account ${PORTAL_ID}\\. Granted: oauth, `));
    assert.equal(r.search, '', 'code and state are taken out of the address bar');
    assert.deepEqual(r.pending, [], 'the state is single use');
    const success = r.events.find((e) => e.type === 'hsinstall:success');
    assert.ok(success && success.bubbles && success.composed);
    assert.equal(hsLogs(logs, 'error').length, 0);
    // The same callback again: the state was consumed.
    await p.goto(s.log.authorize[0].location);
    const again = await callbackResult(p);
    assert.equal(again.result.ok, false);
    assert.equal(again.result.error.code, 'widget.no_pending_install');
    assert.equal(s.log.hook.length, 1, 'no second hook call');
  } finally {
    await c.close();
  }
});

test('a forged callback state is rejected (callback.state_mismatch), the hook is not called', async () => {
  const c = await context();
  try {
    const { p } = await open(c, '');
    assert.equal(await enhanced(p), true);
    s.next.authorize.push('forge');
    await p.click('hubspot-install-button a');
    const r = await callbackResult(p);
    assert.equal(r.result.ok, false);
    assert.equal(r.result.error.code, 'callback.state_mismatch');
    assert.match(r.text, /state/);
    assert.equal(s.log.hook.length, 0);
    assert.equal(r.pending.length, 1, "a forged callback does not use up the real install's state");
    assert.ok(r.events.some((e) => e.type === 'hsinstall:error' && e.detail.code === 'callback.state_mismatch'));
  } finally {
    await c.close();
  }
});

test('a hook refusal is shown readably with its code', async () => {
  const c = await context();
  try {
    const { p } = await open(c, '');
    assert.equal(await enhanced(p), true);
    s.next.hook.push('fail');
    await p.click('hubspot-install-button a');
    const r = await callbackResult(p);
    assert.equal(r.result.ok, false);
    assert.equal(r.result.error.code, 'token.bad_auth_code');
    assert.match(r.text, /HubSpot refused the authorization code/);
  } finally {
    await c.close();
  }
});

async function popupFlow(query, { coop = false } = {}) {
  const c = await context();
  try {
    const { p, logs } = await open(c, query);
    assert.equal(await enhanced(p), true);
    const [popup] = await Promise.all([p.waitForEvent('popup'), p.click('hubspot-install-button a')]);
    await p.waitForFunction(() => window.__events.some((e) => e.type === 'hsinstall:success' || e.type === 'hsinstall:error'));
    const ev = await events(p);
    assert.deepEqual(ev.map((e) => e.type), ['hsinstall:start', 'hsinstall:success'], JSON.stringify(ev));
    assert.equal(ev[1].detail.portalId, PORTAL_ID);
    assert.equal(ev[1].detail.mode, 'popup');
    assert.equal(p.url(), `${s.origin}/button?${query}`, 'the opener stayed on its page');
    assertFreshState(s.log.authorize[0].query.state);
    assert.equal(s.log.hook.length, 1);
    assert.equal(s.log.hook[0].body.state, s.log.authorize[0].query.state);
    if (!popup.isClosed()) await popup.waitForEvent('close', { timeout: 5000 }).catch(() => {});
    if (coop && !popup.isClosed()) {
      // The opener relationship is gone (handed over by BroadcastChannel, as the opener's log
      // below shows); a browser may refuse to let such a window close itself: it says so.
      assert.deepEqual(await popup.evaluate(() => window.__result), { ok: true, handedOff: true });
      assert.match(await popup.textContent('#result'), /you can close this window/);
    } else assert.equal(popup.isClosed(), true, 'the popup closes itself');
    const host = await p.evaluate(() => {
      const el = document.querySelector('hubspot-install-button');
      return { busy: el.getAttribute('aria-busy'), status: el.shadowRoot.querySelector('[part=status]').textContent };
    });
    assert.equal(host.busy, null);
    assert.match(host.status, /Installed in HubSpot account 4242/);
    const opener = logs.filter((l) => l.text.startsWith('callback-page: opener'));
    assert.equal(opener.length, 1, JSON.stringify(logs));
    assert.equal(opener[0].text, `callback-page: opener ${!coop}`);
    assert.equal(hsLogs(logs, 'error').length, 0, JSON.stringify(logs));
    return { logs };
  } finally {
    await c.close();
  }
}

test('popup flow end to end (postMessage to the exact opener origin)', () => popupFlow('mode=popup'));

test('popup flow when a Cross-Origin-Opener-Policy cuts window.opener (BroadcastChannel)', () =>
  popupFlow('mode=popup&callback=/callback-coop', { coop: true }));

test('popup flow with a click before the wasm loaded (about:blank first, then the URL)', async () => {
  const c = await context();
  try {
    await c.route('**/wasm/dist/hsinstall.wasm', async (route) => {
      await sleep(1200);
      return route.continue();
    });
    const { p } = await open(c, 'mode=popup');
    const [popup] = await Promise.all([p.waitForEvent('popup'), p.click('hubspot-install-button a')]);
    assert.equal(await p.getAttribute('hubspot-install-button', 'aria-busy'), 'true', 'busy while the core loads');
    assert.equal(await p.getAttribute('hubspot-install-button a', 'aria-disabled'), 'true');
    await p.waitForFunction(() => window.__events.some((e) => e.type === 'hsinstall:success'), null, { timeout: 15000 });
    assertFreshState(s.log.authorize[0].query.state);
    assert.equal(s.log.hook[0].body.state, s.log.authorize[0].query.state);
    if (!popup.isClosed()) await popup.waitForEvent('close', { timeout: 5000 }).catch(() => {});
  } finally {
    await c.close();
  }
});

test('a blocked popup falls back to a same-tab redirect', async () => {
  const c = await context();
  try {
    await c.addInitScript(() => {
      window.open = () => null; // what a popup blocker does
    });
    const { p } = await open(c, 'mode=popup');
    assert.equal(await enhanced(p), true);
    await p.click('hubspot-install-button a');
    const r = await callbackResult(p);
    assert.equal(r.result.ok, true, JSON.stringify(r));
    assert.equal(s.log.hook[0].body.state, s.log.authorize[0].query.state);
    assertFreshState(s.log.authorize[0].query.state);
  } finally {
    await c.close();
  }
});

test('a popup closed without a result ends as hsinstall:cancel; busy (aria-busy, aria-disabled) but focusable meanwhile', async () => {
  const c = await context();
  try {
    const { p } = await open(c, 'mode=popup');
    assert.equal(await enhanced(p), true);
    s.next.authorize.push('hold');
    const [popup] = await Promise.all([p.waitForEvent('popup'), p.click('hubspot-install-button a')]);
    await popup.waitForURL(/\/oauth\/authorize/);
    const busy = await p.evaluate(() => {
      const el = document.querySelector('hubspot-install-button');
      const a = el.querySelector('a');
      a.focus();
      return { busy: el.getAttribute('aria-busy'), disabled: a.getAttribute('aria-disabled'), focused: document.activeElement === a };
    });
    assert.deepEqual(busy, { busy: 'true', disabled: 'true', focused: true });
    // A second click while busy does nothing (no second window).
    let extra = 0;
    c.on('page', () => extra++);
    await p.click('hubspot-install-button a', { force: true }); // force: aria-disabled counts as disabled for Playwright
    await sleep(200);
    assert.equal(extra, 0);
    await popup.close();
    await p.waitForFunction(() => window.__events.some((e) => e.type === 'hsinstall:cancel'), null, { timeout: 6000 });
    const ev = await events(p);
    assert.deepEqual(ev.map((e) => e.type), ['hsinstall:start', 'hsinstall:cancel']);
    assert.equal(ev[1].detail.code, 'widget.popup_closed');
    assert.equal(await p.getAttribute('hubspot-install-button', 'aria-busy'), null);
    assert.equal(s.log.hook.length, 0);
  } finally {
    await c.close();
  }
});

test('keyboard: Tab to the link and Enter installs; the scope preview opens with Enter and closes with Escape', async () => {
  const c = await context();
  try {
    const { p } = await open(c, 'preview');
    assert.equal(await enhanced(p), true);
    await p.keyboard.press('Tab');
    assert.equal(await p.evaluate(() => document.activeElement === document.querySelector('hubspot-install-button a')), true);
    await p.keyboard.press('Tab');
    const toggle = () =>
      p.evaluate(() => {
        const el = document.querySelector('hubspot-install-button');
        const b = el.shadowRoot.querySelector('[part=preview-toggle]');
        const panel = el.shadowRoot.querySelector('[part=preview]');
        return { focused: el.shadowRoot.activeElement === b, expanded: b.getAttribute('aria-expanded'), hidden: panel.hidden, text: panel.textContent, label: b.getAttribute('aria-label') };
      });
    let t = await toggle();
    assert.equal(t.focused, true);
    assert.equal(t.expanded, 'false');
    assert.ok(t.label);
    await p.keyboard.press('Enter');
    t = await toggle();
    assert.equal(t.expanded, 'true');
    assert.equal(t.hidden, false);
    assert.match(t.text, /^This app will be able to:/);
    assert.match(t.text, /View contact records and their properties\./);
    assert.match(t.text, /\(optional\)/);
    await p.keyboard.press('Escape');
    t = await toggle();
    assert.equal(t.hidden, true);
    assert.equal(t.focused, true, 'focus goes back to the toggle');
    await p.keyboard.press('Shift+Tab');
    await p.keyboard.press('Enter');
    const r = await callbackResult(p);
    assert.equal(r.result.ok, true);
    assertFreshState(s.log.authorize[0].query.state);
  } finally {
    await c.close();
  }
});

for (const [bad, codes, warned] of [
  ['scope', ['scope.unknown']],
  ['href', ['widget.href_mismatch']],
  ['redirect', ['redirect.insecure']],
  ['client', ['widget.href_mismatch'], 'install_url.client_id_format'],
]) {
  test(`misconfigured (${bad}): a console error with ${codes.join(', ')}, the link left as authored`, async () => {
    const c = await context();
    try {
      const { p, logs } = await open(c, `bad=${bad}`);
      const before = await p.getAttribute('hubspot-install-button a', 'href');
      assert.equal(await enhanced(p), false);
      const errors = hsLogs(logs, 'error');
      assert.equal(errors.length, 1, JSON.stringify(logs));
      for (const code of codes) assert.ok(errors[0].text.includes(code), `${code} in: ${errors[0].text}`);
      if (warned) assert.ok(hsLogs(logs, 'warning').some((l) => l.text.includes(warned)), `a console warning with ${warned}`);
      const ev = await events(p);
      assert.equal(ev.length, 1);
      assert.equal(ev[0].type, 'hsinstall:error');
      assert.equal(ev[0].detail.phase, 'configure');
      for (const code of codes) assert.ok(ev[0].detail.codes.includes(code));
      assert.equal(await p.getAttribute('hubspot-install-button a', 'href'), before);
      if (bad === 'href') {
        // Still a working link: the authored one, without a state added.
        await p.click('hubspot-install-button a');
        await p.waitForURL(/\/callback\?code=/);
        assert.equal(s.log.authorize[0].url.split('?')[1], before.split('?')[1]);
      }
    } finally {
      await c.close();
    }
  });
}

for (const mode of ['redirect', 'popup'])
  test(`state-url (${mode}): the hook issues the state, the install carries it to the exchange`, async () => {
    const c = await context();
    try {
      const { p } = await open(c, `hookstate&mode=${mode}`);
      assert.equal(await enhanced(p), true);
      if (mode === 'popup') {
        const [popup] = await Promise.all([p.waitForEvent('popup'), p.click('hubspot-install-button a')]);
        await p.waitForFunction(() => window.__events.some((e) => e.type === 'hsinstall:success'));
        if (!popup.isClosed()) await popup.waitForEvent('close', { timeout: 5000 }).catch(() => {});
      } else {
        await p.click('hubspot-install-button a');
        assert.equal((await callbackResult(p)).result.ok, true);
      }
      assert.equal(s.log.issued.length, 1);
      assert.equal(s.log.authorize[0].query.state, s.log.issued[0]);
      assert.equal(s.log.hook[0].body.state, s.log.issued[0]);
      assert.equal(s.core.decodeState(s.log.issued[0]).signed, true);
    } finally {
      await c.close();
    }
  });

test('config attribute: the core reads the app config file, checks the href against it, installs', async () => {
  const c = await context();
  try {
    const { p, logs } = await open(c, 'config&preview');
    assert.equal(await enhanced(p), true, JSON.stringify(logs));
    assert.equal(hsLogs(logs, 'error').length, 0);
    await p.click('hubspot-install-button a');
    const r = await callbackResult(p);
    assert.equal(r.result.ok, true);
    const q = s.log.authorize[0].query;
    assert.equal(q.scope, SCOPES.join(' '));
    assert.equal(q.optional_scope, OPTIONAL.join(' '));
    assertFreshState(q.state);
  } finally {
    await c.close();
  }
});

test('a storage failure does not break the link', async () => {
  const c = await context();
  try {
    await c.addInitScript(() => {
      Storage.prototype.setItem = () => {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      };
    });
    const { p, logs } = await open(c, '');
    assert.equal(await enhanced(p), true);
    await p.click('hubspot-install-button a');
    const r = await callbackResult(p);
    assertFreshState(s.log.authorize[0].query.state);
    assert.ok(hsLogs(logs, 'warning').some((l) => /could not store the install state/.test(l.text)));
    assert.equal(r.result.ok, false);
    assert.equal(r.result.error.code, 'widget.no_pending_install');
    assert.equal(s.log.hook.length, 0);
  } finally {
    await c.close();
  }
});

test('no layout shift when the element upgrades and enhances (CLS 0, same boxes)', async () => {
  const c = await context();
  try {
    await c.route('**/wasm/widget/hubspot-install-button.js', async (route) => {
      await sleep(1000);
      return route.continue();
    });
    const p = await c.newPage();
    await p.goto(`${s.origin}/button?preview`, { waitUntil: 'commit' });
    await p.waitForSelector('#after', { state: 'attached' });
    const boxes = () =>
      p.evaluate(() => {
        const r = (el) => {
          const b = el.getBoundingClientRect();
          return [b.x, b.y, b.width, b.height].map((v) => Math.round(v * 100) / 100);
        };
        return { defined: !!customElements.get('hubspot-install-button'), host: r(document.querySelector('hubspot-install-button')), link: r(document.querySelector('hubspot-install-button a')), after: r(document.querySelector('#after')) };
      });
    const first = await boxes();
    assert.equal(first.defined, false, 'measured before the upgrade');
    assert.equal(await enhanced(p), true);
    const second = await boxes();
    assert.equal(second.defined, true);
    assert.deepEqual({ ...second, defined: 0 }, { ...first, defined: 0 });
    await sleep(200);
    assert.equal(await p.evaluate(() => window.__cls), 0, JSON.stringify(await p.evaluate(() => window.__shifts)));
  } finally {
    await c.close();
  }
});

test('no eval: under a CSP without unsafe-eval the whole flow works, no violation, and no loaded script contains eval or new Function', async () => {
  const c = await context();
  const scripts = new Map();
  c.on('response', async (res) => {
    const type = res.headers()['content-type'] || '';
    if (type.includes('javascript')) scripts.set(new URL(res.url()).pathname, res.text().catch(() => ''));
  });
  try {
    const { p, logs } = await open(c, 'csp=strict&preview&mode=popup');
    assert.equal(await enhanced(p), true, JSON.stringify(logs));
    await p.click('hubspot-install-button [part=preview-toggle]'); // the preview: scopes.lookup under the CSP
    assert.match(await p.textContent('hubspot-install-button [part=preview]'), /This app will be able to:/);
    const [popup] = await Promise.all([p.waitForEvent('popup'), p.click('hubspot-install-button a')]);
    await p.waitForFunction(() => window.__events.some((e) => e.type === 'hsinstall:success'));
    if (!popup.isClosed()) await popup.waitForEvent('close', { timeout: 5000 }).catch(() => {});
    assert.deepEqual(await p.evaluate(() => window.__violations), []);
    assert.equal(logs.filter((l) => l.type === 'error').length, 0, JSON.stringify(logs));
    const names = [...scripts.keys()].sort();
    for (const need of ['/wasm/dist/hsinstall.mjs', '/wasm/index.js', '/wasm/widget/hubspot-install-button.js', '/wasm/widget/enhance.js', '/wasm/widget/flow.js', '/wasm/widget/callback.js'])
      assert.ok(names.includes(need), `${need} was loaded (${names})`);
    for (const [name, text] of scripts) {
      const src = await text;
      assert.ok(src.length > 0, name);
      assert.doesNotMatch(src, /(?<![\w$.])eval\s*\(/, `eval( in ${name}`);
      assert.doesNotMatch(src, /new\s+Function\s*\(/, `new Function in ${name}`);
      assert.doesNotMatch(src, /(?<![\w$.])Function\s*\(/, `Function( in ${name}`);
      assert.doesNotMatch(src, /set(Timeout|Interval)\s*\(\s*["'`]/, `string timer in ${name}`);
    }
  } finally {
    await c.close();
  }
});

test('screenshots of the button and of its scope preview (non-empty PNGs in tests/browser/out/)', async () => {
  const c = await context({ viewport: { width: 800, height: 600 }, deviceScaleFactor: 2 });
  try {
    const { p } = await open(c, 'preview');
    assert.equal(await enhanced(p), true);
    const host = p.locator('hubspot-install-button');
    await host.screenshot({ path: path.join(out, 'button.png') });
    await p.evaluate(() => document.querySelector('hubspot-install-button').shadowRoot.querySelector('[part=preview-toggle]').click());
    const clip = await p.evaluate(() => {
      const el = document.querySelector('hubspot-install-button');
      const a = el.getBoundingClientRect();
      const b = el.shadowRoot.querySelector('[part=preview]').getBoundingClientRect();
      const x = Math.min(a.left, b.left) - 8, y = Math.min(a.top, b.top) - 8;
      return { x, y, width: Math.max(a.right, b.right) + 8 - x, height: Math.max(a.bottom, b.bottom) + 8 - y };
    });
    await p.screenshot({ path: path.join(out, 'preview.png'), clip });
    for (const f of ['button.png', 'preview.png']) {
      const png = await readFile(path.join(out, f));
      assert.equal(png.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', `${f} is a PNG`);
      const w = png.readUInt32BE(16), h = png.readUInt32BE(20);
      assert.ok(w > 20 && h > 20 && png.length > 1000, `${f}: ${w}x${h}, ${png.length} bytes`);
    }
    assert.ok((await readdir(out)).includes('preview.png'));
  } finally {
    await c.close();
  }
});
