// Smoke test of the packed package's hook stores, run by scripts/test-wasm from the empty
// folder where `npm install <tarball>` put it (with pg and better-sqlite3, its optional
// peers, beside it): the schema copy ships in dist/schema/ and equals the repository's
// schema/ (HSINSTALL_REPO), the SQLite and PostgreSQL stores migrate from it, and the
// hsinstall-hook command (the package's bin) copies a store and rotates its key.
// HSINSTALL_TEST_PG names a database whose user may CREATE DATABASE.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { sqliteStore, pgStore, parseKeyRing } from 'hsinstall/hook';

const require = createRequire(import.meta.url);
const repo = process.env.HSINSTALL_REPO;
const base = process.env.HSINSTALL_TEST_PG;
assert.ok(repo && base, 'HSINSTALL_REPO and HSINSTALL_TEST_PG must be set (scripts/test-wasm sets them)');
const pkgDir = dirname(require.resolve('hsinstall/package.json'));
let passed = 0;
const check = async (name, f) => {
  await f();
  passed++;
  console.log(`  ok ${name}`);
};

const A = randomBytes(32).toString('hex');
const B = randomBytes(32).toString('hex');
const dir = mkdtempSync(join(tmpdir(), 'hsinstall-pack-hook-'));
const name = `hst_${randomBytes(6).toString('hex')}`;
const admin = async (text) => {
  const c = new pg.Client({ connectionString: base });
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
};
const target = base.replace(/^(postgres(?:ql)?:\/\/[^/?#]*)(\/[^?#]*)?/, `$1/${name}`);
await admin(`CREATE DATABASE ${name}`);
try {
  await check('the schema ships in dist/schema/, equal to the repository\'s schema/', () => {
    for (const dialect of ['sqlite', 'postgresql']) {
      const files = readdirSync(join(repo, 'schema', dialect)).filter((f) => f.endsWith('.sql'));
      assert.ok(files.length >= 2);
      assert.deepEqual(readdirSync(join(pkgDir, 'dist', 'schema', dialect)).sort(), files.sort());
      for (const f of files) assert.equal(readFileSync(join(pkgDir, 'dist', 'schema', dialect, f), 'utf8'), readFileSync(join(repo, 'schema', dialect, f), 'utf8'), f);
    }
  });
  const install = { portalId: 42, userId: 7, hubDomain: null, scopes: ['oauth'], accessToken: 'at-42', refreshToken: 'rt-42', expiresAt: 5000, updatedAt: 1000 };
  await check('the SQLite store (better-sqlite3 as a peer) migrates from the shipped schema and seals tokens', async () => {
    const s = await sqliteStore(join(dir, 'hook.db'), { keys: A });
    s.finishExchange(null, '', { at: 1, outcome: 'installed', reason: 'installed', portalId: 42, detail: '' }, install);
    assert.deepEqual(s.getInstall(42), install);
    const latest = readdirSync(join(repo, 'schema', 'sqlite')).filter((f) => f.endsWith('.sql')).length; // 001 … NNN, in sequence
    assert.equal(s.db.prepare('SELECT max(version) FROM hsinstall_migrations').pluck().get(), latest);
    assert.match(s.db.prepare('SELECT access_token FROM hsinstall_installs').pluck().get(), /^v1\./);
    s.close();
  });
  const bin = join(process.cwd(), 'node_modules', '.bin', 'hsinstall-hook');
  await check('npx hsinstall-hook migrate-store copies the SQLite store into PostgreSQL', () => {
    const out = execFileSync(bin, ['migrate-store', '--from', `sqlite:///${join(dir, 'hook.db')}`, '--to', target], { env: { ...process.env, HSINSTALL_TOKEN_KEY: A }, encoding: 'utf8' });
    assert.match(out, /: 1 installs .*, 1 attempts\n$/);
  });
  await check('npx hsinstall-hook rotate-key re-seals the PostgreSQL rows with a new key', () => {
    const out = execFileSync(bin, ['rotate-key'], { env: { ...process.env, HSINSTALL_STORE: target, HSINSTALL_TOKEN_KEY: `${B},${A}` }, encoding: 'utf8' });
    assert.match(out, /^re-sealed 1 install row with key id [0-9a-f]{16} /);
  });
  await check('the PostgreSQL store (pg as a peer) opens the copy with the new key alone', async () => {
    const p = await pgStore(target, { keys: parseKeyRing(B) });
    try {
      assert.deepEqual(await p.getInstall(42), install);
    } finally {
      await p.close();
    }
  });
} finally {
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}
console.log(`hsinstall/hook from the packed tarball: ${passed} passed, 0 failed`);
