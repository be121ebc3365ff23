// The Node hook when HubSpot's token endpoint misbehaves (the sandbox's fault switches):
// slow, 5xx, 429, a malformed body, a dropped connection. Every attempt ends with a
// recorded reason; retryable failures are retried within limits (1 + 3 tries, counted by
// the sandbox); nothing is half-stored (no install row without its tokens, no code left
// pending, one attempt per exchange).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { setup, ENTERPRISE } from './hook-helpers.mjs';

const TIMEOUT_MS = 400;

describe('hsinstall/hook: token-endpoint faults (against the sandbox)', () => {
  let t;
  const db = () => t.hook.store.db;
  const installs = () => db().prepare('SELECT count(*) FROM hsinstall_installs').pluck().get();
  const lastAttempt = () => db().prepare('SELECT * FROM hsinstall_attempts ORDER BY id DESC LIMIT 1').get();

  /** A fresh code and state, the fault set, one exchange: the answer, the token requests it made, the time it took. */
  async function underFault(fault) {
    const { code, state } = await t.authorize();
    await t.sandbox.faults(fault);
    const before = await t.sandbox.stats();
    const started = performance.now();
    const r = await t.exchange({ code, state, redirect_uri: t.redirect });
    const ms = performance.now() - started;
    await t.sandbox.faults(null);
    const after = await t.sandbox.stats();
    return { r, tries: after.token_requests - before.token_requests, ms, code, state };
  }
  function failedWholly(r, reason, { status, retryable }) {
    assert.equal(r.status, status, r.text);
    assert.deepEqual([r.json.ok, r.json.code, r.json.retryable], [false, reason, retryable]);
    const a = lastAttempt();
    assert.deepEqual([a.outcome, a.reason, a.portal_id], ['failed', reason, null]);
    assert.ok(a.detail.length > 0);
    return a;
  }

  before(async () => {
    t = await setup({ hookOptions: { timeoutMs: TIMEOUT_MS, backoffMs: 10 } });
  });
  after(async () => {
    await t.close();
  });

  it('5xx twice, then an answer: retried, installed, the retries noted', async () => {
    const { r, tries } = await underFault({ status: 503, count: 2 });
    assert.equal(r.status, 200, r.text);
    assert.equal(tries, 3);
    assert.equal(lastAttempt().detail, 'granted 5 scopes (after 2 retries)');
    assert.ok(t.rec.lines.filter((l) => /"event":"exchange","outcome":"retrying","reason":"token.server_error"/.test(l)).length >= 2);
  });

  it('5xx every time: 1 + 3 tries, token.server_error recorded, nothing stored', async () => {
    const n = installs();
    const { r, tries } = await underFault({ status: 500, count: 100 });
    assert.equal(tries, 4);
    const a = failedWholly(r, 'token.server_error', { status: 503, retryable: true });
    assert.match(a.detail, /\(after 3 retries\)$/);
    assert.equal(installs(), n);
  });

  it('429 once: retried and installed; 429 every time: token.rate_limited after 1 + 3 tries', async () => {
    const once = await underFault({ status: 429, count: 1 });
    assert.equal(once.r.status, 200, once.r.text);
    assert.equal(once.tries, 2);
    const n = installs();
    const always = await underFault({ status: 429, count: 100 });
    assert.equal(always.tries, 4);
    failedWholly(always.r, 'token.rate_limited', { status: 503, retryable: true });
    assert.equal(installs(), n);
  });

  it('a malformed body: token.malformed_response, not retried, nothing stored', async () => {
    const n = installs();
    const { r, tries } = await underFault({ malformed: true, count: 1 });
    assert.equal(tries, 1);
    failedWholly(r, 'token.malformed_response', { status: 502, retryable: false });
    assert.equal(installs(), n);
    assert.doesNotMatch(r.text, /sbx-at/);
  });

  it('a dropped connection: retried (once: installed; always: hook.network_error after 1 + 3 tries)', async () => {
    const once = await underFault({ drop: true, count: 1 });
    assert.equal(once.r.status, 200, once.r.text);
    assert.equal(once.tries, 2);
    const n = installs();
    const always = await underFault({ drop: true, count: 100 });
    assert.equal(always.tries, 4);
    const a = failedWholly(always.r, 'hook.network_error', { status: 503, retryable: true });
    assert.match(a.detail, /^HubSpot could not be reached: .+\. \(after 3 retries\)$/);
    assert.equal(installs(), n);
  });

  it('slow: within the timeout, installed at once; past it, retried (installed); past it every time, hook.network_error within limits', async () => {
    const within = await underFault({ delay_ms: 150, count: 1 });
    assert.equal(within.r.status, 200, within.r.text);
    assert.equal(within.tries, 1);

    const once = await underFault({ delay_ms: 1500, count: 1 });
    assert.equal(once.r.status, 200, once.r.text);
    assert.equal(once.tries, 2);
    assert.ok(once.ms < 1500, `${once.ms} ms`);

    const n = installs();
    const always = await underFault({ delay_ms: 1200, count: 100 });
    assert.equal(always.tries, 4);
    const a = failedWholly(always.r, 'hook.network_error', { status: 503, retryable: true });
    assert.match(a.detail, new RegExp(`no answer within ${TIMEOUT_MS} ms`));
    assert.ok(always.ms < 4 * TIMEOUT_MS + 1000, `${always.ms} ms`);
    assert.equal(installs(), n);
  });

  it('Retry-After is honoured (an answer that asks for 1 s waits 1 s)', async () => {
    let calls = 0;
    const hook = await t.makeHook({
      store: 'sqlite:///:memory:',
      log: (line) => t.rec.add(line), // scanned, but not counted with this file's hook's lines
      fetch: async (url, init) => {
        if (calls++ === 0 && url.endsWith('/oauth/v3/token'))
          return new Response('{"status":"error","message":"slow down"}', { status: 429, headers: { 'retry-after': '1', 'content-type': 'application/json' } });
        return fetch(url, init);
      },
    });
    try {
      const state = await hook.issueState();
      const { code } = await t.authorize({ state });
      const started = performance.now();
      const r = t.rec.add(await hook.exchange({ code, state }));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.ok(performance.now() - started >= 950);
    } finally {
      await hook.close();
    }
  });

  it('a code whose exchange failed is replayed as that failure, with no second token request', async () => {
    const { r, code, state } = await underFault({ status: 502, count: 100 });
    assert.equal(r.json.code, 'token.server_error');
    const before = (await t.sandbox.stats()).token_requests;
    const again = await t.exchange({ code, state, redirect_uri: t.redirect });
    assert.deepEqual([again.status, again.json], [r.status, r.json]);
    assert.equal((await t.sandbox.stats()).token_requests, before);
  });

  it('an unexpected error mid-exchange leaves a final outcome (hook.internal_error), not a pending code or half an install', async () => {
    const real = t.hook.store;
    let broken = 1;
    // The same database, through a store that fails once where the install is written.
    const store = Object.create(real);
    store.finishExchange = (...args) => {
      if (broken-- > 0) throw new Error('disk on fire');
      return real.finishExchange(...args);
    };
    const hook = await t.makeHook({ store });
    const state = await hook.issueState();
    const { code } = await t.authorize({ state });
    const n = installs();
    const r = t.rec.add(await hook.exchange({ code, state }));
    assert.deepEqual([r.status, r.body.code, r.body.retryable], [500, 'hook.internal_error', true]);
    assert.ok(!JSON.stringify(r.body).includes('disk on fire'));
    assert.equal(installs(), n);
    assert.equal(db().prepare("SELECT count(*) FROM hsinstall_codes WHERE outcome = 'pending'").pluck().get(), 0);
    assert.deepEqual([lastAttempt().outcome, lastAttempt().reason], ['failed', 'hook.internal_error']);
    const started = performance.now();
    const again = t.rec.add(await hook.exchange({ code, state }));
    assert.deepEqual([again.status, again.body.code], [500, 'hook.internal_error']);
    assert.ok(performance.now() - started < 1000);
    assert.ok(t.rec.lines.some((l) => /"event":"error","outcome":"failed","reason":"hook.internal_error"/.test(l)));
    // (not hook.close(): the database is this file's hook's.)
  });

  it('a request the core refuses to build is a recorded failure, never sent (a stored install without a refresh token)', async () => {
    const t0 = Math.floor(Date.now() / 1000) - 3600;
    const keys = t.hook.store.keys;
    db()
      .prepare("INSERT INTO hsinstall_installs VALUES (99999, NULL, NULL, 'oauth', ?, ?, ?, ?, ?)")
      .run(keys.seal('access_token', 99999, 'sbx-at-none'), keys.seal('refresh_token', 99999, ''), t0 + 1800, t0, keys.sealId);
    const before = (await t.sandbox.stats()).token_requests;
    await assert.rejects(t.hook.getAccessToken(99999), (e) => e.code === 'token.missing_field' && e.retryable === false);
    assert.equal((await t.sandbox.stats()).token_requests, before);
    db().prepare('DELETE FROM hsinstall_installs WHERE portal_id = 99999').run();
  });

  it('nothing half-stored: every install whole, no code left pending, one attempt per exchange', async () => {
    const rows = db().prepare('SELECT * FROM hsinstall_installs').all();
    assert.ok(rows.length >= 1);
    for (const i of rows) {
      assert.equal(i.portal_id, ENTERPRISE);
      assert.ok(i.access_token && i.refresh_token && i.scopes && i.expires_at > i.updated_at);
    }
    assert.equal(db().prepare("SELECT count(*) FROM hsinstall_codes WHERE outcome = 'pending'").pluck().get(), 0);
    const exchanges = t.rec.lines.filter((l) => /"event":"exchange","outcome":"(installed|failed|replayed)"/.test(l)).length;
    assert.equal(db().prepare('SELECT count(*) FROM hsinstall_attempts').pluck().get(), exchanges);
    for (const a of db().prepare('SELECT * FROM hsinstall_attempts').all()) assert.ok(a.reason && a.outcome, JSON.stringify(a));
  });

  it('no secret, token or code in any log line, answer or CSV of this file', async () => {
    t.rec.add(await t.hook.attemptsCsv());
    await t.storedSecrets();
    assert.ok(t.rec.scan() >= 8);
  });
});
