// Helpers of the Node hook's tests (tests/node/hook-*.test.mjs): a real sandbox process
// (demo/sandbox/sandbox.py), the demo app's config for it, a hook behind node:http on
// loopback, a consent click-through, and a recorder of everything the hook says (log
// lines, answers, pages, CSV) for the secret scan.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';

import * as hs from '../../wasm/index.js';
import { createHook } from '../../wasm/hook/index.js';

const ROOT = new URL('../../', import.meta.url);
export const SANDBOX = new URL('demo/sandbox/sandbox.py', ROOT).pathname;
// The sandbox's app (demo/sandbox/world.json).
export const CLIENT_ID = '0f3e4c2a-1b2c-4d5e-8f90-123456789abc';
export const CLIENT_SECRET = 'sandbox-secret-3b1f7d2e9c5a4e6f8a0b';
export const REQUIRED = ['oauth', 'crm.objects.contacts.read', 'crm.objects.deals.write'];
export const CONDITIONAL = ['e-commerce'];
export const OPTIONAL = ['crm.objects.deals.read', 'tickets'];
export const ENTERPRISE = 50001; // has every feature
export const STARTER = 50002; // lacks e-commerce and tickets
export const DEVELOPER = 50003;

/** The app's config file (hsmeta) with the given redirect URL and scopes. */
export function appConfig(redirectUrl, { required = REQUIRED, conditional = CONDITIONAL, optional = OPTIONAL } = {}) {
  return JSON.stringify({
    uid: 'acme-deal-sync',
    type: 'app',
    config: {
      name: 'Acme Deal Sync',
      description: 'Syncs deals.',
      distribution: 'private',
      auth: { type: 'oauth', redirectUrls: [redirectUrl], requiredScopes: required, conditionallyRequiredScopes: conditional, optionalScopes: optional },
      support: { supportEmail: 'support@acme.example' },
    },
  });
}

/** Starts the sandbox on a free loopback port; resolves when it listens. */
export async function startSandbox(redirectUrl, ...args) {
  const child = spawn('python3', [SANDBOX, '--port', '0', '--redirect-url', redirectUrl, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', (l) => resolve(l));
    child.once('exit', (c) => reject(new Error(`sandbox exited (${c})`)));
  });
  const origin = /(http:\/\/\S+)$/.exec(line.trim())[1];
  const post = (path, body) => fetch(origin + path, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) }).then((r) => r.json());
  return {
    origin,
    stats: () => fetch(`${origin}/__sandbox/stats`).then((r) => r.json()),
    faults: (token) => post('/__sandbox/faults', token ? { token } : {}),
    reset: () => post('/__sandbox/reset'),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill();
      }),
  };
}

/**
 * Goes through the sandbox's consent screen for `account`: resolves to the URL it
 * redirects to (the hook's callback with code and state), or to the error page's status.
 */
export async function consent(sandbox, url, account = ENTERPRISE) {
  const u = new URL(url);
  const page = await fetch(sandbox.origin + u.pathname + u.search);
  const html = await page.text();
  assert.equal(page.status, 200, html);
  const id = /name="request_id" value="([^"]+)"/.exec(html)[1];
  const r = await fetch(`${sandbox.origin}/oauth/consent`, {
    method: 'POST',
    body: new URLSearchParams({ request_id: id, account_id: String(account), action: 'grant' }),
    redirect: 'manual',
  });
  if (r.status !== 302) return { status: r.status, text: await r.text() };
  return new URL(r.headers.get('location'));
}

/** Everything the hook said: for the secret scan at the end of each file. */
export class Recorder {
  constructor() {
    this.lines = [];
    this.said = [];
    this.secrets = new Set();
  }
  log = (line) => {
    this.lines.push(line);
  };
  add(text) {
    this.said.push(typeof text === 'string' ? text : JSON.stringify(text));
    return text;
  }
  secret(...xs) {
    for (const x of xs) if (x) this.secrets.add(String(x));
  }
  /** No secret in any log line, answer, page or CSV; every log line is the documented JSON shape. */
  scan() {
    assert.ok(this.lines.length > 0, 'no log line was written');
    for (const line of this.lines) {
      const o = JSON.parse(line);
      assert.deepEqual(Object.keys(o), ['at', 'event', 'outcome', 'reason', 'portal_id'], line);
      assert.match(o.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    const all = [...this.lines, ...this.said];
    let checked = 0;
    for (const s of this.secrets) {
      for (const text of all) assert.ok(!text.includes(s), `a secret (${s.slice(0, 6)}…) appears in: ${text.slice(0, 200)}`);
      checked++;
    }
    return checked;
  }
}

/**
 * A hook behind node:http on 127.0.0.1 and a sandbox redirecting to it: `prefix` is where
 * the hook is mounted. Options go to createHook (after the defaults below).
 */
export async function setup({ prefix = '/hook', sandboxArgs = [], hookOptions = {}, config, store } = {}) {
  await hs.load();
  const dir = mkdtempSync(join(tmpdir(), 'hsinstall-hook-'));
  let handle = (req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handle(req, res));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  const redirect = `http://localhost:${server.address().port}${prefix}/callback`;
  const sandbox = await startSandbox(redirect, ...sandboxArgs);
  const rec = new Recorder();
  const stateKey = randomBytes(32).toString('hex');
  const tokenKey = randomBytes(32).toString('hex');
  rec.secret(CLIENT_SECRET, stateKey, tokenKey);
  const configPath = join(dir, 'app-hsmeta.json');
  writeFileSync(configPath, config ? config(redirect) : appConfig(redirect));
  const clock = { offset: 0 };
  const env = {
    HSINSTALL_CLIENT_ID: CLIENT_ID,
    HSINSTALL_CLIENT_SECRET: CLIENT_SECRET,
    HSINSTALL_STATE_KEY: stateKey,
    HSINSTALL_APP_CONFIG: configPath,
    HSINSTALL_API_BASE: sandbox.origin,
    HSINSTALL_RETURN_ORIGINS: sandbox.origin,
    HSINSTALL_STORE: store || `sqlite:///${join(dir, 'hsinstall.db')}`,
    HSINSTALL_TOKEN_KEY: tokenKey,
  };
  const makeHook = (more = {}) =>
    createHook({ env, log: rec.log, now: () => Date.now() / 1000 + clock.offset, backoffMs: 20, timeoutMs: 2000, basePath: prefix, ...hookOptions, ...more });
  let hook;
  try {
    hook = await makeHook();
  } catch (e) {
    // A hook that refuses to start must not leave the sandbox and the server running (the test process would never end).
    await new Promise((r) => server.close(r));
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  handle = hook.handler;

  /** A request to the hook over HTTP; the answer is recorded for the scan. */
  async function request(method, path, { json, body, headers = {} } = {}) {
    const r = await fetch(base + path, {
      method,
      headers: json !== undefined ? { 'content-type': 'application/json', ...headers } : headers,
      body: json !== undefined ? JSON.stringify(json) : body,
      redirect: 'manual',
    });
    const text = await r.text();
    rec.add(text);
    if (r.headers.get('location')) rec.add(r.headers.get('location'));
    return { status: r.status, headers: r.headers, text, json: text && (r.headers.get('content-type') || '').startsWith('application/json') ? JSON.parse(text) : null };
  }
  const newState = async () => (await request('POST', `${prefix}/state`)).json.state;
  /** An install URL from the config with a state the hook issued; consent; the callback URL. */
  async function authorize({ account = ENTERPRISE, conditional = [], state } = {}) {
    state = state ?? (await newState());
    const { url } = hs.buildInstallUrl({ config: config ? config(redirect) : appConfig(redirect), configFileName: 'app-hsmeta.json', clientId: CLIENT_ID, state, conditionalScopes: conditional });
    const back = await consent(sandbox, url, account);
    if (back instanceof URL) rec.secret(back.searchParams.get('code'));
    return { back, state, code: back instanceof URL ? back.searchParams.get('code') : null };
  }
  const exchange = (json) => request('POST', `${prefix}/exchange`, { json });
  /** Every token stored (opened), for the scan. */
  async function storedSecrets() {
    for (const i of await hook.store.listInstalls()) rec.secret(i.accessToken, i.refreshToken);
  }
  async function close() {
    await storedSecrets().catch(() => {});
    await hook.close();
    await new Promise((r) => server.close(r));
    server.closeAllConnections?.();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return { hook, makeHook, env, dir, base, prefix, redirect, sandbox, rec, clock, request, newState, authorize, exchange, storedSecrets, close, stateKey, tokenKey, server, setHandler: (h) => (handle = h) };
}
