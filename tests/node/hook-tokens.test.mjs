// The Node hook's tokens on demand, against a real sandbox process: getAccessToken()
// refreshes at 75% of the lifetime, keeps the newest refresh token, refreshes once per
// portal at a time (in one process, and across two hook instances sharing the store);
// checkScopes() introspects; failures are typed and leave the install as it was.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import * as hs from '../../wasm/index.js';
import { HookError } from '../../wasm/hook/index.js';
import { setup, CLIENT_ID, CLIENT_SECRET, ENTERPRISE, STARTER, REQUIRED, OPTIONAL } from './hook-helpers.mjs';

describe('hsinstall/hook: getAccessToken and checkScopes (against the sandbox)', () => {
  let t;
  // The portal's install as stored, its tokens opened (sealed at rest: docs/hook.md, "Tokens at rest").
  function row(portal) {
    const raw = t.hook.store.db.prepare('SELECT * FROM hsinstall_installs WHERE portal_id = ?').get(portal);
    if (!raw) return raw;
    assert.match(raw.access_token, /^v1\.[0-9a-f]{16}\./);
    assert.match(raw.refresh_token, /^v1\.[0-9a-f]{16}\./);
    const i = t.hook.store.getInstall(portal);
    return { ...raw, access_token: i.accessToken, refresh_token: i.refreshToken };
  }
  const grants = async () => (await t.sandbox.stats()).refresh_grants;
  // HubSpot's view of a token, asked directly (not through the hook).
  async function introspect(token) {
    const req = hs.buildIntrospectionRequest({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, token, apiBase: t.sandbox.origin });
    const r = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
    return hs.parseIntrospectionResponse(r.status, await r.text());
  }
  async function install(account) {
    const { code, state } = await t.authorize({ account });
    const r = await t.exchange({ code, state, redirect_uri: t.redirect });
    assert.equal(r.status, 200, r.text);
    const i = row(account);
    t.rec.secret(i.access_token, i.refresh_token);
    return i;
  }

  before(async () => {
    t = await setup();
  });
  after(async () => {
    await t.close();
  });

  it('returns the stored token while more than 25% of its lifetime remains, then refreshes and keeps the newest refresh token', async () => {
    const first = await install(ENTERPRISE);
    const before = await grants();
    assert.equal(await t.hook.getAccessToken(ENTERPRISE), first.access_token);
    t.clock.offset = 0.74 * 1800;
    assert.equal(await t.hook.getAccessToken(String(ENTERPRISE)), first.access_token);
    assert.equal(await grants(), before);

    t.clock.offset = 0.76 * 1800;
    const fresh = await t.hook.getAccessToken(ENTERPRISE);
    assert.notEqual(fresh, first.access_token);
    assert.equal(await grants(), before + 1);
    const now = row(ENTERPRISE);
    t.rec.secret(now.access_token, now.refresh_token);
    assert.equal(now.access_token, fresh);
    assert.notEqual(now.refresh_token, first.refresh_token); // the sandbox rotates: the newest is kept
    assert.equal(now.expires_at - now.updated_at, 1800);
    assert.ok(Math.abs(now.updated_at - (Math.floor(Date.now() / 1000) + t.clock.offset)) <= 2);
    assert.equal(now.scopes, first.scopes);
    // The new access token is live at HubSpot; the old refresh token is gone.
    assert.equal((await introspect(fresh)).active, true);
    const old = hs.buildRefreshRequest({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: first.refresh_token, apiBase: t.sandbox.origin });
    const r = await fetch(old.url, { method: old.method, headers: old.headers, body: old.body });
    const text = await r.text();
    assert.throws(() => hs.parseTokenResponse(r.status, text), (e) => e.tokenError.code === 'token.bad_refresh_token');
    // Right after, the stored (new) token again, no refresh.
    const after = await grants();
    assert.equal(await t.hook.getAccessToken(ENTERPRISE), fresh);
    assert.equal(await grants(), after);
    assert.ok(t.rec.lines.some((l) => /"event":"refresh","outcome":"refreshed"/.test(l)));
  });

  it('one refresh per portal at a time: eight calls in one process, then two hook instances sharing the store', async () => {
    const base = row(ENTERPRISE);
    t.clock.offset = base.updated_at - Math.floor(Date.now() / 1000) + 0.8 * 1800;
    let before = await grants();
    const tokens = await Promise.all(Array.from({ length: 8 }, () => t.hook.getAccessToken(ENTERPRISE)));
    assert.equal(new Set(tokens).size, 1);
    assert.equal(await grants(), before + 1);
    assert.equal(row(ENTERPRISE).access_token, tokens[0]);
    t.rec.secret(row(ENTERPRISE).access_token, row(ENTERPRISE).refresh_token);

    // A second instance on the same database (another process would be the same): the store's lease.
    const other = await t.makeHook();
    try {
      t.clock.offset += 0.8 * 1800;
      before = await grants();
      const both = await Promise.all([t.hook.getAccessToken(ENTERPRISE), other.getAccessToken(ENTERPRISE), t.hook.getAccessToken(ENTERPRISE), other.getAccessToken(ENTERPRISE)]);
      assert.equal(new Set(both).size, 1);
      assert.equal(await grants(), before + 1);
      assert.equal(t.hook.store.db.prepare('SELECT count(*) FROM hsinstall_refresh_locks').pluck().get(), 0);
      t.rec.secret(row(ENTERPRISE).access_token, row(ENTERPRISE).refresh_token);
    } finally {
      await other.close();
    }
  });

  it('a refresh held elsewhere past refreshWaitMs ends in hook.refresh_busy, retryable, with no refresh request', async () => {
    const base = row(ENTERPRISE);
    const waiting = await t.makeHook({ refreshWaitMs: 300 });
    try {
      t.clock.offset = base.updated_at - Math.floor(Date.now() / 1000) + 0.9 * 1800;
      const now = Math.floor(Date.now() / 1000 + t.clock.offset);
      assert.equal(await t.hook.store.acquireRefresh(ENTERPRISE, 'another-process', now + 600, now), true); // a refresh that hangs
      const before = await grants();
      const t0 = Date.now();
      await assert.rejects(waiting.getAccessToken(ENTERPRISE), (e) => e instanceof HookError && e.code === 'hook.refresh_busy' && e.retryable === true);
      const waited = Date.now() - t0;
      assert.ok(waited >= 300 && waited < 3000, `waited ${waited} ms`);
      assert.equal(await grants(), before);
      await t.hook.store.releaseRefresh(ENTERPRISE, 'another-process');
    } finally {
      await waiting.close();
    }
  });

  it('checkScopes() introspects the token and compares with the app: optional scopes the account lacks are noted', async () => {
    const i = await install(STARTER);
    t.clock.offset = i.updated_at - Math.floor(Date.now() / 1000);
    const before = (await t.sandbox.stats()).introspections;
    const c = await t.hook.checkScopes(STARTER);
    assert.equal((await t.sandbox.stats()).introspections, before + 1);
    assert.deepEqual(c.missing_required, []);
    assert.deepEqual(c.missing_optional, ['tickets']);
    assert.deepEqual(c.granted_optional, ['crm.objects.deals.read']);
    assert.deepEqual(c.diagnostics.map((d) => d.code), ['grant.optional_not_granted']);
    const all = await t.hook.checkScopes(ENTERPRISE);
    assert.deepEqual([all.missing_required, all.missing_optional], [[], []]);
    assert.deepEqual(all.granted_optional, OPTIONAL);
    assert.ok(REQUIRED.every((s) => row(ENTERPRISE).scopes.includes(s)));
  });

  it('an unknown portal, a bad portal id, a revoked refresh token: typed errors, the install untouched', async () => {
    await assert.rejects(t.hook.getAccessToken(424242), (e) => e instanceof HookError && e.code === 'hook.not_installed' && e.retryable === false);
    await assert.rejects(t.hook.getAccessToken('abc'), TypeError);
    await assert.rejects(t.hook.getAccessToken(-1), TypeError);

    const held = row(STARTER);
    const revoke = hs.buildRevokeRequest({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, token: held.refresh_token, apiBase: t.sandbox.origin });
    assert.equal((await fetch(revoke.url, { method: revoke.method, headers: revoke.headers, body: revoke.body })).status, 200);
    t.clock.offset = held.updated_at - Math.floor(Date.now() / 1000) + 0.9 * 1800;
    await assert.rejects(t.hook.getAccessToken(STARTER), (e) => {
      assert.ok(e instanceof HookError);
      assert.equal(e.code, 'token.bad_refresh_token');
      assert.equal(e.retryable, false);
      assert.ok(!e.message.includes(held.refresh_token));
      return true;
    });
    assert.deepEqual(row(STARTER), held);
    assert.ok(t.rec.lines.some((l) => /"event":"refresh","outcome":"failed","reason":"token.bad_refresh_token","portal_id":50002/.test(l)));
  });

  it('a refresh that meets a retryable failure is retried within limits', async () => {
    const held = row(ENTERPRISE);
    t.clock.offset = held.updated_at - Math.floor(Date.now() / 1000) + 0.9 * 1800;
    await t.sandbox.faults({ status: 503, count: 2 });
    const before = await t.sandbox.stats();
    const token = await t.hook.getAccessToken(ENTERPRISE);
    const after = await t.sandbox.stats();
    assert.equal(after.token_requests - before.token_requests, 3);
    assert.equal(after.refresh_grants - before.refresh_grants, 1);
    assert.equal(row(ENTERPRISE).access_token, token);
    t.rec.secret(token, row(ENTERPRISE).refresh_token);
    assert.equal(t.rec.lines.filter((l) => /"event":"refresh","outcome":"retrying","reason":"token.server_error"/.test(l)).length, 2);

    await t.sandbox.faults({ status: 503, count: 10 });
    t.clock.offset += 0.9 * 1800;
    const b2 = await t.sandbox.stats();
    await assert.rejects(t.hook.getAccessToken(ENTERPRISE), (e) => e.code === 'token.server_error' && e.retryable === true);
    assert.equal((await t.sandbox.stats()).token_requests - b2.token_requests, 4);
    assert.equal(row(ENTERPRISE).access_token, token);
    await t.sandbox.faults(null);
  });

  it('no secret, token or code in any log line or answer of this file', async () => {
    await t.storedSecrets();
    assert.ok(t.rec.scan() >= 8);
  });
});
