// The install button's enhancement, loaded lazily by ./hubspot-install-button.js:
// loads the wasm core, has it build the install URL from the element's attributes
// (or from the app config file named by `config`) and check the authored href
// against it, renders the scope preview from the catalogue, and runs an install
// with a fresh state (redirect, or popup with postMessage / BroadcastChannel).
// Every URL, scope and state is made and checked by the core.
import { load, HsInstallError } from '../index.js';
import { POPUP } from './hubspot-install-button.js';
import { CHANNEL, expiry, fire, remember, exchange, successText, failure, notOurs, loadFailed, WidgetError } from './flow.js';

const words = (v) => (v || '').split(/[\s,]+/).filter(Boolean);
const modified = (e) => e.button || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey;
const FIELDS = ['host', 'account_id', 'client_id', 'redirect_uri', 'scopes', 'optional_scopes'];
const same = (a, b) => (Array.isArray(a) ? [...a].sort().join(' ') : String(a ?? '')) === (Array.isArray(b) ? [...b].sort().join(' ') : String(b ?? ''));

/** The core's buildInstallUrl options from the element's attributes (fetching `config` when given). */
async function options(el) {
  const g = (n) => el.getAttribute(n) ?? undefined;
  const o = { clientId: g('client-id'), redirectUri: g('redirect-uri'), host: g('host'), accountId: g('account'), conditionalScopes: words(g('conditional-scopes')) };
  const config = g('config');
  if (config) {
    const url = new URL(config, document.baseURI);
    let r;
    try {
      r = await fetch(url, { credentials: 'same-origin' });
    } catch (e) {
      r = { ok: false, status: String(e) };
    }
    if (!r.ok) throw new WidgetError('widget.config_unreadable', `The app config file ${url} could not be fetched (HTTP ${r.status}).`);
    o.config = await r.text();
    o.configFileName = url.pathname.split('/').pop();
  } else {
    o.scopes = words(g('scopes'));
    o.optionalScopes = words(g('optional-scopes'));
  }
  return o;
}

/** Errors that make the button keep its authored link: the core's, and any field where href and attributes differ. */
function check(api, o, href) {
  const built = api.buildInstallUrl(o); // throws HsInstallError when the attributes are wrong
  const mine = api.inspectInstallUrl(built.url);
  const theirs = api.inspectInstallUrl(href, o.config ? { config: o.config, configFileName: o.configFileName } : undefined);
  const all = built.diagnostics.concat(theirs.diagnostics);
  const errors = all.filter((d) => d.severity === 'error');
  const fields = FIELDS.filter((k) => !same(mine[k], theirs[k]));
  if (fields.length)
    errors.push({
      code: 'widget.href_mismatch',
      severity: 'error',
      where: fields.join(','),
      message: `The link's href differs from the button's attributes in ${fields.join(', ')}.`,
      hint: 'Paste the href that `hsinstall url` prints for these settings, or fix the attributes.',
    });
  const warnings = all.filter((d) => d.severity === 'warning' && d.code !== 'install_url.missing_state');
  return { errors, warnings, info: mine };
}

function status(el, text) {
  const s = el.shadowRoot && el.shadowRoot.querySelector('[part=status]');
  if (s) s.textContent = text;
}

function preview(el, api, info) {
  const p = el.shadowRoot && el.shadowRoot.getElementById('p');
  if (!p) return;
  if (!api) return void (p.textContent = 'The list of permissions is not available.');
  const h = document.createElement('p');
  h.setAttribute('part', 'preview-heading');
  h.textContent = 'This app will be able to:';
  const ul = document.createElement('ul');
  const item = (name, optional) => {
    const s = api.scopes.lookup(name);
    const li = document.createElement('li');
    li.setAttribute('part', 'preview-scope');
    li.textContent = `${s && s.description ? s.description : name}${optional ? ' (optional)' : ''} `;
    const code = document.createElement('code');
    code.setAttribute('part', 'preview-scope-name');
    code.textContent = name;
    li.append(code);
    ul.append(li);
  };
  info.scopes.forEach((n) => item(n, false));
  info.optional_scopes.forEach((n) => item(n, true));
  p.replaceChildren(h, ul);
}

/** Enhances one element; resolves to its controller, or to null when the plain link must stay. */
export async function enhance(el) {
  const a = el.link;
  if (!a) return null;
  let api;
  try {
    api = await load();
  } catch (e) {
    loadFailed(e);
    preview(el, null);
    return null;
  }
  let o, c;
  try {
    o = await options(el);
    c = check(api, o, a.href);
  } catch (e) {
    if (!(e instanceof HsInstallError) && !(e instanceof WidgetError)) throw e;
    c = { errors: failure(e).diagnostics.filter((d) => d.severity === 'error'), warnings: [] };
    if (!c.errors.length) c.errors = failure(e).diagnostics;
  }
  if (c.warnings.length)
    console.warn(`hsinstall: <hubspot-install-button> warnings: ${c.warnings.map((d) => d.code).join(', ')}`, c.warnings);
  if (c.errors.length) {
    const codes = [...new Set(c.errors.map((d) => d.code))];
    const message = `hsinstall: <hubspot-install-button> is misconfigured (${codes.join(', ')}); its link is left exactly as authored.`;
    console.error(`${message}\n${c.errors.map((d) => `  ${d.code} at ${d.where || '-'}: ${d.message}${d.hint ? ` (${d.hint})` : ''}`).join('\n')}`);
    fire(el, 'hsinstall:error', { phase: 'configure', code: codes[0], codes, message, diagnostics: c.errors });
    preview(el, null);
    return null;
  }
  preview(el, api, c.info);
  return new Install(el, a, api, o, c.info.redirect_uri);
}

class Install {
  constructor(el, a, api, o, redirectUri) {
    Object.assign(this, { el, a, api, o, redirectUri, href: a.getAttribute('href') });
    // Back from HubSpot through the back/forward cache: the used state must not stay in the link.
    addEventListener('pageshow', () => {
      a.setAttribute('href', this.href);
      el.busy(false);
    });
  }

  get popup() {
    return this.el.getAttribute('mode') === 'popup';
  }

  /** The server hook's state endpoint (`state-url`), when the hook issues and signs states. */
  get stateUrl() {
    const u = this.el.getAttribute('state-url');
    return u ? new URL(u, document.baseURI).href : null;
  }

  /**
   * The install URL for a state, both from the core: `state` as issued by the hook, or a
   * fresh one made here (16 bytes from crypto.getRandomValues, with an expiry).
   */
  fresh(issued) {
    if (issued) {
      const d = this.api.decodeState(issued); // throws when the hook's answer is not a state
      return { state: issued, exp: d.expires_at || expiry(), url: this.api.buildInstallUrl({ ...this.o, state: issued }).url };
    }
    const exp = expiry();
    const state = this.api.encodeState({ random: crypto.getRandomValues(new Uint8Array(16)), expiresAt: exp });
    return { state, exp, url: this.api.buildInstallUrl({ ...this.o, state }).url };
  }

  #begin(issued) {
    try {
      const f = this.fresh(issued);
      fire(this.el, 'hsinstall:start', { mode: this.popup ? 'popup' : 'redirect' });
      return f;
    } catch (e) {
      console.error('hsinstall: could not make a fresh state; following the link as authored.', e);
      return null;
    }
  }

  /** A click once loaded, inside the user's gesture (so a popup may open now). */
  click(e) {
    if (this.stateUrl) {
      // The state comes from the hook: hold the click (a popup opens now, on about:blank;
      // a modified click is held too, and continues in this tab).
      e.preventDefault();
      this.el.busy(true);
      return void this.start(this.popup ? open('about:blank', '_blank', POPUP) : null);
    }
    const f = this.#begin();
    if (!f) return; // the authored link goes on
    if (this.popup && !modified(e)) {
      e.preventDefault();
      const w = open(f.url, '_blank', POPUP);
      return w ? this.#watch(w, f) : this.#redirect(f, true);
    }
    this.#redirect(f, false, modified(e));
  }

  /** POSTs to the hook's state endpoint; resolves to the issued state. */
  async #issue() {
    let r, j;
    try {
      r = await fetch(this.stateUrl, { method: 'POST', headers: { accept: 'application/json' }, credentials: 'same-origin' });
      j = await r.json();
    } catch {}
    if (!r || !r.ok || !j || typeof j.state !== 'string')
      throw new WidgetError('widget.state_unavailable', `The install cannot start: the server (${this.stateUrl}) did not issue a state${r ? ` (HTTP ${r.status})` : ''}. Try again in a moment.`);
    return j.state;
  }

  /** A click held while loading or while the hook issues a state: `popup` is the about:blank window opened in the gesture, or null. */
  async start(popup) {
    let issued;
    if (this.stateUrl) {
      try {
        this.el.busy(true);
        issued = await this.#issue();
      } catch (e) {
        if (popup) popup.close();
        const x = failure(e);
        this.el.busy(false);
        status(this.el, x.message);
        return fire(this.el, 'hsinstall:error', { mode: this.popup ? 'popup' : 'redirect', phase: 'install', ...x });
      }
    }
    const f = this.#begin(issued);
    if (!f) {
      if (popup) popup.close();
      return location.assign(this.a.href);
    }
    if (popup && this.popup) {
      popup.location.href = f.url;
      return this.#watch(popup, f);
    }
    if (popup) popup.close();
    this.#redirect(f, true);
  }

  #redirect(f, assign, background) {
    remember(f.state, { exp: f.exp, redirect_uri: this.redirectUri });
    if (assign) location.assign(f.url);
    else this.a.href = f.url; // the click's default action follows it
    if (!background) {
      this.el.busy(true);
      setTimeout(() => {
        this.el.busy(false);
        this.a.setAttribute('href', this.href);
      }, 5000);
    } else setTimeout(() => this.a.setAttribute('href', this.href));
  }

  #watch(w, f) {
    const el = this.el;
    const origin = new URL(this.redirectUri).origin;
    let done = false;
    let closedAt = 0;
    let bc = null;
    el.busy(true);
    status(el, 'Waiting for HubSpot…');
    const stop = () => {
      removeEventListener('message', onMessage);
      if (bc) bc.close();
      clearInterval(poll);
      clearTimeout(expire);
    };
    // Returns false when the callback belongs to another install (BroadcastChannel).
    const take = (url, fromOurPopup, ack) => {
      if (done) return false;
      let cb, err;
      try {
        cb = this.api.parseCallback(url, { expectedState: f.state });
        const d = this.api.verifyState(f.state).filter((x) => x.severity === 'error');
        if (d.length) throw new HsInstallError(d);
      } catch (e) {
        if (!fromOurPopup && notOurs(e)) return false;
        err = e;
      }
      done = true;
      ack();
      stop();
      try {
        w.close();
      } catch {}
      this.#finish(cb, f, err);
      return true;
    };
    const onMessage = (e) => {
      if (e.source !== w || e.origin !== origin || !e.data || e.data.type !== 'hsinstall:callback') return;
      take(String(e.data.url), true, () => e.source.postMessage({ type: 'hsinstall:ack' }, e.origin));
    };
    addEventListener('message', onMessage);
    if (self.BroadcastChannel) {
      bc = new BroadcastChannel(CHANNEL);
      bc.onmessage = (e) => {
        const d = e.data;
        if (d && d.type === 'hsinstall:callback') take(String(d.url), false, () => bc.postMessage({ type: 'hsinstall:ack' }));
      };
    }
    // Closed without a result: cancelled, after a grace period for a BroadcastChannel
    // message (a Cross-Origin-Opener-Policy also makes the popup look closed). A result
    // that still arrives before the state expires is taken.
    const poll = setInterval(() => {
      if (done || !w.closed) return;
      if (!closedAt) closedAt = Date.now();
      else if (Date.now() - closedAt > 1500) {
        clearInterval(poll);
        el.busy(false);
        status(el, '');
        fire(el, 'hsinstall:cancel', { mode: 'popup', code: 'widget.popup_closed', message: 'The HubSpot window was closed before the install finished.' });
      }
    }, 250);
    const expire = setTimeout(stop, (f.exp - Date.now() / 1000) * 1000);
  }

  async #finish(cb, f, err) {
    const el = this.el;
    const hook = el.getAttribute('hook');
    el.busy(true);
    try {
      if (err) throw err;
      let r = { portalId: null, scopes: [], result: null };
      if (hook) {
        status(el, 'Completing the install…');
        r = await exchange(new URL(hook, document.baseURI).href, { code: cb.code, state: f.state, redirect_uri: this.redirectUri });
        status(el, successText(r));
      } else {
        status(el, '');
        r.code = cb.code; // no hook: the page trades the code itself
        r.redirectUri = this.redirectUri;
      }
      fire(el, 'hsinstall:success', { mode: 'popup', ...r });
    } catch (e) {
      const x = failure(e);
      status(el, x.message);
      fire(el, 'hsinstall:error', { mode: 'popup', phase: 'install', ...x });
    } finally {
      el.busy(false);
    }
  }
}
