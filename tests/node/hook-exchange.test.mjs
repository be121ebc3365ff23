// The Node hook (hsinstall/hook) against a real sandbox process, over HTTP through
// node:http: success, every way a state can be wrong, replayed codes, unregistered
// redirect URIs, optional scopes dropped, the introspection check, the
// marketplace-initiated flow, the endpoints' HTTP behaviour, the attempt log and its
// CSV, and a scan of everything the hook said for secrets.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import * as hs from '../../wasm/index.js';
import { setup, appConfig, CLIENT_ID, REQUIRED, OPTIONAL, ENTERPRISE, STARTER } from './hook-helpers.mjs';

const codes = (rows) => rows.map((r) => r.reason);

describe('hsinstall/hook: exchange, state, callback, marketplace, HTTP (against the sandbox)', () => {
  let t;
  const delta = async (f) => {
    const before = await t.sandbox.stats();
    const r = await f();
    const after = await t.sandbox.stats();
    return [r, Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]]))];
  };
  const installs = () => t.hook.store.db.prepare('SELECT * FROM hsinstall_installs ORDER BY portal_id').all();
  // The newest row (the hook's clock may have been moved ahead: `at` does not order them).
  const lastAttempt = async () => {
    const r = t.hook.store.db.prepare('SELECT * FROM hsinstall_attempts ORDER BY id DESC LIMIT 1').get();
    return { at: r.at, outcome: r.outcome, reason: r.reason, portalId: r.portal_id, detail: r.detail };
  };

  before(async () => {
    t = await setup();
  });
  after(async () => {
    await t.close();
  });

  it('POST /state issues a signed state in the core format: 32 random bytes, 10 minutes, its nonce recorded', async () => {
    const r = await t.request('POST', '/hook/state');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    const { state } = r.json;
    assert.match(state, /^[A-Za-z0-9_-]{43}\.\d+\.[A-Za-z0-9_-]{43}$/);
    const d = hs.decodeState(state);
    assert.equal(d.nonce_bytes, 32);
    assert.equal(d.signed, true);
    assert.ok(Math.abs(d.expires_at - (Math.floor(Date.now() / 1000) + 600)) <= 2);
    assert.deepEqual(hs.verifyState(state, { expectedMac: createHmac('sha256', Buffer.from(t.stateKey, 'hex')).update(d.signed_part).digest() }), []);
    const row = t.hook.store.db.prepare('SELECT * FROM hsinstall_states WHERE nonce = ?').get(d.nonce);
    assert.deepEqual(row, { nonce: d.nonce, expires_at: d.expires_at, used_at: null });
    const other = (await t.request('POST', '/hook/state')).json.state;
    assert.notEqual(other, state);
  });

  it('success: the portal id and granted scopes answered, no token; the install stored whole', async () => {
    const { back, code, state } = await t.authorize();
    assert.equal(back.pathname, '/hook/callback');
    assert.equal(back.searchParams.get('state'), state);
    const [r, d] = await delta(() => t.exchange({ code, state, redirect_uri: t.redirect }));
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { ok: true, portal_id: ENTERPRISE, granted_scopes: [...REQUIRED, ...OPTIONAL], missing_optional_scopes: [] });
    assert.doesNotMatch(r.text, /sbx-(at|rt)-|token/);
    assert.equal(d.code_grants, 1);
    assert.equal(d.introspections, 1);
    const [row] = installs().filter((i) => i.portal_id === ENTERPRISE);
    assert.equal(row.scopes, [...REQUIRED, ...OPTIONAL].join(' '));
    assert.equal(row.user_id, 70001);
    assert.equal(row.hub_domain, 'acme-corp.sandbox.hubspot.example');
    // Sealed at rest: the row holds no token text; the store opens it.
    assert.match(row.access_token, /^v1\.[0-9a-f]{16}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    assert.match(row.refresh_token, /^v1\.[0-9a-f]{16}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    assert.equal(row.key_id, t.hook.store.keys.sealId);
    const opened = t.hook.store.getInstall(ENTERPRISE);
    assert.match(opened.accessToken, /^sbx-at-/);
    assert.match(opened.refreshToken, /^sbx-rt-/);
    assert.ok(!JSON.stringify(installs()).includes(opened.accessToken) && !JSON.stringify(installs()).includes(opened.refreshToken));
    assert.equal(row.expires_at - row.updated_at, 1800);
    t.rec.secret(opened.accessToken, opened.refreshToken);
    // The nonce is used, the code's outcome is the answer (by its hash: the code is never stored).
    assert.notEqual(t.hook.store.db.prepare('SELECT used_at FROM hsinstall_states WHERE nonce = ?').get(hs.decodeState(state).nonce).used_at, null);
    const outcomes = t.hook.store.db.prepare('SELECT code_hash, outcome FROM hsinstall_codes').all();
    assert.ok(outcomes.every((o) => /^[0-9a-f]{64}$/.test(o.code_hash) && o.code_hash !== code));
    assert.ok(outcomes.some((o) => JSON.parse(o.outcome).body.portal_id === ENTERPRISE));
    const a = await lastAttempt();
    assert.deepEqual([a.outcome, a.reason, a.portalId], ['installed', 'installed', ENTERPRISE]);
    assert.equal(a.detail, 'granted 5 scopes');
  });

  it('a conditionally required scope the URL asked for is granted and stored', async () => {
    const { code, state } = await t.authorize({ conditional: ['e-commerce'] });
    const r = await t.exchange({ code, state, redirect_uri: t.redirect });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.granted_scopes.includes('e-commerce'));
    assert.ok(installs().find((i) => i.portal_id === ENTERPRISE).scopes.split(' ').includes('e-commerce'));
  });

  it('an optional scope the account lacks is dropped: answered as missing, not stored', async () => {
    const { code, state } = await t.authorize({ account: STARTER });
    const r = await t.exchange({ code, state, redirect_uri: t.redirect });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { ok: true, portal_id: STARTER, granted_scopes: [...REQUIRED, 'crm.objects.deals.read'], missing_optional_scopes: ['tickets'] });
    assert.equal(installs().find((i) => i.portal_id === STARTER).scopes, [...REQUIRED, 'crm.objects.deals.read'].join(' '));
    assert.equal((await lastAttempt()).detail, 'granted 4 scopes; optional not granted: tickets');
  });

  describe('a forged, altered, unsigned, malformed or missing state fails before any token request', () => {
    const forge = (key, exp = Math.floor(Date.now() / 1000) + 600) => {
      const s = hs.encodeState({ random: randomBytes(32), expiresAt: exp });
      return hs.signState(s, createHmac('sha256', key).update(hs.decodeState(s).signed_part).digest());
    };
    const cases = [
      ['signed with another key', () => forge(randomBytes(32)), 'state.bad_signature'],
      ['expiry altered', async () => (await t.newState()).replace(/\.(\d+)\./, (m, e) => `.${Number(e) + 3600}.`), 'state.bad_signature'],
      // A character inside the MAC: the last one also carries padding bits, so changing it can make the state malformed instead.
      ['signature altered', async () => (await t.newState()).replace(/.(?=.{4}$)/, (c) => (c === 'A' ? 'B' : 'A')), 'state.bad_signature'],
      ['unsigned', () => hs.encodeState({ random: randomBytes(32), expiresAt: Math.floor(Date.now() / 1000) + 600 }), 'state.unsigned'],
      ['no expiry, no signature', () => hs.encodeState({ random: randomBytes(32) }), 'state.unsigned'],
      ['not a state', () => 'hello', 'state.malformed'],
      ['missing', () => undefined, 'state.malformed'],
    ];
    for (const [name, make, code] of cases)
      it(`${name}: ${code}`, async () => {
        const { code: authCode } = await t.authorize();
        const state = await make();
        const [r, d] = await delta(() => t.exchange({ code: authCode, state, redirect_uri: t.redirect }));
        assert.equal(r.status, 400, r.text);
        assert.equal(r.json.ok, false);
        assert.equal(r.json.code, code);
        assert.equal(r.json.retryable, false);
        assert.equal(d.token_requests, 0);
        assert.equal((await lastAttempt()).reason, code);
      });

    it('the code of a refused state is still good with the right one (nothing was spent)', async () => {
      const { code } = await t.authorize();
      const r1 = await t.exchange({ code, state: forge(randomBytes(32)), redirect_uri: t.redirect });
      assert.equal(r1.json.code, 'state.bad_signature');
      const r2 = await t.exchange({ code, state: await t.newState(), redirect_uri: t.redirect });
      assert.equal(r2.status, 200, r2.text);
    });

    it('a state signed with the hook key but never issued here: hook.state_replayed', async () => {
      const { code } = await t.authorize();
      const [r, d] = await delta(() => t.exchange({ code, state: forge(Buffer.from(t.stateKey, 'hex')), redirect_uri: t.redirect }));
      assert.equal(r.status, 409);
      assert.equal(r.json.code, 'hook.state_replayed');
      assert.equal(d.token_requests, 0);
    });
  });

  it('an expired state: state.expired, no token request', async () => {
    const { code, state } = await t.authorize();
    t.clock.offset = 601;
    try {
      const [r, d] = await delta(() => t.exchange({ code, state, redirect_uri: t.redirect }));
      assert.equal(r.status, 400);
      assert.equal(r.json.code, 'state.expired');
      assert.equal(d.token_requests, 0);
    } finally {
      t.clock.offset = 0;
    }
  });

  it('a replayed state (a second code with a used state): hook.state_replayed, no token request', async () => {
    const first = await t.authorize();
    assert.equal((await t.exchange({ code: first.code, state: first.state, redirect_uri: t.redirect })).status, 200);
    const second = await t.authorize({ state: first.state });
    assert.notEqual(second.code, first.code);
    const [r, d] = await delta(() => t.exchange({ code: second.code, state: first.state, redirect_uri: t.redirect }));
    assert.equal(r.status, 409);
    assert.deepEqual(r.json, {
      ok: false,
      code: 'hook.state_replayed',
      message: 'This install was already completed, or was not started here. Start the install again.',
      retryable: false,
    });
    assert.equal(d.token_requests, 0);
  });

  it('a replayed code gets the first outcome without a second token request (also with another state, and at once)', async () => {
    const { code, state } = await t.authorize();
    const [first, d1] = await delta(() => t.exchange({ code, state, redirect_uri: t.redirect }));
    assert.equal(first.status, 200);
    assert.equal(d1.code_grants, 1);
    const [again, d2] = await delta(() => t.exchange({ code, state, redirect_uri: t.redirect }));
    assert.equal(again.status, 200);
    assert.deepEqual(again.json, first.json);
    assert.equal(d2.token_requests, 0);
    assert.deepEqual([(await lastAttempt()).outcome, (await lastAttempt()).reason, (await lastAttempt()).detail], ['replayed', 'hook.code_replayed', 'first outcome: installed']);
    const [other, d3] = await delta(async () => t.exchange({ code, state: await t.newState(), redirect_uri: t.redirect }));
    assert.deepEqual(other.json, first.json);
    assert.equal(d3.token_requests, 0);

    // A page that posts twice at once: one token request, one answer for both.
    const b = await t.authorize();
    const [both, d4] = await delta(() => Promise.all([1, 2, 3].map(() => t.exchange({ code: b.code, state: b.state, redirect_uri: t.redirect }))));
    assert.deepEqual(both.map((r) => r.status), [200, 200, 200]);
    assert.deepEqual(both[1].json, both[0].json);
    assert.equal(d4.code_grants, 1);

    // A failed first exchange is replayed as that failure.
    const bad = 'na1-dead-beef-dead-beef-000000000000';
    const s1 = await t.newState();
    const [f1, d5] = await delta(() => t.exchange({ code: bad, state: s1, redirect_uri: t.redirect }));
    assert.equal(f1.status, 400);
    assert.equal(f1.json.code, 'token.bad_auth_code');
    assert.equal(d5.token_requests, 1);
    const [f2, d6] = await delta(async () => t.exchange({ code: bad, state: await t.newState(), redirect_uri: t.redirect }));
    assert.deepEqual([f2.status, f2.json], [400, f1.json]);
    assert.equal(d6.token_requests, 0);
  });

  it('an unregistered or insecure redirect_uri is refused by the core before any token request', async () => {
    for (const [uri, code] of [
      ['https://evil.example/hook/callback', 'redirect.unregistered'],
      [t.redirect.replace('/callback', '/callback2'), 'redirect.unregistered'],
      ['http://evil.example/cb', 'redirect.insecure'],
    ]) {
      const { code: authCode, state } = await t.authorize();
      const [r, d] = await delta(() => t.exchange({ code: authCode, state, redirect_uri: uri }));
      assert.equal(r.status, 400, uri);
      assert.equal(r.json.code, code, uri);
      assert.equal(d.token_requests, 0);
    }
  });

  it('code and fields checked by the core: an invalid code, a non-string field', async () => {
    const state = await t.newState();
    const r = await t.exchange({ code: 'na1 <script>', state, redirect_uri: t.redirect });
    assert.equal(r.status, 400);
    assert.equal(r.json.code, 'callback.invalid_code');
    const r2 = await t.exchange({ code: 'na1-x', state: 42, redirect_uri: t.redirect });
    assert.equal(r2.json.code, 'hook.bad_request');
    const r3 = await t.exchange({ state });
    assert.deepEqual([r3.status, r3.json.code], [400, 'hook.bad_request']);
  });

  it('the granted scopes are checked through introspection: a required scope not granted fails, nothing stored, tokens revoked', async () => {
    // The hook's config requires a scope the install URL (the sandbox app's) never asked for.
    const drifted = await t.makeHook({
      appConfig: appConfig(t.redirect, { required: [...REQUIRED, 'crm.objects.companies.read'] }),
      appConfigFileName: 'app-hsmeta.json',
      store: 'sqlite:///:memory:',
    });
    try {
      const state = await drifted.issueState();
      const { code } = await t.authorize({ state });
      const [r, d] = await delta(() => drifted.exchange({ code, state }));
      t.rec.add(r.body);
      assert.equal(r.status, 403);
      assert.equal(r.body.code, 'grant.missing_required');
      assert.match(r.body.message, /crm\.objects\.companies\.read/);
      assert.equal(d.introspections, 1);
      assert.equal(d.revocations, 1);
      assert.equal((await drifted.listInstalls()).length, 0);
      const [a] = await drifted.attempts();
      assert.deepEqual([a.outcome, a.reason, a.portalId], ['failed', 'grant.missing_required', ENTERPRISE]);
    } finally {
      await drifted.close();
    }
  });

  describe('GET /callback: the hook serving the redirect URI', () => {
    it('success: a small page with the outcome, no referrer, a strict CSP', async () => {
      const { back } = await t.authorize({ account: STARTER });
      const r = await t.request('GET', back.pathname + back.search);
      assert.equal(r.status, 200, r.text);
      assert.match(r.headers.get('content-type'), /^text\/html/);
      assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
      assert.match(r.headers.get('content-security-policy'), /default-src 'none'/);
      assert.match(r.text, /<p id="hsinstall-outcome">Installed in HubSpot account 50002\. Granted: oauth, crm\.objects\.contacts\.read, crm\.objects\.deals\.write, crm\.objects\.deals\.read\.<\/p>/);
      // Reloading the page (the same code and state) shows the same outcome.
      const again = await t.request('GET', back.pathname + back.search);
      assert.equal(again.status, 200);
      assert.match(again.text, /Installed in HubSpot account 50002/);
    });

    it('a declined install and a forged state are pages with the reason, recorded; HEAD spends nothing', async () => {
      const state = await t.newState();
      const r = await t.request('GET', `/hook/callback?error=access_denied&error_description=${encodeURIComponent('The user <b>declined</b>')}&state=${state}`);
      assert.equal(r.status, 400);
      assert.match(r.text, /The user &lt;b&gt;declined&lt;\/b&gt;/);
      assert.equal((await lastAttempt()).reason, 'callback.access_denied');
      const { back } = await t.authorize();
      const forged = new URL(back);
      forged.searchParams.set('state', hs.encodeState({ random: randomBytes(32), expiresAt: 2e9 }));
      const f = await t.request('GET', forged.pathname + forged.search);
      assert.equal(f.status, 400);
      assert.match(f.text, /Code: state\.unsigned/);
      const head = await t.request('HEAD', back.pathname + back.search);
      assert.equal(head.status, 405);
      assert.equal(head.headers.get('allow'), 'GET');
      // The code is still good.
      assert.equal((await t.request('GET', back.pathname + back.search)).status, 200);
    });

    it('the marketplace-initiated flow: step=authorize -> 302 to the core-validated returnUrl; step=finalize -> exchange', async () => {
      const listing = await fetch(`${t.sandbox.origin}/marketplace/${CLIENT_ID}/install`, { redirect: 'manual' });
      assert.equal(listing.status, 302);
      const start = new URL(listing.headers.get('location'));
      assert.equal(start.searchParams.get('step'), 'authorize');
      const [r, d] = await delta(() => t.request('GET', start.pathname + start.search));
      assert.equal(r.status, 302);
      assert.equal(d.token_requests, 0);
      const returnUrl = r.headers.get('location');
      assert.equal(returnUrl, start.searchParams.get('returnUrl'));
      assert.ok(returnUrl.startsWith(`${t.sandbox.origin}/`));
      assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
      assert.deepEqual([(await lastAttempt()).outcome, (await lastAttempt()).reason], ['redirected', 'callback.marketplace_initiated']);

      const consentPage = await (await fetch(returnUrl)).text();
      const id = /name="request_id" value="([^"]+)"/.exec(consentPage)[1];
      const granted = await fetch(`${t.sandbox.origin}/oauth/consent`, {
        method: 'POST',
        body: new URLSearchParams({ request_id: id, account_id: String(STARTER), action: 'grant' }),
        redirect: 'manual',
      });
      const finalize = new URL(granted.headers.get('location'));
      assert.equal(finalize.searchParams.get('step'), 'finalize');
      assert.equal(finalize.searchParams.get('state'), null);
      t.rec.secret(finalize.searchParams.get('code'));
      const done = await t.request('GET', finalize.pathname + finalize.search);
      assert.equal(done.status, 200, done.text);
      assert.match(done.text, /Installed in HubSpot account 50002/);
      const a = await lastAttempt();
      assert.deepEqual([a.outcome, a.reason, a.portalId], ['installed', 'installed', STARTER]);
      assert.ok(t.rec.lines.some((l) => JSON.parse(l).event === 'finalize'));
      // A replayed finalize gets the first outcome.
      const again = await t.request('GET', finalize.pathname + finalize.search);
      assert.equal(again.status, 200);
    });

    it('a returnUrl outside HubSpot and the listed origins is refused: no redirect (no open redirect)', async () => {
      for (const evil of ['https://evil.example/x', 'https://app.hubspot.com.evil.example/x', `${t.sandbox.origin}@evil.example/`, 'http://app.hubspot.com/x']) {
        const r = await t.request('GET', `/hook/callback?step=authorize&returnUrl=${encodeURIComponent(evil)}`);
        assert.equal(r.status, 400, evil);
        assert.equal(r.headers.get('location'), null);
        assert.match(r.text, /not a HubSpot address/);
      }
      const ok = await t.request('GET', `/hook/callback?step=authorize&returnUrl=${encodeURIComponent('https://app-eu1.hubspot.com/x?y=1')}`);
      assert.equal(ok.status, 302);
      assert.equal(ok.headers.get('location'), 'https://app-eu1.hubspot.com/x?y=1');
    });
  });

  describe('HTTP: methods, paths, bodies, mounting', () => {
    it('wrong methods (405 with Allow), unknown paths (404), non-JSON (415), oversize (413), bad JSON (400)', async () => {
      const s = await t.request('GET', '/hook/state');
      assert.deepEqual([s.status, s.headers.get('allow'), s.json.code], [405, 'POST', 'hook.bad_request']);
      const n = await t.request('GET', '/hook/nope');
      assert.deepEqual([n.status, n.json.code], [404, 'hook.not_found']);
      assert.equal((await t.request('POST', '/elsewhere/state')).status, 404);
      const plain = await t.request('POST', '/hook/exchange', { body: '{"code":"x"}', headers: { 'content-type': 'text/plain' } });
      assert.deepEqual([plain.status, plain.json.code], [415, 'hook.bad_request']);
      const big = await t.request('POST', '/hook/exchange', { json: { code: 'x', pad: 'y'.repeat(20000) } });
      assert.equal(big.status, 413);
      const bad = await t.request('POST', '/hook/exchange', { body: '{"code":', headers: { 'content-type': 'application/json' } });
      assert.deepEqual([bad.status, bad.json.message], [400, 'The request body is not JSON.']);
      const arr = await t.request('POST', '/hook/exchange', { json: ['x'] });
      assert.equal(arr.status, 400);
      assert.equal((await lastAttempt()).reason, 'hook.bad_request');
    });

    it('Express-style: mounted below a path (stripped by the framework), a parsed req.body, next() for the rest', async () => {
      const mounted = await t.makeHook({ basePath: '' });
      const server = createServer((req, res) => {
        // What app.use('/api/hubspot', express.json(), hook.handler) does.
        if (!req.url.startsWith('/api/hubspot')) return res.writeHead(404).end();
        req.url = req.url.slice('/api/hubspot'.length) || '/';
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
          if (chunks.length) req.body = JSON.parse(Buffer.concat(chunks).toString());
          mounted.handler(req, res, () => res.writeHead(299).end('next'));
        });
      });
      await new Promise((r) => server.listen(0, '127.0.0.1', r));
      const base = `http://127.0.0.1:${server.address().port}/api/hubspot`;
      try {
        const state = (await (await fetch(`${base}/state`, { method: 'POST' })).json()).state;
        const { code } = await t.authorize({ state });
        const r = await fetch(`${base}/exchange`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, state, redirect_uri: t.redirect }) });
        const body = t.rec.add(await r.json());
        assert.equal(r.status, 200, JSON.stringify(body));
        assert.equal(body.portal_id, ENTERPRISE);
        const other = await fetch(`${base}/other`);
        assert.deepEqual([other.status, await other.text()], [299, 'next']);
      } finally {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
        await mounted.close();
      }
    });

    it('exchange() as a plain function (serverless), defaulting redirect_uri to the hook\'s', async () => {
      const state = await t.hook.issueState();
      const { code } = await t.authorize({ state });
      const r = t.rec.add(await t.hook.exchange({ code, state, redirect_uri: '' }));
      assert.equal(r.status, 200);
      assert.equal(r.body.ok, true);
      const bad = await t.hook.exchange(null);
      assert.deepEqual([bad.status, bad.body.code], [400, 'hook.bad_request']);
    });

    it('installUrl(): the core builds it from the config with a fresh state, which the sandbox accepts', async () => {
      const { url, state } = await t.hook.installUrl({ withScopes: ['e-commerce'] });
      const u = new URL(url);
      assert.equal(u.searchParams.get('state'), state);
      assert.equal(u.searchParams.get('redirect_uri'), t.redirect);
      assert.match(u.searchParams.get('scope'), /e-commerce/);
      const { code } = await t.authorize({ state, conditional: ['e-commerce'] });
      assert.equal((await t.exchange({ code, state, redirect_uri: t.redirect })).status, 200);
    });
  });

  describe('the attempt log', () => {
    it('GET /attempts.csv: the last 30 days, one row per attempt, with outcome and reason; formulas defused', async () => {
      const now = Math.floor(Date.now() / 1000);
      await t.hook.store.appendAttempt({ at: now - 31 * 86400, outcome: 'failed', reason: 'token.old', portalId: null, detail: 'too old' });
      await t.hook.store.appendAttempt({ at: now, outcome: 'failed', reason: 'hook.bad_request', portalId: null, detail: '=HYPERLINK("http://x.example","a, b")' });
      const r = await t.request('GET', '/hook/attempts.csv');
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type'), /^text\/csv/);
      assert.match(r.headers.get('content-disposition'), /attachment/);
      const lines = r.text.trimEnd().split('\r\n');
      assert.equal(lines[0], 'at,outcome,reason,portal_id,detail');
      assert.ok(!r.text.includes('token.old'));
      assert.ok(lines.includes(`${new Date(now * 1000).toISOString().replace('.000Z', 'Z')},failed,hook.bad_request,,"'=HYPERLINK(""http://x.example"",""a, b"")"`));
      for (const line of lines.slice(1)) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ,(installed|failed|replayed|redirected),[a-z_.]+,\d*,/);
      const reasons = codes(await t.hook.attempts());
      for (const c of ['installed', 'state.bad_signature', 'state.expired', 'state.unsigned', 'state.malformed', 'hook.state_replayed', 'hook.code_replayed', 'redirect.unregistered', 'callback.access_denied', 'callback.marketplace_initiated', 'callback.bad_return_url', 'token.bad_auth_code'])
        assert.ok(reasons.includes(c), c);
    });

    it('exposeAttempts: false leaves /attempts.csv to the site', async () => {
      const quiet = await t.makeHook({ exposeAttempts: false });
      const server = createServer((req, res) => quiet.handler(req, res));
      await new Promise((r) => server.listen(0, '127.0.0.1', r));
      try {
        const r = await fetch(`http://127.0.0.1:${server.address().port}/hook/attempts.csv`);
        assert.equal(r.status, 404);
      } finally {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
        await quiet.close();
      }
    });
  });

  it('no secret, state key, token or code in any log line, answer, page or CSV of this file', async () => {
    t.rec.add(await t.hook.attemptsCsv());
    t.rec.add(JSON.stringify(t.hook.store.db.prepare('SELECT * FROM hsinstall_attempts').all()));
    t.rec.add(JSON.stringify(t.hook.store.db.prepare('SELECT * FROM hsinstall_codes').all()));
    await t.storedSecrets();
    const n = t.rec.scan();
    assert.ok(n > 20, `only ${n} secrets checked`);
  });
});
