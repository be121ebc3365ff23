// The install flow end to end, in Debian's headless Chromium: the demo's marketing page and its
// <hubspot-install-button>s, the local HubSpot sandbox's consent page, the callback page and the
// Python hook behind the demo server, for each case issue 5 documents. Each case checks what the
// page shows, what the hook stored (the demo's /installs page and the SQLite file itself) and
// what the sandbox saw (/__sandbox/stats). The last test scans every response body the browser
// received and the servers' logs for the client secret, the state key, tokens and codes.
//
// Run by scripts/test-e2e, which starts the servers. The tests run in order and share one
// store: each compares before and after. Screenshots go to tests/e2e/out/.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  SITE, SANDBOX, CLIENT_ID, REDIRECT, CLIENT_SECRET, STATE_KEY, TOKEN_KEY, ENTERPRISE, STARTER, DEVELOPER, REQUIRED, OPTIONAL,
  Recorder, stats, installsJson, installsPage, readStore, storedInstall, ledger, pressInstall, consent, callbackOutcome,
  installedText, forgedState, plantPending, logText, leaks,
} from './lib.mjs';

const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'out');
const ALL = [...REQUIRED, ...OPTIONAL];
const MADE_UP_CODE = 'na1-0000-1111-2222-3333-444455556666'; // a code the sandbox never issued
const rec = new Recorder();

before(async () => {
  mkdirSync(OUT, { recursive: true });
  await rec.launch();
});
after(() => rec.close());
afterEach(() => rec.snapshotTokens());

/** A fresh context and page, closed when `fn` ends. */
async function withPage(fn) {
  const c = await rec.context();
  try {
    return await fn(await c.newPage(), c);
  } finally {
    await rec.done(c);
  }
}

const lastAttempt = () => readStore().attempts.at(-1);
const sameLedger = async (before_, what) => assert.deepEqual(await ledger(), before_, `${what}: nothing stored, no attempt, no code, no token request`);

test('success, redirect mode: page -> consent -> callback page -> hook; the install is stored and shown', async () => {
  await withPage(async (page) => {
    const s0 = await stats();
    const { href, authorize } = await pressInstall(page, 'install-redirect');
    // The button's first-paint link is the core's, for HubSpot; the click added a state the hook issued and went to the sandbox.
    assert.ok(href.startsWith(`https://app.hubspot.com/oauth/authorize?client_id=${CLIENT_ID}&`), href);
    const q = authorize.searchParams;
    assert.equal(q.get('client_id'), CLIENT_ID);
    assert.equal(q.get('redirect_uri'), REDIRECT);
    assert.equal(q.get('scope'), REQUIRED.join(' '));
    assert.equal(q.get('optional_scope'), OPTIONAL.join(' '));
    assert.match(q.get('state') || '', /^[A-Za-z0-9_-]{20,}\.[0-9]+\.[A-Za-z0-9_-]{20,}$/, 'a <nonce>.<exp>.<mac> state from POST /hook/state');
    // The consent page lists the scopes by kind and offers the test accounts.
    assert.deepEqual(await page.$$eval('li[data-kind="required"] code', (e) => e.map((x) => x.textContent)), REQUIRED);
    assert.deepEqual(await page.$$eval('li[data-kind="optional"] code', (e) => e.map((x) => x.textContent)), OPTIONAL);
    assert.equal(await page.locator('input[name="account_id"]').count(), 3);
    await page.screenshot({ path: path.join(OUT, 'consent.png'), fullPage: true });

    const r = await consent(page, ENTERPRISE);
    assert.equal(r.status(), 302);
    const shown = await callbackOutcome(page);
    assert.equal(shown.outcome, 'installed', shown.text);
    assert.equal(shown.title, 'Connected to HubSpot');
    assert.equal(shown.text, installedText(ENTERPRISE, ALL));
    assert.equal(new URL(shown.url).search, '', 'code and state left the address bar');
    assert.equal(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('hsinstall:state:')).length), 0,
      'the pending state is used up');
    await page.screenshot({ path: path.join(OUT, 'success.png'), fullPage: true });

    // Stored: the installs page (HTML and JSON) and the SQLite row itself.
    const row = storedInstall(ENTERPRISE);
    assert.ok(row, 'the install is in the store');
    assert.equal(row.scopes, ALL.join(' '));
    assert.equal(row.hub_domain, 'acme-corp.sandbox.hubspot.example');
    assert.equal(row.user_id, 70001);
    assert.match(row.access_token, /^sbx-at-/);
    assert.match(row.refresh_token, /^sbx-rt-/);
    assert.ok(row.expires_at > Date.now() / 1000 + 600);
    const j = await installsJson();
    assert.deepEqual(j.installs.map((i) => [i.portal_id, i.scopes]), [[ENTERPRISE, ALL]]);
    assert.deepEqual([j.attempts.at(-1).outcome, j.attempts.at(-1).reason, j.attempts.at(-1).portal_id], ['installed', 'installed', ENTERPRISE]);
    const html = await installsPage(page);
    assert.match(html.installs, /50001\s*acme-corp\.sandbox\.hubspot\.example/);
    for (const s of ALL) assert.ok(html.installs.includes(s), s);
    assert.match(html.attempts, /installed\s*installed\s*50001/);
    const s1 = await stats();
    assert.equal(s1.code_grants - s0.code_grants, 1, 'one token request');
    assert.equal(s1.introspections - s0.introspections, 1, 'one introspection (the granted-scope check)');
  });
});

test('success, popup mode: the popup hands the callback to the page, which shows the install', async () => {
  await withPage(async (page) => {
    const before_ = storedInstall(ENTERPRISE);
    const attempts0 = readStore().attempts.length;
    const s0 = await stats();
    const { popup, authorize } = await pressInstall(page, 'install-popup');
    assert.equal(authorize.searchParams.get('redirect_uri'), REDIRECT);
    assert.ok(authorize.searchParams.get('state'));
    assert.equal(new URL(page.url()).href, `${SITE}/`, 'the page itself stays');
    const closed = popup.waitForEvent('close', { timeout: 10000 });
    await consent(popup, ENTERPRISE);
    await page.waitForSelector('body[data-outcome="installed"]');
    assert.equal((await page.textContent('#result')).replace(/\s*See the installs page\.$/, ''), installedText(ENTERPRISE, ALL));
    await closed; // the popup's callback page handed off and closed itself
    const after_ = storedInstall(ENTERPRISE);
    assert.equal(after_.scopes, ALL.join(' '));
    assert.notEqual(after_.access_token, before_.access_token, 'the reinstall stored the new tokens');
    assert.notEqual(after_.refresh_token, before_.refresh_token);
    assert.equal(readStore().installs.length, 1, 'still one row for the account');
    const attempts = readStore().attempts;
    assert.equal(attempts.length, attempts0 + 1);
    assert.deepEqual([attempts.at(-1).outcome, attempts.at(-1).portal_id], ['installed', ENTERPRISE]);
    assert.equal((await stats()).code_grants - s0.code_grants, 1);
  });
});

test('optional scope dropped: the Starter account has no tickets; the install goes through without it', async () => {
  await withPage(async (page) => {
    await pressInstall(page, 'install-redirect');
    await consent(page, STARTER);
    const shown = await callbackOutcome(page);
    const granted = [...REQUIRED, 'crm.objects.deals.read'];
    assert.equal(shown.outcome, 'installed', shown.text);
    assert.equal(shown.text, installedText(STARTER, granted));
    const row = storedInstall(STARTER);
    assert.equal(row.scopes, granted.join(' '));
    assert.ok(!row.scopes.split(' ').includes('tickets'));
    assert.equal(row.hub_domain, 'bright-bakery.sandbox.hubspot.example');
    const a = lastAttempt();
    assert.deepEqual([a.outcome, a.portal_id], ['installed', STARTER]);
    assert.match(a.detail, /optional not granted: tickets/);
    const j = await installsJson();
    assert.deepEqual(j.installs.find((i) => i.portal_id === STARTER).scopes, granted);
  });
});

test('developer account refused: the sandbox error page, no redirect, nothing stored, the hook saw nothing', async () => {
  await withPage(async (page) => {
    const l0 = await ledger();
    const exchanges = [];
    page.on('request', (r) => r.url().startsWith(`${SITE}/hook/exchange`) && exchanges.push(r.url()));
    await pressInstall(page, 'install-redirect');
    const r = await consent(page, DEVELOPER);
    assert.equal(r.status(), 403);
    await page.waitForSelector('#sandbox-error');
    assert.match(await page.textContent('#sandbox-error'), /Apps can't be installed in developer accounts/);
    assert.equal(page.url(), `${SANDBOX}/oauth/consent`, 'no redirect');
    await page.waitForTimeout(300);
    assert.equal(page.url(), `${SANDBOX}/oauth/consent`, 'still no redirect');
    assert.deepEqual(exchanges, []);
    await sameLedger(l0, 'developer account');
    assert.ok(!(await installsJson()).installs.some((i) => i.portal_id === DEVELOPER));
  });
});

test('conditional scope without the feature: the commerce tier on the Starter account gets an error page, no redirect, nothing stored', async () => {
  await withPage(async (page) => {
    const l0 = await ledger();
    const { href, authorize } = await pressInstall(page, 'install-tier');
    assert.equal(new URL(href).searchParams.get('scope'), [...REQUIRED, 'e-commerce'].join(' '));
    assert.equal(authorize.searchParams.get('scope'), [...REQUIRED, 'e-commerce'].join(' '));
    assert.deepEqual(await page.$$eval('li[data-kind="conditional"] code', (e) => e.map((x) => x.textContent)), ['e-commerce']);
    const r = await consent(page, STARTER);
    assert.equal(r.status(), 403);
    await page.waitForSelector('#sandbox-error');
    assert.match(await page.textContent('#sandbox-error'), /Bright Bakery .* doesn't have access to e-commerce, which Acme Deal Sync requires/);
    await page.waitForTimeout(300);
    assert.equal(page.url(), `${SANDBOX}/oauth/consent`, 'no redirect');
    await sameLedger(l0, 'conditional scope without the feature');
    assert.deepEqual((await installsJson()).installs.find((i) => i.portal_id === STARTER).scopes, [...REQUIRED, 'crm.objects.deals.read'],
      'the Starter install from before is untouched');
  });
});

test('conditional scope with the feature: the commerce tier on the Enterprise account is granted and stored', async () => {
  await withPage(async (page) => {
    await pressInstall(page, 'install-tier');
    await consent(page, ENTERPRISE);
    const shown = await callbackOutcome(page);
    const granted = [...REQUIRED, 'e-commerce', ...OPTIONAL];
    assert.equal(shown.outcome, 'installed', shown.text);
    assert.equal(shown.text, installedText(ENTERPRISE, granted));
    assert.equal(storedInstall(ENTERPRISE).scopes, granted.join(' '));
  });
});

test('decline, redirect mode: "Install cancelled" at the sandbox, no redirect, nothing stored', async () => {
  await withPage(async (page) => {
    const l0 = await ledger();
    await pressInstall(page, 'install-redirect');
    const r = await consent(page, ENTERPRISE, 'decline');
    assert.equal(r.status(), 200);
    await page.waitForSelector('#declined');
    await page.waitForTimeout(300);
    assert.equal(page.url(), `${SANDBOX}/oauth/consent`, 'no redirect');
    await sameLedger(l0, 'decline');
  });
});

test('decline, popup mode: the popup shows "Install cancelled"; closing it ends the install as cancelled on the page', async () => {
  await withPage(async (page) => {
    const l0 = await ledger();
    const { popup } = await pressInstall(page, 'install-popup');
    await consent(popup, ENTERPRISE, 'decline');
    await popup.waitForSelector('#declined');
    await popup.close(); // the person closes the window
    await page.waitForSelector('body[data-outcome="cancelled"]');
    assert.ok((await page.textContent('#result')).length > 0);
    await sameLedger(l0, 'decline in a popup');
  });
});

test('forged state: refused on the callback page, and by the hook when the browser is fooled; no token request', async () => {
  await withPage(async (page) => {
    // A genuine, unspent code for the Enterprise account: the consent's redirect back to the
    // callback page is held (the browser gets a blank page at the sandbox instead).
    await pressInstall(page, 'install-redirect');
    const genuineState = new URL(page.url()).searchParams.get('state');
    let held = null;
    await page.route(`${SANDBOX}/oauth/consent`, async (route) => {
      const r = await route.fetch({ maxRedirects: 0 });
      held = new URL(r.headers().location, SANDBOX).href;
      rec.noteCode(held);
      return route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>held</title>' });
    });
    await consent(page, ENTERPRISE);
    await page.unrouteAll();
    assert.ok(held && held.startsWith(`${REDIRECT}?`), held);
    const code = new URL(held).searchParams.get('code');
    assert.ok(code && new URL(held).searchParams.get('state') === genuineState);
    const { forged } = await forgedState();
    const l0 = await ledger();
    const exchanges = [];
    page.on('request', (r) => r.url().startsWith(`${SITE}/hook/exchange`) && exchanges.push(r.postData()));

    // 1. This tab started an install, and the callback carries another state: the page refuses it.
    await page.goto(`${REDIRECT}?code=${encodeURIComponent(code)}&state=${encodeURIComponent(forged)}`);
    let shown = await callbackOutcome(page);
    assert.equal(shown.outcome, 'callback.state_mismatch', shown.text);
    assert.equal(shown.title, 'The install did not complete');
    assert.deepEqual(exchanges, [], 'the page sent nothing to the hook');
    await sameLedger(l0, 'forged state, refused by the page');

    // 2. The browser is fooled (the forged state planted as this tab's pending install): the page
    //    POSTs it, and the hook refuses it before any token request: its HMAC does not check out.
    await plantPending(page, forged);
    await page.goto(`${REDIRECT}?code=${encodeURIComponent(code)}&state=${encodeURIComponent(forged)}`);
    shown = await callbackOutcome(page);
    assert.equal(exchanges.length, 1, 'the fooled page POSTed to the hook');
    assert.equal(shown.outcome, 'state.bad_signature', shown.text);
    assert.equal(shown.title, 'The install did not complete');
    const l1 = await ledger();
    assert.equal(l1.token_requests, l0.token_requests, 'no token request');
    assert.equal(l1.installs, l0.installs, 'nothing stored');
    assert.equal(l1.attempts, l0.attempts + 1, 'the refusal is logged');
    const a = lastAttempt();
    assert.deepEqual([a.outcome, a.reason, a.portal_id], ['failed', 'state.bad_signature', null]);
    assert.match((await installsPage(page)).attempts, /failed\s*state\.bad_signature/);

    // 3. The forged attempts spent nothing: the genuine callback, still pending in this tab, installs.
    await page.goto(held);
    shown = await callbackOutcome(page);
    assert.equal(shown.outcome, 'installed', shown.text);
    assert.equal(shown.text, installedText(ENTERPRISE, ALL));
    assert.equal((await stats()).token_requests, l0.token_requests + 1);
  });
});

test('forged state in a tab that started no install: refused on the callback page, nothing sent', async () => {
  await withPage(async (page) => {
    const { forged } = await forgedState();
    const l0 = await ledger();
    const exchanges = [];
    page.on('request', (r) => r.url().startsWith(`${SITE}/hook/exchange`) && exchanges.push(r.url()));
    await page.goto(`${REDIRECT}?code=${MADE_UP_CODE}&state=${encodeURIComponent(forged)}`);
    const shown = await callbackOutcome(page);
    assert.equal(shown.outcome, 'widget.no_pending_install', shown.text);
    assert.deepEqual(exchanges, []);
    await sameLedger(l0, 'forged state, no pending install');
  });
});

test('replayed code: reloading the callback sends no second token request; a replay that reaches the hook gets the first outcome', async () => {
  await withPage(async (page) => {
    let callback = null;
    page.on('request', (r) => r.isNavigationRequest() && r.url().startsWith(`${REDIRECT}?`) && (callback = r.url()));
    await pressInstall(page, 'install-redirect');
    await consent(page, STARTER);
    const first = await callbackOutcome(page);
    const granted = [...REQUIRED, 'crm.objects.deals.read'];
    assert.equal(first.text, installedText(STARTER, granted));
    const stored = storedInstall(STARTER);
    const l0 = await ledger();
    const exchanges = [];
    page.on('request', (r) => r.url().startsWith(`${SITE}/hook/exchange`) && exchanges.push(r.postData()));

    // 1. Reload: the helper took code and state out of the address bar and used up the state,
    //    so the reloaded page has nothing to send.
    await page.reload();
    const reloaded = await callbackOutcome(page);
    assert.equal(reloaded.outcome, 'widget.no_pending_install', reloaded.text);
    assert.deepEqual(exchanges, []);
    await sameLedger(l0, 'reload');

    // 2. The same callback URL again (code and state as HubSpot sent them) in a tab that still
    //    holds the state: the page POSTs the code a second time; the hook answers the first
    //    outcome without a second token request, stores nothing new and logs the replay.
    await plantPending(page, new URL(callback).searchParams.get('state'));
    await page.goto(callback);
    const replayed = await callbackOutcome(page);
    assert.equal(exchanges.length, 1);
    assert.equal(replayed.outcome, 'installed', replayed.text);
    assert.equal(replayed.text, first.text, 'the first outcome');
    const l1 = await ledger();
    assert.equal(l1.token_requests, l0.token_requests, 'no second token request');
    assert.equal(l1.installs, l0.installs, 'the stored install is unchanged, tokens included');
    assert.deepEqual(storedInstall(STARTER), stored);
    assert.equal(l1.attempts, l0.attempts + 1);
    const a = lastAttempt();
    assert.deepEqual([a.outcome, a.reason, a.portal_id], ['replayed', 'hook.code_replayed', STARTER]);
    assert.match(a.detail, /first outcome: installed/);
  });
});

test('unregistered redirect: an install URL with another redirect_uri gets the sandbox error page, and the hook refuses it too', async () => {
  await withPage(async (page) => {
    const l0 = await ledger();
    await page.goto(`${SITE}/`);
    const href = await page.getAttribute('#install-redirect > a', 'href');
    for (const other of ['https://evil.example/oauth/callback', `${SITE}/elsewhere`, `${REDIRECT}/`]) {
      const u = new URL(href.replace('https://app.hubspot.com', SANDBOX));
      u.searchParams.set('redirect_uri', other);
      u.searchParams.set('state', 'x');
      const r = await page.goto(u.href);
      assert.equal(r.status(), 400, other);
      assert.match(await page.textContent('#sandbox-error'), /redirect URL in this install link doesn't match the app's registered redirect URL/);
      assert.equal(await page.locator('#grant').count(), 0, 'no consent form');
    }
    await sameLedger(l0, 'unregistered redirect at the sandbox');

    // The hook's own check: the site's page POSTs an exchange naming another redirect URI.
    await page.goto(`${SITE}/`);
    const { state } = await page.evaluate(() => fetch('/hook/state', { method: 'POST' }).then((r) => r.json()));
    const answer = await page.evaluate(([code, s]) => fetch('/hook/exchange', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ code, state: s, redirect_uri: 'https://evil.example/oauth/callback' }),
    }).then(async (r) => ({ status: r.status, body: await r.json() })), [MADE_UP_CODE, state]);
    assert.equal(answer.status, 400);
    assert.deepEqual([answer.body.ok, answer.body.code], [false, 'redirect.unregistered']);
    const l1 = await ledger();
    assert.equal(l1.token_requests, l0.token_requests);
    assert.equal(l1.installs, l0.installs);
    assert.equal(lastAttempt().reason, 'redirect.unregistered');
  });
});

test('secret scan: no response body the browser received and no server log line holds the client secret, the state key, a token or a code', async () => {
  rec.snapshotTokens();
  const tokens = [...rec.tokens];
  const codes = [...rec.codes];
  // The scan looks for real things: the run saw several codes and tokens, and many bodies.
  const issued = (await stats()).codes_issued;
  assert.ok(issued >= 6, `codes issued: ${issued}`);
  assert.equal(codes.filter((c) => c !== MADE_UP_CODE).length, issued, 'every code the sandbox issued is in the scan');
  assert.ok(tokens.length >= 10, `tokens stored at some point: ${tokens.length}`);
  const urls = rec.responses.map((r) => new URL(r.url));
  const saw = (origin, p) => urls.some((u) => u.origin === origin && u.pathname === p);
  for (const [origin, p] of [[SITE, '/'], [SITE, '/oauth/callback'], [SITE, '/hook/state'], [SITE, '/hook/exchange'], [SITE, '/installs'],
    [SITE, '/hsinstall/dist/hsinstall.wasm'], [SANDBOX, '/oauth/authorize'], [SANDBOX, '/oauth/consent']]) {
    assert.ok(saw(origin, p), `the scan covers ${origin}${p}`);
  }
  const secrets = [['client secret', CLIENT_SECRET], ['state key', STATE_KEY], ['token key', TOKEN_KEY],
    ...tokens.map((t) => ['token', t]), ...codes.map((c) => ['code', c])];
  const logs = logText();
  assert.ok(logs.includes('"event"'), "the hook's JSON-lines log was captured");
  const places = [...rec.responses.flatMap((r) => [[`the body of ${r.status} ${r.url}`, r.body], [`the headers of ${r.status} ${r.url}`, r.headers]]),
    ['the servers\' logs', logs]];
  // The scan can fail: samples planted in a copy of what it reads are found.
  const planted = [['a planted body', `x${tokens[0]}x`], ['a planted log', `{"code": "${codes[0]}"}`], ['a planted page', CLIENT_SECRET]];
  assert.equal(leaks([...places, ...planted], secrets).length, 3);
  assert.deepEqual(leaks(places, secrets), []);
  console.log(`  scanned ${rec.responses.length} responses (bodies and headers) and ${logs.split('\n').length} log lines for ${secrets.length} secrets` +
    ` (${codes.length} codes, ${tokens.length} tokens); ${rec.abandoned.length} requests still in flight when their page was closed`);
  assert.deepEqual(rec.unfetched, [], 'every request the browser made was answered (and recorded)');
  assert.deepEqual(rec.blocked, [], 'nothing left the machine');
  assert.deepEqual(rec.pageErrors, [], 'no uncaught error in any page');
});
