// The migration runner (docs/hook.md, "Schema and migrations"): applies
// schema/<dialect>/NNN_name.sql in order under the migration lock, records each version in
// hsinstall_migrations, seals the clear-text tokens of version-1 rows right after 002 in
// the same transaction, and refuses a store migrated by a newer hsinstall. Then, at start,
// refuses a key ring that lacks the key id of any install row.
//
// The SQL files are never inlined here: in a checkout they are read from the repository's
// schema/ folder (the one truth); in the npm package from the copy scripts/test-wasm puts in
// dist/schema/ (the same files).
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { HookConfigError } from './errors.js';

/** The advisory lock PostgreSQL migrations run under (docs/hook.md). */
export const PG_MIGRATION_LOCK = '7526405646053163008';
const MIGRATIONS_TABLE = 'CREATE TABLE IF NOT EXISTS hsinstall_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)';
const SEALED_AT = 2; // the version after which tokens are sealed

/** The folder holding sqlite/ and postgresql/: the checkout's schema/, else the package's dist/schema/. */
export function schemaDir() {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const repo = fileURLToPath(new URL('../../schema/', import.meta.url));
  // In a checkout (wasm/hook/ next to the repository's schema/), the repository's folder.
  try {
    if (existsSync(`${repo}sqlite`) && realpathSync(fileURLToPath(new URL('../../wasm/hook/', import.meta.url))) === realpathSync(here)) return repo;
  } catch {}
  const shipped = fileURLToPath(new URL('../dist/schema/', import.meta.url));
  if (existsSync(`${shipped}sqlite`)) return shipped;
  throw new Error(`the store's schema files are missing (looked in ${shipped}): reinstall the hsinstall package`);
}

/** [{version, name, sql}] of a dialect, in order. */
export function migrations(dialect, dir = schemaDir()) {
  const folder = `${dir.replace(/\/?$/, '/')}${dialect}/`;
  const out = [];
  for (const f of readdirSync(folder).sort()) {
    const m = /^(\d{3})_([A-Za-z0-9_]+)\.sql$/.exec(f);
    if (!m) continue;
    out.push({ version: Number(m[1]), name: m[2], sql: readFileSync(folder + f, 'utf8') });
  }
  out.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`schema/${dialect}: migration ${m.version} is out of sequence (expected ${i + 1})`);
  });
  return out;
}

const newer = (have, known, url) =>
  new HookConfigError('HSINSTALL_STORE', `the store was migrated by a newer hsinstall (schema version ${have}; this one knows up to ${known}): upgrade hsinstall before using ${url}`);

function sealLegacy(rows, ring) {
  return rows.map((r) => ({
    portalId: r.portal_id,
    access: ring.seal('access_token', r.portal_id, r.access_token),
    refresh: ring.seal('refresh_token', r.portal_id, r.refresh_token),
  }));
}

/**
 * Migrates a better-sqlite3 database to the current schema under BEGIN IMMEDIATE (the
 * busy timeout makes a second process wait its turn). Returns the version.
 */
export function migrateSqlite(db, ring, { url = 'the store', now = () => Math.floor(Date.now() / 1000), dir } = {}) {
  const all = migrations('sqlite', dir);
  const known = all.length;
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(MIGRATIONS_TABLE);
    const have = db.prepare('SELECT coalesce(max(version), 0) FROM hsinstall_migrations').pluck().get();
    if (have > known) throw newer(have, known, url);
    for (const m of all.filter((m) => m.version > have)) {
      db.exec(m.sql);
      db.prepare('INSERT INTO hsinstall_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, now());
      if (m.version === SEALED_AT) {
        const rows = db.prepare('SELECT portal_id, access_token, refresh_token FROM hsinstall_installs WHERE key_id IS NULL').safeIntegers(false).all();
        const put = db.prepare('UPDATE hsinstall_installs SET access_token = ?, refresh_token = ?, key_id = ? WHERE portal_id = ?');
        for (const r of sealLegacy(rows, ring)) put.run(r.access, r.refresh, ring.sealId, r.portalId);
      }
    }
    db.exec('COMMIT');
    return Math.max(have, known);
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw e;
  }
}

/** Migrates a PostgreSQL database through `client` (a pg client) under the advisory lock. Returns the version. */
export async function migratePg(client, ring, { url = 'the store', now = () => Math.floor(Date.now() / 1000), dir } = {}) {
  const all = migrations('postgresql', dir);
  const known = all.length;
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(${PG_MIGRATION_LOCK})`);
    await client.query(MIGRATIONS_TABLE);
    const have = Number((await client.query('SELECT coalesce(max(version), 0) AS v FROM hsinstall_migrations')).rows[0].v);
    if (have > known) throw newer(have, known, url);
    for (const m of all.filter((m) => m.version > have)) {
      await client.query(m.sql);
      await client.query('INSERT INTO hsinstall_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, now()]);
      if (m.version === SEALED_AT) {
        const { rows } = await client.query('SELECT portal_id, access_token, refresh_token FROM hsinstall_installs WHERE key_id IS NULL');
        for (const r of sealLegacy(rows, ring))
          await client.query('UPDATE hsinstall_installs SET access_token = $1, refresh_token = $2, key_id = $3 WHERE portal_id = $4', [r.access, r.refresh, ring.sealId, r.portalId]);
      }
    }
    await client.query('COMMIT');
    return Math.max(have, known);
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}

/** Refuses a key ring that lacks the id of a key some install row was sealed with. */
export function checkKeyIds(ids, ring) {
  const missing = ids.filter((id) => id !== null && id !== undefined && !ring.has(id));
  if (missing.length)
    throw new HookConfigError(
      ring.setting,
      `install rows are sealed with key id ${missing.join(', ')}, which ${ring.setting} does not hold (it holds ${ring.ids.join(', ')}): ` +
        'put that key after the current one, then run rotate-key (npx hsinstall-hook rotate-key)',
    );
}
