// The Node stores' migrations and commands (docs/hook.md, "Schema and migrations", "Tokens
// at rest", "Commands"): several processes opening one fresh database at once apply each
// migration once (SQLite and PostgreSQL); a store migrated by a newer hsinstall and a key
// ring lacking a row's key are refused at start, naming the setting; hsinstall-hook
// rotate-key and migrate-store as subprocesses (SQLite -> PostgreSQL; a rerun copies
// nothing twice; the newer install wins).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Database from '../../wasm/node_modules/better-sqlite3/lib/index.js';
import { sqliteStore, pgStore, openStoreUrl, parseKeyRing, keyId, createHook, HookConfigError } from '../../wasm/hook/index.js';
import { freshDatabase, sql } from './hook-pg-helpers.mjs';

const CLI = new URL('../../wasm/hook/cli.js', import.meta.url).pathname;
const SERVE = new URL('../../wasm/hook/serve.js', import.meta.url).pathname;
const OPENER = new URL('../../wasm/hook/commands.js', import.meta.url).href;
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const [ID_A, ID_B] = [keyId(Buffer.from(A, 'hex')), keyId(Buffer.from(B, 'hex'))];

/** Runs a command; resolves to {status, stdout, stderr}. */
function run(cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.once('error', reject);
    child.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
}
const cli = (args, env) => run(process.execPath, [CLI, ...args], env);

const install = (portalId, updatedAt, tag = '') => ({
  portalId,
  userId: 7,
  hubDomain: `p${portalId}.hubspot.com`,
  scopes: ['oauth', 'crm.objects.contacts.read'],
  accessToken: `at-${portalId}${tag}`,
  refreshToken: `rt-${portalId}${tag}`,
  expiresAt: updatedAt + 1800,
  updatedAt,
});
const attempt = (at, reason, portalId = null, detail = '') => ({ at, outcome: reason === 'installed' ? 'installed' : 'failed', reason, portalId, detail });

/** N processes open the store at `url` at the same instant; each prints the schema version it sees. */
async function openAtOnce(url, n) {
  const at = Date.now() + 700;
  const script = `
    const { openStoreUrl } = await import(${JSON.stringify(OPENER)});
    const { parseKeyRing } = await import(${JSON.stringify(new URL('../../wasm/hook/seal.js', import.meta.url).href)});
    while (Date.now() < ${at}) {}
    const s = await openStoreUrl(${JSON.stringify(url)}, parseKeyRing(${JSON.stringify(A)}));
    await s.close();
    console.log('opened');`;
  const runs = await Promise.all(Array.from({ length: n }, () => run(process.execPath, ['--input-type=module', '-e', script])));
  for (const r of runs) assert.deepEqual([r.status, r.stdout.trim()], [0, 'opened'], r.stderr);
}

describe('migrations', () => {
  let dir;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'hsinstall-migrate-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('SQLite: four processes opening one fresh file at once apply each migration once', async () => {
    const path = join(dir, 'race.db');
    await openAtOnce(`sqlite:///${path}`, 4);
    const db = new Database(path);
    assert.deepEqual(db.prepare('SELECT version, name FROM hsinstall_migrations ORDER BY version').all(), [
      { version: 1, name: 'tables' },
      { version: 2, name: 'token_key_id' },
      { version: 3, name: 'attempts_append_only' },
    ]);
    db.close();
  });

  it('PostgreSQL: four processes opening one fresh database at once apply each migration once', async () => {
    const pgdb = await freshDatabase();
    try {
      await openAtOnce(pgdb.url, 4);
      assert.deepEqual((await sql(pgdb.url, 'SELECT version, name FROM hsinstall_migrations ORDER BY version')).rows, [
        { version: 1, name: 'tables' },
        { version: 2, name: 'token_key_id' },
        { version: 3, name: 'attempts_append_only' },
      ]);
    } finally {
      await pgdb.drop();
    }
  });

  it('a store migrated by a newer hsinstall is refused at start (both dialects)', async () => {
    const path = join(dir, 'newer.db');
    (await sqliteStore(path, { keys: A })).close();
    const db = new Database(path);
    db.prepare("INSERT INTO hsinstall_migrations VALUES (99, 'future', 0)").run();
    db.close();
    const newer = (e) => e instanceof HookConfigError && e.setting === 'HSINSTALL_STORE' && /migrated by a newer hsinstall \(schema version 99; this one knows up to 3\)/.test(e.message);
    await assert.rejects(sqliteStore(path, { keys: A }), newer);
    const pgdb = await freshDatabase();
    try {
      await (await pgStore(pgdb.url, { keys: A })).close();
      await sql(pgdb.url, "INSERT INTO hsinstall_migrations VALUES (99, 'future', 0)");
      await assert.rejects(pgStore(pgdb.url, { keys: A }), newer);
    } finally {
      await pgdb.drop();
    }
  });

  it('a key ring lacking a row\'s key id stops the hook at start: the message names HSINSTALL_TOKEN_KEY, the key id and rotate-key', async () => {
    const path = join(dir, 'keys.db');
    const s = await sqliteStore(path, { keys: A });
    s.finishExchange(null, '', attempt(1, 'installed', 11), install(11, 1000));
    s.close();
    const env = { HSINSTALL_STORE: `sqlite:///${path}`, HSINSTALL_TOKEN_KEY: B };
    const r = await run(process.execPath, [SERVE, '--port', '0'], {
      ...env,
      HSINSTALL_CLIENT_ID: 'id',
      HSINSTALL_CLIENT_SECRET: 'secret-for-the-test',
      HSINSTALL_STATE_KEY: B,
      HSINSTALL_APP_CONFIG: writeConfig(dir),
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^hsinstall hook: HSINSTALL_TOKEN_KEY: install rows are sealed with key id ${ID_A}, which HSINSTALL_TOKEN_KEY does not hold .*put that key after the current one, then run rotate-key`));
    assert.ok(!r.stderr.includes(B) && !r.stderr.includes(A));
    const rot = await cli(['rotate-key'], env);
    assert.equal(rot.status, 2);
    assert.match(rot.stderr, /HSINSTALL_TOKEN_KEY: install rows are sealed with key id/);
    // A missing key: named, with how to make one; never a plaintext fallback.
    const none = await cli(['rotate-key'], { HSINSTALL_STORE: `sqlite:///${path}` });
    assert.equal(none.status, 2);
    assert.match(none.stderr, /^hsinstall-hook: HSINSTALL_TOKEN_KEY: is not set.*openssl rand -hex 32/);
  });
});

function writeConfig(dir) {
  const path = join(dir, 'app-hsmeta.json');
  writeFileSync(
    path,
    JSON.stringify({
      uid: 'acme',
      type: 'app',
      config: { name: 'Acme', description: 'x', distribution: 'private', auth: { type: 'oauth', redirectUrls: ['http://localhost:8930/cb'], requiredScopes: ['oauth'] }, support: { supportEmail: 'a@acme.example' } },
    }),
  );
  return path;
}

describe('hsinstall-hook rotate-key and migrate-store (subprocesses)', () => {
  let dir, source, target, pgdb;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hsinstall-cli-'));
    pgdb = await freshDatabase();
    source = `sqlite:///${join(dir, 'source.db')}`;
    target = pgdb.url;
  });
  after(async () => {
    await pgdb?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('migrate-store copies installs still sealed, unexpired states, codes and attempts; a rerun copies nothing', async () => {
    const now = Math.floor(Date.now() / 1000);
    const s = await sqliteStore(join(dir, 'source.db'), { keys: A });
    s.finishExchange(null, '', attempt(now - 50, 'installed', 11, 'granted 2 scopes'), install(11, now - 50));
    s.finishExchange(null, '', attempt(now - 40, 'installed', 9007199254740991), install(9007199254740991, now - 40));
    s.saveState('live', now + 600);
    s.saveState('used', now + 600);
    s.saveState('gone', now - 10);
    s.beginExchange('used', 'code-done', now - 30);
    s.finishExchange('code-done', '{"status":200,"body":{"ok":true}}', attempt(now - 30, 'installed', null), null);
    s.beginExchange(null, 'code-pending', now - 20);
    // Two attempts alike in every field: both are copied, once.
    s.appendAttempt(attempt(now - 10, 'state.expired', null, 'x'));
    s.appendAttempt(attempt(now - 10, 'state.expired', null, 'x'));
    const rawSource = s.db.prepare('SELECT portal_id, access_token, refresh_token, key_id FROM hsinstall_installs ORDER BY portal_id').all();
    const attemptsSource = s.listAttempts(0);
    s.close();

    const first = await cli(['migrate-store', '--from', source, '--to', target], { HSINSTALL_TOKEN_KEY: A });
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /: 2 installs \(0 kept as they were.*\), 2 states, 2 codes, 5 attempts\n$/);
    const again = await cli(['migrate-store', '--from', source, '--to', target], { HSINSTALL_TOKEN_KEY: A });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /: 0 installs \(2 kept as they were.*\), 0 states, 0 codes, 0 attempts\n$/);

    // Still sealed, byte for byte; they open in the target with the same key.
    assert.deepEqual((await sql(target, 'SELECT portal_id, access_token, refresh_token, key_id FROM hsinstall_installs ORDER BY portal_id')).rows.map((r) => ({ ...r, portal_id: Number(r.portal_id) })), rawSource);
    const t = await pgStore(target, { keys: A });
    try {
      assert.deepEqual(await t.getInstall(9007199254740991), install(9007199254740991, now - 40));
      assert.deepEqual(await t.listAttempts(0), attemptsSource);
      assert.deepEqual((await sql(target, 'SELECT nonce, used_at IS NOT NULL AS used FROM hsinstall_states ORDER BY nonce')).rows, [
        { nonce: 'live', used: false },
        { nonce: 'used', used: true },
      ]);
      assert.equal(await t.getCodeOutcome('code-done'), '{"status":200,"body":{"ok":true}}');
      assert.deepEqual(await t.beginExchange(null, 'code-pending', now), { verdict: 'replayed', outcome: null });
      assert.deepEqual(await t.beginExchange('used', 'another', now), { verdict: 'state_replayed', outcome: null });
      // The newer row wins either way: a newer target row stays, a newer source row is copied.
      await t.finishExchange(null, '', attempt(now, 'installed', 11), install(11, now, '-target'));
    } finally {
      await t.close();
    }
    const s2 = await sqliteStore(join(dir, 'source.db'), { keys: A });
    s2.finishExchange(null, '', attempt(now + 1, 'installed', 9007199254740991), install(9007199254740991, now + 1, '-source'));
    s2.close();
    const third = await cli(['migrate-store', '--from', source, '--to', target], { HSINSTALL_TOKEN_KEY: A });
    assert.equal(third.status, 0, third.stderr);
    assert.match(third.stdout, /: 1 installs \(1 kept as they were.*\), 0 states, 0 codes, 1 attempts\n$/);
    const t2 = await pgStore(target, { keys: A });
    try {
      assert.equal((await t2.getInstall(11)).accessToken, 'at-11-target');
      assert.equal((await t2.getInstall(9007199254740991)).accessToken, 'at-9007199254740991-source');
    } finally {
      await t2.close();
    }
  });

  it('rotate-key re-seals every row with the first key, prints the count, then nothing is left to move', async () => {
    const env = { HSINSTALL_STORE: target, HSINSTALL_TOKEN_KEY: `${B} ${A}` };
    const r = await cli(['rotate-key'], env);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^re-sealed 2 install rows with key id ${ID_B} in postgresql://`));
    assert.deepEqual((await sql(target, 'SELECT DISTINCT key_id FROM hsinstall_installs')).rows, [{ key_id: ID_B }]);
    assert.match((await cli(['rotate-key'], env)).stdout, /^re-sealed 0 install rows/);
    // The old key can go now; the tokens open with the new one alone.
    const t = await openStoreUrl(target, parseKeyRing(B));
    try {
      assert.equal((await t.getInstall(11)).refreshToken, 'rt-11-target');
    } finally {
      await t.close();
    }
    assert.equal((await cli(['rotate-key'], { ...env, HSINSTALL_TOKEN_KEY: A })).status, 2);
  });

  it('serve runs the hook as hook/serve.js does (the listening line, POST /state)', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--prefix', '/h'], {
      env: { PATH: process.env.PATH, HSINSTALL_CLIENT_ID: 'id', HSINSTALL_CLIENT_SECRET: 'secret-for-the-test', HSINSTALL_STATE_KEY: B, HSINSTALL_APP_CONFIG: writeConfig(dir), HSINSTALL_STORE: target, HSINSTALL_TOKEN_KEY: B },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const line = await new Promise((resolve, reject) => {
        child.stdout.once('data', (c) => resolve(String(c).trim()));
        child.once('exit', (c) => reject(new Error(`serve exited (${c})`)));
      });
      const base = /^hsinstall hook listening on (http:\/\/127\.0\.0\.1:\d+\/h)$/.exec(line)[1];
      const r = await fetch(`${base}/state`, { method: 'POST' });
      assert.equal(r.status, 200);
      assert.match((await r.json()).state, /^[A-Za-z0-9_-]+\.\d+\.[A-Za-z0-9_-]+$/);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    }
  });

  it('usage errors exit 2 naming what is wrong', async () => {
    const r = await cli(['migrate-store', '--from', source], { HSINSTALL_TOKEN_KEY: A });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /migrate-store needs --from URL and --to URL/);
    assert.equal((await cli(['frobnicate'], {})).status, 2);
    const same = await cli(['migrate-store', '--from', source, '--to', source], { HSINSTALL_TOKEN_KEY: A });
    assert.equal(same.status, 2);
    assert.match(same.stderr, /--to: is the same store as --from/);
  });
});

// The hook itself on PostgreSQL: the same store as above through HSINSTALL_STORE.
describe('createHook on postgresql://', () => {
  it('opens the PostgreSQL store the setting names (the Unix-socket URL form)', async () => {
    const pgdb = await freshDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'hsinstall-pghook-'));
    try {
      assert.match(pgdb.url, /^postgresql:\/\/[^@/]+@\/hst_[0-9a-f]+\?host=\//);
      const h = await createHook({
        env: { HSINSTALL_CLIENT_ID: 'id', HSINSTALL_CLIENT_SECRET: 'secret-for-the-test', HSINSTALL_STATE_KEY: B, HSINSTALL_APP_CONFIG: writeConfig(dir), HSINSTALL_STORE: pgdb.url, HSINSTALL_TOKEN_KEY: A },
        log: false,
      });
      try {
        assert.equal(typeof h.store.pool, 'object');
        await h.issueState();
        assert.equal(Number((await sql(pgdb.url, 'SELECT count(*) AS n FROM hsinstall_states')).rows[0].n), 1);
      } finally {
        await h.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await pgdb.drop();
    }
  });
});
