// The hook's store commands (docs/hook.md, "Commands"), shared by the CLI (cli.js) and the
// tests: open a store by URL, rotate-key, migrate-store.
import { HookConfigError, safeUrl } from './errors.js';
import { pgStore, isPgUrl } from './pg-store.js';
import { sqliteStore, sqlitePath, PENDING } from './store.js';

/** Opens (and migrates) the store a URL names, with the key ring `keys`. */
export async function openStoreUrl(url, keys, { setting = 'HSINSTALL_STORE', ...options } = {}) {
  if (isPgUrl(url)) return pgStore(url, { keys, keySetting: keys.setting, ...options });
  const path = sqlitePath(url);
  if (path === null) throw new HookConfigError(setting, `${JSON.stringify(safeUrl(url))} is not a store URL: use sqlite:///path/to/hsinstall.db (sqlite:////absolute/path) or postgresql://user@host/db`);
  try {
    return await sqliteStore(path, { keys, keySetting: keys.setting, url, ...options });
  } catch (e) {
    if (e instanceof HookConfigError) throw e;
    throw Object.assign(new HookConfigError(setting, `cannot open ${url}: ${e.message}`), { cause: e });
  }
}

/** Re-seals every install row of the store at `url` with the ring's first key; resolves to how many rows moved. */
export async function rotateKey(url, keys, { batch } = {}) {
  const store = await openStoreUrl(url, keys);
  try {
    return await store.rotateKey({ batch });
  } finally {
    await store.close();
  }
}

const BATCH = 500;
async function inBatches(store, statements) {
  let changed = 0;
  for (let i = 0; i < statements.length; i += BATCH) for (const n of await store.raw.batch(statements.slice(i, i + BATCH))) changed += n;
  return changed;
}

/**
 * Copies one store into another (both migrated first): installs still sealed (a portal
 * already in the target keeps the row with the newer updated_at; a tie keeps the
 * target's), unexpired states (a state used in either store ends used), codes (a code
 * pending in the target takes the source's final outcome) and the attempt log. Rerunning
 * copies nothing twice. The attempt log has no key that survives a copy, so an attempt is
 * known by its content (at, outcome, reason, portal_id, detail): for each content, the
 * target receives as many copies as the source holds beyond those it already has.
 * Resolves to the counts copied: {installs, installsKept, states, codes, attempts}.
 */
export async function migrateStore(fromUrl, toUrl, keys, { now = Math.floor(Date.now() / 1000) } = {}) {
  if (String(fromUrl) === String(toUrl)) throw new HookConfigError('--to', 'is the same store as --from');
  const from = await openStoreUrl(fromUrl, keys, { setting: '--from' });
  let to;
  try {
    to = await openStoreUrl(toUrl, keys, { setting: '--to' });
    const installs = await from.raw.all(
      'SELECT portal_id, user_id, hub_domain, scopes, access_token, refresh_token, expires_at, updated_at, key_id FROM hsinstall_installs ORDER BY portal_id',
    );
    const copiedInstalls = await inBatches(
      to,
      installs.map((r) => [
        `INSERT INTO hsinstall_installs (portal_id, user_id, hub_domain, scopes, access_token, refresh_token, expires_at, updated_at, key_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (portal_id) DO UPDATE SET user_id = excluded.user_id, hub_domain = excluded.hub_domain,
         scopes = excluded.scopes, access_token = excluded.access_token, refresh_token = excluded.refresh_token, expires_at = excluded.expires_at,
         updated_at = excluded.updated_at, key_id = excluded.key_id WHERE hsinstall_installs.updated_at < excluded.updated_at`,
        [r.portal_id, r.user_id, r.hub_domain, r.scopes, r.access_token, r.refresh_token, r.expires_at, r.updated_at, r.key_id],
      ]),
    );
    const states = await from.raw.all('SELECT nonce, expires_at, used_at FROM hsinstall_states WHERE expires_at > ? ORDER BY nonce', [now]);
    const copiedStates = await inBatches(
      to,
      states.map((r) => [
        `INSERT INTO hsinstall_states (nonce, expires_at, used_at) VALUES (?, ?, ?) ON CONFLICT (nonce) DO UPDATE SET used_at = excluded.used_at
         WHERE hsinstall_states.used_at IS NULL AND excluded.used_at IS NOT NULL`,
        [r.nonce, r.expires_at, r.used_at],
      ]),
    );
    const codes = await from.raw.all('SELECT code_hash, outcome, at FROM hsinstall_codes ORDER BY code_hash');
    const copiedCodes = await inBatches(
      to,
      codes.map((r) => [
        `INSERT INTO hsinstall_codes (code_hash, outcome, at) VALUES (?, ?, ?) ON CONFLICT (code_hash) DO UPDATE SET outcome = excluded.outcome, at = excluded.at
         WHERE hsinstall_codes.outcome = '${PENDING}' AND excluded.outcome <> '${PENDING}'`,
        [r.code_hash, r.outcome, r.at],
      ]),
    );
    const key = (a) => JSON.stringify([a.at, a.outcome, a.reason, a.portal_id, a.detail]);
    const attempts = await from.raw.all('SELECT at, outcome, reason, portal_id, detail FROM hsinstall_attempts ORDER BY at, id');
    const have = new Map();
    if (attempts.length)
      for (const a of await to.raw.all('SELECT at, outcome, reason, portal_id, detail FROM hsinstall_attempts WHERE at >= ? AND at <= ?', [attempts[0].at, attempts[attempts.length - 1].at]))
        have.set(key(a), (have.get(key(a)) || 0) + 1);
    const missing = [];
    for (const a of attempts) {
      const n = have.get(key(a)) || 0;
      if (n > 0) have.set(key(a), n - 1);
      else missing.push(a);
    }
    const copiedAttempts = await inBatches(
      to,
      missing.map((a) => ['INSERT INTO hsinstall_attempts (at, outcome, reason, portal_id, detail) VALUES (?, ?, ?, ?, ?)', [a.at, a.outcome, a.reason, a.portal_id, a.detail]]),
    );
    return { installs: copiedInstalls, installsKept: installs.length - copiedInstalls, states: copiedStates, codes: copiedCodes, attempts: copiedAttempts };
  } finally {
    await from.close();
    if (to) await to.close();
  }
}
