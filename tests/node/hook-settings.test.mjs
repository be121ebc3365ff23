// The Node hook's settings (docs/hook.md: the environment, `*_FILE`, an error naming the
// variable at start), its store URLs, a store the site supplies (async, over Maps), and
// the module-level functions made from process.env (serverless).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';

import * as hook from '../../wasm/hook/index.js';
import { createHook, HookConfigError, ENV } from '../../wasm/hook/index.js';
import { appConfig, startSandbox, consent, CLIENT_ID, CLIENT_SECRET, ENTERPRISE, Recorder } from './hook-helpers.mjs';
import * as hs from '../../wasm/index.js';

const REDIRECT = 'http://localhost:8930/oauth/callback';
const KEY = randomBytes(32);
const TOKEN_KEY = randomBytes(32).toString('hex');

describe('hsinstall/hook: settings', () => {
  let dir, configPath, env;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hsinstall-settings-'));
    configPath = join(dir, 'app-hsmeta.json');
    writeFileSync(configPath, appConfig(REDIRECT));
    env = {
      HSINSTALL_CLIENT_ID: CLIENT_ID,
      HSINSTALL_CLIENT_SECRET: CLIENT_SECRET,
      HSINSTALL_STATE_KEY: KEY.toString('hex'),
      HSINSTALL_APP_CONFIG: configPath,
      HSINSTALL_STORE: 'sqlite:///:memory:',
      HSINSTALL_TOKEN_KEY: TOKEN_KEY,
    };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const start = (over, options = {}) => createHook({ env: { ...env, ...over }, log: false, ...options });
  async function refused(over, setting, pattern, options) {
    await assert.rejects(start(over, options), (e) => {
      assert.ok(e instanceof HookConfigError, String(e));
      assert.equal(e.setting, setting);
      assert.ok(e.message.startsWith(`${setting}: `), e.message);
      if (pattern) assert.match(e.message, pattern);
      for (const secret of [CLIENT_SECRET, KEY.toString('hex'), 'abcdef0123456789', TOKEN_KEY]) assert.ok(!e.message.includes(secret), e.message);
      return true;
    });
  }

  it('starts from the environment with the documented defaults', async () => {
    const h = await start({});
    assert.equal(h.settings.clientId, CLIENT_ID);
    assert.equal(h.settings.redirectUri, REDIRECT);
    assert.equal(h.settings.apiBase, undefined);
    assert.deepEqual(h.settings.returnOrigins, []);
    assert.deepEqual(h.settings.scopes.conditional, ['e-commerce']);
    await h.close();
    assert.deepEqual(Object.values(ENV), ['HSINSTALL_CLIENT_ID', 'HSINSTALL_CLIENT_SECRET', 'HSINSTALL_STATE_KEY', 'HSINSTALL_APP_CONFIG', 'HSINSTALL_REDIRECT_URI', 'HSINSTALL_API_BASE', 'HSINSTALL_RETURN_ORIGINS', 'HSINSTALL_STORE', 'HSINSTALL_TOKEN_KEY']);
    assert.equal(hook.DEFAULT_STORE, 'sqlite:///./hsinstall.db');
  });

  it('a missing required setting names its variable', async () => {
    for (const name of ['HSINSTALL_CLIENT_ID', 'HSINSTALL_CLIENT_SECRET', 'HSINSTALL_STATE_KEY', 'HSINSTALL_APP_CONFIG', 'HSINSTALL_TOKEN_KEY']) {
      await refused({ [name]: undefined }, name, /is not set/);
      await refused({ [name]: '' }, name, /is not set/);
    }
  });

  it('the state key: hex or base64url, at least 32 bytes', async () => {
    for (const good of [KEY.toString('hex'), KEY.toString('base64url'), KEY.toString('base64').replace(/\+/g, '-').replace(/\//g, '_'), randomBytes(48).toString('hex')])
      await (await start({ HSINSTALL_STATE_KEY: good })).close();
    await refused({ HSINSTALL_STATE_KEY: 'abcdef0123456789' }, 'HSINSTALL_STATE_KEY', /is 8 bytes; at least 32/);
    await refused({ HSINSTALL_STATE_KEY: randomBytes(31).toString('hex') }, 'HSINSTALL_STATE_KEY', /at least 32/);
    await refused({ HSINSTALL_STATE_KEY: 'not a key, with spaces and commas' }, 'HSINSTALL_STATE_KEY', /neither hex nor base64url/);
    await refused({}, 'options.stateKey', /at least 32/, { stateKey: new Uint8Array(16) });
  });

  it('the token key: one or more 32-byte keys (hex, base64, base64url), spaces or commas between; anything else names HSINSTALL_TOKEN_KEY with how to make one', async () => {
    const other = randomBytes(32);
    const [mine, theirs] = [hook.keyId(Buffer.from(TOKEN_KEY, 'hex')), hook.keyId(other)];
    for (const [good, ids] of [
      [TOKEN_KEY, [mine]],
      [other.toString('base64'), [theirs]],
      [other.toString('base64url'), [theirs]],
      [`${TOKEN_KEY} ${other.toString('base64url')}`, [mine, theirs]],
      [`${other.toString('hex')},${TOKEN_KEY}`, [theirs, mine]],
      [` ${TOKEN_KEY} ,  ${other.toString('base64')} `, [mine, theirs]],
    ]) {
      const h = await start({ HSINSTALL_TOKEN_KEY: good });
      assert.deepEqual([h.store.keys.sealId, h.store.keys.ids], [ids[0], ids]);
      await h.close();
    }
    await refused({ HSINSTALL_TOKEN_KEY: undefined }, 'HSINSTALL_TOKEN_KEY', /is not set.*openssl rand -hex 32/);
    await refused({ HSINSTALL_TOKEN_KEY: randomBytes(31).toString('hex') }, 'HSINSTALL_TOKEN_KEY', /key 1 is 62 hex characters.*openssl rand -hex 32/);
    await refused({ HSINSTALL_TOKEN_KEY: randomBytes(33).toString('base64url') }, 'HSINSTALL_TOKEN_KEY', /key 1 is neither.*openssl rand -hex 32/);
    await refused({ HSINSTALL_TOKEN_KEY: `${TOKEN_KEY} abcdef0123456789` }, 'HSINSTALL_TOKEN_KEY', /key 2 is 16 hex characters/);
    await refused({ HSINSTALL_TOKEN_KEY: 'not a key at all, no' }, 'HSINSTALL_TOKEN_KEY', /key 1 is neither/);
    const keyFile = join(dir, 'token-key');
    writeFileSync(keyFile, `${TOKEN_KEY}\n`);
    await (await start({ HSINSTALL_TOKEN_KEY: undefined, HSINSTALL_TOKEN_KEY_FILE: keyFile })).close();
    await refused({ HSINSTALL_TOKEN_KEY_FILE: keyFile }, 'HSINSTALL_TOKEN_KEY', /both HSINSTALL_TOKEN_KEY and HSINSTALL_TOKEN_KEY_FILE/);
    writeFileSync(keyFile, 'short\n');
    await refused({ HSINSTALL_TOKEN_KEY: undefined, HSINSTALL_TOKEN_KEY_FILE: keyFile }, 'HSINSTALL_TOKEN_KEY', /key 1 is neither/);
  });

  it('*_FILE reads a value from a file (trimmed); both set, or an unreadable file, is an error', async () => {
    const secretFile = join(dir, 'secret');
    writeFileSync(secretFile, `${CLIENT_SECRET}\n`);
    const keyFile = join(dir, 'key');
    writeFileSync(keyFile, `${KEY.toString('base64url')}\n`);
    const h = await start({ HSINSTALL_CLIENT_SECRET: undefined, HSINSTALL_CLIENT_SECRET_FILE: secretFile, HSINSTALL_STATE_KEY: undefined, HSINSTALL_STATE_KEY_FILE: keyFile });
    await h.close();
    await refused({ HSINSTALL_CLIENT_SECRET_FILE: secretFile }, 'HSINSTALL_CLIENT_SECRET', /both HSINSTALL_CLIENT_SECRET and HSINSTALL_CLIENT_SECRET_FILE/);
    await refused({ HSINSTALL_CLIENT_SECRET: undefined, HSINSTALL_CLIENT_SECRET_FILE: join(dir, 'nope') }, 'HSINSTALL_CLIENT_SECRET_FILE', /cannot read .*ENOENT/);
  });

  it('the app config is checked by the core; the redirect URI must be one of its redirect URLs', async () => {
    await refused({ HSINSTALL_APP_CONFIG: join(dir, 'missing-hsmeta.json') }, 'HSINSTALL_APP_CONFIG', /cannot read the app config/);
    const broken = join(dir, 'broken-hsmeta.json');
    writeFileSync(broken, JSON.stringify({ uid: 'x', type: 'app', config: { name: 'X', auth: { type: 'oauth', redirectUrls: ['http://acme.example/cb'], requiredScopes: ['oauth', 'contacts'] } } }));
    await refused({ HSINSTALL_APP_CONFIG: broken }, 'HSINSTALL_APP_CONFIG', /the app config has errors: [a-z_]+\.[a-z_]+ at \/config\//);
    const staticApp = join(dir, 'static-hsmeta.json');
    writeFileSync(staticApp, JSON.stringify({ uid: 'x', type: 'app', config: { name: 'X', description: 'A static app.', distribution: 'private', auth: { type: 'static', requiredScopes: ['oauth'] }, support: { supportEmail: 'a@acme.example' } } }));
    await refused({ HSINSTALL_APP_CONFIG: staticApp }, 'HSINSTALL_APP_CONFIG', /no redirect URL/);
    await refused({ HSINSTALL_REDIRECT_URI: 'http://localhost:8930/other' }, 'HSINSTALL_REDIRECT_URI', /redirect\.unregistered/);
    const h = await start({ HSINSTALL_REDIRECT_URI: REDIRECT });
    assert.equal(h.settings.redirectUri, REDIRECT);
    await h.close();
  });

  it('the API base is checked by the core (https, or http on loopback); return origins are a space-separated list', async () => {
    await refused({ HSINSTALL_API_BASE: 'http://api.example.com' }, 'HSINSTALL_API_BASE', /token\.insecure_endpoint/);
    await refused({ HSINSTALL_API_BASE: 'https://api.hubapi.com/oauth' }, 'HSINSTALL_API_BASE', /token\.bad_endpoint/);
    const h = await start({ HSINSTALL_API_BASE: 'http://127.0.0.1:8031', HSINSTALL_RETURN_ORIGINS: ' http://127.0.0.1:8031  http://localhost:8031 ' });
    assert.equal(h.settings.apiBase, 'http://127.0.0.1:8031');
    assert.deepEqual(h.settings.returnOrigins, ['http://127.0.0.1:8031', 'http://localhost:8031']);
    await h.close();
  });

  it('the store: sqlite:/// URLs (relative, absolute, memory); anything else is refused at start', async () => {
    const abs = join(dir, 'a.db');
    const h = await start({ HSINSTALL_STORE: `sqlite:///${abs}` });
    await h.issueState();
    await h.close();
    const again = await start({ HSINSTALL_STORE: `sqlite:///${abs}` });
    assert.equal(again.store.db.prepare('SELECT count(*) FROM hsinstall_states').pluck().get(), 1);
    assert.deepEqual(
      again.store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all(),
      ['hsinstall_attempts', 'hsinstall_codes', 'hsinstall_installs', 'hsinstall_migrations', 'hsinstall_refresh_locks', 'hsinstall_states'],
    );
    await again.close();
    await refused({ HSINSTALL_STORE: 'mysql://db.example/hsinstall' }, 'HSINSTALL_STORE', /is not a store URL/);
    await refused({ HSINSTALL_STORE: 'sqlite:///' }, 'HSINSTALL_STORE');
    await refused({ HSINSTALL_STORE: `sqlite:///${join(dir, 'no', 'such', 'dir', 'x.db')}` }, 'HSINSTALL_STORE', /cannot open/);
  });
});

// A store the site supplies: async methods over Maps (one process; each method runs
// without awaiting inside, so each is atomic, as a database transaction would be).
function mapStore() {
  const states = new Map();
  const codes = new Map();
  const installs = new Map();
  const leases = new Map();
  const attempts = [];
  const calls = [];
  const tick = () => new Promise((r) => setImmediate(r));
  const store = {
    calls,
    async saveState(nonce, expiresAt) {
      await tick();
      states.set(nonce, { expiresAt, usedAt: null });
    },
    async beginExchange(nonce, codeHash, now) {
      await tick();
      calls.push('beginExchange');
      if (codes.has(codeHash)) {
        const o = codes.get(codeHash);
        return { verdict: 'replayed', outcome: o === 'pending' ? null : o };
      }
      if (nonce !== null) {
        const s = states.get(nonce);
        if (!s || s.usedAt !== null || s.expiresAt <= now) return { verdict: 'state_replayed', outcome: null };
        s.usedAt = now;
      }
      codes.set(codeHash, 'pending');
      return { verdict: 'new', outcome: null };
    },
    async getCodeOutcome(codeHash) {
      const o = codes.get(codeHash);
      return o === undefined || o === 'pending' ? null : o;
    },
    async finishExchange(codeHash, outcome, attempt, install) {
      await tick();
      calls.push('finishExchange');
      if (install) installs.set(install.portalId, { ...install, scopes: [...install.scopes] });
      if (codeHash !== null) codes.set(codeHash, outcome);
      attempts.push({ ...attempt });
    },
    async appendAttempt(a) {
      attempts.push({ ...a });
    },
    async getInstall(portalId) {
      const i = installs.get(portalId);
      return i ? { ...i, scopes: [...i.scopes] } : null;
    },
    async listInstalls() {
      return [...installs.values()];
    },
    async listAttempts(since) {
      return attempts.filter((a) => a.at >= since);
    },
    async acquireRefresh(portalId, holder, until, now) {
      const l = leases.get(portalId);
      if (l && l.until >= now) return false;
      leases.set(portalId, { holder, until });
      return true;
    },
    async releaseRefresh(portalId, holder) {
      if (leases.get(portalId)?.holder === holder) leases.delete(portalId);
    },
    async updateTokens(portalId, old, t) {
      const i = installs.get(portalId);
      if (!i || i.refreshToken !== old) return false;
      Object.assign(i, t);
      return true;
    },
  };
  return store;
}

describe('hsinstall/hook: a store the site supplies, and the functions made from process.env', () => {
  let sandbox, dir, configPath;
  const rec = new Recorder();
  before(async () => {
    sandbox = await startSandbox(REDIRECT);
    dir = mkdtempSync(join(tmpdir(), 'hsinstall-store-'));
    configPath = join(dir, 'app-hsmeta.json');
    writeFileSync(configPath, appConfig(REDIRECT));
    rec.secret(CLIENT_SECRET, KEY.toString('hex'));
  });
  after(async () => {
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  async function codeFor(state) {
    const { url } = hs.buildInstallUrl({ config: appConfig(REDIRECT), configFileName: 'app-hsmeta.json', clientId: CLIENT_ID, state });
    const back = await consent(sandbox, url);
    const code = back.searchParams.get('code');
    rec.secret(code);
    return code;
  }

  it('an install, a replay, a refresh and the CSV through an async Map store', async () => {
    const store = mapStore();
    const now = { offset: 0 };
    const h = await createHook({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      stateKey: KEY,
      appConfigFile: configPath,
      apiBase: sandbox.origin,
      store,
      log: rec.log,
      now: () => Date.now() / 1000 + now.offset,
      env: {},
    });
    const state = await h.issueState();
    const code = await codeFor(state);
    const r = rec.add(await h.exchange({ code, state }));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.portal_id, ENTERPRISE);
    const again = rec.add(await h.exchange({ code, state }));
    assert.deepEqual(again, r);
    const replayed = rec.add(await h.exchange({ code: await codeFor(state), state }));
    assert.equal(replayed.body.code, 'hook.state_replayed');
    // The replay and the replayed state only append their attempt: nothing to finish.
    assert.deepEqual(store.calls, ['beginExchange', 'finishExchange', 'beginExchange', 'beginExchange']);
    const held = await store.getInstall(ENTERPRISE);
    rec.secret(held.accessToken, held.refreshToken);
    now.offset = 1500;
    const fresh = await h.getAccessToken(ENTERPRISE);
    assert.notEqual(fresh, held.accessToken);
    rec.secret(fresh, (await store.getInstall(ENTERPRISE)).refreshToken);
    const csv = rec.add(await h.attemptsCsv());
    assert.match(csv, /,installed,installed,50001,granted 5 scopes\r\n/);
    assert.match(csv, /,replayed,hook\.code_replayed,50001,first outcome: installed\r\n/);
    assert.match(csv, /,failed,hook\.state_replayed,,/);
    assert.deepEqual((await h.listInstalls()).map((i) => Object.keys(i)), [['portal_id', 'user_id', 'hub_domain', 'scopes', 'expires_at', 'updated_at']]);
    await h.close();
  });

  it('exchange(), issueState(), getAccessToken(), handler from process.env: a wrong setting rejects (and is not cached), then they work', async () => {
    const saved = { ...process.env };
    const stderr = process.stderr.write;
    const errors = [];
    process.stderr.write = (chunk, ...rest) => (errors.push(String(chunk)), true);
    try {
      for (const k of Object.keys(process.env)) if (k.startsWith('HSINSTALL_')) delete process.env[k];
      await assert.rejects(hook.issueState(), (e) => e instanceof HookConfigError && e.setting === 'HSINSTALL_CLIENT_ID');
      Object.assign(process.env, {
        HSINSTALL_CLIENT_ID: CLIENT_ID,
        HSINSTALL_CLIENT_SECRET: CLIENT_SECRET,
        HSINSTALL_STATE_KEY: KEY.toString('hex'),
        HSINSTALL_APP_CONFIG: configPath,
        HSINSTALL_API_BASE: sandbox.origin,
        HSINSTALL_STORE: `sqlite:///${join(dir, 'env.db')}`,
        HSINSTALL_TOKEN_KEY: TOKEN_KEY,
      });
      const state = await hook.issueState();
      const code = await codeFor(state);
      const r = rec.add(await hook.exchange({ code, state, redirect_uri: REDIRECT }));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.match(await hook.getAccessToken(ENTERPRISE), /^sbx-at-/);
      assert.match(await hook.attemptsCsv(), /installed,installed,50001/);
      const cb = rec.add(await hook.callback('?error=access_denied&state=x'));
      assert.equal(cb.body.code, 'callback.access_denied');
    } finally {
      process.stderr.write = stderr;
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
    // The default hook logs JSON lines to stderr: scanned too.
    for (const line of errors.join('').split('\n').filter(Boolean)) rec.log(line);
  });

  it('hook/serve.js runs the hook on its own: the listening line, the endpoints under --prefix, status 2 naming a bad setting', async () => {
    const serve = new URL('../../wasm/hook/serve.js', import.meta.url).pathname;
    const bad = spawnSync(process.execPath, [serve, '--port', '0'], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^hsinstall hook: HSINSTALL_CLIENT_ID: is not set/);
    const env = {
      PATH: process.env.PATH,
      HSINSTALL_CLIENT_ID: CLIENT_ID,
      HSINSTALL_CLIENT_SECRET: CLIENT_SECRET,
      HSINSTALL_STATE_KEY: KEY.toString('hex'),
      HSINSTALL_APP_CONFIG: configPath,
      HSINSTALL_API_BASE: sandbox.origin,
      HSINSTALL_STORE: `sqlite:///${join(dir, 'serve.db')}`,
      HSINSTALL_TOKEN_KEY: TOKEN_KEY,
    };
    const child = spawn(process.execPath, [serve, '--port', '0', '--prefix', '/hook'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr = [];
    child.stderr.on('data', (c) => stderr.push(String(c)));
    try {
      const line = await new Promise((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
      const url = /^hsinstall hook listening on (http:\/\/127\.0\.0\.1:\d+\/hook)$/.exec(line)[1];
      const state = (await (await fetch(`${url}/state`, { method: 'POST' })).json()).state;
      const code = await codeFor(state);
      const r = await fetch(`${url}/exchange`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, state, redirect_uri: REDIRECT }) });
      assert.equal(r.status, 200);
      rec.add(await r.text());
      assert.equal((await fetch(url.replace('/hook', '/other'))).status, 404);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    }
    for (const l of stderr.join('').split('\n').filter(Boolean)) rec.log(l);
  });

  it('no secret, token or code in any log line or answer', () => {
    assert.ok(rec.scan() >= 5);
  });
});

describe('hsinstall/hook: store URLs in messages, and token comparison', () => {
  it('safeUrl hides a password in the user-info part and in the query, and leaves the rest', async () => {
    const { safeUrl } = await import('../../wasm/hook/errors.js');
    assert.equal(safeUrl('postgresql://app:s3cret@db:5432/hs'), 'postgresql://app:***@db:5432/hs');
    assert.equal(safeUrl('postgresql://app:p/w@db/hs'), 'postgresql://app:***@db/hs');
    assert.equal(safeUrl('postgresql://app:a@b@db/hs?sslmode=require'), 'postgresql://app:***@db/hs?sslmode=require');
    assert.equal(safeUrl('postgresql://app@/hs?host=/run/postgresql&password=s3cret'), 'postgresql://app@/hs?host=/run/postgresql&password=***');
    assert.equal(safeUrl('postgresql://app@/hs?sslpassword=x&host=/run'), 'postgresql://app@/hs?sslpassword=***&host=/run');
    assert.equal(safeUrl('postgresql://postgres@/hsinstall?host=/tmp/x'), 'postgresql://postgres@/hsinstall?host=/tmp/x');
    assert.equal(safeUrl('sqlite:////var/lib/hs.db'), 'sqlite:////var/lib/hs.db');
  });
  it('sameText compares whole texts', async () => {
    const { sameText } = await import('../../wasm/hook/seal.js');
    assert.equal(sameText('rt-1', 'rt-1'), true);
    assert.equal(sameText('rt-1', 'rt-2'), false);
    assert.equal(sameText('rt-1', 'rt-10'), false);
    assert.equal(sameText('', ''), true);
  });
});
