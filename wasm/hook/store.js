// The Node hook's storage (docs/hook.md, "Store"), the same tables and the same
// transactions as the Python hook's stores, so both may share one database: SQLite here
// (better-sqlite3), PostgreSQL in pg-store.js (pg). Both migrate the database at open
// (migrate.js, schema/<dialect>/*.sql) and seal tokens at rest (seal.js): a store opens
// with a key ring, refuses one lacking a row's key id, and fails a row whose seal does not
// open with hook.store_corrupt; the PostgreSQL store fails with hook.store_unavailable
// (retryable, nothing done) while the database cannot be reached.
//
// A store is a plain object; every method may return a value or a promise of one. The
// database, not process memory, enforces what must hold across processes: single-use
// state and one exchange per code (beginExchange, one transaction), an install written
// whole with its code's outcome and its attempt (finishExchange, one transaction), one
// refresh per portal at a time (a lease), and no lost refresh token (updateTokens is a
// compare-and-swap on the refresh token it replaces).
//
//   saveState(nonce, expiresAt)                         a state was issued
//   beginExchange(nonce, codeHash, now)                 in one transaction: the code known -> {verdict: 'replayed',
//                                                       outcome} (outcome null while its exchange runs); else the
//                                                       state's nonce consumed (UPDATE ... WHERE used_at IS NULL; null
//                                                       for a marketplace finalize, which has no state), or
//                                                       {verdict: 'state_replayed'}; then the code recorded as
//                                                       pending: {verdict: 'new'}
//   getCodeOutcome(codeHash) -> string|null             null while pending or unknown
//   finishExchange(codeHash, outcome, attempt, install) in one transaction: the code's outcome (codeHash may be null),
//                                                       the install (upserted by portal; may be null), the attempt
//   appendAttempt(attempt)
//   getInstall(portalId) -> install|null
//   listInstalls() -> installs, newest first
//   listAttempts(since) -> attempts, oldest first
//   acquireRefresh(portalId, holder, until, now) -> boolean   the portal's refresh lease (free, or expired)
//   releaseRefresh(portalId, holder)
//   updateTokens(portalId, oldRefreshToken, tokens) -> boolean   false: the row no longer holds oldRefreshToken
//   purge(now)                                          optional: states and finished codes a day past their time
//   close()                                             optional
// and, on the stores made here (not needed of a store passed in):
//   rotateKey({batch}) -> number                        re-seals every install row not sealed by the ring's first key
//   raw                                                 {dialect, all(sql, params), batch([[sql, params], ...]) -> changes[]}:
//                                                       rows as stored (sealed), for migrate-store; `?` placeholders
//
// install: {portalId, userId, hubDomain, scopes: string[], accessToken, refreshToken, expiresAt, updatedAt}
// tokens:  {accessToken, refreshToken, expiresAt, updatedAt}
// attempt: {at, outcome, reason, portalId, detail}
// outcome: the answer as JSON text, {"status": <http status>, "body": {...}}
// Times are Unix seconds.

import { checkKeyIds, migrateSqlite } from './migrate.js';
import { parseKeyRing, sameText } from './seal.js';

/** The outcome a code has while its first exchange runs. */
export const PENDING = 'pending';

/**
 * The path in a `sqlite:` store URL (SQLAlchemy's convention, as the Python hook reads it):
 * `sqlite:///hsinstall.db` and `sqlite:///./x.db` are relative to the working directory,
 * `sqlite:////var/lib/x.db` is absolute, `sqlite:///:memory:` is a private in-memory
 * database. Null when `url` is not a sqlite URL.
 */
export function sqlitePath(url) {
  const u = String(url);
  if (u === 'sqlite://:memory:' || u === 'sqlite:///:memory:') return ':memory:';
  const m = /^sqlite:\/\/\/(.+)$/.exec(u);
  return m ? m[1] : null;
}


const SEALED = ['access_token', 'refresh_token'];
const ROTATE_BATCH = 500;

/** The install row's values, tokens sealed with the ring's first key. */
export function sealInstall(ring, i) {
  return {
    portalId: i.portalId,
    userId: i.userId ?? null,
    hubDomain: i.hubDomain ?? null,
    scopes: i.scopes.join(' '),
    access: ring.seal('access_token', i.portalId, i.accessToken),
    refresh: ring.seal('refresh_token', i.portalId, i.refreshToken),
    expiresAt: i.expiresAt,
    updatedAt: i.updatedAt,
    keyId: ring.sealId,
  };
}

/** An install from its stored row (snake_case columns), tokens opened. */
export function openInstall(ring, r) {
  const portalId = Number(r.portal_id);
  return {
    portalId,
    userId: r.user_id === null ? null : Number(r.user_id),
    hubDomain: r.hub_domain,
    scopes: r.scopes ? r.scopes.split(' ') : [],
    accessToken: ring.open('access_token', portalId, r.access_token),
    refreshToken: ring.open('refresh_token', portalId, r.refresh_token),
    expiresAt: Number(r.expires_at),
    updatedAt: Number(r.updated_at),
  };
}

/** A row re-sealed with the ring's first key: [access, refresh]. */
export const reseal = (ring, r) => SEALED.map((c) => ring.seal(c, Number(r.portal_id), ring.open(c, Number(r.portal_id), r[c])));

/**
 * The default store: SQLite through better-sqlite3 (an optional peer dependency:
 * `npm install better-sqlite3@12`). `path` is a file path or ':memory:'. Options: `keys`,
 * the key ring (a KeyRing, or HSINSTALL_TOKEN_KEY's text; required); `Database`, the
 * better-sqlite3 constructor; `timeoutMs` (busy timeout, 30000); `synchronous` ('FULL').
 * Migrates the file at open and refuses a ring lacking a row's key id (HookConfigError).
 */
export async function sqliteStore(path, options = {}) {
  const ring = parseKeyRing(options.keys, options.keySetting);
  let Database = options.Database;
  if (!Database) {
    try {
      Database = (await import('better-sqlite3')).default;
    } catch (e) {
      throw Object.assign(
        new Error('the SQLite store needs the better-sqlite3 package (npm install better-sqlite3@12), or pass a store of your own'),
        { cause: e },
      );
    }
  }
  const timeoutMs = options.timeoutMs ?? 30000;
  const db = new Database(path, { timeout: timeoutMs });
  try {
    // Switching a fresh file to WAL takes an exclusive lock and may answer SQLITE_BUSY at once
    // (without the busy handler) while another process does the same: try again, as the Python store does.
    for (const deadline = Date.now() + timeoutMs; ; ) {
      try {
        db.pragma('journal_mode = WAL');
        break;
      } catch (e) {
        if (!/^SQLITE_(BUSY|LOCKED)/.test(String(e.code)) || Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 5 + 20 * Math.random()));
      }
    }
    db.pragma(`synchronous = ${options.synchronous || 'FULL'}`);
    migrateSqlite(db, ring, { url: options.url || `sqlite:///${path}` });
    checkKeyIds(db.prepare('SELECT DISTINCT key_id FROM hsinstall_installs WHERE key_id IS NOT NULL').pluck().all(), ring);
  } catch (e) {
    db.close();
    throw e;
  }

  const q = (sql) => db.prepare(sql);
  const s = {
    saveState: q('INSERT INTO hsinstall_states (nonce, expires_at, used_at) VALUES (?, ?, NULL)'),
    codeOutcome: q('SELECT outcome FROM hsinstall_codes WHERE code_hash = ?').pluck(),
    consume: q('UPDATE hsinstall_states SET used_at = ? WHERE nonce = ? AND used_at IS NULL AND expires_at > ?'),
    claim: q('INSERT INTO hsinstall_codes (code_hash, outcome, at) VALUES (?, ?, ?)'),
    upsert: q(`INSERT INTO hsinstall_installs (portal_id, user_id, hub_domain, scopes, access_token, refresh_token, expires_at, updated_at, key_id)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (portal_id) DO UPDATE SET user_id = excluded.user_id,
      hub_domain = excluded.hub_domain, scopes = excluded.scopes, access_token = excluded.access_token,
      refresh_token = excluded.refresh_token, expires_at = excluded.expires_at, updated_at = excluded.updated_at, key_id = excluded.key_id`),
    setOutcome: q('UPDATE hsinstall_codes SET outcome = ? WHERE code_hash = ?'),
    attempt: q('INSERT INTO hsinstall_attempts (at, outcome, reason, portal_id, detail) VALUES (?, ?, ?, ?, ?)'),
    install: q('SELECT * FROM hsinstall_installs WHERE portal_id = ?'),
    installs: q('SELECT * FROM hsinstall_installs ORDER BY updated_at DESC, portal_id'),
    attempts: q('SELECT at, outcome, reason, portal_id, detail FROM hsinstall_attempts WHERE at >= ? ORDER BY at, id'),
    dropLease: q('DELETE FROM hsinstall_refresh_locks WHERE portal_id = ? AND until < ?'),
    takeLease: q('INSERT OR IGNORE INTO hsinstall_refresh_locks (portal_id, holder, until) VALUES (?, ?, ?)'),
    releaseLease: q('DELETE FROM hsinstall_refresh_locks WHERE portal_id = ? AND holder = ?'),
    refreshOf: q('SELECT portal_id, refresh_token FROM hsinstall_installs WHERE portal_id = ?'),
    tokens: q('UPDATE hsinstall_installs SET access_token = ?, refresh_token = ?, expires_at = ?, updated_at = ?, key_id = ? WHERE portal_id = ?'),
    purgeStates: q('DELETE FROM hsinstall_states WHERE expires_at < ?'),
    purgeCodes: q('DELETE FROM hsinstall_codes WHERE at < ? AND outcome != ?'),
    stale: q('SELECT portal_id, access_token, refresh_token, key_id FROM hsinstall_installs WHERE key_id IS NOT ? ORDER BY portal_id LIMIT ?'),
    resealed: q('UPDATE hsinstall_installs SET access_token = ?, refresh_token = ?, key_id = ? WHERE portal_id = ? AND key_id IS ?'),
  };
  // Writes take the database's write lock at once (BEGIN IMMEDIATE), so the checks inside
  // hold across processes, as the Python hook's do.
  const tx = (work) => {
    const t = db.transaction(work);
    return (...args) => t.immediate(...args);
  };
  const addAttempt = (a) => s.attempt.run(a.at, a.outcome, a.reason, a.portalId ?? null, a.detail ?? '');

  const begin = tx((nonce, codeHash, now) => {
    const known = s.codeOutcome.get(codeHash);
    if (known !== undefined) return { verdict: 'replayed', outcome: known === PENDING ? null : known };
    if (nonce !== null && nonce !== undefined && s.consume.run(now, nonce, now).changes !== 1) return { verdict: 'state_replayed', outcome: null };
    s.claim.run(codeHash, PENDING, now);
    return { verdict: 'new', outcome: null };
  });
  const finish = tx((codeHash, outcome, attempt, r) => {
    if (r) s.upsert.run(r.portalId, r.userId, r.hubDomain, r.scopes, r.access, r.refresh, r.expiresAt, r.updatedAt, r.keyId);
    if (codeHash !== null && codeHash !== undefined) s.setOutcome.run(outcome, codeHash);
    addAttempt(attempt);
  });
  const acquire = tx((portalId, holder, until, now) => {
    s.dropLease.run(portalId, now);
    return s.takeLease.run(portalId, holder, until).changes === 1;
  });
  // The newest refresh token wins: compared after opening, inside the transaction.
  const update = tx((portalId, old, t, access, refresh) => {
    const r = s.refreshOf.get(portalId);
    if (!r || !sameText(ring.open('refresh_token', portalId, r.refresh_token), old)) return false;
    return s.tokens.run(access, refresh, t.expiresAt, t.updatedAt, ring.sealId, portalId).changes === 1;
  });
  const purge = tx((now) => {
    s.purgeStates.run(now - 86400);
    s.purgeCodes.run(now - 86400, PENDING);
  });
  const rotateBatch = tx((n) => {
    let moved = 0;
    for (const r of s.stale.all(ring.sealId, n)) {
      const [access, refresh] = reseal(ring, r);
      moved += s.resealed.run(access, refresh, ring.sealId, r.portal_id, r.key_id).changes;
    }
    return moved;
  });
  const raw = {
    dialect: 'sqlite',
    all: (sql, params = []) => db.prepare(sql).all(...params),
    batch: (list) => db.transaction(() => list.map(([sql, params = []]) => db.prepare(sql).run(...params).changes)).immediate(),
  };

  return {
    db,
    keys: ring,
    raw,
    saveState: (nonce, expiresAt) => void s.saveState.run(nonce, expiresAt),
    beginExchange: (nonce, codeHash, now) => begin(nonce ?? null, codeHash, now),
    getCodeOutcome(codeHash) {
      const o = s.codeOutcome.get(codeHash);
      return o === undefined || o === PENDING ? null : o;
    },
    finishExchange: (codeHash, outcome, attempt, install) => void finish(codeHash ?? null, outcome, attempt, install ? sealInstall(ring, install) : null),
    appendAttempt: (a) => void addAttempt(a),
    getInstall(portalId) {
      const r = s.install.get(portalId);
      return r ? openInstall(ring, r) : null;
    },
    listInstalls: () => s.installs.all().map((r) => openInstall(ring, r)),
    listAttempts: (since) => s.attempts.all(since).map((r) => ({ at: r.at, outcome: r.outcome, reason: r.reason, portalId: r.portal_id, detail: r.detail })),
    acquireRefresh: (portalId, holder, until, now) => acquire(portalId, holder, until, now),
    releaseRefresh: (portalId, holder) => void s.releaseLease.run(portalId, holder),
    updateTokens: (portalId, old, t) =>
      update(portalId, old, t, ring.seal('access_token', portalId, t.accessToken), ring.seal('refresh_token', portalId, t.refreshToken)),
    purge: (now) => void purge(now),
    rotateKey({ batch = ROTATE_BATCH } = {}) {
      let total = 0;
      for (let n; (n = rotateBatch(batch)) > 0; ) total += n;
      return total;
    },
    close() {
      if (db.open) db.close();
    },
  };
}
