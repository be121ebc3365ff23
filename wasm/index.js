// hsinstall for JavaScript: the C++ core compiled to WebAssembly, for browsers
// and Node 20+. This file is the whole JS side. It loads the module and
// translates: option objects and JS names in, the core's JSON shapes out
// (hsinstall/json.hpp, the same as the CLI's --json), HsInstallError when a
// build*/parse* call fails. It checks nothing itself; every rule is in the core.
//
// Importing this file costs a few KB and loads no wasm: `load()` does that, once.

/** A failed build*, parse*, encode* or sign* call: `diagnostics` says why. */
export class HsInstallError extends Error {
  constructor(diagnostics, details) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const first = errors[0] || diagnostics[0];
    const more = errors.length > 1 ? ` (+${errors.length - 1} more)` : '';
    super(first ? `${first.code}: ${first.message}${more}` : 'hsinstall: the call failed');
    this.name = 'HsInstallError';
    this.code = first ? first.code : 'hsinstall.failed';
    this.diagnostics = diagnostics;
    if (details) Object.assign(this, details);
  }
}

let core = null; // the Emscripten module, once loaded
let loading = null; // the promise every load() call shares

/**
 * Loads the wasm module (once; concurrent and later calls share the same
 * promise) and resolves to the API. `options.wasm` overrides where the .wasm
 * comes from: a URL or string, a fetch Response (or its promise), bytes, or a
 * compiled WebAssembly.Module. A failed load can be retried.
 */
export function load(options) {
  if (!loading) {
    loading = instantiate(options || {}).then(
      (m) => {
        core = m;
        return api;
      },
      (e) => {
        loading = null;
        throw e;
      },
    );
  }
  return loading;
}

/** True once load() has resolved; every other call needs that. */
export function isLoaded() {
  return core !== null;
}

async function instantiate({ wasm }) {
  const { default: factory } = await import('./dist/hsinstall.mjs');
  return new Promise((resolve, reject) => {
    factory({
      instantiateWasm(imports, receive) {
        compile(wasm === undefined ? new URL('./dist/hsinstall.wasm', import.meta.url) : wasm, imports).then(
          (r) => receive(r.instance, r.module),
          reject,
        );
        return {};
      },
      onAbort: reject,
    }).then(resolve, reject);
  });
}

const nodeFs = 'node:fs/promises'; // a variable, so browser bundlers leave it alone

async function compile(source, imports) {
  source = await source;
  if (source instanceof WebAssembly.Module) return { instance: await WebAssembly.instantiate(source, imports), module: source };
  if (typeof source === 'string' || source instanceof URL) {
    const url = String(source);
    if (url.startsWith('file:')) source = await (await import(nodeFs)).readFile(new URL(url));
    else source = await fetch(url, { credentials: 'same-origin' });
  }
  if (typeof Response === 'function' && source instanceof Response) {
    if (!source.ok) throw new Error(`hsinstall: could not fetch ${source.url || 'the wasm module'} (HTTP ${source.status})`);
    const type = source.headers.get('content-type') || '';
    if (typeof WebAssembly.instantiateStreaming === 'function' && type.startsWith('application/wasm'))
      return WebAssembly.instantiateStreaming(source, imports);
    source = await source.arrayBuffer();
  }
  return WebAssembly.instantiate(source, imports);
}

// ---- translation helpers -------------------------------------------------

function need(name) {
  if (core === null) throw new Error(`hsinstall: ${name}() was called before the module loaded; \`await load()\` first`);
  return core;
}

// A JS string may hold lone surrogates, which are not text. Emscripten's encoder
// would pair one with the next code unit and lose that; such a string goes over as
// its WTF-8 bytes instead, so the core sees (and reports) exactly what it holds.
const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const wellFormed = String.prototype.isWellFormed ? (s) => s.isWellFormed() : (s) => !LONE.test(s);
function wtf8(s) {
  const out = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.codePointAt(i);
    if (c > 0xffff) i++;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}
const text = (s) => (wellFormed(s) ? s : wtf8(s));
const str = (x) => (x === undefined || x === null ? '' : text(String(x)));
// A list crosses as one string, each element followed by a NUL (one conversion for
// the list instead of one per element); as an array when an element holds a NUL or
// a lone surrogate.
const items = (x) => (x === undefined || x === null ? [] : typeof x === 'string' ? [x] : Array.isArray(x) ? x : Array.from(x));
function list(x) {
  const all = items(x);
  let joined = '';
  for (let s of all) {
    s = String(s);
    if (s.includes('\0') || !wellFormed(s)) return all.map((e) => text(String(e)));
    joined += s + '\0';
  }
  return joined;
}
const bytes = (b) =>
  b === undefined || b === null
    ? new Uint8Array(0)
    : b instanceof Uint8Array
      ? b
      : ArrayBuffer.isView(b)
        ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
        : new Uint8Array(b);
// App config: file text, raw file bytes (the core checks their UTF-8), or the parsed object.
const configText = (c) => (typeof c === 'string' ? text(c) : c instanceof ArrayBuffer || ArrayBuffer.isView(c) ? bytes(c) : JSON.stringify(c));
// Absent (undefined or null) reaches the binding as null: the core's default applies.
const optionalStr = (x) => (x === undefined || x === null ? null : str(x));
const optionalNum = (x) => (x === undefined || x === null ? null : Number(x));

const diags = (t) => (t === '[]' ? [] : JSON.parse(t));
// The binding answers "<diagnostics JSON>" or "<diagnostics JSON>\n<value>".
function split(s) {
  const i = s.indexOf('\n');
  return i < 0 ? [diags(s), null] : [diags(s.slice(0, i)), s.slice(i + 1)];
}
function required(s, details) {
  const [d, v] = split(s);
  if (v === null) throw new HsInstallError(d, details);
  return [d, v];
}
// A JSON value with its diagnostics (warnings, notes) attached.
function withDiagnostics(s) {
  const [d, v] = required(s);
  const value = JSON.parse(v);
  value.diagnostics = d;
  return value;
}

// ---- scopes ----------------------------------------------------------------

let catalogue = null; // the JSON text of the whole catalogue, made once

/** The scope catalogue: lookup, typo suggestions, search, the full list. */
export const scopes = Object.freeze({
  /** One scope by exact (case-sensitive) name, or null. */
  lookup(name) {
    return JSON.parse(need('scopes.lookup').scope_lookup(str(name)));
  },
  /** Close requestable names for a misspelt one, best first. */
  suggest(name, options) {
    const max = options && options.max !== undefined ? Number(options.max) : 3;
    return JSON.parse(need('scopes.suggest').scope_suggest(str(name), max));
  },
  /** Case-insensitive search over names and descriptions; every word must match. */
  search(text) {
    return JSON.parse(need('scopes.search').scope_search(str(text)));
  },
  /** Every known scope, sorted by name. */
  list() {
    if (catalogue === null) catalogue = need('scopes.list').scope_list();
    return JSON.parse(catalogue);
  },
});

/** Checks a scope configuration; returns every diagnostic (empty: fine). */
export function validateScopes(options) {
  const o = options || {};
  return diags(need('validateScopes').scope_validate(list(o.required), list(o.conditional), list(o.optional), Boolean(o.marketplace)));
}

// ---- app config ------------------------------------------------------------

/** Parses an app config file (*-hsmeta.json or public-app.json); throws when it has errors. */
export function parseConfig(text, options) {
  return withDiagnostics(need('parseConfig').app_config_parse(configText(text), str(options && options.fileName)));
}

/** Checks an app config file; returns every diagnostic (empty: fine). */
export function lintConfig(text, options) {
  return split(need('lintConfig').app_config_parse(configText(text), str(options && options.fileName)))[0];
}

// ---- redirect URIs ---------------------------------------------------------

/** Checks a redirect URI, and with `registered` that it is one of the app's; returns diagnostics. */
export function validateRedirectUri(uri, options) {
  const c = need('validateRedirectUri');
  const d = diags(c.redirect_uri_validate(str(uri)));
  if (!options || options.registered === undefined || options.registered === null) return d;
  return d.concat(diags(c.redirect_uri_check_registered(str(uri), list(options.registered))));
}

// ---- install URLs ----------------------------------------------------------

/**
 * Builds an install URL from explicit fields or from an app config (`config`);
 * returns {url, diagnostics} or throws HsInstallError.
 */
export function buildInstallUrl(options) {
  const c = need('buildInstallUrl');
  const o = options || {};
  let s;
  if (o.config !== undefined && o.config !== null) {
    if (o.scopes != null || o.optionalScopes != null)
      throw new TypeError('hsinstall: with `config`, the scopes come from the config; ask for conditional ones with `conditionalScopes`');
    s = c.install_url_build_from_config(configText(o.config), str(o.configFileName), str(o.clientId), str(o.redirectUri),
      list(o.conditionalScopes), str(o.state), str(o.host), str(o.accountId));
  } else {
    s = c.install_url_build(str(o.clientId), str(o.redirectUri), list([...items(o.scopes), ...items(o.conditionalScopes)]),
      list(o.optionalScopes), str(o.state), str(o.host), str(o.accountId));
  }
  const [diagnostics, url] = required(s);
  return { url, diagnostics };
}

/**
 * Reads every field of an install URL, best effort, with everything HubSpot
 * would reject; with `config`, also checks it against the app. Throws only when
 * the given config itself does not parse.
 */
export function inspectInstallUrl(url, options) {
  const o = options || {};
  const hasConfig = o.config !== undefined && o.config !== null;
  return withDiagnostics(need('inspectInstallUrl').install_url_inspect(str(url), hasConfig, hasConfig ? configText(o.config) : '', str(o.configFileName)));
}

/** Parses an install URL; throws when it has errors. */
export function parseInstallUrl(url) {
  return withDiagnostics(need('parseInstallUrl').install_url_parse(str(url)));
}

// ---- callbacks -------------------------------------------------------------

/** Parses HubSpot's redirect back (URL or query) and checks `expectedState`; throws on any error. */
export function parseCallback(url, options) {
  const o = options || {};
  return withDiagnostics(need('parseCallback').callback_parse(str(url), str(o.expectedState), optionalNum(o.maxValueBytes), list(o.extraReturnOrigins)));
}

// ---- state -----------------------------------------------------------------

/** A fresh URL-safe state from `random` (16 to 64 bytes; default: 16 from crypto.getRandomValues), optionally expiring. */
export function encodeState(options) {
  const c = need('encodeState');
  const o = options || {};
  const random = o.random === undefined ? globalThis.crypto.getRandomValues(new Uint8Array(16)) : bytes(o.random);
  const hasExpiry = o.expiresAt !== undefined && o.expiresAt !== null;
  return required(c.state_encode(random, hasExpiry, hasExpiry ? Number(o.expiresAt) : 0))[1];
}

/** Appends the host's MAC (of decodeState(state).signed_part) to a state with an expiry. */
export function signState(state, mac) {
  return required(need('signState').state_sign(str(state), bytes(mac)))[1];
}

/** Decodes a state: {nonce, nonce_bytes, expires_at, signed, signed_part}; throws when malformed. */
export function decodeState(state) {
  return withDiagnostics(need('decodeState').state_decode(str(state)));
}

/** Checks a state's form, expiry (against `now`, Unix seconds; default: the clock) and, with `expectedMac`, its signature. */
export function verifyState(state, options) {
  const o = options || {};
  const now = o.now === undefined || o.now === null ? Math.floor(Date.now() / 1000) : Number(o.now);
  return diags(need('verifyState').state_verify(str(state), now, bytes(o.expectedMac)));
}

// ---- token endpoint (server side: these carry the client secret) -----------

/** The HTTP request that trades an authorization code for tokens: {method, url, headers, body}. */
export function buildCodeRequest(options) {
  const o = options || {};
  return withDiagnostics(need('buildCodeRequest').token_code_request(str(o.clientId), str(o.clientSecret), str(o.redirectUri),
    str(o.code), str(o.codeVerifier), str(o.api), optionalStr(o.apiBase)));
}

/** The HTTP request that refreshes an access token. */
export function buildRefreshRequest(options) {
  const o = options || {};
  return withDiagnostics(need('buildRefreshRequest').token_refresh_request(str(o.clientId), str(o.clientSecret), str(o.refreshToken),
    str(o.api), optionalStr(o.apiBase)));
}

/** The HTTP request that introspects a token. */
export function buildIntrospectionRequest(options) {
  const o = options || {};
  return withDiagnostics(need('buildIntrospectionRequest').token_introspection_request(str(o.clientId), str(o.clientSecret), str(o.token),
    str(o.tokenTypeHint), str(o.api), optionalStr(o.apiBase)));
}

/** The HTTP request that revokes a (refresh) token. */
export function buildRevokeRequest(options) {
  const o = options || {};
  return withDiagnostics(need('buildRevokeRequest').token_revoke_request(str(o.clientId), str(o.clientSecret), str(o.token),
    str(o.tokenTypeHint), str(o.api), optionalStr(o.apiBase)));
}

// Token answers: the value is {tokens|introspection, error}; a failure throws with `tokenError`.
function tokenAnswer(s, key) {
  const [d, v] = split(s);
  const r = JSON.parse(v);
  if (r[key] === null) throw new HsInstallError(d, { tokenError: r.error });
  r[key].diagnostics = d;
  return r[key];
}

/** Parses the token endpoint's answer: the tokens, or throws HsInstallError with `tokenError` ({code, retryable, ...}). */
export function parseTokenResponse(status, body) {
  return tokenAnswer(need('parseTokenResponse').token_parse_response(Number(status) | 0, str(body)), 'tokens');
}

/** Parses a token-introspection answer (v3 or v1 shape); throws like parseTokenResponse. */
export function parseIntrospectionResponse(status, body) {
  return tokenAnswer(need('parseIntrospectionResponse').token_parse_introspection(Number(status) | 0, str(body)), 'introspection');
}

/** Granted scopes against the app's configuration and the conditional scopes the URL asked for. */
export function compareGrantedScopes(granted, options) {
  const o = options || {};
  const [d, v] = split(need('compareGrantedScopes').grant_compare(list(granted), list(o.required), list(o.conditional),
    list(o.optional), list(o.requestedConditional)));
  const r = JSON.parse(v);
  r.diagnostics = d;
  return r;
}

const api = Object.freeze({
  load,
  isLoaded,
  HsInstallError,
  scopes,
  validateScopes,
  parseConfig,
  lintConfig,
  validateRedirectUri,
  buildInstallUrl,
  inspectInstallUrl,
  parseInstallUrl,
  parseCallback,
  encodeState,
  signState,
  decodeState,
  verifyState,
  buildCodeRequest,
  buildRefreshRequest,
  buildIntrospectionRequest,
  buildRevokeRequest,
  parseTokenResponse,
  parseIntrospectionResponse,
  compareGrantedScopes,
});
