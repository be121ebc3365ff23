// The PostgreSQL store (docs/hook.md, "Store"): the SQLite store's interface and semantics
// (store.js) over a shared database, through `pg` (an optional peer dependency:
// `npm install pg`). Every operation is one transaction on a pooled connection; the
// database enforces what must hold across processes: a code claimed first by its primary
// key (`ON CONFLICT DO NOTHING`: of two callbacks with one code, one inserts and the other
// waits for its commit), then the state consumed by `UPDATE ... WHERE used_at IS NULL` (the
// code's claim rolled back when the state is refused; the same order as the Python store, so
// mixed runtimes never take the two rows' locks in opposite orders), an install
// upserted whole with its code's outcome and attempt, the refresh lease a row, and the
// refresh compare-and-swap under `SELECT ... FOR UPDATE`.
//
// While the database cannot be reached (refused, restarting, a dropped connection) every
// operation fails with a HookError `hook.store_unavailable` (retryable; the transaction
// rolled back, nothing done) and the pool reconnects on the next call. BIGINT columns come
// back from pg as text: they are turned into numbers (portal ids up to 2^53 - 1).
import { HookConfigError, HookError, safeUrl, storeUnavailable } from './errors.js';
import { checkKeyIds, migratePg } from './migrate.js';
import { parseKeyRing, sameText } from './seal.js';
import { PENDING, openInstall, reseal, sealInstall } from './store.js';

const ROTATE_BATCH = 500;
// What a lost or refused connection looks like: socket errors, pg's own, and SQLSTATE
// class 08 (connection exception), 57P01-57P03 (shutdown, cannot connect now), 53300.
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTCONN', 'ECONNABORTED']);
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** Whether `e` means the database could not be reached (rather than a refused statement). */
export function isUnavailable(e) {
  if (!e) return false;
  if (e.code === 'hook.store_unavailable') return true;
  if (typeof e.code === 'string' && (SOCKET_CODES.has(e.code) || SQLSTATES.has(e.code) || e.code.startsWith('08'))) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|Connection ended|server closed the connection/i.test(
    String(e.message || ''),
  );
}
const why = (e) => (e && (e.code && !/^hook\./.test(e.code) ? `${e.code}: ` : '') + String(e.message || e).split('\n')[0]) || 'no answer';

/** Whether `url` names a PostgreSQL store. */
export const isPgUrl = (url) => /^postgres(ql)?:\/\//i.test(String(url));

/**
 * Opens a PostgreSQL store: `url` is any libpq-style URL pg reads
 * (postgresql://user:password@host:5432/db, postgresql://user@/db?host=/run/postgresql).
 * Options: `keys` (the key ring or its text; required), `pg` (the pg module), `max` (pool
 * size, 10), `connectTimeoutMs` (5000), `onError` (called with each idle-client error).
 * Migrates the database at open and refuses a ring lacking a row's key id (HookConfigError).
 */
export async function pgStore(url, options = {}) {
  const ring = parseKeyRing(options.keys, options.keySetting);
  let pg = options.pg;
  if (!pg) {
    try {
      pg = (await import('pg')).default;
    } catch (e) {
      throw Object.assign(new Error('the PostgreSQL store needs the pg package (npm install pg)'), { cause: e });
    }
  }
  const types = new pg.TypeOverrides();
  types.setTypeParser(20, (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new HookError('hook.store_corrupt', `a stored integer (${v}) is beyond 2^53 - 1`);
    return n;
  });
  const pool = new pg.Pool({ connectionString: String(url), max: options.max ?? 10, connectionTimeoutMillis: options.connectTimeoutMs ?? 5000, idleTimeoutMillis: 30000, types });
  // An idle client dropped by the server (a restart) must never crash the process.
  pool.on('error', (e) => {
    if (options.onError) options.onError(e);
  });
  // And a client of ours never lacks an 'error' listener: pg parses a whole socket chunk at
  // once, so the server's FATAL 57P01 (a restart) can arrive in the same chunk as the
  // connection's ReadyForQuery, after the pool took its idle listener off and before our
  // transaction put its own on. The error is kept; the client's next query fails and the
  // transaction releases it as broken.
  pool.on('connect', (client) => client.on('error', () => {}));
  const name = safeUrl(url);

  /** Runs `work(client)` in one transaction; a lost connection becomes hook.store_unavailable. */
  async function tx(work) {
    let client;
    try {
      client = await pool.connect();
    } catch (e) {
      throw storeUnavailable(`${name}: ${why(e)}`, e);
    }
    let broken = null;
    // A checked-out client has no listener of the pool's: a drop between two statements
    // must not become an unhandled 'error' event.
    const dropped = (e) => (broken = broken || e);
    client.on('error', dropped);
    try {
      await client.query('BEGIN');
      const out = await work(client);
      await client.query('COMMIT');
      return out;
    } catch (e) {
      if (isUnavailable(e)) broken = e;
      else await client.query('ROLLBACK').catch((r) => (broken = r));
      if (broken) throw e instanceof HookError ? e : storeUnavailable(`${name}: ${why(e)}`, e);
      throw e;
    } finally {
      client.removeListener('error', dropped);
      client.release(broken || undefined);
    }
  }
  const one = (sql, params) => tx((c) => c.query(sql, params));

  try {
    const c = await pool.connect(); // unreachable: hook.store_unavailable, below
    let broken;
    const dropped = (e) => (broken = e);
    c.on('error', dropped);
    try {
      await migratePg(c, ring, { url: name });
      checkKeyIds((await c.query('SELECT DISTINCT key_id FROM hsinstall_installs WHERE key_id IS NOT NULL')).rows.map((r) => r.key_id), ring);
    } finally {
      c.removeListener('error', dropped);
      c.release(broken);
    }
  } catch (e) {
    await pool.end().catch(() => {});
    if (e instanceof HookConfigError || e.code === 'hook.store_unavailable') throw e;
    if (isUnavailable(e)) throw storeUnavailable(`${name}: ${why(e)}`, e);
    throw e;
  }

  const addAttempt = (c, a) =>
    c.query('INSERT INTO hsinstall_attempts (at, outcome, reason, portal_id, detail) VALUES ($1, $2, $3, $4, $5)', [a.at, a.outcome, a.reason, a.portalId ?? null, a.detail ?? '']);
  const attemptOf = (r) => ({ at: r.at, outcome: r.outcome, reason: r.reason, portalId: r.portal_id, detail: r.detail });

  // A throw that rolls the transaction back and carries the verdict out.
  class Verdict {
    constructor(v) {
      this.v = v;
    }
  }
  async function rolledBack(work) {
    try {
      return await tx(work);
    } catch (e) {
      if (e instanceof Verdict) return e.v;
      throw e;
    }
  }

  const store = {
    pool,
    keys: ring,
    async saveState(nonce, expiresAt) {
      await one('INSERT INTO hsinstall_states (nonce, expires_at, used_at) VALUES ($1, $2, NULL)', [nonce, expiresAt]);
    },
    async beginExchange(nonce, codeHash, now) {
      const v = await rolledBack(async (c) => {
        // The code first (a primary key: of two callbacks with one code exactly one inserts; the other waits for its commit).
        const claimed = await c.query('INSERT INTO hsinstall_codes (code_hash, outcome, at) VALUES ($1, $2, $3) ON CONFLICT (code_hash) DO NOTHING', [codeHash, PENDING, now]);
        if (claimed.rowCount !== 1) {
          const known = await c.query('SELECT outcome FROM hsinstall_codes WHERE code_hash = $1', [codeHash]);
          throw new Verdict({ verdict: 'replayed', outcome: known.rows.length && known.rows[0].outcome !== PENDING ? known.rows[0].outcome : null });
        }
        if (nonce !== null && nonce !== undefined) {
          const used = await c.query('UPDATE hsinstall_states SET used_at = $1 WHERE nonce = $2 AND used_at IS NULL AND expires_at > $1', [now, nonce]);
          if (used.rowCount !== 1) throw new Verdict({ verdict: 'state_replayed', outcome: null });
        }
        return { verdict: 'new', outcome: null };
      });
      if (v.verdict === 'replayed' && v.outcome === null) return { verdict: 'replayed', outcome: await store.getCodeOutcome(codeHash) };
      return v;
    },
    async getCodeOutcome(codeHash) {
      const { rows } = await one('SELECT outcome FROM hsinstall_codes WHERE code_hash = $1', [codeHash]);
      return rows.length && rows[0].outcome !== PENDING ? rows[0].outcome : null;
    },
    async finishExchange(codeHash, outcome, attempt, install) {
      const r = install ? sealInstall(ring, install) : null;
      await tx(async (c) => {
        if (r)
          await c.query(
            `INSERT INTO hsinstall_installs (portal_id, user_id, hub_domain, scopes, access_token, refresh_token, expires_at, updated_at, key_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (portal_id) DO UPDATE SET user_id = excluded.user_id,
             hub_domain = excluded.hub_domain, scopes = excluded.scopes, access_token = excluded.access_token,
             refresh_token = excluded.refresh_token, expires_at = excluded.expires_at, updated_at = excluded.updated_at, key_id = excluded.key_id`,
            [r.portalId, r.userId, r.hubDomain, r.scopes, r.access, r.refresh, r.expiresAt, r.updatedAt, r.keyId],
          );
        if (codeHash !== null && codeHash !== undefined) await c.query('UPDATE hsinstall_codes SET outcome = $1 WHERE code_hash = $2', [outcome, codeHash]);
        await addAttempt(c, attempt);
      });
    },
    async appendAttempt(a) {
      await tx((c) => addAttempt(c, a));
    },
    async getInstall(portalId) {
      const { rows } = await one('SELECT * FROM hsinstall_installs WHERE portal_id = $1', [portalId]);
      return rows.length ? openInstall(ring, rows[0]) : null;
    },
    async listInstalls() {
      const { rows } = await one('SELECT * FROM hsinstall_installs ORDER BY updated_at DESC, portal_id');
      return rows.map((r) => openInstall(ring, r));
    },
    async listAttempts(since) {
      const { rows } = await one('SELECT at, outcome, reason, portal_id, detail FROM hsinstall_attempts WHERE at >= $1 ORDER BY at, id', [since]);
      return rows.map(attemptOf);
    },
    async acquireRefresh(portalId, holder, until, now) {
      return tx(async (c) => {
        await c.query('DELETE FROM hsinstall_refresh_locks WHERE portal_id = $1 AND until < $2', [portalId, now]);
        const r = await c.query('INSERT INTO hsinstall_refresh_locks (portal_id, holder, until) VALUES ($1, $2, $3) ON CONFLICT (portal_id) DO NOTHING', [portalId, holder, until]);
        return r.rowCount === 1;
      });
    },
    async releaseRefresh(portalId, holder) {
      await one('DELETE FROM hsinstall_refresh_locks WHERE portal_id = $1 AND holder = $2', [portalId, holder]);
    },
    async updateTokens(portalId, old, t) {
      const access = ring.seal('access_token', portalId, t.accessToken);
      const refresh = ring.seal('refresh_token', portalId, t.refreshToken);
      return tx(async (c) => {
        // The newest refresh token wins: compared after opening, with the row locked.
        const { rows } = await c.query('SELECT portal_id, refresh_token FROM hsinstall_installs WHERE portal_id = $1 FOR UPDATE', [portalId]);
        if (!rows.length || !sameText(ring.open('refresh_token', portalId, rows[0].refresh_token), old)) return false;
        const r = await c.query('UPDATE hsinstall_installs SET access_token = $1, refresh_token = $2, expires_at = $3, updated_at = $4, key_id = $5 WHERE portal_id = $6', [
          access,
          refresh,
          t.expiresAt,
          t.updatedAt,
          ring.sealId,
          portalId,
        ]);
        return r.rowCount === 1;
      });
    },
    async purge(now) {
      await tx(async (c) => {
        await c.query('DELETE FROM hsinstall_states WHERE expires_at < $1', [now - 86400]);
        await c.query('DELETE FROM hsinstall_codes WHERE at < $1 AND outcome != $2', [now - 86400, PENDING]);
      });
    },
    async rotateKey({ batch = ROTATE_BATCH } = {}) {
      let total = 0;
      for (;;) {
        const moved = await tx(async (c) => {
          const { rows } = await c.query(
            'SELECT portal_id, access_token, refresh_token, key_id FROM hsinstall_installs WHERE key_id IS DISTINCT FROM $1 ORDER BY portal_id LIMIT $2 FOR UPDATE',
            [ring.sealId, batch],
          );
          for (const r of rows) {
            const [access, refresh] = reseal(ring, r);
            await c.query('UPDATE hsinstall_installs SET access_token = $1, refresh_token = $2, key_id = $3 WHERE portal_id = $4', [access, refresh, ring.sealId, r.portal_id]);
          }
          return rows.length;
        });
        if (!moved) return total;
        total += moved;
      }
    },
    raw: {
      dialect: 'postgresql',
      all: async (sql, params = []) => (await one(dollars(sql), params)).rows,
      batch: (list) =>
        tx(async (c) => {
          const out = [];
          for (const [sql, params = []] of list) out.push((await c.query(dollars(sql), params)).rowCount);
          return out;
        }),
    },
    async close() {
      await pool.end();
    },
  };
  return store;
}

/** `?` placeholders as PostgreSQL's `$n` (the raw SQL of migrate-store holds no `?` in literals). */
function dollars(sql) {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
