// Differential checks against WHATWG URL (Node's URL and URLSearchParams): every URL the
// core builds, and every URL or callback it accepts, must read the same in a browser's
// parser. Inputs are generated from a fixed seed (thousands per run), so a failure names a
// reproducible case. The same generator shape drives tests/python/test_differential.py.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';

import * as hs from '../../wasm/index.js';

const SEED = 20261125;
const ROUNDS = 3000;

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CLIENT_ID = '0f3e4c2a-1b2c-4d5e-8f90-123456789abc';
// Text pieces that stress encoders: reserved characters, '+', '%', spaces, non-ASCII, emoji.
const TEXT = ['a', 'Z', '0', '-', '.', '_', '~', ' ', '!', '"', '#', '$', '%', '&', "'", '(', ')', '*', '+', ',', '/', ':', ';', '<',
  '=', '>', '?', '@', '[', '\\', ']', '^', '`', '{', '|', '}', 'é', 'ß', '€', '中', '😀', '%20', '%2B', '+%'];
const HOSTS = ['app.example.com', 'a-b.example.co.uk', 'x1.example', 'localhost'];
const PATH = ['oauth', 'callback', 'cb', 'hubspot', 'a-b', 'x_y', '~t', '%C3%A9', 'v1.2'];

const words = (s) => s.split(' ').filter(Boolean);

describe('WHATWG URL agrees with the core', () => {
  let current;
  let rand;
  const pick = (a) => a[Math.floor(rand() * a.length)];
  const text = (n) => Array.from({ length: n }, () => pick(TEXT)).join('');

  before(async () => {
    await hs.load();
    current = hs.scopes.list().filter((s) => s.status === 'current' && s.name !== 'oauth').map((s) => s.name);
  });

  it(`reads every built install URL the same (${ROUNDS} seeded cases)`, () => {
    rand = mulberry32(SEED);
    let built = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const host = pick(HOSTS);
      const scheme = host === 'localhost' ? 'http' : 'https';
      const port = rand() < 0.2 ? `:${1024 + Math.floor(rand() * 60000)}` : '';
      const path = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(PATH)).join('/');
      const query = rand() < 0.3 ? `?t=${encodeURIComponent(text(3))}` : '';
      const redirectUri = `${scheme}://${host}${port}/${path}${query}`;
      const pool = [...current].sort(() => rand() - 0.5);
      const scopes = ['oauth', ...pool.slice(0, Math.floor(rand() * 6))];
      const optionalScopes = pool.slice(6, 6 + Math.floor(rand() * 4));
      const state = text(1 + Math.floor(rand() * 20));
      const options = { clientId: CLIENT_ID, redirectUri, scopes, optionalScopes, state };
      if (rand() < 0.3) options.host = 'eu1';
      if (rand() < 0.2) options.accountId = String(1 + Math.floor(rand() * 1e9));
      const c = `case ${i}: ${JSON.stringify(options)}`;
      let url;
      try {
        url = hs.buildInstallUrl(options).url;
      } catch (e) {
        assert.ok(e instanceof hs.HsInstallError, c);
        continue; // the core refused the input (and said why); nothing to compare
      }
      built++;
      const u = new URL(url);
      assert.equal(u.href, url, `${c}: WHATWG re-serialises the URL differently`);
      assert.equal(u.protocol, 'https:', c);
      assert.equal(u.hostname, options.host === 'eu1' ? 'app-eu1.hubspot.com' : 'app.hubspot.com', c);
      assert.equal(u.pathname, options.accountId ? `/oauth/${options.accountId}/authorize` : '/oauth/authorize', c);
      const p = u.searchParams;
      for (const k of ['client_id', 'redirect_uri', 'scope', 'state']) assert.equal(p.getAll(k).length, 1, `${c}: ${k}`);
      assert.equal(p.get('client_id'), CLIENT_ID, c);
      assert.equal(p.get('redirect_uri'), redirectUri, c);
      assert.deepEqual(words(p.get('scope')), scopes, c);
      assert.deepEqual(words(p.get('optional_scope') || ''), optionalScopes, c);
      assert.equal(p.get('state'), state, c);
      // And the core reads its own URL back to the same fields.
      const back = hs.parseInstallUrl(url);
      assert.deepEqual([back.redirect_uri, back.scopes, back.optional_scopes, back.state], [redirectUri, scopes, optionalScopes, state], c);
    }
    assert.ok(built > ROUNDS * 0.8, `only ${built} of ${ROUNDS} inputs were buildable`);
  });

  it(`reads every install URL the core accepts the same (${ROUNDS} mutated cases)`, () => {
    rand = mulberry32(SEED + 1);
    const base = hs.buildInstallUrl({
      clientId: CLIENT_ID, redirectUri: 'https://app.example.com/oauth/callback?x=1',
      scopes: ['oauth', 'crm.objects.contacts.read'], optionalScopes: ['crm.objects.deals.read'], state: 'S-1',
    }).url;
    const JUNK = ['+', '%', '%2', '%zz', '%00', '%FF', '%C3%A9', '#', ';', '&', '=', '&&', '\\', ' ', '\t', 'é', '%20', '%2B',
      '&state=x', '&scope=tickets', '?', '/', '.', '..', ':', '@', 'A'];
    let accepted = 0;
    for (let i = 0; i < ROUNDS; i++) {
      let url = base;
      for (let k = 1 + Math.floor(rand() * 3); k > 0; k--) {
        const at = Math.floor(rand() * (url.length + 1));
        url = url.slice(0, at) + pick(JUNK) + url.slice(at);
      }
      const r = hs.inspectInstallUrl(url);
      if (r.diagnostics.some((d) => d.severity === 'error')) continue;
      accepted++;
      const c = `case ${i}: ${url}`;
      const u = new URL(url);
      assert.equal(u.hostname, r.host, c);
      const p = u.searchParams;
      assert.equal(p.get('client_id'), r.client_id, c);
      assert.equal(p.get('redirect_uri'), r.redirect_uri, c);
      assert.deepEqual(words(p.get('scope') || ''), r.scopes, c);
      assert.deepEqual(words(p.get('optional_scope') || ''), r.optional_scopes, c);
      assert.equal(p.get('state'), r.state, c);
    }
    assert.ok(accepted > 100, `only ${accepted} mutated URLs were accepted; the comparison is too thin`);
  });

  it(`reads every callback the core accepts the same (${ROUNDS} seeded cases)`, () => {
    rand = mulberry32(SEED + 2);
    let accepted = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const code = rand() < 0.8 ? `na1-${Math.floor(rand() * 1e9).toString(16)}` : text(4);
      const state = text(1 + Math.floor(rand() * 12));
      const enc = (s) => (rand() < 0.5 ? encodeURIComponent(s) : encodeURIComponent(s).replace(/%20/g, '+'));
      let query = `code=${enc(code)}&state=${enc(state)}`;
      if (rand() < 0.3) query += `&${pick(['x', 'hs', 'step_', 'returnUrl_'])}=${enc(text(3))}`;
      if (rand() < 0.2) query = query.replace('&', pick(['&', ';', '&&', '&amp;']));
      const url = `https://app.example.com/oauth/callback?${query}`;
      let cb;
      try {
        cb = hs.parseCallback(url, { expectedState: state });
      } catch (e) {
        assert.ok(e instanceof hs.HsInstallError, url);
        continue;
      }
      accepted++;
      const p = new URL(url).searchParams;
      assert.equal(p.getAll('code').length, 1, url);
      assert.equal(p.get('code'), cb.code, url);
      assert.equal(p.get('state'), cb.state, url);
    }
    assert.ok(accepted > ROUNDS * 0.3, `only ${accepted} callbacks accepted`);
  });
});
