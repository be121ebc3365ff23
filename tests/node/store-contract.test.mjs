// The store contract (tests/store/contract.json, format in tests/store/README.md): every
// case against the Node hook's SQLite store and its PostgreSQL store, each on a fresh
// store (a new SQLite file; a new PostgreSQL database). The raw operations (reopen,
// rotateKey, schemaVersion, rawInstall, rawContains, rawCopyToken, rawLegacy, rawChangeAttempts) are done
// here with a connection of the runner's own.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Database from '../../wasm/node_modules/better-sqlite3/lib/index.js';
import { sqliteStore, pgStore, parseKeyRing, keyId, rotateKey } from '../../wasm/hook/index.js';
import { freshDatabase, pg, ROOT } from './hook-pg-helpers.mjs';

const contract = JSON.parse(readFileSync(new URL('../store/contract.json', import.meta.url), 'utf8'));
const COLUMNS = new Set(['access_token', 'refresh_token']);
const ringOf = (names) => parseKeyRing(names.map((n) => contract.keys[n]).join(' '));

// ---- the raw database under a store, by dialect ----

const sqliteRaw = (path) => ({
  dialect: 'sqlite',
  url: `sqlite:///${path}`,
  open: (ring) => sqliteStore(path, { keys: ring }),
  async query(text, params = []) {
    const db = new Database(path, { timeout: 10000 });
    try {
      const st = db.prepare(text);
      return st.reader ? st.all(...params) : (st.run(...params), []);
    } finally {
      db.close();
    }
  },
  async exec(text) {
    const db = new Database(path, { timeout: 10000 });
    try {
      db.exec(text);
    } finally {
      db.close();
    }
  },
  async tables() {
    return (await this.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'hsinstall%'")).map((r) => r.name);
  },
  async columns(table) {
    return (await this.query(`PRAGMA table_info(${table})`)).map((r) => r.name);
  },
  contains: (table, column) => `SELECT count(*) AS n FROM ${table} WHERE instr(CAST(${column} AS TEXT), ?) > 0`,
});

const pgRaw = (url) => ({
  dialect: 'postgresql',
  url,
  open: (ring) => pgStore(url, { keys: ring, max: 4 }),
  async query(text, params = []) {
    const c = new pg.Client({ connectionString: url });
    c.on('error', () => {});
    await c.connect();
    try {
      let n = 0;
      return (await c.query(text.replace(/\?/g, () => `$${++n}`), params)).rows;
    } finally {
      await c.end();
    }
  },
  async exec(text) {
    await this.query(text);
  },
  async tables() {
    return (await this.query("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'hsinstall%'")).map((r) => r.name);
  },
  async columns(table) {
    return (await this.query('SELECT column_name AS name FROM information_schema.columns WHERE table_name = ?', [table])).map((r) => r.name);
  },
  contains: (table, column) => `SELECT count(*) AS n FROM ${table} WHERE position(? in CAST(${column} AS TEXT)) > 0`,
});

/** Runs one case on `raw` (a fresh database); the store is opened with the ring ["A"]. */
async function runCase(c, raw) {
  let ring = ringOf(['A']);
  let store = await raw.open(ring);
  const ops = {
    async reopen(names) {
      await store?.close();
      store = null;
      ring = ringOf(names);
      store = await raw.open(ring);
    },
    rotateKey: () => rotateKey(raw.url, ring),
    async schemaVersion() {
      return Number((await raw.query('SELECT max(version) AS v FROM hsinstall_migrations'))[0].v);
    },
    async rawInstall(portalId) {
      const [r] = await raw.query('SELECT access_token, refresh_token, key_id FROM hsinstall_installs WHERE portal_id = ?', [portalId]);
      return r ? { accessToken: r.access_token, refreshToken: r.refresh_token, keyId: r.key_id } : null;
    },
    async rawContains(text) {
      for (const table of await raw.tables())
        for (const column of await raw.columns(table)) if (Number((await raw.query(raw.contains(table, column), [text]))[0].n) > 0) return true;
      return false;
    },
    async rawCopyToken(fromPortal, fromColumn, toPortal, toColumn) {
      assert.ok(COLUMNS.has(fromColumn) && COLUMNS.has(toColumn));
      const [r] = await raw.query(`SELECT ${fromColumn} AS v FROM hsinstall_installs WHERE portal_id = ?`, [fromPortal]);
      await raw.query(`UPDATE hsinstall_installs SET ${toColumn} = ? WHERE portal_id = ?`, [r.v, toPortal]);
    },
    async rawChangeAttempts(kind) {
      await raw.exec({ update: "UPDATE hsinstall_attempts SET detail = 'x'", delete: 'DELETE FROM hsinstall_attempts' }[kind]);
    },
    async rawLegacy(installs) {
      await store?.close();
      store = null;
      for (const t of await raw.tables()) await raw.exec(`DROP TABLE ${t}`);
      await raw.exec(readFileSync(join(ROOT, 'schema', raw.dialect, '001_tables.sql'), 'utf8'));
      for (const i of installs)
        await raw.query(
          'INSERT INTO hsinstall_installs (portal_id, user_id, hub_domain, scopes, access_token, refresh_token, expires_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          [i.portalId, i.userId, i.hubDomain, i.scopes.join(' '), i.accessToken, i.refreshToken, i.expiresAt, i.updatedAt],
        );
    },
  };
  try {
    for (const [n, step] of c.steps.entries()) {
      const where = `${c.name}: step ${n + 1} (${step.op})`;
      let result, error;
      try {
        if (ops[step.op]) result = await ops[step.op](...step.args);
        else {
          assert.equal(typeof store[step.op], 'function', `${where}: the store has no ${step.op}`);
          result = await store[step.op](...step.args);
        }
      } catch (e) {
        error = e;
      }
      if (step.expectError !== undefined) {
        assert.ok(error, `${where}: expected an error, got ${JSON.stringify(result)}`);
        if (typeof step.expectError === 'string')
          assert.ok(String(error.code).includes(step.expectError) || String(error.message).includes(step.expectError), `${where}: ${error.code}: ${error.message}`);
        continue;
      }
      if (error) throw Object.assign(new Error(`${where}: ${error.message}`), { cause: error });
      if (step.expect !== undefined) assert.deepEqual(result ?? null, step.expect, where);
      if (step.expectMatch) for (const [field, re] of Object.entries(step.expectMatch)) assert.match(String(result?.[field]), new RegExp(re), `${where}: ${field}`);
    }
  } finally {
    await store?.close();
  }
}

describe('the store contract (tests/store/contract.json)', () => {
  it('the key ids derived here are the contract\'s', () => {
    for (const [name, hex] of Object.entries(contract.keys)) assert.equal(keyId(Buffer.from(hex, 'hex')), contract.keyIds[name], name);
    assert.deepEqual(ringOf(['B', 'A']).ids, [contract.keyIds.B, contract.keyIds.A]);
  });

  describe('SQLite', () => {
    let dir;
    before(() => (dir = mkdtempSync(join(tmpdir(), 'hsinstall-contract-'))));
    after(() => rmSync(dir, { recursive: true, force: true }));
    contract.cases.forEach((c, i) => it(c.name, () => runCase(c, sqliteRaw(join(dir, `case-${i}.db`)))));
  });

  describe('PostgreSQL', () => {
    contract.cases.forEach((c) =>
      it(c.name, async () => {
        const db = await freshDatabase();
        try {
          await runCase(c, pgRaw(db.url));
        } finally {
          await db.drop();
        }
      }),
    );
  });
});
