// The Node hook on a PostgreSQL store that goes away (docs/hook.md, "What the database
// enforces"): a private cluster (tests/pg/pgtmp) stopped and started under a running hook.
// While it is down: POST /exchange answers 503 hook.store_unavailable (retryable) with
// nothing consumed (no token request, the state still unused), POST /state 503; the
// failed attempt is kept and appended once the database answers; the page's retry of the
// same code and state succeeds. A store write after HubSpot issued tokens is retried until
// the database is back. After a restart the hook keeps working (the pool's dropped idle
// clients never crash the process).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';

import * as hs from '../../wasm/index.js';
import { setup, ENTERPRISE, STARTER } from './hook-helpers.mjs';
import { privateCluster, sql, testPg } from './hook-pg-helpers.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('hsinstall/hook: the PostgreSQL store stopped and restarted under a running hook', () => {
  let t, cluster, url;
  const attempts = async () => (await sql(url, 'SELECT outcome, reason, portal_id FROM hsinstall_attempts ORDER BY at, id')).rows.map((r) => ({ ...r, portal_id: r.portal_id === null ? null : Number(r.portal_id) }));

  before(async () => {
    testPg(); // the suite's PostgreSQL is there: so is the server binary this test runs
    cluster = privateCluster(mkdtempSync('/tmp/hsi-pgf-'));
    url = cluster.start();
    t = await setup({ store: url });
  });
  after(async () => {
    try {
      await t?.close();
    } finally {
      cluster?.remove();
    }
  });

  it('down: 503 hook.store_unavailable, retryable, nothing consumed; up: the same code and state succeed and the failed attempt is appended', async () => {
    const { code, state } = await t.authorize({ account: ENTERPRISE });
    const before = await t.sandbox.stats();
    cluster.down();
    const r = await t.exchange({ code, state, redirect_uri: t.redirect });
    assert.equal(r.status, 503, r.text);
    assert.deepEqual([r.json.ok, r.json.code, r.json.retryable], [false, 'hook.store_unavailable', true]);
    assert.equal((await t.sandbox.stats()).token_requests, before.token_requests, 'no token request while the store is down');
    const s = await t.request('POST', `${t.prefix}/state`);
    assert.equal(s.status, 503);
    assert.equal(s.json.code, 'hook.store_unavailable');
    assert.equal(t.hook.keptAttempts, 1);
    assert.ok(t.rec.lines.some((l) => /"event":"exchange","outcome":"failed","reason":"hook.store_unavailable"/.test(l)));

    cluster.up();
    const again = await t.exchange({ code, state, redirect_uri: t.redirect });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.portal_id, ENTERPRISE);
    assert.equal((await t.sandbox.stats()).code_grants, before.code_grants + 1);
    assert.equal(t.hook.keptAttempts, 0);
    assert.deepEqual((await attempts()).slice(-2), [
      { outcome: 'failed', reason: 'hook.store_unavailable', portal_id: null },
      { outcome: 'installed', reason: 'installed', portal_id: ENTERPRISE },
    ]);
    assert.equal((await sql(url, 'SELECT used_at IS NOT NULL AS used FROM hsinstall_states WHERE nonce = $1', [hs.decodeState(state).nonce])).rows[0].used, true);
    // The state and code are spent now: a third try is the first outcome, without a token request.
    const third = await t.exchange({ code, state, redirect_uri: t.redirect });
    assert.deepEqual([third.status, third.json.portal_id], [200, ENTERPRISE]);
    assert.equal((await t.sandbox.stats()).code_grants, before.code_grants + 1);
  });

  it('the database stopped after HubSpot issued tokens: the store write is retried until it is back, the install stored whole', async () => {
    const { code, state } = await t.authorize({ account: STARTER });
    const served = (await t.sandbox.stats()).faults_served;
    await t.sandbox.faults({ delay_ms: 1200, count: 1 });
    const pending = t.exchange({ code, state, redirect_uri: t.redirect });
    for (let i = 0; i < 200 && (await t.sandbox.stats()).faults_served === served; i++) await sleep(10);
    cluster.down(); // while the token request is in flight
    await sleep(2000);
    cluster.up();
    const r = await pending;
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.portal_id, STARTER);
    assert.ok(t.rec.lines.some((l) => /"event":"store","outcome":"retrying","reason":"hook.store_unavailable","portal_id":50002/.test(l)));
    const row = (await sql(url, 'SELECT scopes, key_id, access_token FROM hsinstall_installs WHERE portal_id = $1', [STARTER])).rows[0];
    assert.ok(row.scopes && row.key_id && /^v1\./.test(row.access_token));
    assert.equal(Number((await sql(url, "SELECT count(*) AS n FROM hsinstall_codes WHERE outcome = 'pending'")).rows[0].n), 0);
  });

  it('the database stopped while a refresh is at HubSpot: the new tokens are stored once it is back (the rotated refresh token not lost)', async () => {
    const held = await t.hook.store.getInstall(ENTERPRISE);
    t.clock.offset = held.updatedAt - Math.floor(Date.now() / 1000) + 0.9 * 1800;
    const before = await t.sandbox.stats();
    await t.sandbox.faults({ delay_ms: 1200, count: 1 });
    const pending = t.hook.getAccessToken(ENTERPRISE);
    for (let i = 0; i < 200 && (await t.sandbox.stats()).faults_served === before.faults_served; i++) await sleep(10);
    cluster.down();
    await sleep(1500);
    cluster.up();
    const token = await pending;
    assert.notEqual(token, held.accessToken);
    assert.equal((await t.sandbox.stats()).refresh_grants, before.refresh_grants + 1);
    assert.ok(t.rec.lines.some((l) => /"event":"store","outcome":"retrying","reason":"hook.store_unavailable","portal_id":50001/.test(l)));
    const now = await t.hook.store.getInstall(ENTERPRISE);
    assert.equal(now.accessToken, token);
    assert.notEqual(now.refreshToken, held.refreshToken);
    t.rec.secret(token, now.refreshToken, held.accessToken, held.refreshToken);
    assert.equal(await t.hook.getAccessToken(ENTERPRISE), token);
    assert.equal(Number((await sql(url, 'SELECT count(*) AS n FROM hsinstall_refresh_locks')).rows[0].n), 0);
  });

  it('a restart under a running hook: idle connections dropped, no crash; the next install succeeds (after at most one 503 the page retries)', async () => {
    await t.hook.getAccessToken(ENTERPRISE); // a pooled connection sits idle
    cluster.restart();
    await sleep(200);
    const { code, state } = await t.authorize({ account: ENTERPRISE }); // a reinstall
    let r = await t.exchange({ code, state, redirect_uri: t.redirect });
    if (r.status === 503) {
      assert.equal(r.json.code, 'hook.store_unavailable');
      r = await t.exchange({ code, state, redirect_uri: t.redirect });
    }
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.portal_id, ENTERPRISE);
    assert.match(await t.hook.getAccessToken(ENTERPRISE), /^sbx-at-/);
  });

  it('the database stays away after HubSpot issued tokens: the tokens are given back, and the failure becomes the code\'s outcome once it answers', async () => {
    await sql(url, 'CREATE DATABASE hsinstall_giveup');
    const own = url.replace('/hsinstall?', '/hsinstall_giveup?'); // a database of its own: this hook has its own token key
    const u = await setup({ store: own, hookOptions: { storeRetryMs: 1000, replayWaitMs: 1000 } });
    try {
      const { code, state } = await u.authorize({ account: STARTER });
      const served = (await u.sandbox.stats()).faults_served;
      await u.sandbox.faults({ delay_ms: 800, count: 1 });
      const pending = u.exchange({ code, state, redirect_uri: u.redirect });
      for (let i = 0; i < 200 && (await u.sandbox.stats()).faults_served === served; i++) await sleep(10);
      cluster.down(); // while the token request is in flight, and for longer than storeRetryMs
      let r;
      try {
        r = await pending;
        assert.deepEqual([r.status, r.json.code, r.json.retryable], [503, 'hook.store_unavailable', true], r.text);
        assert.equal((await u.sandbox.stats()).revocations, 1, 'the tokens the hook could not keep went back to HubSpot');
      } finally {
        cluster.up();
      }
      const again = await u.exchange({ code, state, redirect_uri: u.redirect }); // flushes the kept outcome first
      assert.deepEqual([again.status, again.json.code, again.json.retryable], [503, 'hook.store_unavailable', false], again.text);
      assert.match(again.json.message, /Start the install again/);
      assert.equal((await u.sandbox.stats()).code_grants, 1, 'no second token request for the spent code');
      assert.equal(Number((await sql(own, "SELECT count(*) AS n FROM hsinstall_codes WHERE outcome = 'pending'")).rows[0].n), 0);
      assert.equal(Number((await sql(own, 'SELECT count(*) AS n FROM hsinstall_installs')).rows[0].n), 0);
      const logged = (await sql(own, 'SELECT reason, portal_id FROM hsinstall_attempts')).rows;
      assert.ok(logged.some((a) => a.reason === 'hook.store_unavailable' && Number(a.portal_id) === STARTER), JSON.stringify(logged));
      u.rec.add(await u.hook.attemptsCsv());
      await u.storedSecrets();
      u.rec.scan();
    } finally {
      await u.close();
    }
  });

  it('no secret, token or code in any log line or answer of this file', async () => {
    t.rec.add(await t.hook.attemptsCsv());
    await t.storedSecrets();
    assert.ok(t.rec.scan() >= 6);
  });
});
