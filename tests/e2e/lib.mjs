// What the end-to-end tests share: the running servers (started by scripts/test-e2e and passed
// in E2E_* variables), Debian's headless Chromium through playwright-core, a recorder of every
// response the browser receives (each loopback request is fetched on the browser's behalf and
// recorded before the browser gets it, for the secret scan; anything off the machine is
// blocked), readers for the sandbox's /__sandbox/stats, the demo's /installs(.json) and the
// hook's SQLite file, and the steps of an install as a person clicks them.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the suite with scripts/test-e2e, which starts the servers`);
  return v;
}

export const SITE = need('E2E_SITE'); // http://localhost:<port>, the demo server (site, widget, hook under /hook/)
export const SANDBOX = need('E2E_SANDBOX'); // http://localhost:<port>, the local HubSpot
export const CLIENT_ID = need('E2E_CLIENT_ID');
export const REDIRECT = need('E2E_REDIRECT'); // SITE + /oauth/callback, registered in both the sandbox and the app config
export const STORE = need('E2E_STORE'); // the hook's SQLite file
export const PYTHON = need('E2E_PYTHON');
export const CLIENT_SECRET = readFileSync(need('E2E_SECRET_FILE'), 'utf8').trim();
export const STATE_KEY = readFileSync(need('E2E_STATE_KEY_FILE'), 'utf8').trim();
export const TOKEN_KEY_FILE = need('E2E_TOKEN_KEY_FILE'); // HSINSTALL_TOKEN_KEY_FILE: the key that seals tokens at rest
export const TOKEN_KEY = readFileSync(TOKEN_KEY_FILE, 'utf8').trim();
export const LOGS = need('E2E_LOGS').split(' ').filter(Boolean); // the hook's log (the demo server's stderr) and the other servers' output

export const ENTERPRISE = 50001; // "Acme Corp (Enterprise test account)": every feature
export const STARTER = 50002; // "Bright Bakery (Starter, no commerce or help desk)": lacks e-commerce and tickets
export const DEVELOPER = 50003; // "Acme developer account": cannot install apps
export const REQUIRED = ['oauth', 'crm.objects.contacts.read', 'crm.objects.deals.write'];
export const OPTIONAL = ['crm.objects.deals.read', 'tickets'];

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run'];
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The browser and everything it saw: response bodies, codes in callback URLs, blocked requests, page errors. */
export class Recorder {
  constructor() {
    this.browser = null;
    this.responses = []; // every loopback response the browser got: {url, status, body (latin1), headers (JSON)}
    this.unfetched = []; // requests the recorder could not complete while their context was open (none expected)
    this.abandoned = []; // requests still in flight when their context closed (never reached the browser)
    this.codes = new Set(); // every authorization code seen in a callback URL or a redirect to one
    this.tokens = new Set(); // every access and refresh token the store held at some point
    this.blocked = []; // requests to anything but loopback (aborted: the run never leaves the machine)
    this.pageErrors = []; // uncaught exceptions in any page
    this.closers = new Map();
  }

  async launch() {
    this.browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS });
  }

  async close() {
    if (this.browser) await this.browser.close();
  }

  /** A fresh browser context (its own sessionStorage and cookies) whose traffic is recorded. */
  async context() {
    const c = await this.browser.newContext({ viewport: { width: 1100, height: 900 } });
    let closing = false; // set by done(c)
    this.closers.set(c, () => (closing = true));
    c.setDefaultTimeout(15000);
    await c.route((u) => !LOOPBACK.has(u.hostname), (route) => {
      this.blocked.push(route.request().url());
      return route.abort('blockedbyclient');
    });
    // Every loopback request goes through here: the response is fetched for the browser and
    // recorded before the browser gets it, so the scan sees every body (a body read back from
    // the browser afterwards is gone once the page has navigated on).
    await c.route((u) => LOOPBACK.has(u.hostname), async (route) => {
      let r, body;
      try {
        r = await route.fetch({ maxRedirects: 0 });
        body = await r.body();
      } catch (e) {
        // Only a request still in flight when its context closes may go unanswered.
        if (closing) this.abandoned.push(route.request().url());
        else this.unfetched.push(`${route.request().url()}: ${String(e.message || e).split('\n')[0]}`);
        return route.abort().catch(() => {});
      }
      const location = r.headers().location;
      if (location) this.noteCode(new URL(location, r.url()).href);
      // Headers too, but for the Location of a redirect to the callback page: HubSpot sends the code there by design.
      const headers = Object.entries(r.headers()).filter(([k, v]) => !(k === 'location' && v.startsWith(`${REDIRECT}?`)));
      this.responses.push({ url: r.url(), status: r.status(), body: body.toString('latin1'), headers: JSON.stringify(headers) });
      return route.fulfill({ response: r, body }).catch(() => {});
    });
    c.on('request', (r) => this.noteCode(r.url()));
    c.on('page', (p) => p.on('pageerror', (e) => this.pageErrors.push(`${p.url()}: ${e}`)));
    return c;
  }

  /** Closes a context made by context(). */
  async done(c) {
    this.closers.get(c)?.();
    this.closers.delete(c);
    await c.close();
  }

  noteCode(url) {
    try {
      const code = new URL(url).searchParams.get('code');
      if (code) this.codes.add(code);
    } catch {}
  }

  /** Adds the store's current tokens to the set the secret scan looks for. */
  snapshotTokens() {
    for (const i of readStore().installs) {
      this.tokens.add(i.access_token);
      this.tokens.add(i.refresh_token);
    }
  }
}

// ---- the servers' side

export async function getJson(url, init) {
  const r = await fetch(url, init);
  assert.ok(r.ok, `${init?.method || 'GET'} ${url}: ${r.status}`);
  return r.json();
}

/** The sandbox's counters: token_requests, code_grants, codes_issued, ... */
export const stats = () => getJson(`${SANDBOX}/__sandbox/stats`);

/** What the demo's installs page knows: {installs: [{portal_id, scopes, ...}], attempts: [{at, outcome, reason, portal_id, detail}]}. */
export const installsJson = () => getJson(`${SITE}/installs.json`);

/** The demo's installs page (HTML): the text of its two tables. */
export async function installsPage(page) {
  await page.goto(`${SITE}/installs`);
  return { installs: await page.textContent('#installs'), attempts: await page.textContent('#attempts') };
}

const READ_STORE = `
import json, sqlite3, sys
from hsinstall._sealing import KeyRing
ring = KeyRing.parse(open(sys.argv[2]).read())
c = sqlite3.connect(sys.argv[1], timeout=10)
out = {}
for t in ("installs", "attempts", "codes", "states"):
    cur = c.execute("SELECT * FROM hsinstall_" + t + " ORDER BY rowid")
    names = [d[0] for d in cur.description]
    out[t] = [dict(zip(names, row)) for row in cur.fetchall()]
c.close()
for i in out["installs"]:  # sealed at rest (v1.<key id>...): opened with the hook's key, or this fails
    assert i["key_id"] == ring.sealing_id, "an install row not sealed with the hook's key"
    for col in ("access_token", "refresh_token"):
        i[col] = ring.unseal(i[col], col, i["portal_id"])
print(json.dumps(out))
`;

/** The hook's SQLite store, every table, read straight from the file; the tokens, sealed at rest, unsealed with the hook's key. */
export function readStore() {
  return JSON.parse(execFileSync(PYTHON, ['-c', READ_STORE, STORE, TOKEN_KEY_FILE], { encoding: 'utf8' }));
}

/** The stored install of one portal (tokens included), or undefined. */
export const storedInstall = (portalId) => readStore().installs.find((i) => i.portal_id === portalId);

/** Before/after: the counts a case that must store nothing and send no token request compares. */
export async function ledger() {
  const s = readStore();
  const st = await stats();
  return {
    installs: JSON.stringify(s.installs), // tokens included: nothing may change
    attempts: s.attempts.length,
    codes: s.codes.length,
    token_requests: st.token_requests,
    codes_issued: st.codes_issued,
  };
}

// ---- a person's clicks

/** Opens the marketing page and presses an install button; resolves on the sandbox's consent (or error) page. */
export async function pressInstall(page, button) {
  await page.goto(`${SITE}/`);
  const link = page.locator(`#${button} > a`);
  const href = await link.getAttribute('href');
  await page.hover(`#${button}`); // the widget loads the core on hover
  if (button === 'install-popup') {
    const [popup] = await Promise.all([page.waitForEvent('popup'), link.click()]);
    await popup.waitForURL((u) => u.href.startsWith(`${SANDBOX}/oauth/authorize?`));
    return { href, popup, authorize: new URL(popup.url()) };
  }
  await Promise.all([page.waitForURL((u) => u.href.startsWith(`${SANDBOX}/oauth/authorize?`)), link.click()]);
  return { href, authorize: new URL(page.url()) };
}

/** On the sandbox's consent page: chooses an account and presses Connect app (or Cancel); resolves with the consent POST's response. */
export async function consent(page, accountId, action = 'grant') {
  await page.waitForSelector('#grant');
  await page.check(`input[name="account_id"][value="${accountId}"]`);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${SANDBOX}/oauth/consent` && r.request().method() === 'POST'),
    page.click(action === 'grant' ? '#grant' : '#decline'),
  ]);
  return response;
}

/** On the callback page: waits for the outcome; {outcome (body[data-outcome]), title, text, state (data-state), url}. */
export async function callbackOutcome(page) {
  await page.waitForURL((u) => u.href.startsWith(REDIRECT));
  await page.waitForSelector('body[data-outcome]');
  return {
    outcome: await page.getAttribute('body', 'data-outcome'),
    title: (await page.textContent('#title')).trim(),
    text: (await page.textContent('[data-hsinstall-result] .hsinstall-result')).trim(),
    state: await page.getAttribute('[data-hsinstall-result] .hsinstall-result', 'data-state'),
    url: page.url(),
  };
}

/** The text the widget shows for a successful install. */
export const installedText = (portalId, scopes) => `Installed in HubSpot account ${portalId}. Granted: ${scopes.join(', ')}.`;

/** A state in the hook's format (<nonce>.<exp>.<mac>, base64url) that the hook never signed: a fresh one's nonce and MAC replaced. */
export async function forgedState() {
  const { state } = await getJson(`${SITE}/hook/state`, { method: 'POST' });
  const [nonce, exp, mac] = state.split('.');
  const other = (s) => Buffer.from(crypto.getRandomValues(new Uint8Array(Buffer.from(s, 'base64url').length))).toString('base64url');
  return { genuine: state, forged: `${other(nonce)}.${exp}.${other(mac)}` };
}

/** Puts a pending install into this tab's sessionStorage the way the widget does on click (flow.js remember()). */
export async function plantPending(page, state) {
  await page.evaluate(([s, redirect]) => sessionStorage.setItem(`hsinstall:state:${s}`,
    JSON.stringify({ exp: Math.floor(Date.now() / 1000) + 600, redirect_uri: redirect })), [state, REDIRECT]);
}

/**
 * Where any of `secrets` ([what, value] pairs) occurs in `places` ([where, text] pairs):
 * "<what> in <where>" for each hit.
 */
export function leaks(places, secrets) {
  const out = [];
  for (const [where, text] of places) for (const [what, value] of secrets) if (value && text.includes(value)) out.push(`${what} in ${where}`);
  return out;
}

/** The text of every server log (the hook's JSON lines first). */
export const logText = () => LOGS.map((f) => readFileSync(f, 'latin1')).join('\n');
