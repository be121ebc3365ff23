// Runs every shared vector under tests/vectors/ through the JS API of the wasm
// module, and judges it exactly as the C++ driver (tests/core/vectors_test.cpp)
// does: the multiset of codes, the diagnostics that must be present (partial
// match), and a partial match of the value (null: the call failed).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import * as hs from '../../wasm/index.js';

// The shared vectors and the adversarial corpus (same format), each judged alike.
const dirs = ['vectors', 'adversarial'].map((d) => fileURLToPath(new URL(`../${d}/`, import.meta.url)));
const files = dirs.flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => dir + f));
const counts = { vectors: 0, adversarial: 0 };

const hex = (h) => Uint8Array.from((h || '').match(/../g) || [], (b) => parseInt(b, 16));
const config = (c) => (c.text !== undefined ? c.text : c.json);
const without = (v, key = 'diagnostics') => {
  const { [key]: _, ...rest } = v;
  return rest;
};

// Calls that throw HsInstallError give no value and the error's diagnostics.
function attempt(f) {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    if (!(e instanceof hs.HsInstallError)) throw e;
    return { ok: false, error: e };
  }
}
function valueOrNull(f, shape = (v) => without(v)) {
  const r = attempt(f);
  return r.ok ? { value: shape(r.value), diagnostics: r.value.diagnostics } : { value: null, diagnostics: r.error.diagnostics };
}

// One case: {value, diagnostics}, from the JS API only.
function run(op, i) {
  switch (op) {
    case 'scope.lookup':
      return { value: hs.scopes.lookup(i.name), diagnostics: [] };
    case 'scope.suggest':
      return { value: { suggestions: hs.scopes.suggest(i.name) }, diagnostics: [] };
    case 'scope.search':
      return { value: { names: hs.scopes.search(i.text).map((s) => s.name) }, diagnostics: [] };
    case 'scope.validate':
      return {
        value: null,
        diagnostics: hs.validateScopes({ required: i.required, conditional: i.conditional, optional: i.optional, marketplace: i.marketplace }),
      };
    case 'app_config.parse':
      return valueOrNull(() => hs.parseConfig(config(i), { fileName: i.file_name }));
    case 'redirect_uri.validate':
      return { value: null, diagnostics: hs.validateRedirectUri(i.uri, 'registered' in i ? { registered: i.registered } : undefined) };
    case 'install_url.build':
      return valueOrNull(
        () =>
          hs.buildInstallUrl({
            clientId: i.client_id,
            redirectUri: i.redirect_uri,
            scopes: i.scopes,
            optionalScopes: i.optional_scopes,
            state: i.state,
            host: i.host,
            accountId: i.account_id,
          }),
        (v) => ({ url: v.url }),
      );
    case 'install_url.build_from_config':
      return valueOrNull(
        () =>
          hs.buildInstallUrl({
            config: config(i.config),
            configFileName: i.config.file_name,
            clientId: i.client_id,
            redirectUri: i.redirect_uri,
            conditionalScopes: i.with,
            state: i.state,
            host: i.host,
            accountId: i.account_id,
          }),
        (v) => ({ url: v.url }),
      );
    case 'install_url.inspect': {
      const v = hs.inspectInstallUrl(i.url, i.config ? { config: config(i.config), configFileName: i.config.file_name } : undefined);
      return { value: without(v), diagnostics: v.diagnostics };
    }
    case 'callback.parse':
      return valueOrNull(() => hs.parseCallback(i.url, { expectedState: i.expected_state }));
    case 'state.encode': {
      const encoded = attempt(() => hs.encodeState({ random: hex(i.random_hex), expiresAt: i.expires_at }));
      if (!encoded.ok) return { value: null, diagnostics: encoded.error.diagnostics };
      if (i.mac_hex === undefined) return { value: { state: encoded.value }, diagnostics: [] };
      const signed = attempt(() => hs.signState(encoded.value, hex(i.mac_hex)));
      return signed.ok ? { value: { state: signed.value }, diagnostics: [] } : { value: null, diagnostics: signed.error.diagnostics };
    }
    case 'state.verify': {
      const decoded = attempt(() => hs.decodeState(i.state));
      const diagnostics = hs.verifyState(i.state, { now: i.now ?? 0, expectedMac: hex(i.expected_mac_hex) });
      return { value: decoded.ok ? without(decoded.value) : null, diagnostics };
    }
    case 'token.code_request':
      return valueOrNull(() =>
        hs.buildCodeRequest({
          clientId: i.client_id,
          clientSecret: i.client_secret,
          redirectUri: i.redirect_uri,
          code: i.code,
          codeVerifier: i.code_verifier,
          api: i.api,
          apiBase: i.api_base,
        }),
      );
    case 'token.refresh_request':
      return valueOrNull(() =>
        hs.buildRefreshRequest({ clientId: i.client_id, clientSecret: i.client_secret, refreshToken: i.refresh_token, api: i.api, apiBase: i.api_base }),
      );
    case 'token.introspection_request':
    case 'token.revoke_request': {
      const build = op === 'token.revoke_request' ? hs.buildRevokeRequest : hs.buildIntrospectionRequest;
      return valueOrNull(() =>
        build({ clientId: i.client_id, clientSecret: i.client_secret, token: i.token, tokenTypeHint: i.token_type_hint, api: i.api, apiBase: i.api_base }),
      );
    }
    case 'token.parse_response':
    case 'token.parse_introspection': {
      const key = op === 'token.parse_response' ? 'tokens' : 'introspection';
      const parse = op === 'token.parse_response' ? hs.parseTokenResponse : hs.parseIntrospectionResponse;
      const r = attempt(() => parse(i.status, i.body));
      return r.ok
        ? { value: { [key]: without(r.value), error: null }, diagnostics: r.value.diagnostics }
        : { value: { [key]: null, error: r.error.tokenError }, diagnostics: r.error.diagnostics };
    }
    case 'grant.compare': {
      const v = hs.compareGrantedScopes(i.granted, {
        required: i.required,
        conditional: i.conditional,
        optional: i.optional,
        requestedConditional: i.requested_conditional,
      });
      return { value: without(v), diagnostics: v.diagnostics };
    }
    default:
      throw new Error(`unknown op ${op}`);
  }
}

// Every key of `want` must match in `got`; arrays match element by element and in length.
// Returns the path of the first mismatch, or null.
function mismatch(want, got, path = '') {
  if (want !== null && typeof want === 'object' && !Array.isArray(want)) {
    if (got === null || typeof got !== 'object' || Array.isArray(got)) return path || '/';
    for (const k of Object.keys(want)) {
      if (!Object.hasOwn(got, k)) return `${path}/${k} (missing)`;
      const m = mismatch(want[k], got[k], `${path}/${k}`);
      if (m !== null) return m;
    }
    return null;
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) return path || '/';
    for (let i = 0; i < want.length; i++) {
      const m = mismatch(want[i], got[i], `${path}/${i}`);
      if (m !== null) return m;
    }
    return null;
  }
  return want === got ? null : path || '/';
}


before(async () => {
  await hs.load();
});

for (const file of files) {
  const { cases } = JSON.parse(readFileSync(file, 'utf8'));
  const kind = file.includes('/adversarial/') ? 'adversarial' : 'vectors';
  describe(`${kind}/${file.split('/').pop()}`, () => {
    for (const c of cases) {
      counts[kind]++;
      it(c.name, () => {
        const out = run(c.op, c.input);
        const got = JSON.stringify(out);
        const codes = out.diagnostics.map((d) => d.code).sort();
        if (c.expect.codes) assert.deepEqual(codes, [...c.expect.codes].sort(), `codes differ; got: ${got}`);
        for (const want of c.expect.diagnostics || [])
          assert.ok(out.diagnostics.some((d) => mismatch(want, d) === null), `wanted diagnostic ${JSON.stringify(want)}; got: ${got}`);
        if ('value' in c.expect) {
          const m = mismatch(c.expect.value, out.value);
          assert.equal(m, null, `value mismatch at ${m}; got: ${got}`);
        }
      });
    }
  });
}

describe('vector count', () => {
  it('runs at least 600 shared vectors', () => assert.ok(counts.vectors >= 600, `only ${counts.vectors} vectors`));
  it('runs at least 300 adversarial cases', () => assert.ok(counts.adversarial >= 300, `only ${counts.adversarial} cases`));
});
