// What the widget's enhancement (./enhance.js) and the callback helper (./callback.js)
// share: the pending-state store, the hook call, events, messages and readable
// outcomes. Nothing here builds, parses or checks a URL, a scope or a state: the
// wasm core does all of that.

/** sessionStorage key prefix of a pending install: PREFIX + state -> {exp, redirect_uri}. */
export const PREFIX = 'hsinstall:state:';
/** The BroadcastChannel a popup's callback page uses when no window.opener is left (COOP). */
export const CHANNEL = 'hsinstall';
/** Seconds a state stays valid (also encoded in the state itself, checked by the core). */
export const TTL = 600;

const now = () => Math.floor(Date.now() / 1000);
export const expiry = () => now() + TTL;

/** An error of the widget itself (not a core diagnostic): code "widget.*". */
export class WidgetError extends Error {
  constructor(code, message, diagnostics) {
    super(message);
    this.name = 'WidgetError';
    this.code = code;
    this.diagnostics = diagnostics || [{ code, severity: 'error', where: '', message, hint: '' }];
  }
}

/** Dispatches a bubbling, composed CustomEvent. */
export function fire(el, type, detail) {
  el.dispatchEvent(new CustomEvent(type, { bubbles: true, composed: true, detail }));
}

function storage() {
  try {
    return self.sessionStorage || null;
  } catch {
    return null; // storage disabled: reading the property throws
  }
}

/** Stores a pending install; false (and a console warning) when storage fails, which never stops the link. */
export function remember(state, entry) {
  try {
    storage().setItem(PREFIX + state, JSON.stringify(entry));
    return true;
  } catch (e) {
    console.warn('hsinstall: could not store the install state (sessionStorage unavailable); the callback page will not be able to verify it.', e);
    return false;
  }
}

/** The pending installs of this tab, [state, entry] pairs; expired ones are dropped. */
export function pending() {
  const s = storage();
  const out = [];
  if (!s) return out;
  const t = now();
  try {
    for (let i = s.length - 1; i >= 0; i--) {
      const k = s.key(i);
      if (!k || !k.startsWith(PREFIX)) continue;
      let v = null;
      try {
        v = JSON.parse(s.getItem(k));
      } catch {}
      if (v && v.exp > t) out.push([k.slice(PREFIX.length), v]);
      else s.removeItem(k);
    }
  } catch {}
  return out;
}

/** Removes a pending install (single use). */
export function forget(state) {
  try {
    storage().removeItem(PREFIX + state);
  } catch {}
}

/**
 * POSTs {code, state, redirect_uri} as JSON to the server hook, which trades the code
 * for tokens with the client secret (never seen here). The hook answers JSON: on 2xx
 * {portal_id, scopes, ...}; otherwise {error: {code, message}} (or {code, message}).
 */
export async function exchange(hook, body) {
  let r;
  try {
    r = await fetch(hook, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch (e) {
    throw new WidgetError('widget.hook_unreachable', `The install could not be completed: the server (${hook}) did not answer.`);
  }
  let j = null;
  try {
    j = await r.json();
  } catch {}
  if (!r.ok || !j || typeof j !== 'object') {
    const err = j && typeof j === 'object' ? (j.error && typeof j.error === 'object' ? j.error : j) : {};
    throw new WidgetError(
      typeof err.code === 'string' ? err.code : 'widget.hook_failed',
      typeof err.message === 'string' ? err.message : `The install could not be completed: the server answered HTTP ${r.status}.`,
      Array.isArray(err.diagnostics) ? err.diagnostics : undefined,
    );
  }
  const portalId = j.portal_id ?? j.portalId ?? j.hub_id ?? null;
  const scopes = Array.isArray(j.scopes) ? j.scopes : Array.isArray(j.granted_scopes) ? j.granted_scopes : [];
  return { portalId, scopes, result: j };
}

/** Readable text for a finished install. */
export function successText(r) {
  return `Installed${r.portalId != null ? ` in HubSpot account ${r.portalId}` : ''}.` + (r.scopes.length ? ` Granted: ${r.scopes.join(', ')}.` : '');
}

/** {code, message, diagnostics} for any failure: a core HsInstallError, a WidgetError or anything else. */
export function failure(e) {
  const diagnostics = e && Array.isArray(e.diagnostics) ? e.diagnostics : [];
  const first = diagnostics.find((d) => d.severity === 'error') || diagnostics[0];
  const code = (e && typeof e.code === 'string' && e.code) || (first && first.code) || 'widget.failed';
  let message;
  if (e && e.name === 'WidgetError') message = e.message;
  else if (first) message = `${first.message}${first.hint ? ` ${first.hint}` : ''}`;
  else message = `The install failed: ${e && e.message ? e.message : e}`;
  return { code, message, diagnostics };
}

/** True when a core error says only that the callback's state is not the expected one. */
export function notOurs(e) {
  const codes = e && Array.isArray(e.diagnostics) ? e.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code) : [];
  return codes.length > 0 && codes.every((c) => c === 'callback.state_mismatch' || c === 'callback.missing_state');
}

/** The console warning when the wasm core cannot load (once per page). */
let warned = false;
export function loadFailed(e) {
  if (warned) return;
  warned = true;
  const csp = /Content[ -]Security[ -]Policy|unsafe-eval|wasm-eval/i.test(String(e && e.message));
  console.warn(
    csp
      ? "hsinstall: this page's Content-Security-Policy does not allow WebAssembly (add 'wasm-unsafe-eval' to script-src); the install button stays a plain link to the URL in its HTML."
      : `hsinstall: the wasm core could not load (${e && e.message ? e.message : e}); the install button stays a plain link to the URL in its HTML.`,
  );
}
