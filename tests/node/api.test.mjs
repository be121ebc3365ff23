// Tests of the JS API itself (the shared vectors are in vectors.test.mjs): loading,
// result types, thrown errors, Unicode, very long inputs, and what the wrapper
// adds over the core (option names, defaults, input coercion).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import * as hs from '../../wasm/index.js';

const CLIENT_ID = '0f3e4c2a-1b2c-4d5e-8f90-123456789abc';
const REDIRECT = 'https://acme.example/oauth/callback';
const STATE = 'AQIDBAUGBwgJCgsMDQ4PEA';
const MB = 1 << 20;
const CONFIG = readFileSync(new URL('../fixtures/configs/official/oauth-marketplace-app-hsmeta.json', import.meta.url), 'utf8');

const isDiagnostic = (d) =>
  ['code', 'where', 'message', 'hint'].every((k) => typeof d[k] === 'string') && ['error', 'warning', 'note'].includes(d.severity);
const codes = (ds) => ds.map((d) => d.code);
function throwsWith(f, code) {
  let error;
  assert.throws(f, (e) => ((error = e), e instanceof hs.HsInstallError));
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'HsInstallError');
  assert.ok(Array.isArray(error.diagnostics) && error.diagnostics.length > 0);
  assert.ok(error.diagnostics.every(isDiagnostic));
  if (code) {
    assert.ok(codes(error.diagnostics).includes(code), `wanted ${code}, got ${codes(error.diagnostics)}`);
    assert.equal(error.code, error.diagnostics.find((d) => d.severity === 'error').code);
    assert.match(error.message, new RegExp(`^${error.code.replace('.', '\\.')}: `));
  }
  return error;
}
// Long inputs must come back quickly: measured, not only survived.
function quick(f, ms = 2000) {
  const t = performance.now();
  const r = f();
  const took = performance.now() - t;
  assert.ok(took < ms, `took ${took.toFixed(0)} ms`);
  return r;
}

// These run first, in this process's fresh module.
describe('before load()', () => {
  it('every call throws a clear Error until load() resolves', () => {
    assert.equal(hs.isLoaded(), false);
    for (const [name, call] of [
      ['buildInstallUrl', () => hs.buildInstallUrl({ clientId: CLIENT_ID })],
      ['parseCallback', () => hs.parseCallback('?code=a&state=b')],
      ['lintConfig', () => hs.lintConfig('{}')],
      ['scopes.lookup', () => hs.scopes.lookup('oauth')],
      ['encodeState', () => hs.encodeState()],
    ]) {
      assert.throws(call, (e) => e instanceof Error && !(e instanceof hs.HsInstallError) && e.message.includes(`${name}() was called before the module loaded`) && e.message.includes('await load()'));
    }
  });

  it('a failed load rejects, and a later load() retries', async () => {
    const bad = hs.load({ wasm: new Uint8Array([0, 97, 115, 109, 9, 9, 9, 9]) });
    await assert.rejects(bad);
    assert.equal(hs.isLoaded(), false);
  });

  it('concurrent load() calls share one promise and one module', async () => {
    const calls = [hs.load(), hs.load(), hs.load()];
    assert.ok(calls.every((p) => p === calls[0]));
    const apis = await Promise.all(calls);
    assert.ok(apis.every((a) => a === apis[0]));
    assert.equal(hs.isLoaded(), true);
    assert.equal(await hs.load(), apis[0]);
    assert.ok(Object.isFrozen(apis[0]));
    assert.equal(apis[0].buildInstallUrl, hs.buildInstallUrl);
    assert.equal(apis[0].scopes, hs.scopes);
  });
});

describe('after load()', () => {
  before(() => hs.load());

  describe('result types', () => {
    it('buildInstallUrl returns {url, diagnostics}', () => {
      const r = hs.buildInstallUrl({ clientId: CLIENT_ID, redirectUri: REDIRECT, scopes: ['oauth'], state: STATE });
      assert.deepEqual(Object.keys(r).sort(), ['diagnostics', 'url']);
      assert.equal(typeof r.url, 'string');
      assert.deepEqual(r.diagnostics, []);
    });

    it('warnings come back with the value', () => {
      const r = hs.buildInstallUrl({ clientId: CLIENT_ID, redirectUri: REDIRECT, scopes: ['oauth'] });
      assert.deepEqual(codes(r.diagnostics), ['install_url.missing_state']);
      assert.ok(r.diagnostics.every(isDiagnostic));
    });

    it('validate*, lint* and verify* return arrays of diagnostics', () => {
      for (const ds of [
        hs.validateRedirectUri(REDIRECT),
        hs.validateRedirectUri('http://acme.example/cb'),
        hs.validateScopes({ required: ['oauth', 'contacts'] }),
        hs.lintConfig(CONFIG, { fileName: 'app-hsmeta.json' }),
        hs.lintConfig('{'),
        hs.verifyState(STATE, { now: 0 }),
      ]) {
        assert.ok(Array.isArray(ds));
        assert.ok(ds.every(isDiagnostic));
      }
      assert.deepEqual(hs.validateRedirectUri(REDIRECT), []);
      assert.deepEqual(codes(hs.validateRedirectUri('http://acme.example/cb')), ['redirect.insecure']);
      assert.deepEqual(codes(hs.validateRedirectUri(REDIRECT, { registered: ['https://acme.example/other'] })), ['redirect.unregistered']);
    });

    it('values are the core JSON shapes', () => {
      const cb = hs.parseCallback(`${REDIRECT}?code=na1-abc&state=${STATE}`, { expectedState: STATE });
      assert.deepEqual(cb, { kind: 'success', code: 'na1-abc', state: STATE, state_verified: true, return_url: '', extra_params: {}, diagnostics: [] });
      const seen = hs.inspectInstallUrl(hs.buildInstallUrl({ clientId: CLIENT_ID, redirectUri: REDIRECT, scopes: ['oauth'], state: STATE, host: 'eu1', accountId: 42 }).url);
      assert.equal(seen.host, 'app-eu1.hubspot.com');
      assert.equal(seen.hublet, 'eu1');
      assert.equal(seen.account_id, '42');
      assert.deepEqual(seen.scopes, ['oauth']);
      const app = hs.parseConfig(CONFIG, { fileName: 'app-hsmeta.json' });
      assert.equal(app.format, 'hsmeta');
      assert.ok(Array.isArray(app.scopes.required));
      const info = hs.scopes.lookup('crm.objects.contacts.read');
      assert.deepEqual(Object.keys(info).sort(), ['description', 'name', 'replacements', 'sensitivity', 'status', 'tier']);
      assert.equal(hs.scopes.lookup('no.such.scope'), null);
    });

    it('the scope catalogue: list, search, suggest', () => {
      const all = hs.scopes.list();
      assert.ok(all.length > 100);
      assert.deepEqual(all.map((s) => s.name), [...all.map((s) => s.name)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      all[0].name = 'changed';
      assert.notEqual(hs.scopes.list()[0].name, 'changed', 'list() hands out fresh objects');
      assert.ok(hs.scopes.search('contacts').every((s) => /contacts/i.test(s.name + s.description)));
      assert.deepEqual(hs.scopes.suggest('crm.objects.contact.read', { max: 1 }), ['crm.objects.contacts.read']);
    });

    it('token helpers: request builders and response parsers', () => {
      const req = hs.buildCodeRequest({ clientId: CLIENT_ID, clientSecret: 'shh', redirectUri: REDIRECT, code: 'na1-abc' });
      assert.equal(req.method, 'POST');
      assert.equal(req.url, 'https://api.hubapi.com/oauth/v3/token');
      assert.ok(req.body.includes('client_secret=shh'));
      assert.ok(!req.url.includes('shh'));
      assert.equal(hs.buildRefreshRequest({ clientId: CLIENT_ID, clientSecret: 's', refreshToken: 'r', api: 'v1' }).url, 'https://api.hubapi.com/oauth/v1/token');
      assert.equal(hs.buildRefreshRequest({ clientId: CLIENT_ID, clientSecret: 's', refreshToken: 'r', apiBase: 'http://127.0.0.1:9000' }).url, 'http://127.0.0.1:9000/oauth/v3/token');
      const tokens = hs.parseTokenResponse(200, JSON.stringify({ access_token: 'a', refresh_token: 'r', expires_in: 1800, token_type: 'bearer' }));
      assert.equal(tokens.access_token, 'a');
      assert.equal(tokens.expires_in, 1800);
      const e = throwsWith(() => hs.parseTokenResponse(429, JSON.stringify({ status: 'error', message: 'slow down' })));
      assert.equal(e.tokenError.http_status, 429);
      assert.equal(typeof e.tokenError.retryable, 'boolean');
      assert.equal(e.tokenError.code, e.code);
      const broken = throwsWith(() => hs.parseTokenResponse(200, 'not json'), 'token.malformed_response');
      assert.equal(broken.tokenError.code, 'token.malformed_response');
      const cmp = hs.compareGrantedScopes(['oauth'], { required: ['oauth', 'crm.objects.contacts.read'] });
      assert.deepEqual(cmp.missing_required, ['crm.objects.contacts.read']);
      assert.ok(codes(cmp.diagnostics).length > 0);
    });

    it('state: encode, sign, decode, verify', () => {
      const a = hs.encodeState();
      const b = hs.encodeState();
      assert.notEqual(a, b, 'fresh random bytes each time');
      assert.match(a, /^[A-Za-z0-9_-]{22}$/);
      const exp = hs.encodeState({ random: new Uint8Array(16).fill(7), expiresAt: 2000000000 });
      const decoded = hs.decodeState(exp);
      assert.equal(decoded.expires_at, 2000000000);
      assert.equal(decoded.signed, false);
      assert.equal(decoded.signed_part, exp);
      const mac = new Uint8Array(32).fill(9);
      const signed = hs.signState(exp, mac);
      assert.deepEqual(hs.verifyState(signed, { now: 1000, expectedMac: mac }), []);
      assert.deepEqual(codes(hs.verifyState(signed, { now: 1000, expectedMac: new Uint8Array(32) })), ['state.bad_signature']);
      assert.deepEqual(codes(hs.verifyState(signed, { now: 2000000001, expectedMac: mac })), ['state.expired']);
      assert.deepEqual(codes(hs.verifyState(exp)), [], 'the default now is the clock, before 2033');
      // Bytes in any shape: Buffer, ArrayBuffer, DataView, plain array.
      const random = Array.from({ length: 16 }, (_, i) => i);
      const want = hs.encodeState({ random: new Uint8Array(random) });
      for (const r of [Buffer.from(random), new Uint8Array(random).buffer, new DataView(new Uint8Array(random).buffer), random])
        assert.equal(hs.encodeState({ random: r }), want);
    });
  });

  describe('errors', () => {
    it('build* throws HsInstallError with every diagnostic', () => {
      const e = throwsWith(
        () => hs.buildInstallUrl({ clientId: CLIENT_ID, redirectUri: 'http://acme.example/cb', scopes: ['oauth', 'crm.objects.contact.read'], state: STATE }),
        'redirect.insecure',
      );
      assert.ok(codes(e.diagnostics).includes('scope.unknown'));
      assert.match(e.message, /\(\+1 more\)$/);
      const hint = e.diagnostics.find((d) => d.code === 'scope.unknown').hint;
      assert.match(hint, /crm\.objects\.contacts\.read/);
    });

    it('parse* throws HsInstallError: forged state, HubSpot error, malformed config', () => {
      throwsWith(() => hs.parseCallback(`${REDIRECT}?code=x&state=forged`, { expectedState: STATE }), 'callback.state_mismatch');
      throwsWith(() => hs.parseCallback(`${REDIRECT}?error=access_denied&state=${STATE}`, { expectedState: STATE }), 'callback.access_denied');
      const e = throwsWith(() => hs.parseConfig('{"uid": "x",'), 'config.malformed_json');
      assert.ok(e.diagnostics[0].message.length > 0);
      throwsWith(() => hs.parseInstallUrl('https://evil.example/oauth/authorize?client_id=x'));
      throwsWith(() => hs.decodeState('***'), 'state.malformed');
      throwsWith(() => hs.encodeState({ random: new Uint8Array(8) }), 'state.too_short');
      throwsWith(() => hs.buildCodeRequest({ clientId: CLIENT_ID }));
    });

    it('inspect never throws for a bad URL, only for a bad config', () => {
      const seen = hs.inspectInstallUrl('not a url at all');
      assert.ok(seen.diagnostics.some((d) => d.severity === 'error'));
      throwsWith(() => hs.inspectInstallUrl('https://app.hubspot.com/oauth/authorize', { config: '{' }), 'config.malformed_json');
    });

    it('scopes and a config together is a usage error (TypeError)', () => {
      assert.throws(() => hs.buildInstallUrl({ config: CONFIG, clientId: CLIENT_ID, scopes: ['oauth'] }), TypeError);
    });
  });

  describe('config sources', () => {
    it('text, bytes and objects give the same answer', () => {
      const fileName = 'app-hsmeta.json';
      const want = hs.parseConfig(CONFIG, { fileName });
      assert.deepEqual(hs.parseConfig(new TextEncoder().encode(CONFIG), { fileName }), want);
      assert.deepEqual(hs.parseConfig(JSON.parse(CONFIG), { fileName }), want);
      const url = hs.buildInstallUrl({ config: JSON.parse(CONFIG), configFileName: fileName, clientId: CLIENT_ID, state: STATE }).url;
      assert.deepEqual(hs.inspectInstallUrl(url, { config: CONFIG, configFileName: fileName }).diagnostics.filter((d) => d.severity !== 'note'), []);
    });

    it('raw bytes keep invalid UTF-8 for the core to find', () => {
      const bytes = new Uint8Array([...new TextEncoder().encode('{"uid": "a'), 0xff, ...new TextEncoder().encode('"}')]);
      assert.ok(hs.lintConfig(bytes).some((d) => d.severity === 'error'));
    });
  });

  describe('Unicode', () => {
    it('non-ASCII state round-trips through the URL, as WHATWG URL reads it', () => {
      const state = 'état-✓-😀-東京';
      const redirectUri = `https://acme.example/${encodeURIComponent('rückruf')}/${encodeURIComponent('😀')}?q=${encodeURIComponent('ü')}`;
      const { url } = hs.buildInstallUrl({ clientId: CLIENT_ID, redirectUri, scopes: ['oauth'], state });
      assert.ok(/^[\x21-\x7e]+$/.test(url), 'the URL is ASCII, percent-encoded');
      const parsed = new URL(url);
      assert.equal(parsed.searchParams.get('state'), state);
      assert.equal(parsed.searchParams.get('redirect_uri'), redirectUri);
      const seen = hs.inspectInstallUrl(url);
      assert.equal(seen.state, state);
      assert.equal(seen.redirect_uri, redirectUri);
      const cb = hs.parseCallback(`${REDIRECT}?code=na1-abc&state=${encodeURIComponent(state)}`, { expectedState: state });
      assert.equal(cb.state, state);
      assert.equal(cb.state_verified, true);
    });

    it('a raw non-ASCII redirect URI is the core\'s to refuse', () => {
      throwsWith(() => hs.buildInstallUrl({ clientId: CLIENT_ID, redirectUri: 'https://acme.example/rückruf', scopes: ['oauth'], state: STATE }), 'url.invalid_character');
    });

    it('a lone surrogate reaches the core as is (not valid text), without eating the next character', () => {
      for (const state of ['a\uD800b', 'a\uDC00b', 'ab\uD800', '\uDBFF\uDBFF😀'])
        throwsWith(() => hs.buildInstallUrl({ clientId: CLIENT_ID, redirectUri: REDIRECT, scopes: ['oauth'], state }), 'install_url.invalid_text');
      const e = throwsWith(() => hs.buildInstallUrl({ clientId: CLIENT_ID, redirectUri: REDIRECT, scopes: ['oauth', 'crm.objects.contacts.read\uD800x'], state: STATE }));
      assert.match(e.diagnostics[0].message, /x/, 'the character after the surrogate is still there');
      assert.equal(hs.scopes.lookup('oauth\uD800'), null);
      assert.ok(hs.lintConfig('{"uid": "a\uD800"}').some((d) => d.severity === 'error'));
    });

    it('NUL and control characters pass through to the core intact', () => {
      throwsWith(() => hs.buildInstallUrl({ clientId: CLIENT_ID, redirectUri: REDIRECT, scopes: ['oauth'], state: 'abc\u0000def' }), 'install_url.invalid_text');
      const e = throwsWith(() => hs.buildInstallUrl({ clientId: CLIENT_ID, redirectUri: REDIRECT, scopes: ['oauth', 'crm.objects\u0000.contacts.read'], state: STATE }));
      assert.equal(e.diagnostics.length, 1, 'one scope with a NUL, not two scopes');
    });

    it('scope search and config text in other scripts', () => {
      assert.deepEqual(hs.scopes.search('контакты'), []);
      const app = hs.parseConfig(JSON.stringify({ uid: 'app', type: 'app', config: { name: 'Приложение 😀', description: '説明', distribution: 'private', auth: { type: 'oauth', redirectUrls: [REDIRECT], requiredScopes: ['oauth'] } } }), { fileName: 'app-hsmeta.json' });
      assert.equal(app.name, 'Приложение 😀');
      assert.equal(app.description, '説明');
    });
  });

  describe('very long inputs (1 MB) neither crash nor hang', () => {
    const big = 'a'.repeat(MB);
    const bigUnicode = '😀'.repeat(MB / 4);

    it('build with a 1 MB state', () => {
      const r = quick(() => hs.buildInstallUrl({ clientId: CLIENT_ID, redirectUri: REDIRECT, scopes: ['oauth'], state: big }));
      assert.ok(r.url.length > MB);
      assert.ok(codes(r.diagnostics).includes('install_url.too_long'));
      quick(() => hs.buildInstallUrl({ clientId: CLIENT_ID, redirectUri: REDIRECT, scopes: ['oauth'], state: bigUnicode }));
    });

    it('build with a 1 MB scope name and with 10,000 scopes', () => {
      throwsWith(() => quick(() => hs.buildInstallUrl({ clientId: CLIENT_ID, redirectUri: REDIRECT, scopes: [big], state: STATE })));
      const many = Array.from({ length: 10000 }, (_, i) => `scope.${i}`);
      throwsWith(() => quick(() => hs.buildInstallUrl({ clientId: CLIENT_ID, redirectUri: REDIRECT, scopes: many, state: STATE })));
    });

    it('inspect, parse and callback on 1 MB URLs', () => {
      const url = `https://app.hubspot.com/oauth/authorize?client_id=${CLIENT_ID}&scope=oauth&state=${big}`;
      const seen = quick(() => hs.inspectInstallUrl(url));
      assert.equal(seen.state.length, MB);
      throwsWith(() => quick(() => hs.parseCallback(`${REDIRECT}?code=x&state=${big}`, { expectedState: STATE })), 'callback.oversize');
      quick(() => hs.inspectInstallUrl(bigUnicode));
      throwsWith(() => quick(() => hs.parseInstallUrl(`https://app.hubspot.com/oauth/authorize?${'&'.repeat(MB)}`)), 'install_url.missing_client_id');
    });

    it('lint and parse a 1 MB config', () => {
      const text = JSON.stringify({ uid: 'app', type: 'app', config: { name: big } });
      assert.ok(quick(() => hs.lintConfig(text)).some((d) => d.severity === 'error'));
      const deep = '['.repeat(MB / 2) + ']'.repeat(MB / 2);
      assert.ok(quick(() => hs.lintConfig(deep)).some((d) => d.severity === 'error'));
    });

    it('redirect URI, scope lookup, search, suggest, state and tokens on 1 MB strings', () => {
      assert.ok(quick(() => hs.validateRedirectUri(`https://acme.example/${big}`)).length >= 0);
      assert.equal(quick(() => hs.scopes.lookup(big)), null);
      assert.deepEqual(quick(() => hs.scopes.search(big)), []);
      assert.ok(Array.isArray(quick(() => hs.scopes.suggest(big))));
      throwsWith(() => quick(() => hs.decodeState(big)), 'state.malformed');
      throwsWith(() => quick(() => hs.parseTokenResponse(200, `{"access_token": "${big}"`)), 'token.malformed_response');
      throwsWith(() => quick(() => hs.parseTokenResponse(200, JSON.stringify({ access_token: big, expires_in: 1 }))), 'token.malformed_response');
      const almost = 'a'.repeat(MB - 100);
      assert.equal(quick(() => hs.parseTokenResponse(200, JSON.stringify({ access_token: almost, expires_in: 1 }))).access_token, almost);
    });

    it('the module keeps working after them', () => {
      for (let i = 0; i < 20; i++) hs.buildInstallUrl({ clientId: CLIENT_ID, redirectUri: REDIRECT, scopes: ['oauth'], state: big });
      assert.equal(hs.buildInstallUrl({ clientId: CLIENT_ID, redirectUri: REDIRECT, scopes: ['oauth'], state: STATE }).diagnostics.length, 0);
    });
  });

  describe('the wrapper adds no rules', () => {
    it('options map one to one; conditional scopes join `scope` after the required ones', () => {
      const { url } = hs.buildInstallUrl({
        clientId: CLIENT_ID,
        redirectUri: REDIRECT,
        scopes: 'oauth',
        conditionalScopes: new Set(['crm.objects.deals.read']),
        optionalScopes: ['crm.objects.contacts.read'],
        state: STATE,
      });
      const p = new URL(url).searchParams;
      assert.equal(p.get('scope'), 'oauth crm.objects.deals.read');
      assert.equal(p.get('optional_scope'), 'crm.objects.contacts.read');
    });

    it('values of other types are turned into text; no binding error escapes', () => {
      const e = throwsWith(() => hs.buildInstallUrl({ clientId: 123, redirectUri: new URL(REDIRECT), scopes: [1, null], optionalScopes: new Set([{}]), state: 42, host: ['eu1'] }));
      assert.ok(e.diagnostics.some((d) => d.code === 'scope.unknown'));
      assert.equal(hs.buildRefreshRequest({ clientId: CLIENT_ID, clientSecret: 1, refreshToken: 2, apiBase: new URL('https://api.hubapi.com') }).method, 'POST');
      throwsWith(() => hs.parseCallback(`${REDIRECT}?code=${'c'.repeat(20)}&state=${STATE}`, { expectedState: STATE, maxValueBytes: '10' }), 'callback.oversize');
      assert.ok(Array.isArray(hs.scopes.suggest(42, { max: 'x' })));
      assert.deepEqual(hs.validateRedirectUri(REDIRECT, { registered: REDIRECT }), []);
    });

    it('missing options reach the core as empty and the core reports them', () => {
      const e = throwsWith(() => hs.buildInstallUrl({}));
      assert.deepEqual(codes(e.diagnostics).sort(), ['install_url.missing_client_id', 'install_url.missing_redirect_uri', 'install_url.missing_scope', 'install_url.missing_state']);
      assert.deepEqual(codes(hs.validateScopes({})), codes(hs.validateScopes({ required: [] })));
    });
  });
});
