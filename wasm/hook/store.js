// The Node hook's storage (docs/hook.md, "Store"), the same tables and the same
// transactions as the Python hook's SQLiteStore, so both may share one database.
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
//
// install: {portalId, userId, hubDomain, scopes: string[], accessToken, refreshToken, expiresAt, updatedAt}
// tokens:  {accessToken, refreshToken, expiresAt, updatedAt}
// attempt: {at, outcome, reason, portalId, detail}
// outcome: the answer as JSON text, {"status": <http status>, "body": {...}}
// Times are Unix seconds.

/** The tables of docs/hook.md (with the Python hook's attempt index and refresh leases). */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS hsinstall_states (nonce TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, used_at INTEGER);
CREATE TABLE IF NOT EXISTS hsinstall_codes (code_hash TEXT PRIMARY KEY, outcome TEXT NOT NULL, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS hsinstall_installs (
  portal_id INTEGER PRIMARY KEY, user_id INTEGER, hub_domain TEXT, scopes TEXT NOT NULL,
  access_token TEXT NOT NULL, refresh_token TEXT NOT NULL, expires_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS hsinstall_attempts (
  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, outcome TEXT NOT NULL, reason TEXT NOT NULL, portal_id INTEGER, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS hsinstall_attempts_at ON hsinstall_attempts (at);
CREATE TABLE IF NOT EXISTS hsinstall_refresh_locks (portal_id INTEGER PRIMARY KEY, holder TEXT NOT NULL, until INTEGER NOT NULL);
`;

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

/**
 * The default store: SQLite through better-sqlite3 (an optional peer dependency:
 * `npm install better-sqlite3@12`). `path` is a file path or ':memory:';
 * `options.Database` replaces the better-sqlite3 constructor.
 */
export async function sqliteStore(path, options = {}) {
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
  const db = new Database(path, { timeout: options.timeoutMs ?? 30000 });
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous || 'FULL'}`);
  db.exec(SCHEMA);

  const q = (sql) => db.prepare(sql);
  const s = {
    saveState: q('INSERT INTO hsinstall_states (nonce, expires_at, used_at) VALUES (?, ?, NULL)'),
    codeOutcome: q('SELECT outcome FROM hsinstall_codes WHERE code_hash = ?').pluck(),
    consume: q('UPDATE hsinstall_states SET used_at = ? WHERE nonce = ? AND used_at IS NULL AND expires_at > ?'),
    claim: q('INSERT INTO hsinstall_codes (code_hash, outcome, at) VALUES (?, ?, ?)'),
    upsert: q(`INSERT INTO hsinstall_installs (portal_id, user_id, hub_domain, scopes, access_token, refresh_token, expires_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (portal_id) DO UPDATE SET user_id = excluded.user_id,
      hub_domain = excluded.hub_domain, scopes = excluded.scopes, access_token = excluded.access_token,
      refresh_token = excluded.refresh_token, expires_at = excluded.expires_at, updated_at = excluded.updated_at`),
    setOutcome: q('UPDATE hsinstall_codes SET outcome = ? WHERE code_hash = ?'),
    attempt: q('INSERT INTO hsinstall_attempts (at, outcome, reason, portal_id, detail) VALUES (?, ?, ?, ?, ?)'),
    install: q('SELECT * FROM hsinstall_installs WHERE portal_id = ?'),
    installs: q('SELECT * FROM hsinstall_installs ORDER BY updated_at DESC, portal_id'),
    attempts: q('SELECT at, outcome, reason, portal_id, detail FROM hsinstall_attempts WHERE at >= ? ORDER BY at, id'),
    dropLease: q('DELETE FROM hsinstall_refresh_locks WHERE portal_id = ? AND until < ?'),
    takeLease: q('INSERT OR IGNORE INTO hsinstall_refresh_locks (portal_id, holder, until) VALUES (?, ?, ?)'),
    releaseLease: q('DELETE FROM hsinstall_refresh_locks WHERE portal_id = ? AND holder = ?'),
    tokens: q(`UPDATE hsinstall_installs SET access_token = ?, refresh_token = ?, expires_at = ?, updated_at = ?
      WHERE portal_id = ? AND refresh_token = ?`),
    purgeStates: q('DELETE FROM hsinstall_states WHERE expires_at < ?'),
    purgeCodes: q('DELETE FROM hsinstall_codes WHERE at < ? AND outcome != ?'),
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
  const finish = tx((codeHash, outcome, attempt, i) => {
    if (i) s.upsert.run(i.portalId, i.userId ?? null, i.hubDomain ?? null, i.scopes.join(' '), i.accessToken, i.refreshToken, i.expiresAt, i.updatedAt);
    if (codeHash !== null && codeHash !== undefined) s.setOutcome.run(outcome, codeHash);
    addAttempt(attempt);
  });
  const acquire = tx((portalId, holder, until, now) => {
    s.dropLease.run(portalId, now);
    return s.takeLease.run(portalId, holder, until).changes === 1;
  });
  const purge = tx((now) => {
    s.purgeStates.run(now - 86400);
    s.purgeCodes.run(now - 86400, PENDING);
  });

  return {
    db,
    saveState: (nonce, expiresAt) => void s.saveState.run(nonce, expiresAt),
    beginExchange: (nonce, codeHash, now) => begin(nonce ?? null, codeHash, now),
    getCodeOutcome(codeHash) {
      const o = s.codeOutcome.get(codeHash);
      return o === undefined || o === PENDING ? null : o;
    },
    finishExchange: (codeHash, outcome, attempt, install) => void finish(codeHash ?? null, outcome, attempt, install ?? null),
    appendAttempt: (a) => void addAttempt(a),
    getInstall(portalId) {
      const r = s.install.get(portalId);
      return r ? fromRow(r) : null;
    },
    listInstalls: () => s.installs.all().map(fromRow),
    listAttempts: (since) => s.attempts.all(since).map((r) => ({ at: r.at, outcome: r.outcome, reason: r.reason, portalId: r.portal_id, detail: r.detail })),
    acquireRefresh: (portalId, holder, until, now) => acquire(portalId, holder, until, now),
    releaseRefresh: (portalId, holder) => void s.releaseLease.run(portalId, holder),
    updateTokens: (portalId, old, t) => s.tokens.run(t.accessToken, t.refreshToken, t.expiresAt, t.updatedAt, portalId, old).changes === 1,
    purge: (now) => void purge(now),
    close() {
      if (db.open) db.close();
    },
  };
}

const fromRow = (r) => ({
  portalId: r.portal_id,
  userId: r.user_id,
  hubDomain: r.hub_domain,
  scopes: r.scopes ? r.scopes.split(' ') : [],
  accessToken: r.access_token,
  refreshToken: r.refresh_token,
  expiresAt: r.expires_at,
  updatedAt: r.updated_at,
});
