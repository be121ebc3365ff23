// hsinstall/hook: the token-exchange hook for Node, following docs/hook.md exactly (as
// the Python hook, hsinstall.hook, does: the same endpoints, answers, codes, logs and
// store, so both may share one database).
//
// The only part of hsinstall that holds the client secret. Every check, URL, request
// and response parse is the core's (through ../index.js): redirect-URI registration,
// callback parsing, state encoding, decoding and verification, the token, refresh,
// introspection and revoke requests, their responses, the granted-scope comparison.
// This file adds only what the core cannot do: randomness and HMAC-SHA256
// (node:crypto), the clock, HTTP (global fetch), storage, retries and logs.
//
//   const hook = await createHook();               // settings from the environment
//   http.createServer(hook.handler).listen(8030);  // POST /state, POST /exchange, GET /callback, GET /attempts.csv
//   app.use('/hubspot', hook.handler);             // Express-style: (req, res, next)
//   const { status, body } = await hook.exchange({ code, state, redirect_uri });   // serverless
//   const token = await hook.getAccessToken(portalId);
import { createHash, createHmac, randomBytes } from 'node:crypto';

import { load, HsInstallError } from '../index.js';
import { HookError, HookConfigError } from './errors.js';
import { resolveSettings, ENV, DEFAULT_STORE } from './settings.js';
import { sqliteStore } from './store.js';
import { pgStore } from './pg-store.js';
import { openStoreUrl, rotateKey, migrateStore } from './commands.js';
import { parseKeyRing, keyId, KeyRing } from './seal.js';

export { HookError, HookConfigError, ENV, DEFAULT_STORE, sqliteStore, pgStore, openStoreUrl, rotateKey, migrateStore, parseKeyRing, keyId, KeyRing };

const STATE_BYTES = 32;
const STATE_TTL = 600; // seconds a state from POST /state stays valid
const MAX_BODY = 16384; // bytes of a POST /exchange body (the core's callback limit)
const MAX_RESPONSE = (1 << 20) + 1; // one byte past the core's 1 MiB body limit
const RETRY_AFTER_MAX_MS = 10000;
const REFRESH_AT = 0.75; // of the access token's lifetime, as HubSpot's own tools do
const CSV_DAYS = 30;
const DETAIL_MAX = 500;
const KEPT_ATTEMPTS = 1000; // attempts kept in memory while the store cannot be reached
const STORE_RETRY_MS = 20000; // how long a store write after HubSpot issued tokens is retried
const REFRESH_WAIT_MS = 15000; // how long getAccessToken waits for another instance's refresh
const UNAVAILABLE_MESSAGE = 'The install could not be recorded just now (the store is unavailable); try again in a moment.';
// Token errors that mean "this code is spent or wrong": the page's request was at fault (400).
const CODE_ERRORS = new Set(['token.bad_auth_code', 'token.expired_auth_code', 'token.redirect_mismatch', 'token.invalid_grant', 'token.bad_code_verifier']);

const errorsOf = (diagnostics) => diagnostics.filter((d) => d.severity === 'error');
const firstError = (diagnostics) => errorsOf(diagnostics)[0] || diagnostics[0];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Creates the hook: resolves and checks its settings (options, else the HSINSTALL_*
 * environment; a HookConfigError names what is wrong), loads the core and opens the store.
 *
 * options: clientId, clientSecret, stateKey, appConfig (text, object or bytes) or
 * appConfigFile, redirectUri, apiBase, returnOrigins, store (a store object, or a
 * sqlite:/// URL), env (default process.env); and log (a function taking each JSON line,
 * or false; default stderr), timeoutMs (10000 per HTTP request), retries (3), backoffMs
 * (500), stateTtl (600 s), replayWaitMs (30000), refreshWaitMs (15000), storeRetryMs (20000),
 * exposeAttempts (true: GET /attempts.csv),
 * basePath (for node:http: the path the hook is mounted at), now (Unix seconds; tests),
 * fetch, Database (the better-sqlite3 constructor).
 */
export async function createHook(options = {}) {
  const hs = await load(options.wasm === undefined ? undefined : { wasm: options.wasm });
  const s = resolveSettings(hs, options);
  const store = await openStore(s, options);
  const clock = options.now || (() => Date.now() / 1000);
  const now = () => Math.floor(clock());
  const doFetch = options.fetch || globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 10000;
  const retries = options.retries ?? 3;
  const backoffMs = options.backoffMs ?? 500;
  const stateTtl = options.stateTtl ?? STATE_TTL;
  const replayWaitMs = options.replayWaitMs ?? 30000;
  const refreshWaitMs = options.refreshWaitMs ?? REFRESH_WAIT_MS;
  const exposeAttempts = options.exposeAttempts ?? true;
  const basePath = `/${String(options.basePath || '').replace(/^\/+|\/+$/g, '')}`.replace(/^\/$/, '');
  const write = options.log === false || options.log === null ? null : typeof options.log === 'function' ? options.log : (line) => process.stderr.write(`${line}\n`);
  const scopes = s.app.scopes;
  const registered = s.app.redirect_urls;
  const client = { clientId: s.clientId, clientSecret: s.clientSecret, apiBase: s.apiBase };

  // Nothing secret leaves the hook, whatever a message quotes: the client secret and the
  // state key always, and per call the code, the state and the tokens.
  const fixed = [s.clientSecret, s.stateKeyText, s.stateKey.toString('hex'), s.stateKey.toString('base64url'), s.stateKey.toString('base64').replace(/=+$/, ''), ...s.keyText.split(/[\s,]+/)];
  function redact(text, ...more) {
    let t = String(text);
    for (const x of [...fixed, ...more].filter((x) => typeof x === 'string' && x.length >= 6).sort((a, b) => b.length - a.length))
      if (t.includes(x)) t = t.split(x).join('[redacted]');
    return t;
  }
  function log(event, outcome, reason, portalId = null) {
    if (!write) return;
    try {
      write(JSON.stringify({ at: new Date().toISOString(), event, outcome, reason, portal_id: portalId }));
    } catch {}
  }
  const mac = (text) => createHmac('sha256', s.stateKey).update(text).digest();
  const hash = (code) => createHash('sha256').update(code, 'utf8').digest('hex');

  // ---- the store while it cannot be reached (docs/hook.md, "What the database enforces") --
  // Attempts that could not be written are kept (up to 1000, oldest dropped first) and
  // appended, in order, once the store answers again.
  const storeRetryMs = options.storeRetryMs ?? STORE_RETRY_MS;
  const kept = [];
  let flushing = null;
  let flushTimer = null;
  const isUnavailable = (e) => e instanceof HookError && e.code === 'hook.store_unavailable';
  function later() {
    if (flushTimer) return;
    flushTimer = setTimeout(() => {
      flushTimer = null;
      flushKept();
    }, 1000);
    flushTimer.unref?.();
  }
  // Each kept entry is {attempt} or, for an exchange given up after HubSpot issued tokens,
  // {attempt, codeHash, outcome}: the code's final outcome, written with the attempt.
  function keep(attempt, codeHash = null, outcome = null) {
    if (kept.length >= KEPT_ATTEMPTS) kept.shift();
    kept.push({ attempt, codeHash, outcome });
    later();
  }
  /** Appends the kept attempts, oldest first; stops (and tries again later) while the store is down. */
  function flushKept() {
    if (!kept.length) return Promise.resolve();
    if (!flushing)
      flushing = (async () => {
        try {
          while (kept.length) {
            const { attempt, codeHash, outcome } = kept[0];
            if (codeHash === null) await store.appendAttempt(attempt);
            else await store.finishExchange(codeHash, outcome, attempt, null);
            kept.shift();
          }
          log('store', 'recovered', 'recovered');
        } catch (e) {
          if (!isUnavailable(e)) {
            kept.shift(); // an attempt the store refuses (not a lost connection) is not tried forever
            log('store', 'failed', 'hook.internal_error');
          }
          later();
        } finally {
          flushing = null;
        }
      })();
    return flushing;
  }
  /** An attempt appended, or kept while the store cannot be reached. */
  async function addAttempt(attempt) {
    try {
      await store.appendAttempt(attempt);
    } catch (e) {
      if (!isUnavailable(e)) throw e;
      keep(attempt);
      return;
    }
    await flushKept();
  }
  /** A store write after HubSpot issued tokens: retried with backoff for up to storeRetryMs while the store cannot be reached. */
  async function retryStore(write, portalId) {
    const deadline = Date.now() + storeRetryMs;
    for (let n = 0; ; n++) {
      try {
        const out = await write();
        await flushKept();
        return out;
      } catch (e) {
        if (!isUnavailable(e) || Date.now() >= deadline) throw e;
        log('store', 'retrying', 'hook.store_unavailable', portalId ?? null);
        await sleep(Math.min(2000, 100 * 2 ** n, Math.max(0, deadline - Date.now())));
      }
    }
  }
  const finishStored = (codeHash, outcome, attempt, record) => retryStore(() => store.finishExchange(codeHash, outcome, attempt, record), attempt.portalId);
  const unavailableBody = () => ({ ok: false, code: 'hook.store_unavailable', message: UNAVAILABLE_MESSAGE, retryable: true });

  // ---- HTTP to HubSpot: a core-built request, the core's parse, retried while retryable --

  async function readBody(res) {
    if (!res.body) return '';
    const reader = res.body.getReader();
    const chunks = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.length;
      if (total >= MAX_RESPONSE) {
        await reader.cancel().catch(() => {});
        break;
      }
    }
    return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, MAX_RESPONSE));
  }
  function retryAfterMs(headers) {
    const v = headers && headers.get('retry-after');
    if (!v) return null;
    const ms = /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) * 1000 : Date.parse(v) - Date.now();
    return Number.isFinite(ms) ? Math.max(0, ms) : null;
  }
  function networkReason(e) {
    if (e && (e.name === 'TimeoutError' || e.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
    const c = e && e.cause;
    return (c && (c.code || c.message)) || (e && e.message) || 'the connection failed';
  }
  async function send(request) {
    const res = await doFetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.method === 'GET' || request.method === 'DELETE' || request.body === '' ? undefined : request.body,
      redirect: 'manual', // a 3xx is an answer to classify, not to follow
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, body: await readBody(res), headers: res.headers };
  }
  /**
   * Builds a request with the core (`build`), sends it and parses the answer with the core
   * (`parse`), retrying retryable failures (the core's `retryable`, or a network error) up
   * to `retries` times. Resolves to {value, tries} or {code, message, retryable, tries, status};
   * a request the core refuses to build is such a failure, sent never.
   */
  async function call(build, parse, event, portalId, ...secret) {
    let request;
    try {
      request = build();
    } catch (e) {
      if (!(e instanceof HsInstallError)) throw e;
      return { code: e.code || 'hook.bad_request', retryable: false, tries: 0, status: 0, message: redact(e.message, ...secret) };
    }
    let out;
    for (let n = 0; n <= retries; n++) {
      let r = null;
      try {
        r = await send(request);
      } catch (e) {
        out = { code: 'hook.network_error', retryable: true, tries: n + 1, status: 0, message: redact(`HubSpot could not be reached: ${networkReason(e)}.`, ...secret) };
      }
      if (r) {
        try {
          return { value: parse(r.status, r.body), tries: n + 1, status: r.status };
        } catch (e) {
          if (!(e instanceof HsInstallError)) throw e;
          const d = firstError(e.diagnostics);
          const te = e.tokenError || {};
          out = { code: te.code || e.code, retryable: Boolean(te.retryable), tries: n + 1, status: r.status, message: redact(d ? d.message : e.code, ...secret) };
        }
      }
      const headers = r && r.headers;
      if (!out.retryable || n === retries) break;
      let wait = backoffMs * 2 ** n * (0.5 + Math.random());
      const after = retryAfterMs(headers);
      if (after !== null) wait = Math.max(wait, Math.min(after, RETRY_AFTER_MAX_MS));
      log(event, 'retrying', out.code, portalId);
      await sleep(wait);
    }
    return out;
  }
  const detailOf = (text, tries) => `${text}${tries <= 1 ? '' : ` (after ${tries - 1} ${tries === 2 ? 'retry' : 'retries'})`}`;

  // ---- state ------------------------------------------------------------------

  /** A fresh state `<nonce>.<exp>.<mac>`: 32 random bytes, `stateTtl` seconds, HMAC-SHA256 with the state key; the nonce is recorded. */
  async function issueState() {
    const t = now();
    const unsigned = hs.encodeState({ random: randomBytes(STATE_BYTES), expiresAt: t + stateTtl });
    const token = hs.decodeState(unsigned);
    const state = hs.signState(unsigned, mac(token.signed_part));
    await store.saveState(token.nonce, token.expires_at);
    await flushKept();
    if (t - lastPurge > 3600 && typeof store.purge === 'function') {
      lastPurge = t;
      await store.purge(t);
    }
    log('state', 'issued', 'issued');
    return state;
  }
  let lastPurge = 0;

  /** `{url, state}`: an install URL built by the core from the app's config, with a fresh state. */
  async function installUrl({ withScopes, accountId, host } = {}) {
    const state = await issueState();
    const { url } = hs.buildInstallUrl({
      config: s.configText,
      configFileName: s.configFileName,
      clientId: s.clientId,
      redirectUri: s.redirectUri,
      conditionalScopes: withScopes,
      state,
      accountId,
      host,
    });
    return { url, state };
  }

  // ---- the exchange -------------------------------------------------------------

  /**
   * Trades a code for an install (docs/hook.md): the redirect URI, code and state checked
   * by the core, the state's HMAC recomputed, the state consumed and the code claimed in
   * one transaction, the token request with retries, the granted scopes checked through
   * introspection, the install, the code's outcome and the attempt stored in one
   * transaction. `input`: {code, state, redirect_uri} (or redirectUri; default the hook's);
   * `options.marketplace`: a marketplace finalize, which has no state. Resolves to
   * {status, body}: the HTTP status and the JSON for the page, {ok: true, portal_id,
   * granted_scopes, missing_optional_scopes} or {ok: false, code, message, retryable};
   * never a token. Never rejects for a bad request.
   */
  async function exchange(input, { marketplace = false } = {}) {
    const t = now();
    const event = marketplace ? 'finalize' : 'exchange';
    const o = input && typeof input === 'object' && !Array.isArray(input) ? input : {};
    const { code, state } = o;
    const redirect = (o.redirect_uri ?? o.redirectUri) || s.redirectUri; // absent or empty: the hook's own

    async function fail(status, reason, message, { retryable = false, portalId = null, detail = '', codeHash = null } = {}) {
      message = redact(message, code, state);
      const body = { ok: false, code: reason, message, retryable };
      const attempt = { at: t, outcome: 'failed', reason, portalId, detail: redact(detail || message, code, state).slice(0, DETAIL_MAX) };
      if (codeHash === null) await addAttempt(attempt);
      else {
        try {
          await finishStored(codeHash, JSON.stringify({ status, body }), attempt, null);
        } catch (e) {
          if (!isUnavailable(e)) throw e;
          keep(attempt, codeHash, JSON.stringify({ status, body })); // the code's outcome, written once the store answers
        }
      }
      log(event, 'failed', reason, portalId);
      return { status, body };
    }

    // 1. The fields, checked by the core: the redirect URI registered, the code and state well-formed.
    if (typeof code !== 'string' || typeof redirect !== 'string' || (state !== undefined && state !== null && typeof state !== 'string'))
      return fail(400, 'hook.bad_request', 'code, state and redirect_uri must be strings.');
    const unregistered = errorsOf(hs.validateRedirectUri(redirect, { registered }));
    if (unregistered.length) return fail(400, unregistered[0].code, unregistered[0].message);
    const params = [`code=${encodeURIComponent(code)}`];
    if (marketplace) params.push('step=finalize');
    else if (typeof state === 'string') params.push(`state=${encodeURIComponent(state)}`);
    try {
      hs.parseCallback(params.join('&'), { expectedState: marketplace ? undefined : state, extraReturnOrigins: s.returnOrigins });
    } catch (e) {
      if (!(e instanceof HsInstallError)) throw e;
      const d = firstError(e.diagnostics);
      return fail(400, d.code, d.message);
    }
    let nonce = null;
    if (!marketplace) {
      // 2. The state: decoded by the core, its HMAC recomputed here, compared (constant time)
      //    and its expiry checked by the core against this hook's clock.
      let token;
      try {
        token = hs.decodeState(state || '');
      } catch (e) {
        if (!(e instanceof HsInstallError)) throw e;
        const d = firstError(e.diagnostics);
        return fail(400, d.code, d.message);
      }
      const problems = errorsOf(hs.verifyState(state, { now: clock(), expectedMac: mac(token.signed_part) }));
      if (problems.length) return fail(400, problems[0].code, problems[0].message);
      nonce = token.nonce;
    }
    // 3. One exchange per code, and the state consumed, atomically in the store.
    const codeHash = hash(code);
    let begun;
    try {
      begun = await store.beginExchange(nonce, codeHash, t);
    } catch (e) {
      if (!isUnavailable(e)) throw e;
      // Nothing consumed: the page's retry of the same code and state may succeed.
      keep({ at: t, outcome: 'failed', reason: 'hook.store_unavailable', portalId: null, detail: redact(e.message, code, state).slice(0, DETAIL_MAX) });
      log(event, 'failed', 'hook.store_unavailable');
      return { status: 503, body: unavailableBody() };
    }
    await flushKept();
    const { verdict, outcome: first } = begun;
    if (verdict === 'state_replayed') return fail(409, 'hook.state_replayed', 'This install was already completed, or was not started here. Start the install again.');
    if (verdict === 'replayed')
      return replayed(codeHash, first, t, event).catch((e) => {
        if (!isUnavailable(e)) throw e;
        log(event, 'failed', 'hook.store_unavailable');
        return { status: 503, body: unavailableBody() };
      });
    // From here the code is claimed: its outcome is recorded whatever happens.
    try {
      return await install({ code, redirect, codeHash, t, event, fail });
    } catch (e) {
      // install() answers a store it cannot reach itself (finishStored, fail, addAttempt keep what
      // they could not write); anything else recorded as the code's outcome.
      log('error', 'failed', 'hook.internal_error');
      return fail(500, 'hook.internal_error', 'The install could not be completed; try again.', { retryable: true, codeHash }).catch(() => ({
        status: 500,
        body: { ok: false, code: 'hook.internal_error', message: 'The install could not be completed; try again.', retryable: true },
      }));
    }
  }

  async function install({ code, redirect, codeHash, t, event, fail }) {
    // 4. The token request (the core builds it; the secret is only in its body), with retries.
    const exchanged = await call(() => hs.buildCodeRequest({ ...client, redirectUri: redirect, code }), hs.parseTokenResponse, event, null, code);
    if (exchanged.value === undefined) {
      const status = CODE_ERRORS.has(exchanged.code) ? 400 : exchanged.retryable ? 503 : 502;
      return fail(status, exchanged.code, exchanged.message, { retryable: exchanged.retryable, detail: detailOf(exchanged.message, exchanged.tries), codeHash });
    }
    const tokens = exchanged.value;
    const secret = [code, tokens.access_token, tokens.refresh_token, tokens.id_token];
    // 5. The granted scopes, from introspection, against the app's configuration (the core compares).
    const intro = await call(
      () => hs.buildIntrospectionRequest({ ...client, token: tokens.access_token, tokenTypeHint: 'access_token' }),
      hs.parseIntrospectionResponse,
      'introspect',
      null,
      ...secret,
    );
    const info = intro.value;
    let granted, portalId, userId, hubDomain;
    let note = '';
    if (info && info.active) {
      [granted, portalId, userId, hubDomain] = [info.scopes, info.hub_id, info.user_id, info.hub_domain || null];
    } else if (tokens.scopes !== null && tokens.hub_id !== null) {
      [granted, portalId, userId, hubDomain] = [tokens.scopes, tokens.hub_id, tokens.user_id, null];
      note = `; introspection failed (${intro.code || 'token.inactive'}), scopes from the token response`;
    } else {
      await revoke(tokens.refresh_token, secret);
      return fail(502, intro.code || 'token.inactive', intro.message || 'The new access token is not active.', {
        retryable: Boolean(intro.retryable),
        detail: detailOf(intro.message || 'introspection: token not active', intro.tries),
        codeHash,
      });
    }
    if (portalId === null || portalId === undefined) {
      await revoke(tokens.refresh_token, secret);
      return fail(502, 'token.malformed_response', 'HubSpot did not say which account installed the app.', { codeHash });
    }
    const comparison = hs.compareGrantedScopes(granted, scopes);
    const missing = errorsOf(comparison.diagnostics);
    if (missing.length) {
      await revoke(tokens.refresh_token, secret);
      return fail(403, missing[0].code, missing[0].message, { portalId, detail: missing[0].message, codeHash });
    }
    // 6. The install, the code's outcome and the attempt, in one transaction.
    const body = { ok: true, portal_id: portalId, granted_scopes: granted, missing_optional_scopes: comparison.missing_optional };
    let detail = `granted ${granted.length} scopes`;
    if (comparison.missing_optional.length) detail += `; optional not granted: ${comparison.missing_optional.join(' ')}`;
    detail = redact(detailOf(detail + note, exchanged.tries), ...secret);
    const attempt = { at: t, outcome: 'installed', reason: 'installed', portalId, detail };
    try {
      await finishStored(codeHash, JSON.stringify({ status: 200, body }), attempt, {
        portalId,
        userId: userId ?? null,
        hubDomain,
        scopes: granted,
        accessToken: tokens.access_token,
        refreshToken: tokens.refresh_token,
        expiresAt: t + tokens.expires_in,
        updatedAt: t,
      });
    } catch (e) {
      if (!isUnavailable(e)) throw e;
      // HubSpot issued tokens the store could not take within storeRetryMs: they are given
      // back (revoked), and the code's final outcome ("start the install again": the code is
      // spent) is kept with the attempt, written once the store answers, as the Python hook does.
      await revoke(tokens.refresh_token, secret);
      const message = 'The install could not be stored: the hook\'s database could not be reached.';
      keep(
        { at: t, outcome: 'failed', reason: 'hook.store_unavailable', portalId, detail: `${message} (installed)` },
        codeHash,
        JSON.stringify({ status: 503, body: { ok: false, code: 'hook.store_unavailable', retryable: false, message: `${message} Start the install again.` } }),
      );
      log(event, 'failed', 'hook.store_unavailable', portalId);
      return { status: 503, body: unavailableBody() };
    }
    log(event, 'installed', 'installed', portalId);
    return { status: 200, body };
  }

  /** A code seen before: the first exchange's answer (waited for while it runs), without a second token request. */
  async function replayed(codeHash, first, t, event) {
    const deadline = Date.now() + replayWaitMs;
    while (first === null && Date.now() < deadline) {
      await sleep(20);
      first = await store.getCodeOutcome(codeHash);
    }
    if (first === null) {
      await addAttempt({ at: t, outcome: 'replayed', reason: 'hook.code_replayed', portalId: null, detail: 'first exchange still running' });
      log(event, 'replayed', 'hook.code_replayed');
      return { status: 409, body: { ok: false, code: 'hook.code_replayed', message: 'This code is being exchanged already; try again in a moment.', retryable: true } };
    }
    const o = JSON.parse(first);
    const portalId = o.body.portal_id ?? null;
    await addAttempt({ at: t, outcome: 'replayed', reason: 'hook.code_replayed', portalId, detail: `first outcome: ${o.body.ok ? 'installed' : o.body.code}` });
    log(event, 'replayed', 'hook.code_replayed', portalId);
    return { status: o.status, body: o.body };
  }

  /** Best effort: tokens the hook will not store are given back (one try). */
  async function revoke(refreshToken, secret) {
    if (!refreshToken) return;
    try {
      await send(hs.buildRevokeRequest({ ...client, token: refreshToken, tokenTypeHint: 'refresh_token' }));
      log('revoke', 'revoked', 'revoked');
    } catch {
      log('revoke', 'failed', 'hook.network_error');
    }
  }

  /**
   * HubSpot's redirect when the hook serves the redirect URI (a full URL, or the path with
   * its query): {status: 302, location} for a marketplace step=authorize (to the returnUrl
   * the core accepted), otherwise {status, body} as exchange() answers.
   */
  async function callback(url) {
    const t = now();
    let cb;
    try {
      cb = hs.parseCallback(String(url), { extraReturnOrigins: s.returnOrigins });
    } catch (e) {
      if (!(e instanceof HsInstallError)) throw e;
      const d = firstError(e.diagnostics);
      const message = redact(d.message);
      await addAttempt({ at: t, outcome: 'failed', reason: d.code, portalId: null, detail: message.slice(0, DETAIL_MAX) });
      log('callback', 'failed', d.code);
      return { status: 400, body: { ok: false, code: d.code, message, retryable: false }, hint: d.hint };
    }
    if (cb.kind === 'marketplace_authorize') {
      await addAttempt({ at: t, outcome: 'redirected', reason: 'callback.marketplace_initiated', portalId: null, detail: 'step=authorize: sent on to HubSpot' });
      log('callback', 'redirected', 'callback.marketplace_initiated');
      return { status: 302, location: cb.return_url };
    }
    if (cb.kind === 'marketplace_finalize') return exchange({ code: cb.code, state: null }, { marketplace: true });
    return exchange({ code: cb.code, state: cb.state });
  }

  // ---- tokens on demand ---------------------------------------------------------------

  const refreshing = new Map(); // portal id -> this process's refresh under way
  const fresh = (i) => clock() < i.updatedAt + REFRESH_AT * Math.max(0, i.expiresAt - i.updatedAt);
  async function installOrThrow(portalId) {
    const i = await store.getInstall(portalId);
    if (!i) throw new HookError('hook.not_installed', `No install is stored for portal ${portalId}.`);
    return i;
  }

  /**
   * The portal's access token: the stored one while more than 25% of its lifetime
   * remains, otherwise refreshed (one refresh per portal at a time, through the store's
   * lease), the new access token and the newest refresh token stored. Rejects with a
   * HookError (hook.not_installed, token.bad_refresh_token, hook.network_error, hook.refresh_busy, ...).
   */
  async function getAccessToken(portalId) {
    const id = Number(portalId);
    if (!Number.isSafeInteger(id) || id <= 0) throw new TypeError(`getAccessToken() needs a portal id, not ${String(portalId)}`);
    const held = await installOrThrow(id);
    if (fresh(held)) return held.accessToken;
    let p = refreshing.get(id);
    if (!p) {
      p = underLease(id).finally(() => refreshing.delete(id));
      refreshing.set(id, p);
    }
    return p;
  }
  async function underLease(portalId) {
    const holder = randomBytes(8).toString('hex');
    const lease = Math.ceil((timeoutMs * (retries + 1) + RETRY_AFTER_MAX_MS * retries) / 1000) + 30;
    const deadline = Date.now() + refreshWaitMs; // then hook.refresh_busy: the caller tries again
    for (;;) {
      const t = now();
      if (await store.acquireRefresh(portalId, holder, t + lease, t)) {
        try {
          return await refresh(portalId);
        } finally {
          // A lease the store could not release expires by itself.
          await Promise.resolve(store.releaseRefresh(portalId, holder)).catch((e) => {
            if (!isUnavailable(e)) throw e;
          });
        }
      }
      await sleep(20);
      const i = await installOrThrow(portalId);
      if (fresh(i)) return i.accessToken;
      if (Date.now() > deadline) throw new HookError('hook.refresh_busy', `Another refresh of portal ${portalId} did not finish.`, { retryable: true });
    }
  }
  async function refresh(portalId) {
    const i = await installOrThrow(portalId); // again, under the lease: another process may have refreshed
    if (fresh(i)) return i.accessToken;
    const t = now();
    const r = await call(() => hs.buildRefreshRequest({ ...client, refreshToken: i.refreshToken }), hs.parseTokenResponse, 'refresh', portalId, i.refreshToken, i.accessToken);
    if (r.value === undefined) {
      log('refresh', 'failed', r.code, portalId);
      throw new HookError(r.code, r.message, { retryable: r.retryable });
    }
    const tokens = r.value;
    const newest = tokens.refresh_token || i.refreshToken; // no refresh_token in the answer: keep the one we have
    // HubSpot issued tokens: their store write is retried while the store cannot be reached.
    const stored = await retryStore(() => store.updateTokens(portalId, i.refreshToken, { accessToken: tokens.access_token, refreshToken: newest, expiresAt: t + tokens.expires_in, updatedAt: t }), portalId);
    if (!stored) {
      log('refresh', 'failed', 'hook.refresh_conflict', portalId);
      throw new HookError('hook.refresh_busy', 'The stored install changed during the refresh.', { retryable: true });
    }
    log('refresh', 'refreshed', 'refreshed', portalId);
    return tokens.access_token;
  }

  /**
   * Introspects the portal's access token and compares the granted scopes with the app's
   * configuration (the core's compareGrantedScopes). Rejects with a HookError when HubSpot
   * cannot be asked or the token is not active.
   */
  async function checkScopes(portalId) {
    const access = await getAccessToken(portalId);
    const r = await call(() => hs.buildIntrospectionRequest({ ...client, token: access }), hs.parseIntrospectionResponse, 'introspect', Number(portalId), access);
    if (r.value === undefined) throw new HookError(r.code, r.message, { retryable: r.retryable });
    if (!r.value.active) throw new HookError('token.inactive', 'The access token is not active (expired, revoked or unknown).');
    return hs.compareGrantedScopes(r.value.scopes, scopes);
  }

  // ---- reading the log ------------------------------------------------------------

  const publicInstall = (i) => ({ portal_id: i.portalId, user_id: i.userId, hub_domain: i.hubDomain, scopes: i.scopes, expires_at: i.expiresAt, updated_at: i.updatedAt });
  /** The stored installs without their tokens, newest first. */
  async function listInstalls() {
    return (await store.listInstalls()).map(publicInstall);
  }
  /** The attempts of the last `days` days, oldest first. */
  async function attempts(days = CSV_DAYS) {
    return store.listAttempts(now() - days * 86400);
  }
  /** The last `days` (30) days of attempts as CSV: at,outcome,reason,portal_id,detail (at in UTC, ISO 8601). */
  async function attemptsCsv(days = CSV_DAYS) {
    const lines = ['at,outcome,reason,portal_id,detail'];
    for (const a of await attempts(days)) lines.push([iso(a.at), a.outcome, a.reason, a.portalId ?? '', formulaSafe(a.detail)].map(csvCell).join(','));
    return `${lines.join('\r\n')}\r\n`;
  }

  // ---- HTTP -------------------------------------------------------------------------

  async function readExchange(req) {
    const given = req.body;
    if (given !== undefined && given !== null && !(typeof given === 'object' && !Buffer.isBuffer(given) && Object.keys(given).length === 0 && req.readable)) {
      // Read already by a body parser (express.json(), or a raw one).
      if (typeof given === 'string' || Buffer.isBuffer(given)) return parseBody(Buffer.from(given));
      return { data: given };
    }
    const type = String(req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') return { problem: [415, 'The request must be JSON (Content-Type: application/json).'] };
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > MAX_BODY) return { problem: [413, `The request body is missing or over ${MAX_BODY} bytes.`] };
    const chunks = [];
    let total = 0;
    for await (const chunk of req) {
      total += chunk.length;
      if (total > MAX_BODY) return { problem: [413, `The request body is missing or over ${MAX_BODY} bytes.`] };
      chunks.push(chunk);
    }
    return parseBody(Buffer.concat(chunks));
  }
  function parseBody(raw) {
    try {
      return { data: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw)) };
    } catch {
      return { problem: [400, 'The request body is not JSON.'] };
    }
  }

  async function route(req, res, next) {
    const url = String(req.url || '/');
    const q = url.indexOf('?');
    let path = q < 0 ? url : url.slice(0, q);
    if (basePath) {
      if (path !== basePath && !path.startsWith(`${basePath}/`)) return next ? next() : sendJson(res, 404, notFound);
      path = path.slice(basePath.length) || '/';
    }
    const method = String(req.method || 'GET').toUpperCase();
    const routes = { '/state': 'POST', '/exchange': 'POST', '/callback': 'GET' };
    if (exposeAttempts) routes['/attempts.csv'] = 'GET';
    const allowed = routes[path];
    if (!allowed) return next ? next() : sendJson(res, 404, notFound);
    if (method !== allowed) // no HEAD: a prefetch of /callback must not spend the code
      return sendJson(res, 405, { ok: false, code: 'hook.bad_request', retryable: false, message: `Use ${allowed}.` }, { allow: allowed });

    if (path === '/state') return sendJson(res, 200, { state: await issueState() });
    if (path === '/exchange') {
      const { data, problem: unread } = await readExchange(req);
      let problem = unread || null;
      if (!problem && (!data || typeof data !== 'object' || Array.isArray(data) || typeof data.code !== 'string'))
        problem = [400, 'The request must be a JSON object with code, state and redirect_uri.'];
      if (problem) {
        await addAttempt({ at: now(), outcome: 'failed', reason: 'hook.bad_request', portalId: null, detail: problem[1] });
        log('exchange', 'failed', 'hook.bad_request');
        return sendJson(res, problem[0], { ok: false, code: 'hook.bad_request', message: problem[1], retryable: false });
      }
      const o = await exchange({ code: data.code, state: data.state, redirect_uri: data.redirect_uri });
      return sendJson(res, o.status, o.body);
    }
    if (path === '/callback') {
      const o = await callback(q < 0 ? '' : url.slice(q + 1));
      if (o.status === 302) return reply(res, 302, { location: o.location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }, '');
      if (o.body.ok)
        return sendPage(res, 200, 'Installed', `Installed in HubSpot account ${o.body.portal_id}. Granted: ${o.body.granted_scopes.join(', ')}.`, 'You can close this window.');
      return sendPage(res, o.status, 'The install did not complete', o.body.message, o.hint !== undefined ? o.hint : `Code: ${o.body.code}`);
    }
    const csv = await attemptsCsv();
    return reply(res, 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="hsinstall-attempts.csv"', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }, csv);
  }

  /** The request handler for node:http and Express-style servers: (req, res, next?). */
  function handler(req, res, next) {
    route(req, res, typeof next === 'function' ? next : null).catch((e) => {
      if (isUnavailable(e)) {
        log('store', 'failed', 'hook.store_unavailable');
        if (!res.headersSent) sendJson(res, 503, unavailableBody(), { 'retry-after': '1' });
        else res.destroy();
        return;
      }
      // Never a stack trace (or a secret in one) to the page or the log.
      log('error', 'failed', 'hook.internal_error');
      if (process.env.HSINSTALL_HOOK_DEBUG) console.error(e);
      if (!res.headersSent) sendJson(res, 500, { ok: false, code: 'hook.internal_error', retryable: true, message: 'The install could not be completed; try again.' });
      else res.destroy();
    });
  }

  return Object.freeze({
    handler,
    exchange,
    callback,
    issueState,
    installUrl,
    getAccessToken,
    checkScopes,
    listInstalls,
    attempts,
    attemptsCsv,
    settings: Object.freeze({ clientId: s.clientId, redirectUri: s.redirectUri, apiBase: s.apiBase, returnOrigins: s.returnOrigins, redirectUrls: registered, scopes }),
    store,
    /** How many attempts are kept in memory, not yet appended (the store could not be reached). */
    get keptAttempts() {
      return kept.length;
    },
    /** Appends the kept attempts now (resolves when done, or when the store is still down). */
    flushAttempts: () => flushKept(),
    close: async () => {
      if (flushTimer) clearTimeout(flushTimer);
      await flushKept().catch(() => {});
      if (typeof store.close === 'function') await store.close();
    },
  });
}

/** The store the settings name: an object of the site's own, or a postgresql:// or sqlite:/// URL (opened and migrated). */
async function openStore(s, options) {
  if (s.store && typeof s.store === 'object') return s.store;
  return openStoreUrl(s.store, s.keys, { setting: s.storeName, Database: options.Database, pg: options.pg, max: options.poolSize });
}

const notFound = { ok: false, code: 'hook.not_found', message: 'No such endpoint.', retryable: false };
function reply(res, status, headers, body) {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
function sendJson(res, status, body, extra) {
  reply(res, status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...extra }, JSON.stringify(body));
}
const escapeHtml = (t) => String(t).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' })[c]);
/** The small page GET /callback answers with (the Python hook's, word for word). */
function sendPage(res, status, title, message, hint = '') {
  const doc =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    '<meta name="viewport" content="width=device-width,initial-scale=1">' +
    '<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#33475b}' +
    `.ok{color:#00785a}.error{color:#a8231c}</style></head><body><h1 class="${status === 200 ? 'ok' : 'error'}">${escapeHtml(title)}</h1>` +
    `<p id="hsinstall-outcome">${escapeHtml(message)}</p><p>${escapeHtml(hint)}</p></body></html>`;
  reply(res, status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  }, doc);
}
const iso = (t) => new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
// A cell a spreadsheet would run as a formula is quoted with '.
const formulaSafe = (t) => (/^[=+\-@\t\r]/.test(t) ? `'${t}` : t);
const csvCell = (v) => {
  const t = String(v);
  return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
};

// ---- one hook from the environment, for a function per route (serverless) --------

let fromEnvironment = null;
function defaultHook() {
  if (!fromEnvironment)
    fromEnvironment = createHook().catch((e) => {
      fromEnvironment = null;
      throw e;
    });
  return fromEnvironment;
}
/** exchange() of a hook made from the environment (on first use, then shared). */
export async function exchange(input, options) {
  return (await defaultHook()).exchange(input, options);
}
/** callback() of the hook made from the environment. */
export async function callback(url) {
  return (await defaultHook()).callback(url);
}
/** issueState() of the hook made from the environment. */
export async function issueState() {
  return (await defaultHook()).issueState();
}
/** getAccessToken() of the hook made from the environment. */
export async function getAccessToken(portalId) {
  return (await defaultHook()).getAccessToken(portalId);
}
/** attemptsCsv() of the hook made from the environment. */
export async function attemptsCsv(days) {
  return (await defaultHook()).attemptsCsv(days);
}
/** The request handler of the hook made from the environment; a wrong setting answers 500 and is logged. */
export function handler(req, res, next) {
  defaultHook().then(
    (h) => h.handler(req, res, next),
    (e) => {
      process.stderr.write(`hsinstall hook: ${e.message}\n`);
      sendJson(res, 500, { ok: false, code: 'hook.internal_error', retryable: false, message: 'The install hook is not configured.' });
    },
  );
}
